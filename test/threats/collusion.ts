/**
 * Threat 10 of docs/THREATS.md: a committee majority that agrees off-chain decides its dispute.
 * Nothing on-chain stops it (THREATS.md states it as residual risk); what bounds it is that
 * committees are drawn at random by stake (DisputeManager.drawCommittee, from the randomness of a
 * block after the challenge and the stake snapshot of its epoch: `STAKES.drawSeats`), and that the
 * losing side is slashed: on Invalid the hub takes the executor's whole
 * collateral (JobRegistry.settleDispute, to the treasury but for the challenger's bounty), on Valid
 * the challenger forfeits its bond (DisputeManager._settle). The tests assert what a colluding
 * majority obtains, and that it reaches no further than the one job: the honest result's executor
 * loses the job's collateral and the honest member its voterSlash, or the challenger its bond,
 * while another job's escrow and every other stake stay whole. The colluders themselves share only
 * the voter slashes: the collateral goes to the treasury.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  challengeDistinct,
  deployWorld,
  Mode,
  requestJob,
  Role,
  salt,
  SAMPLE_OUTPUT,
  signerOf,
  Status,
  submitUnaudited,
  Verdict,
  WRONG_OUTPUT,
  type World,
} from "../fixtures/protocol";

async function collusionFixture() {
  return deployWorld({ executors: 4, verifiers: 6 });
}

/**
 * A submitted OPTIMISTIC job with `output`, challenged by verifier 0; its committee of 3 seats held
 * by 3 different members (seats are drawn with replacement: the draw is retried until they are).
 */
async function challenged(w: World, output: Uint8Array) {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
  await submitUnaudited(w, jobId, signerOf(w.executors, assigned[0]), output);
  const { disputeId, committee } = await challengeDistinct(w, jobId, w.verifiers[0]);
  expect(committee).to.have.length(3);
  for (const member of committee) expect(await w.disputes.seatsOf(disputeId, member)).to.equal(1n);
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
    const [collateral] = await w.jobs.securityOf(jobId);
    const { voterSlash, winnerShareBps, bounty } = await w.disputes.params();
    const vault = await w.vault.getAddress();
    const treasury = await w.vault.treasuryAccrued();

    await vote(w, disputeId, committee, [Verdict.Valid, Verdict.Invalid, Verdict.Invalid]);
    const tx = w.jobs.resolveDispute(jobId);
    // The dispute's pot is the honest member's slash; the collateral goes through the hub.
    await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(disputeId, jobId, Verdict.Invalid, 1, 2, voterSlash);
    await expect(tx).to.emit(w.stakes, "NodeSlashed").withArgs(executor, Role.EXECUTOR, collateral, 0n, vault);
    await expect(tx).to.emit(w.jobs, "CollateralSlashed").withArgs(jobId, executor, collateral);
    await expect(tx).to.emit(w.stakes, "NodeSlashed").withArgs(honest, Role.VERIFIER, voterSlash, 0n, vault);
    // The colluders share half the honest member's slash, no part of the collateral.
    const each = (voterSlash * winnerShareBps) / 10_000n / 2n;
    for (const c of colluders) expect(await w.vault.creditOf(c)).to.equal(each);
    expect(await w.vault.creditOf(honest)).to.equal(0n);
    expect(await w.vault.treasuryAccrued()).to.equal(treasury + voterSlash - 2n * each + collateral - bounty);
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
    await expect(w.jobs.resolveDispute(jobId)).to.emit(w.disputes, "DisputeResolved").withArgs(disputeId, jobId, Verdict.Valid, 2, 1, bond + voterSlash);
    expect(Number((await w.jobs.jobOf(jobId)).status)).to.equal(Status.Finalized);
    expect(await w.vault.creditOf(w.verifiers[0].address)).to.equal(challengerCredit);
    expect(await w.vault.creditOf(executor)).to.be.greaterThan(0n);
  });
});
