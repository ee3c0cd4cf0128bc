import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import {
  deployWorld,
  Mode,
  requestJob,
  SAMPLE_OUTPUT,
  WRONG_OUTPUT,
  signerOf,
  Status,
  Verdict,
  runQuorum,
  voteAll,
  TOKEN,
} from "../fixtures/protocol";

async function worldFixture() {
  return deployWorld();
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

  it("OPTIMISTIC: a wrong output is challenged, judged Invalid, slashed and reassigned", async function () {
    const w = await loadFixture(worldFixture);
    const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
    const cheat = signerOf(w.executors, assigned[0]);
    await w.jobs.connect(cheat).submitResult(jobId, WRONG_OUTPUT);
    const challenger = w.verifiers[0];
    await expect(w.disputes.connect(challenger).challenge(jobId)).to.emit(w.disputes, "DisputeOpened");
    const disputeId = await w.disputes.disputeOfJob(jobId);
    const committee = await w.disputes.committeeOf(disputeId);
    expect(committee.length).to.equal(3);
    await voteAll(w, disputeId, Verdict.Invalid);
    const before = await w.stakes.accountOf(cheat.address, 0);
    await expect(w.disputes.resolve(jobId)).to.emit(w.disputes, "DisputeResolved");
    const after = await w.stakes.accountOf(cheat.address, 0);
    expect(before.active - after.active).to.equal(20n * TOKEN);
    const job = await w.jobs.jobOf(jobId);
    expect(job.status).to.equal(Status.Assigned);
    expect(job.executor).to.not.equal(cheat.address);
    const honest = signerOf(w.executors, job.executor);
    await w.jobs.connect(honest).submitResult(jobId, SAMPLE_OUTPUT);
    await time.increase(1801);
    await w.jobs.finalize(jobId);
    expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
  });

  it("QUORUM: the majority output wins and the dissenter is slashed", async function () {
    const w = await loadFixture(worldFixture);
    const { jobId, assigned } = await requestJob(w, { mode: Mode.QUORUM });
    expect(assigned.length).to.equal(3);
    const outputs = [SAMPLE_OUTPUT, SAMPLE_OUTPUT, WRONG_OUTPUT];
    await runQuorum(w, jobId, assigned, outputs);
    await w.jobs.finalize(jobId);
    const [status, hash] = await w.jobs.resultOf(jobId);
    expect(status).to.equal(Status.Finalized);
    expect(hash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
    expect((await w.stakes.accountOf(assigned[2], 0)).active).to.equal(180n * TOKEN);
  });
});
