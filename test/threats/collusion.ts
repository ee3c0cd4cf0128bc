/**
 * Threat 10 of docs/THREATS.md: a committee majority that agrees off-chain decides its dispute.
 * Nothing on-chain stops it (THREATS.md states it as residual risk); what bounds it is that
 * committees are drawn at random by stake, contracts/DisputeManager.sol line 223 (the seed) and the
 * `STAKES.draw` that follows, and that the losing side is slashed, line 268 (the executor's
 * collateral on Invalid) and line 272 (the forfeited bond on Valid). The tests assert what a
 * colluding majority obtains, and that it reaches no further than the one job: the honest result's
 * executor loses EXECUTOR_COLLATERAL and the honest member its voterSlash, or the challenger its bond,
 * while another job's escrow and every other stake stay whole.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployWorld, Mode, requestJob, Role, salt, SAMPLE_OUTPUT, signerOf, Status, Verdict, WRONG_OUTPUT, type World } from "../fixtures/protocol";

async function collusionFixture() {
  return deployWorld({ executors: 4, verifiers: 6 });
}

/** A submitted OPTIMISTIC job with `output`, challenged by verifier 0; its committee of 3. */
async function challenged(w: World, output: Uint8Array) {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
  await w.jobs.connect(signerOf(w.executors, assigned[0])).submitResult(jobId, output);
  await w.disputes.connect(w.verifiers[0]).challenge(jobId);
  const disputeId = await w.disputes.disputeOfJob(jobId);
  const committee = [...(await w.disputes.committeeOf(disputeId))];
  expect(committee).to.have.length(3);
  return { jobId, executor: assigned[0], disputeId, committee };
}

/** The members vote `verdicts[i]` (commit, then reveal). */
async function vote(w: World, disputeId: bigint, committee: string[], verdicts: number[]) {
  const salts = committee.map(() => salt());
  for (let i = 0; i < committee.length; i++) {
    const c = await w.disputes.commitmentOf(committee[i], disputeId, verdicts[i], salts[i]);
    await w.disputes.connect(signerOf(w.verifiers, committee[i])).commitVote(disputeId, c);
  }
  for (let i = 0; i < committee.length; i++) {
    await w.disputes.connect(signerOf(w.verifiers, committee[i])).revealVote(disputeId, verdicts[i], salts[i]);
  }
}

describe("A committee that colludes, or a stake majority", function () {
  it("lets a colluding majority declare an honest result Invalid: the executor loses its collateral and the honest member its voterSlash", async function () {
    const w = await loadFixture(collusionFixture);
    const other = await requestJob(w, { mode: Mode.OPTIMISTIC }); // another live job, untouched
    const { jobId, executor, disputeId, committee } = await challenged(w, SAMPLE_OUTPUT);
    const [honest, ...colluders] = committee;
    const collateral = await w.jobs.EXECUTOR_COLLATERAL();
    const voterSlash = (await w.disputes.params()).voterSlash;
    const vault = await w.vault.getAddress();

    await vote(w, disputeId, committee, [Verdict.Valid, Verdict.Invalid, Verdict.Invalid]);
    const tx = w.disputes.resolve(jobId);
    await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(disputeId, jobId, Verdict.Invalid, 1, 2, collateral + voterSlash);
    await expect(tx).to.emit(w.stakes, "NodeSlashed").withArgs(executor, Role.EXECUTOR, collateral, 0n, vault);
    await expect(tx).to.emit(w.stakes, "NodeSlashed").withArgs(honest, Role.VERIFIER, voterSlash, 0n, vault);
    for (const c of colluders) expect(await w.vault.creditOf(c)).to.be.greaterThan(0n);
    expect(await w.vault.creditOf(honest)).to.equal(0n);
    // It reaches no further than this job: the other job still waits, with its fee in escrow.
    const otherJob = await w.jobs.jobOf(other.jobId);
    expect(Number(otherJob.status)).to.equal(Status.Assigned);
    expect(await w.token.balanceOf(w.vault)).to.be.at.least(otherJob.fee);
  });

  it("lets a colluding majority declare a wrong result Valid: the challenger forfeits its bond and the job is paid", async function () {
    const w = await loadFixture(collusionFixture);
    const { jobId, executor, disputeId, committee } = await challenged(w, WRONG_OUTPUT);
    const bond = (await w.disputes.params()).challengeBond;
    const voterSlash = (await w.disputes.params()).voterSlash;
    const challengerCredit = await w.vault.creditOf(w.verifiers[0].address);

    await vote(w, disputeId, committee, [Verdict.Invalid, Verdict.Valid, Verdict.Valid]);
    await expect(w.disputes.resolve(jobId)).to.emit(w.disputes, "DisputeResolved").withArgs(disputeId, jobId, Verdict.Valid, 2, 1, bond + voterSlash);
    expect(Number((await w.jobs.jobOf(jobId)).status)).to.equal(Status.Finalized);
    expect(await w.vault.creditOf(w.verifiers[0].address)).to.equal(challengerCredit);
    expect(await w.vault.creditOf(executor)).to.be.greaterThan(0n);
  });
});
