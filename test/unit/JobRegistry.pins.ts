/**
 * What a job pins at its request, whatever its model's owner or governance change later: the
 * model's policy version (hence its dispute resolver and audit rate) and the hub's parameters
 * (windows, fee shares, timeout slash, attempts). Dispute paths run through a ScriptedResolver
 * (contracts/test), so that neither the committee nor the audit lottery decides anything here.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  defaultPolicy,
  deployWorld,
  MIN_AUDIT_RATE_BPS,
  Mode,
  RefundReason,
  assignJob,
  requestJob,
  requestParams,
  SAMPLE_INPUT,
  SAMPLE_OUTPUT,
  Status,
  TOKEN,
  Verdict,
  type World,
} from "../fixtures/protocol";
import { DEVNET_PARAMS } from "../../deploy/protocol";
import { blockTimeOf, COLLATERAL, executorAccount, executorOf, nextTimestamp } from "../fixtures/unit-b-helpers";
import { ScriptedResolver__factory, type ScriptedResolver } from "../../packages/node/src/typechain";
import type { IJobRegistry } from "../../packages/node/src/typechain/contracts/JobRegistry";

const STAKE = 200n * TOKEN;
const BOND = 7n * TOKEN;
const BOUNTY = TOKEN; // below the DisputeManager's 2-token bounty, which caps a third-party resolver's
/** What the executor of a 1-token job is credited under the devnet shares (75%). */
const EXECUTOR_PART = (TOKEN * 7_500n) / 10_000n;

/** The devnet parameters, which deployWorld starts the hub with. */
const OLD: IJobRegistry.ParamsStruct = { ...DEVNET_PARAMS.jobs };
/** A second parameter set: every field a job settles by differs from OLD. */
const NEW: IJobRegistry.ParamsStruct = {
  ...DEVNET_PARAMS.jobs,
  executionWindow: 900,
  challengeWindow: 3_600,
  maxAttempts: 1,
  verifierBps: 2_000,
  modelOwnerBps: 500,
  treasuryBps: 1_500,
  timeoutSlash: TOKEN,
};
/** A third set, for two changes in a row. */
const NEWER: IJobRegistry.ParamsStruct = { ...NEW, challengeWindow: 7_200 };

/** A parameter set as the tuple the hub's views return, in field order. */
function tupleOf(p: IJobRegistry.ParamsStruct): bigint[] {
  return [
    p.executionWindow,
    p.challengeWindow,
    p.revealWindow,
    p.quorumSize,
    p.maxAttempts,
    p.verifierBps,
    p.modelOwnerBps,
    p.treasuryBps,
    p.quorumWinnerShareBps,
    p.minFee,
    p.timeoutSlash,
  ].map((v) => BigInt(v));
}

interface PinsWorld {
  w: World;
  scripted: ScriptedResolver;
}

/** The world, and a ScriptedResolver whose hub is its JobRegistry (not allowed, not chosen yet). */
async function pinsFixture(): Promise<PinsWorld> {
  const w = await deployWorld();
  const scripted = await new ScriptedResolver__factory(w.admin).deploy(await w.jobs.getAddress());
  await scripted.setBond(BOND);
  await scripted.setBounty(BOUNTY);
  return { w, scripted };
}

/** Governance allows the ScriptedResolver and the model's owner picks it (policy version 2). */
async function useScripted({ w, scripted }: PinsWorld): Promise<void> {
  await w.jobs.connect(w.admin).setResolverAllowed(scripted, true);
  await w.models.connect(w.modelOwner).setResolver(w.modelId, scripted);
}

/** Asserts that `executor` has its whole stake, none of it locked (its collateral was released). */
async function expectUntouched(w: World, executor: string): Promise<void> {
  const account = await executorAccount(w, executor);
  expect(account.active).to.equal(STAKE);
  expect(account.locked).to.equal(0n);
}

/** An OPTIMISTIC job whose sample result its executor submitted (challenge window open). */
async function submittedJob(w: World) {
  const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
  const executor = await executorOf(w, jobId);
  await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
  return { jobId, executor };
}

