import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import {
  collateralOf,
  deployWorld,
  EXACT,
  Mode,
  assignJob,
  requestJob,
  SAMPLE_OUTPUT,
  WRONG_OUTPUT,
  signerOf,
  Status,
  Verdict,
  runQuorum,
  submitUnaudited,
  voteAll,
  TOKEN,
} from "../fixtures/protocol";
import { readResult } from "../../packages/node/src";

/** The devnet world on an exact model, which may serve every mode (QUORUM needs exact). */
async function worldFixture() {
  return deployWorld({ policy: EXACT });
}

describe("A job's whole life", function () {
  it("NONE: finalizes on submission and pays the executor, owner, pool and treasury", async function () {
    const w = await loadFixture(worldFixture);
    const { jobId, assigned } = await requestJob(w, { mode: Mode.NONE });
    const executor = signerOf(w.executors, assigned[0]);
    await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT)).to.emit(w.jobs, "JobFinalized");
    const [status, , output] = await w.jobs.resultOf(jobId);
    expect(status).to.equal(Status.Finalized);
    expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    expect(await w.vault.creditOf(executor.address)).to.equal((TOKEN * 7500n) / 10000n);
    expect(await w.vault.creditOf(w.modelOwner.address)).to.equal(TOKEN / 10n);
  });

  it("OPTIMISTIC: a wrong output is challenged, judged Invalid, slashed whole (the challenger gets the bounty) and reassigned", async function () {
    const w = await loadFixture(worldFixture);
    const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
    const cheat = signerOf(w.executors, assigned[0]);
    await submitUnaudited(w, jobId, cheat, WRONG_OUTPUT);
    const challenger = w.verifiers[0];
    await expect(w.jobs.connect(challenger).challenge(jobId)).to.emit(w.disputes, "DisputeOpened");
    const disputeId = await w.disputes.disputeOfJob(jobId);
    // Nobody is seated until the draw's randomness is known; then anyone pins the committee.
    expect(await w.disputes.committeeOf(disputeId)).to.deep.equal([]);
    const { drawTarget } = await w.disputes.disputeOf(disputeId);
    await mine(Number(drawTarget) + 1 - (await ethers.provider.getBlockNumber()));
    await expect(w.disputes.connect(w.others[0]).drawCommittee(disputeId)).to.emit(w.disputes, "CommitteeDrawn");
    // Three seats, drawn by stake with replacement among the verifiers but the challenger.
    const committee = await w.disputes.committeeOf(disputeId);
    expect((await w.disputes.disputeOf(disputeId)).seats).to.equal(3);
    let seats = 0n;
    for (const member of committee) seats += await w.disputes.seatsOf(disputeId, member);
    expect(seats).to.equal(3n);
    expect(committee).to.not.include(challenger.address);
    await voteAll(w, disputeId, Verdict.Invalid);
    const before = await w.stakes.accountOf(cheat.address, 0);
    const resolve = w.jobs.resolveDispute(jobId);
    await expect(resolve).to.emit(w.disputes, "DisputeResolved");
    // The verdict arms the next executor draw: Unassigned until anyone assigns after its target.
    await expect(resolve).to.emit(w.jobs, "DrawArmed");
    expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
    const after = await w.stakes.accountOf(cheat.address, 0);
    // The whole collateral: 22x the 1-token fee. The challenger gets its bond back and the 2-token
    // bounty; the treasury the other 20 tokens.
    expect(before.active - after.active).to.equal(collateralOf(TOKEN, Mode.OPTIMISTIC));
    expect(before.active - after.active).to.equal(22n * TOKEN);
    expect(await w.vault.creditOf(challenger.address)).to.equal(10n * TOKEN + 2n * TOKEN);
    expect(await w.vault.treasuryAccrued()).to.equal(20n * TOKEN);
    await assignJob(w, jobId);
    const job = await w.jobs.jobOf(jobId);
    expect(job.status).to.equal(Status.Assigned);
    expect(job.executor).to.not.equal(cheat.address);
    const honest = signerOf(w.executors, job.executor);
    // Passed over by the audit lottery, so that finalize pays instead of auditing at random.
    await submitUnaudited(w, jobId, honest, SAMPLE_OUTPUT);
    await time.increase(1801);
    await w.jobs.finalize(jobId);
    expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
  });

  it("QUORUM: the majority output wins, the dissenter is slashed, and the bytes are read back from the reveals", async function () {
    const w = await loadFixture(worldFixture);
    const { jobId, assigned } = await requestJob(w, { mode: Mode.QUORUM });
    expect(assigned.length).to.equal(3);
    const outputs = [SAMPLE_OUTPUT, SAMPLE_OUTPUT, WRONG_OUTPUT];
    await runQuorum(w, jobId, assigned, outputs);
    await w.jobs.finalize(jobId);
    const [status, hash, stored] = await w.jobs.resultOf(jobId);
    expect(status).to.equal(Status.Finalized);
    expect(hash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
    // The hub keeps only the winning hash; the bytes are in the winners' ResultRevealed events.
    expect(stored).to.equal("0x");
    expect(ethers.hexlify((await readResult(w.jobs, w.quorum, jobId)).output)).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    expect((await w.stakes.accountOf(assigned[2], 0)).active).to.equal(200n * TOKEN - collateralOf(TOKEN, Mode.QUORUM));
    expect((await w.stakes.accountOf(assigned[2], 0)).active).to.equal(178n * TOKEN);
  });
});
