/**
 * Issue 10, finding 2 (docs/THREATS.md 21): wash audits. A model owner set its audit rate to 100%
 * and its fee floor to 0, requested jobs at the protocol's minimum fee, and every audit paid the
 * committee `auditReward` per seat out of one pool that every model's fees filled (10 tokens out for
 * 0.003 in). Now each model has its own audit pot, filled only by the verifier share of that
 * model's fees (PaymentVault.payFee), and a committee is paid only from the pot of the model it
 * judged (PaymentVault.rewardVoters, called by DisputeManager._reward); audit rates are capped at
 * 20% (ModelRegistry._checkPolicy), and an OPTIMISTIC fee must fund its expected audit (its verifier
 * share covers rate x committeeSize x auditReward: JobParams._checkAuditRate), so the protocol's
 * minimum fee no longer buys an audit. The attack is run here and takes nothing from anyone else.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { auditFloor, defaultPolicy, deployWorld, Mode, nextEpoch, requestJob, requestParams, SAMPLE_OUTPUT, signerOf, submitAudited, TOKEN, Verdict, voteAll, type World } from "../fixtures/protocol";

const HONEST_MODEL = 1n;
const WASH_MODEL = 2n;

async function washFixture() {
  const w = await deployWorld({ executors: 3, verifiers: 4 });
  // An honest model's paying jobs fill its audit pot: 10 NONE jobs at 1 token, 10% each.
  for (let i = 0; i < 10; i++) {
    const job = await requestJob(w, { mode: Mode.NONE, fee: TOKEN, modelId: HONEST_MODEL });
    await w.jobs.connect(signerOf(w.executors, job.assigned[0])).submitResult(job.jobId, SAMPLE_OUTPUT);
  }
  const washer = w.others[0];
  return { w, washer };
}

/** Committee members' total credit in the vault. */
async function credits(w: World, members: string[]): Promise<bigint> {
  let total = 0n;
  for (const m of members) total += await w.vault.creditOf(m);
  return total;
}

describe("Threat: wash audits drain the verifier pool (issue 10 finding 2)", function () {
  it("cannot set a 100% audit rate: the registry caps it at 20%", async function () {
    const { w, washer } = await loadFixture(washFixture);
    await expect(
      w.models.connect(washer).registerModel(ethers.sha256(ethers.toUtf8Bytes("wash")), "ipfs://wash", defaultPolicy({ auditRateBps: 10_000, minFee: 0n })),
    )
      .to.be.revertedWithCustomError(w.models, "InvalidPolicy")
      .withArgs("auditRateBps");
  });

  it("cannot request at the protocol's minimum fee: an audited job's fee must fund its expected audit (FeeBelowAuditCost)", async function () {
    const { w, washer } = await loadFixture(washFixture);
    await w.models.connect(washer).registerModel(ethers.sha256(ethers.toUtf8Bytes("wash")), "ipfs://wash", defaultPolicy({ auditRateBps: 2_000, minFee: 0n }));
    await w.token.connect(washer).approve(w.jobs, ethers.MaxUint256);
    const minFee = BigInt(w.params.jobs.minFee);
    const floor = auditFloor(w.params, 2_000);
    expect(floor).to.be.greaterThan(minFee);
    const p = await requestParams({ mode: Mode.OPTIMISTIC, fee: minFee, modelId: WASH_MODEL });
    await expect(w.jobs.connect(washer).requestInference(p)).to.be.revertedWithCustomError(w.jobs, "FeeBelowAuditCost").withArgs(minFee, floor);
    await expect(w.jobs.connect(washer).requestInference({ ...p, fee: floor - 1n }))
      .to.be.revertedWithCustomError(w.jobs, "FeeBelowAuditCost")
      .withArgs(floor - 1n, floor);
    await expect(w.jobs.connect(washer).requestInference({ ...p, fee: floor })).to.emit(w.jobs, "JobRequested");
  });

  it("audits of the washer's own jobs at the least fee it may pay take nothing from another model's pot", async function () {
    const { w, washer } = await loadFixture(washFixture);
    await w.models.connect(washer).registerModel(ethers.sha256(ethers.toUtf8Bytes("wash")), "ipfs://wash", defaultPolicy({ auditRateBps: 2_000, minFee: 0n }));
    // The executors run the washer's model too: they opt in, and are drawn for it from the next stake epoch.
    for (const e of w.executors) await w.stakes.connect(e).optIn(WASH_MODEL);
    await nextEpoch(w);
    const honestPot = await w.vault.auditPotOf(HONEST_MODEL);
    expect(honestPot).to.equal(TOKEN); // 10 jobs x 10% of 1 token
    const minFee = auditFloor(w.params, 2_000);
    await w.token.connect(washer).approve(w.jobs, ethers.MaxUint256);

    let committeePaid = 0n;
    let washFees = 0n;
    for (let i = 0; i < 3; i++) {
      const p = { mode: Mode.OPTIMISTIC, fee: minFee, modelId: WASH_MODEL };
      const job = await requestJob({ ...w, requester: washer }, p);
      washFees += minFee;
      await submitAudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), SAMPLE_OUTPUT);
      await time.increase(Number(w.params.jobs.challengeWindow) + 1);
      await expect(w.jobs.finalize(job.jobId)).to.emit(w.jobs, "AuditStarted");
      const disputeId = await w.disputes.disputeOfJob(job.jobId);
      const committee = [...(await w.disputes.committeeOf(disputeId))];
      await voteAll(w, disputeId, Verdict.Valid);
      const before = await credits(w, committee);
      await w.jobs.resolveDispute(job.jobId);
      committeePaid += (await credits(w, committee)) - before;
    }
    // The honest model's pot is untouched; before the fix each audit took 3 x 1 token from it.
    expect(await w.vault.auditPotOf(HONEST_MODEL)).to.equal(honestPot);
    // Whatever the committees got, the washer's own fees paid it: never more than their verifier share.
    expect(committeePaid).to.be.lessThanOrEqual((washFees * BigInt(w.params.jobs.verifierBps)) / 10_000n);
  });
});