/** A submitted OPTIMISTIC job challenged by `w.others[0]`, whose resolver will answer `verdict`. */
async function challengedJob({ w, scripted }: PinsWorld, verdict: number) {
  const { jobId, executor } = await submittedJob(w);
  await scripted.setVerdict(jobId, verdict);
  const challenger = w.others[0];
  await w.jobs.connect(challenger).challenge(jobId);
  return { jobId, executor, challenger };
}

describe("JobRegistry pins", function () {
  describe("a model's resolver", function () {
    it("reverts with NotModelOwner when anyone but the model's owner sets it", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await expect(w.models.connect(w.others[0]).setResolver(w.modelId, scripted))
        .to.be.revertedWithCustomError(w.models, "NotModelOwner")
        .withArgs(w.modelId, w.others[0].address);
    });

    it("reverts with UnknownModel on a model that does not exist (no policy to attach it to)", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await expect(w.models.connect(w.modelOwner).setResolver(9n, scripted))
        .to.be.revertedWithCustomError(w.models, "UnknownModel")
        .withArgs(9n);
    });

    it("adds a policy version with the policy unchanged and emits ResolverSet", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, defaultPolicy({ auditRateBps: 1_200, minFee: 5n * 10n ** 16n }));
      const tx = w.models.connect(w.modelOwner).setResolver(w.modelId, scripted);
      await expect(tx).to.emit(w.models, "ResolverSet").withArgs(w.modelId, 3n, await scripted.getAddress());
      await expect(tx).to.not.emit(w.models, "PolicySet");
      expect(await w.models.policyVersionOf(w.modelId)).to.equal(3n);
      expect(await w.models.policyAt(w.modelId, 3)).to.deep.equal(await w.models.policyAt(w.modelId, 2));
      expect(await w.models.policyOf(w.modelId)).to.deep.equal(await w.models.policyAt(w.modelId, 2));
    });

    it("keeps the resolver through a later policy change (only setResolver changes it)", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await w.models.connect(w.modelOwner).setResolver(w.modelId, scripted); // v2
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, defaultPolicy({ auditRateBps: 1_500 })); // v3
      expect(await w.models.termsAt(w.modelId, 3)).to.deep.equal([w.modelOwner.address, 1_500n, await scripted.getAddress()]);
    });

    it("termsAt gives each policy version's owner, audit rate and resolver, old versions unchanged", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      const owner = w.modelOwner.address;
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, defaultPolicy({ auditRateBps: 1_000 })); // v2
      await w.models.connect(w.modelOwner).setResolver(w.modelId, scripted); // v3
      await w.models.connect(w.modelOwner).setResolver(w.modelId, ethers.ZeroAddress); // v4
      expect(await w.models.termsAt(w.modelId, 1)).to.deep.equal([owner, BigInt(MIN_AUDIT_RATE_BPS), ethers.ZeroAddress]);
      expect(await w.models.termsAt(w.modelId, 2)).to.deep.equal([owner, 1_000n, ethers.ZeroAddress]);
      expect(await w.models.termsAt(w.modelId, 3)).to.deep.equal([owner, 1_000n, await scripted.getAddress()]);
      expect(await w.models.termsAt(w.modelId, 4)).to.deep.equal([owner, 1_000n, ethers.ZeroAddress]);
    });

    it("checkRequest returns the current version's resolver as its fourth value (and the runtime fifth)", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      const check = () => w.models.checkRequest(w.modelId, 1, Mode.OPTIMISTIC, TOKEN, 0);
      expect(await check()).to.deep.equal([w.modelOwner.address, BigInt(MIN_AUDIT_RATE_BPS), 1n, ethers.ZeroAddress, 0n]);
      await w.models.connect(w.modelOwner).setResolver(w.modelId, scripted);
      expect(await check()).to.deep.equal([w.modelOwner.address, BigInt(MIN_AUDIT_RATE_BPS), 2n, await scripted.getAddress(), 0n]);
    });
  });

  describe("the resolver allow-list", function () {
    it("reverts with UnauthorizedCaller when anyone but governance sets it", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await expect(w.jobs.connect(w.others[0]).setResolverAllowed(scripted, true))
        .to.be.revertedWithCustomError(w.jobs, "UnauthorizedCaller")
        .withArgs(w.others[0].address);
    });

    it("reverts with ZeroAddress for the zero resolver (the default committee needs no allowing)", async function () {
      const { w } = await loadFixture(pinsFixture);
      await expect(w.jobs.connect(w.admin).setResolverAllowed(ethers.ZeroAddress, true))
        .to.be.revertedWithCustomError(w.jobs, "ZeroAddress")
        .withArgs("resolver");
    });

    it("allows and forbids a resolver and emits ResolverAllowed", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      const address = await scripted.getAddress();
      expect(await w.jobs.resolverAllowed(scripted)).to.equal(false);
      await expect(w.jobs.connect(w.admin).setResolverAllowed(scripted, true)).to.emit(w.jobs, "ResolverAllowed").withArgs(address, true);
      expect(await w.jobs.resolverAllowed(scripted)).to.equal(true);
      await expect(w.jobs.connect(w.admin).setResolverAllowed(scripted, false)).to.emit(w.jobs, "ResolverAllowed").withArgs(address, false);
      expect(await w.jobs.resolverAllowed(scripted)).to.equal(false);
    });

    it("reverts a request with ResolverNotAllowed when the model's resolver is not allowed", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      await w.models.connect(w.modelOwner).setResolver(w.modelId, scripted);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams()))
        .to.be.revertedWithCustomError(w.jobs, "ResolverNotAllowed")
        .withArgs(await scripted.getAddress());
    });

    it("accepts a request once the resolver is allowed, and the job reports it as its resolver", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { jobId } = await requestJob(f.w);
      expect(await f.w.jobs.resolverOf(jobId)).to.equal(await f.scripted.getAddress());
      expect((await f.w.jobs.jobOf(jobId)).policyVersion).to.equal(2n);
    });

    it("gives the DisputeManager as the resolver of a job on a model that kept the default (zero)", async function () {
      const { w } = await loadFixture(pinsFixture);
      const { jobId } = await requestJob(w);
      expect(await w.jobs.resolverOf(jobId)).to.equal(await w.disputes.getAddress());
    });

    it("reverts resolverOf with UnknownJob for a job that does not exist", async function () {
      const { w } = await loadFixture(pinsFixture);
      await expect(w.jobs.resolverOf(4n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(4n);
    });
  });

  describe("a job keeps the resolver it was requested under", function () {
    it("opens a challenge with the job's resolver, not the DisputeManager, and collects no bond through the vault (a third-party resolver takes its own, if any)", async function () {
      const f = await loadFixture(pinsFixture);
      const { w, scripted } = f;
      await useScripted(f);
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.others[0];
      const tx = w.jobs.connect(challenger).challenge(jobId);
      await expect(tx)
        .to.emit(scripted, "Opened")
        .withArgs(1n, jobId, w.modelId, executor.address, challenger.address, BOND);
      await expect(tx).to.emit(w.jobs, "JobDisputed").withArgs(jobId);
      await expect(tx).to.not.emit(w.disputes, "DisputeOpened");
      // Only the default committee's bond goes through the vault, the one party that credits it back.
      await expect(tx).to.changeTokenBalances(w.token, [challenger, w.vault], [0n, 0n]);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(0n);
      // The job's digest: its version and the hashes of its input (kept for a third-party resolver) and of its output.
      const digest = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint16", "bytes32", "bytes32"], [1, ethers.keccak256(SAMPLE_INPUT), ethers.keccak256(SAMPLE_OUTPUT)]));
      expect(await scripted.openingOf(1n)).to.deep.equal([jobId, w.modelId, executor.address, challenger.address, digest]);
      expect((await w.jobs.jobOf(jobId)).inputHash).to.equal(ethers.keccak256(SAMPLE_INPUT));
    });

    it("keeps no input hash for a job the committee judges, and hands it no digest work: the committee's dispute opens as before", async function () {
      const { w } = await loadFixture(pinsFixture);
      const { jobId } = await submittedJob(w);
      expect((await w.jobs.jobOf(jobId)).inputHash).to.equal(ethers.ZeroHash);
    });

    it("pays the job on the resolver's Valid verdict", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w, scripted } = f;
      const { jobId, executor, challenger } = await challengedJob(f, Verdict.Valid);
      const tx = w.jobs.connect(w.others[1]).resolveDispute(jobId);
      await expect(tx).to.emit(scripted, "Resolved").withArgs(1n, jobId, Verdict.Valid, BOUNTY);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Valid);
      await expect(tx).to.emit(w.jobs, "JobFinalized").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT));
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect(await w.vault.creditOf(challenger.address)).to.equal(0n);
      await expectUntouched(w, executor.address);
    });

    it("takes the executor's whole collateral on the resolver's Invalid verdict: its bounty to the challenger, the rest to the treasury", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w } = f;
      const { jobId, executor, challenger } = await challengedJob(f, Verdict.Invalid);
      expect((await executorAccount(w, executor.address)).locked).to.equal(COLLATERAL);
      const treasury = await w.vault.treasuryAccrued();
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid);
      await expect(tx).to.emit(w.jobs, "CollateralSlashed").withArgs(jobId, executor.address, COLLATERAL);
      await expect(tx).to.changeTokenBalances(w.token, [w.vault, w.stakes], [COLLATERAL, -COLLATERAL]);
      const account = await executorAccount(w, executor.address);
      expect(account.active).to.equal(STAKE - COLLATERAL);
      expect(account.locked).to.equal(0n);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOUNTY);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + COLLATERAL - BOUNTY);
      expect(await w.vault.creditOf(executor.address)).to.equal(0n);
      // The job is tried again by another executor (the job's own maxAttempts is 3): the verdict
      // arms a new draw, and the assignment after its target draws someone else.
      await expect(tx).to.emit(w.jobs, "DrawArmed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      await assignJob(w, jobId);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.attempts).to.equal(2n);
      expect(job.executor).to.not.equal(executor.address);
    });

    it("caps the resolver's bounty at the DisputeManager's: the rest of the slash goes to the treasury", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w, scripted } = f;
      await scripted.setBounty(100n * TOKEN);
      const { jobId, challenger } = await challengedJob(f, Verdict.Invalid);
      const cap = await w.disputes.bounty();
      expect(cap).to.equal(BigInt(w.params.disputes.bounty));
      const treasury = await w.vault.treasuryAccrued();
      await w.jobs.resolveDispute(jobId);
      expect(await w.vault.creditOf(challenger.address)).to.equal(cap);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + COLLATERAL - cap);
    });

    it("ends the dispute Undecided without a resolver that has not answered within the DisputeManager's dispute window (ResolverLapsed): fee back, collateral released", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w, scripted } = f;
      const { jobId, executor } = await challengedJob(f, Verdict.Invalid);
      await scripted.setStalled(true);
      const deadline = (await w.jobs.jobOf(jobId)).phaseEnd;
      const [disputed] = await w.jobs.queryFilter(w.jobs.filters.JobDisputed(jobId));
      const opened = (await disputed.getBlock()).timestamp;
      expect(deadline).to.equal(BigInt(opened) + (await w.disputes.disputeWindow()));
      // Inside the window the hub asks the resolver, which does not answer.
      await expect(w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(scripted, "Stalled").withArgs(jobId);
      await time.increaseTo(deadline + 1n);
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "ResolverLapsed").withArgs(jobId, await scripted.getAddress());
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Undecided);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
      expect(await scripted.resolveCount()).to.equal(0n);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      await expectUntouched(w, executor.address);
    });

    it("asks the resolver up to the last second of the window, and takes its verdict then", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w, scripted } = f;
      const { jobId } = await challengedJob(f, Verdict.Invalid);
      await time.setNextBlockTimestamp((await w.jobs.jobOf(jobId)).phaseEnd);
      await expect(w.jobs.resolveDispute(jobId)).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid);
      expect(await scripted.resolveCount()).to.equal(1n);
    });

    it("refunds the job and releases the collateral on the resolver's Undecided verdict", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w } = f;
      const { jobId, executor, challenger } = await challengedJob(f, Verdict.Undecided);
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Undecided);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
      await expect(tx).to.not.emit(w.jobs, "CollateralSlashed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.creditOf(challenger.address)).to.equal(0n);
      await expectUntouched(w, executor.address);
    });

    it("still judges a live job by its resolver after the owner switches back to the default and governance delists it", async function () {
      const f = await loadFixture(pinsFixture);
      await useScripted(f);
      const { w, scripted } = f;
      const scriptedAddress = await scripted.getAddress();
      const live = await submittedJob(w);

      await w.jobs.connect(w.admin).setResolverAllowed(scripted, false);
      // While the model still names the delisted resolver, it takes no new job.
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams()))
        .to.be.revertedWithCustomError(w.jobs, "ResolverNotAllowed")
        .withArgs(scriptedAddress);
      await w.models.connect(w.modelOwner).setResolver(w.modelId, ethers.ZeroAddress);
      expect(await w.jobs.resolverOf(live.jobId)).to.equal(scriptedAddress);

      await scripted.setVerdict(live.jobId, Verdict.Valid);
      await expect(w.jobs.connect(w.others[0]).challenge(live.jobId))
        .to.emit(scripted, "Opened")
        .withArgs(1n, live.jobId, w.modelId, live.executor.address, w.others[0].address, BOND);
      const tx = w.jobs.resolveDispute(live.jobId);
      await expect(tx).to.emit(scripted, "Resolved").withArgs(1n, live.jobId, Verdict.Valid, BOUNTY);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(live.jobId, Verdict.Valid);
      expect((await w.jobs.jobOf(live.jobId)).status).to.equal(Status.Finalized);

      const { jobId } = await requestJob(w);
      expect(await w.jobs.resolverOf(jobId)).to.equal(await w.disputes.getAddress());
      expect((await w.jobs.jobOf(jobId)).policyVersion).to.equal(3n);
    });
  });

  describe("a job keeps the parameters it was requested under", function () {
    it("paramsOf gives each job the parameters current at its request, and params() the newest", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w);
      await w.jobs.connect(w.admin).setParams(NEW);
      const b = await requestJob(w);
      expect(await w.jobs.paramsOf(a.jobId)).to.deep.equal(tupleOf(OLD));
      expect(await w.jobs.paramsOf(b.jobId)).to.deep.equal(tupleOf(NEW));
      expect(await w.jobs.params()).to.deep.equal(tupleOf(NEW));
    });

    it("ends each OPTIMISTIC job's challenge window by its own challengeWindow (ResultSubmitted's challengeEnd)", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await w.jobs.connect(w.admin).setParams(NEW);
      const b = await requestJob(w, { mode: Mode.OPTIMISTIC });
      for (const [jobId, window] of [
        [a.jobId, BigInt(OLD.challengeWindow)],
        [b.jobId, BigInt(NEW.challengeWindow)],
      ]) {
        const executor = await executorOf(w, jobId);
        const at = BigInt(await nextTimestamp());
        await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT))
          .to.emit(w.jobs, "ResultSubmitted")
          .withArgs(jobId, executor.address, ethers.keccak256(SAMPLE_OUTPUT), ethers.hexlify(SAMPLE_OUTPUT), "", at + window);
        expect((await w.jobs.jobOf(jobId)).phaseEnd).to.equal(at + window);
      }
    });

    it("splits each NONE job's fee by the shares current at its request", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w, { mode: Mode.NONE });
      await w.jobs.connect(w.admin).setParams(NEW);
      const b = await requestJob(w, { mode: Mode.NONE });
      // 1 token: 75% / 10% / 10% / 5% under OLD, 60% / 20% / 5% / 15% under NEW.
      const parts = [
        [a.jobId, [750n, 100n, 100n, 50n]],
        [b.jobId, [600n, 200n, 50n, 150n]],
      ] as const;
      for (const [jobId, thousandths] of parts) {
        const executor = await executorOf(w, jobId);
        await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT))
          .to.emit(w.vault, "FeePaid")
          .withArgs(jobId, ...thousandths.map((t) => (TOKEN * t) / 1_000n));
      }
    });

    it("slashes, retries and refunds a timed-out job by its own timeoutSlash, executionWindow and maxAttempts", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w);
      await w.jobs.connect(w.admin).setParams(NEW);
      const b = await requestJob(w);
      await time.increase(Number(NEW.executionWindow) + 1);

      // A (3 attempts, 600 s, 2 tokens): slashed 2 tokens and, through a new draw, handed to
      // another executor for 600 s.
      const txA = w.jobs.timeout(a.jobId);
      await expect(txA).to.emit(w.jobs, "JobTimedOut").withArgs(a.jobId, a.assigned[0], DEVNET_PARAMS.jobs.timeoutSlash);
      await expect(txA).to.emit(w.jobs, "DrawArmed");
      await expect(txA).to.not.emit(w.jobs, "JobRefunded");
      expect((await w.jobs.jobOf(a.jobId)).status).to.equal(Status.Unassigned);
      const { assigned, receipt } = await assignJob(w, a.jobId);
      expect(assigned).to.have.length(1);
      expect(assigned[0]).to.not.equal(a.assigned[0]);
      const jobA = await w.jobs.jobOf(a.jobId);
      expect(jobA.status).to.equal(Status.Assigned);
      expect(jobA.phaseEnd).to.equal(BigInt(await blockTimeOf(receipt)) + BigInt(OLD.executionWindow));

      // B (1 attempt, 1 token): slashed 1 token and refunded.
      const txB = w.jobs.timeout(b.jobId);
      await expect(txB).to.emit(w.jobs, "JobTimedOut").withArgs(b.jobId, b.assigned[0], NEW.timeoutSlash);
      await expect(txB).to.emit(w.jobs, "JobRefunded").withArgs(b.jobId, RefundReason.Expired, TOKEN);
    });

    it("gives a job requested before two changes in a row the first set, and the next job the last", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w);
      await w.jobs.connect(w.admin).setParams(NEW);
      await w.jobs.connect(w.admin).setParams(NEWER);
      const b = await requestJob(w);
      expect(await w.jobs.paramsOf(a.jobId)).to.deep.equal(tupleOf(OLD));
      expect(await w.jobs.paramsOf(b.jobId)).to.deep.equal(tupleOf(NEWER));
      expect(await w.jobs.params()).to.deep.equal(tupleOf(NEWER));
    });

    it("reverts paramsOf with UnknownJob for a job that does not exist", async function () {
      const { w } = await loadFixture(pinsFixture);
      await expect(w.jobs.paramsOf(1n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(1n);
    });
  });

  describe("a job keeps the model policy it was requested under", function () {
    it("reports the audit rate and policy version pinned at request after the owner changes the policy", async function () {
      const { w } = await loadFixture(pinsFixture);
      const a = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, defaultPolicy({ auditRateBps: 1_500 }));
      const b = await requestJob(w, { mode: Mode.OPTIMISTIC });
      expect((await w.jobs.securityOf(a.jobId)).auditRateBps).to.equal(BigInt(MIN_AUDIT_RATE_BPS));
      expect((await w.jobs.jobOf(a.jobId)).policyVersion).to.equal(1n);
      expect((await w.jobs.securityOf(b.jobId)).auditRateBps).to.equal(1_500n);
      expect((await w.jobs.jobOf(b.jobId)).policyVersion).to.equal(2n);
      expect(await w.models.policyVersionOf(w.modelId)).to.equal(2n);
    });
  });

  describe("the ScriptedResolver (test double)", function () {
    it("reverts open and resolve with NotHub for anyone but the hub", async function () {
      const { w, scripted } = await loadFixture(pinsFixture);
      const caller = w.others[0];
      await expect(scripted.connect(caller).open(1n, w.modelId, caller.address, caller.address, ethers.ZeroHash))
        .to.be.revertedWithCustomError(scripted, "NotHub")
        .withArgs(caller.address);
      await expect(scripted.connect(caller).resolve(1n)).to.be.revertedWithCustomError(scripted, "NotHub").withArgs(caller.address);
      expect(await scripted.HUB()).to.equal(await w.jobs.getAddress());
    });
  });
});
