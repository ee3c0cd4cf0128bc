import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  assignJob,
  deployWorld,
  exactPolicy,
  mineToDraw,
  requestParams,
  Mode,
  RefundReason,
  Role,
  Status,
  TOKEN,
  Verdict,
  requestJob,
  SAMPLE_OUTPUT,
  submitAudited,
  submitUnaudited,
  randomnessSource,
  type World,
  RandomnessStatus,
} from "../fixtures/protocol";
import { DEVNET_PARAMS } from "../../deploy/protocol";
import {
  COLLATERAL,
  MIN_COLLATERAL,
  executorAccount,
  executorOf,
  expectVaultSettled,
  blockTimeOf,
  nextTimestamp,
} from "../fixtures/unit-b-helpers";
import { JobParams__factory,
  JobSettlement__factory, JobRegistry__factory } from "../../packages/node/src/typechain";
// The constructor-only CollateralTerms struct is typed with the JobRegistry, not with its interface.
import type { IJobRegistry } from "../../packages/node/src/typechain/contracts/JobRegistry";

const TIMEOUT_SLASH = 2n * TOKEN;
const EXECUTOR_PART = (TOKEN * 7500n) / 10000n;

async function finalizeFixture(): Promise<World> {
  return deployWorld();
}

/**
 * An OPTIMISTIC job whose sample result is submitted and passed over by the audit lottery (or,
 * with `audited`, picked by it); returns the job and its executor.
 */
async function submittedJob(w: World, fee = TOKEN, audited = false) {
  const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC, fee });
  const executor = await executorOf(w, jobId);
  const submit = audited ? submitAudited : submitUnaudited;
  await submit(w, jobId, executor, SAMPLE_OUTPUT);
  return { jobId, executor };
}

/** An OPTIMISTIC job whose result the audit lottery picked. */
async function auditedJob(w: World) {
  return submittedJob(w, TOKEN, true);
}

function jobParams(overrides: Partial<IJobRegistry.ParamsStruct> = {}): IJobRegistry.ParamsStruct {
  return { ...DEVNET_PARAMS.jobs, ...overrides };
}

describe("JobRegistry", function () {
  describe("finalize", function () {
    it("reverts when the challenge window is not over", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      const phaseEnd = (await w.jobs.jobOf(jobId)).phaseEnd;
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseNotOver").withArgs(jobId, phaseEnd);
      await time.setNextBlockTimestamp(phaseEnd);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseNotOver").withArgs(jobId, phaseEnd);
    });

    it("reverts when no result was submitted", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await time.increase(3600);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Assigned);
    });

    it("reverts when the job does not exist", async function () {
      const w = await loadFixture(finalizeFixture);
      await expect(w.jobs.finalize(5n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(5n);
    });

    it("pays an unchallenged result after the window and unlocks the collateral", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, executor } = await submittedJob(w);
      await time.increase(1801);
      const tx = w.jobs.connect(w.others[0]).finalize(jobId);
      await expect(tx).to.emit(w.jobs, "JobFinalized").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT));
      await expect(tx).to.not.emit(w.jobs, "AuditStarted");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Finalized);
    });

    it("credits a fee split that adds up exactly to the fee", async function () {
      const w = await loadFixture(finalizeFixture);
      const fee = TOKEN + 7n; // not a multiple of 10,000: every share rounds down
      const { jobId, executor } = await submittedJob(w, fee);
      const verifiers = (fee * 1000n) / 10000n;
      const owner = (fee * 1000n) / 10000n;
      const treasury = (fee * 500n) / 10000n;
      const executorPart = fee - verifiers - owner - treasury;
      const poolBefore = await w.vault.auditPotOf(w.modelId);
      const treasuryBefore = await w.vault.treasuryAccrued();
      const balanceBefore = await w.token.balanceOf(w.vault);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId))
        .to.emit(w.vault, "FeePaid")
        .withArgs(jobId, executorPart, verifiers, owner, treasury);
      const poolAfter = await w.vault.auditPotOf(w.modelId);
      const treasuryAfter = await w.vault.treasuryAccrued();
      const executorCredit = await w.vault.creditOf(executor.address);
      const ownerCredit = await w.vault.creditOf(w.modelOwner.address);
      expect(executorCredit).to.equal(executorPart);
      expect(ownerCredit).to.equal(owner);
      expect(poolAfter - poolBefore).to.equal(verifiers);
      expect(treasuryAfter - treasuryBefore).to.equal(treasury);
      expect(executorCredit + ownerCredit + (poolAfter - poolBefore) + (treasuryAfter - treasuryBefore)).to.equal(fee);
      expect(await w.token.balanceOf(w.vault)).to.equal(balanceBefore);
      await expectVaultSettled(w);
    });

    it("opens an audit instead of paying when the lottery picks the result", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, executor } = await auditedJob(w);
      await time.increase(1801);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.jobs, "AuditStarted").withArgs(jobId, 1n);
      await expect(tx).to.emit(w.jobs, "JobDisputed").withArgs(jobId);
      await expect(tx).to.not.emit(w.jobs, "JobFinalized");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(1n);
      expect(await w.vault.creditOf(executor.address)).to.equal(0n);
      expect((await executorAccount(w, executor.address)).locked).to.equal(COLLATERAL);
    });

    it("opens an audit once the audit coin's randomness is lost (target block more than 256 blocks old, never recorded), and pays a passed-over job whose randomness was recorded in time", async function () {
      const w = await loadFixture(finalizeFixture);
      const randomness = await randomnessSource(w);
      // Both results were passed over by the coin; only the first one's randomness is recorded.
      const kept = await submittedJob(w);
      const keptTarget = (await w.jobs.jobOf(kept.jobId)).auditTarget;
      await expect(randomness.record(keptTarget)).to.emit(randomness, "RandomnessRecorded");
      const lost = await submittedJob(w);
      const lostTarget = (await w.jobs.jobOf(lost.jobId)).auditTarget;
      expect(await w.jobs.auditSelected(lost.jobId)).to.deep.equal([true, false]);
      await mine(300);
      await time.increase(1801);
      expect((await randomness.randomnessOf(lostTarget))[0]).to.equal(RandomnessStatus.Lost);
      expect((await randomness.randomnessOf(keptTarget))[0]).to.equal(RandomnessStatus.Ready);

      // A coin nobody can read any more means audited: letting it lapse gains the executor nothing.
      expect(await w.jobs.auditSelected(lost.jobId)).to.deep.equal([true, true]);
      const audit = w.jobs.finalize(lost.jobId);
      await expect(audit).to.emit(w.jobs, "AuditStarted").withArgs(lost.jobId, 1n);
      await expect(audit).to.not.emit(w.jobs, "JobFinalized");
      expect((await w.jobs.jobOf(lost.jobId)).status).to.equal(Status.Disputed);

      // The recorded coin still reads "passed over", however old its block: the job is paid.
      expect(await w.jobs.auditSelected(kept.jobId)).to.deep.equal([true, false]);
      const pay = w.jobs.finalize(kept.jobId);
      await expect(pay).to.emit(w.jobs, "JobFinalized").withArgs(kept.jobId, ethers.keccak256(SAMPLE_OUTPUT));
      await expect(pay).to.not.emit(w.jobs, "AuditStarted");
      expect(await w.vault.creditOf(kept.executor.address)).to.equal(EXECUTOR_PART);
      // The lost coin's collateral stays locked for its audit.
      expect((await executorAccount(w, lost.executor.address)).locked).to.equal(COLLATERAL);
    });
  });

  describe("startAudit", function () {
    it("sends a picked result to a committee during the challenge window", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await auditedJob(w);
      await expect(w.jobs.connect(w.others[0]).startAudit(jobId))
        .to.emit(w.jobs, "AuditStarted")
        .withArgs(jobId, 1n)
        .and.to.emit(w.disputes, "DisputeOpened");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
      await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Disputed);
    });

    it("reverts when the lottery did not pick the result", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "NotSelectedForAudit").withArgs(jobId);
    });

    it("starts the audit of a result the coin passed over once the coin's randomness is lost (target block more than 256 blocks old, never recorded)", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "NotSelectedForAudit").withArgs(jobId);
      await mine(300);
      await expect(w.jobs.connect(w.others[0]).startAudit(jobId))
        .to.emit(w.jobs, "AuditStarted")
        .withArgs(jobId, 1n)
        .and.to.emit(w.disputes, "DisputeOpened");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
    });

    it("reverts AuditSeedUnavailable until the audit coin's target block has passed, in the submission's own block included", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const executor = await executorOf(w, jobId);
      const delay = await (await randomnessSource(w)).DELAY();
      let target: bigint;
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const submitTx = await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT, { gasLimit: 1_000_000 });
        const auditTx = await w.jobs.connect(w.others[0]).startAudit(jobId, { gasLimit: 1_000_000 });
        await mine(1);
        const submitReceipt = await submitTx.wait();
        expect(submitReceipt!.status).to.equal(1);
        target = (await w.jobs.jobOf(jobId)).auditTarget;
        expect(target).to.equal(BigInt(submitReceipt!.blockNumber) + delay);
        const auditReceipt = await ethers.provider.getTransactionReceipt(auditTx.hash);
        expect(auditReceipt!.blockNumber).to.equal(submitReceipt!.blockNumber);
        expect(auditReceipt!.status).to.equal(0);
        const trace = (await network.provider.send("debug_traceTransaction", [auditTx.hash, { disableStorage: true, disableMemory: true, disableStack: true }])) as {
          returnValue: string;
        };
        const error = w.jobs.interface.parseError("0x" + trace.returnValue.replace(/^0x/, ""));
        expect(error?.name).to.equal("AuditSeedUnavailable");
        expect(error?.args[0]).to.equal(jobId);
        expect(error?.args[1]).to.equal(target);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      // Still unknown in the target block itself (its hash does not exist while it is built)...
      await mine(Number(target) - 1 - (await ethers.provider.getBlockNumber()));
      await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "AuditSeedUnavailable").withArgs(jobId, target);
      expect(await ethers.provider.getBlockNumber()).to.equal(Number(target));
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([false, false]);
      // ...and known from the next block on: startAudit then acts on the coin, whichever way it fell.
      await mine(1);
      const [known, selected] = await w.jobs.auditSelected(jobId);
      expect(known).to.equal(true);
      if (selected) await expect(w.jobs.startAudit(jobId)).to.emit(w.jobs, "AuditStarted").withArgs(jobId, 1n);
      else await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "NotSelectedForAudit").withArgs(jobId);
    });

    it("reverts when the job has no submitted result", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await expect(w.jobs.startAudit(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Assigned);
    });
  });

  describe("auditSelected", function () {
    it("is unknown while the job has no submitted result", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([false, false]);
    });

    it("is known and not selected for a result the lottery passed over", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await mine(1);
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([true, false]);
    });

    it("selects exactly when keccak256(randomness of the audit coin's target block, jobId, \"audit\") mod 10,000 < auditRateBps, and selects once that randomness is lost", async function () {
      const w = await loadFixture(finalizeFixture);
      // 17 jobs stay open here: every executor gets room for all of them, so that no drawn executor
      // forfeits its seat for want of free collateral (draws repeat executors; see JobRegistry.request).
      for (const e of w.executors) await w.stakes.connect(e).stake(Role.EXECUTOR, 400n * TOKEN);
      const randomness = await randomnessSource(w);
      const delay = await randomness.DELAY();
      const { chainId } = await ethers.provider.getNetwork();
      const coder = ethers.AbiCoder.defaultAbiCoder();
      for (const rate of [500, 2_000]) {
        await w.models.connect(w.modelOwner).setPolicy(w.modelId, exactPolicy({ auditRateBps: rate }));
        for (let i = 0; i < 8; i++) {
          const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
          const receipt = await (await w.jobs.connect(await executorOf(w, jobId)).submitResult(jobId, SAMPLE_OUTPUT)).wait();
          const target = (await w.jobs.jobOf(jobId)).auditTarget;
          expect(target).to.equal(BigInt(receipt!.blockNumber) + delay);
          expect(await w.jobs.auditSelected(jobId)).to.deep.equal([false, false]);
          await mine(Number(target) + 1 - (await ethers.provider.getBlockNumber()));
          // The source's value for the target: its block hash, domain-separated by target, chain and source.
          const hash = (await ethers.provider.getBlock(Number(target)))!.hash!;
          const value = ethers.keccak256(coder.encode(["bytes32", "uint64", "uint256", "address"], [hash, target, chainId, await randomness.getAddress()]));
          expect(await randomness.randomnessOf(target)).to.deep.equal([BigInt(RandomnessStatus.Ready), value]);
          const draw = BigInt(ethers.keccak256(coder.encode(["bytes32", "uint256", "string"], [value, jobId, "audit"])));
          expect(await w.jobs.auditSelected(jobId)).to.deep.equal([true, draw % 10_000n < BigInt(rate)]);
        }
      }
      const { jobId } = await submittedJob(w);
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([true, false]);
      await mine(300);
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([true, true]);
    });
  });

  describe("timeout", function () {
    it("reverts when the execution window is not over", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w);
      const phaseEnd = (await w.jobs.jobOf(jobId)).phaseEnd;
      await expect(w.jobs.timeout(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseNotOver").withArgs(jobId, phaseEnd);
    });

    it("reverts when the job is a QUORUM job", async function () {
      const w = await loadFixture(finalizeFixture);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, exactPolicy());
      const { jobId } = await requestJob(w, { mode: Mode.QUORUM });
      await time.increase(3600);
      await expect(w.jobs.timeout(jobId)).to.be.revertedWithCustomError(w.jobs, "WrongMode").withArgs(jobId, Mode.QUORUM);
    });

    it("reverts when the result was submitted", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await time.increase(3600);
      await expect(w.jobs.timeout(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Submitted);
    });

    it("slashes timeoutSlash to the treasury (not the requester) and arms a new draw that reassigns to another executor", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, assigned } = await requestJob(w);
      const late = assigned[0];
      await time.increase(601);
      const treasury = await w.vault.treasuryAccrued();
      const tx = w.jobs.connect(w.others[0]).timeout(jobId);
      await expect(tx).to.emit(w.jobs, "JobTimedOut").withArgs(jobId, late, TIMEOUT_SLASH);
      await expect(tx).to.emit(w.jobs, "DrawArmed").withArgs(jobId, (await (await tx).wait())!.blockNumber + 2);
      await expect(tx).to.not.emit(w.jobs, "JobAssigned");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      const reassign = await assignJob(w, jobId);
      expect(reassign.assigned).to.have.length(1);
      expect(reassign.assigned[0]).to.not.equal(late);
      const job = await w.jobs.jobOf(jobId);
      expect(job.phaseEnd).to.equal((await blockTimeOf(reassign.receipt)) + 600);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.attempts).to.equal(2n);
      expect(job.executor).to.not.equal(late);
      const lateAccount = await executorAccount(w, late);
      expect(lateAccount.active).to.equal(200n * TOKEN - TIMEOUT_SLASH);
      expect(lateAccount.locked).to.equal(0n);
      expect((await executorAccount(w, job.executor)).locked).to.equal(COLLATERAL);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(0n);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + TIMEOUT_SLASH);
    });

    it("refunds the fee once maxAttempts assignments timed out", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w);
      const treasury = await w.vault.treasuryAccrued();
      for (let attempt = 1; attempt < 3; attempt++) {
        await time.increase(601);
        const tx = w.jobs.timeout(jobId);
        await expect(tx).to.emit(w.jobs, "DrawArmed");
        await expect(tx).to.not.emit(w.jobs, "JobAssigned");
        expect((await assignJob(w, jobId)).assigned).to.have.length(1);
      }
      expect((await w.jobs.jobOf(jobId)).attempts).to.equal(3n);
      await time.increase(601);
      const tx = w.jobs.timeout(jobId);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Expired, TOKEN);
      await expect(tx).to.not.emit(w.jobs, "DrawArmed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + 3n * TIMEOUT_SLASH);
      for (const e of w.executors) expect((await executorAccount(w, e.address)).locked).to.equal(0n);
      await expectVaultSettled(w);
    });

    it("refunds the fee when less than one execution window is left before the deadline", async function () {
      const w = await loadFixture(finalizeFixture);
      const ts = await nextTimestamp(2);
      const { jobId, assigned } = await requestJob(w, { deadline: ts + 650 });
      const treasury = await w.vault.treasuryAccrued();
      await time.increase(601); // now ~ts+602: ts+602+600 > ts+650
      const tx = w.jobs.timeout(jobId);
      await expect(tx).to.emit(w.jobs, "JobTimedOut").withArgs(jobId, assigned[0], TIMEOUT_SLASH);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Expired, TOKEN);
      await expect(tx).to.not.emit(w.jobs, "DrawArmed");
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + TIMEOUT_SLASH);
    });

    it("keeps the job Unassigned with a re-armed draw when no other executor can take it (no longer refunded at once): the requester cancels after the deadline", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, assigned } = await requestJob(w);
      for (const e of w.executors) {
        if (e.address !== assigned[0]) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      }
      await time.increase(601);
      const tx = w.jobs.timeout(jobId);
      await expect(tx).to.emit(w.jobs, "JobTimedOut").withArgs(jobId, assigned[0], TIMEOUT_SLASH);
      await expect(tx).to.emit(w.jobs, "DrawArmed");
      await expect(tx).to.not.emit(w.jobs, "JobRefunded");
      // The draw excludes the timed-out executor and lands, in the snapshot, on one of the others,
      // who unstaked since: it forfeits its seat, nobody takes it, and a new draw is armed.
      const retry = await assignJob(w, jobId);
      expect(retry.assigned).to.deep.equal([]);
      await expect(retry.receipt).to.emit(w.jobs, "SeatForfeited");
      await expect(retry.receipt).to.emit(w.jobs, "JobUnassigned").withArgs(jobId);
      await expect(retry.receipt).to.emit(w.jobs, "DrawArmed").withArgs(jobId, retry.receipt.blockNumber + 2);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Unassigned);
      expect(job.attempts).to.equal(2n);
      expect((await executorAccount(w, assigned[0])).locked).to.equal(0n);
      // Once the re-armed draw is computable the requester may not decline it before the deadline...
      await mineToDraw(w, jobId);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "DrawNotReady")
        .withArgs(jobId, job.auditTarget);
      // ...and after it, it takes its fee back.
      await time.increaseTo(job.deadline);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.emit(w.jobs, "JobRefunded")
        .withArgs(jobId, RefundReason.Cancelled, TOKEN);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
    });

    it("leaves the job Unassigned with a new armed draw after a timeout, and that draw never picks the timed-out executor (an unexcluded one would)", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, assigned } = await requestJob(w);
      const late = assigned[0];
      const hub = await w.jobs.getAddress();
      const { chainId } = await ethers.provider.getNetwork();
      const randomness = await randomnessSource(w);
      await time.increase(601);
      const start = await takeSnapshot();
      // Each try times the job out one block later: another target block, another draw.
      let wouldHaveDrawnLate = 0;
      let tries = 0;
      for (; tries < 64 && wouldHaveDrawnLate < 2; tries++) {
        await mine(tries);
        const receipt = (await (await w.jobs.timeout(jobId)).wait())!;
        const armed = await w.jobs.jobOf(jobId);
        expect(armed.status).to.equal(Status.Unassigned);
        expect(armed.auditTarget).to.equal(receipt.blockNumber + 2);
        expect(armed.attempts).to.equal(1n);
        await expect(w.jobs.assign(jobId)).to.be.revertedWithCustomError(w.jobs, "DrawNotReady").withArgs(jobId, armed.auditTarget);
        const { assigned: next } = await assignJob(w, jobId);
        expect(next).to.have.length(1);
        expect(next[0]).to.not.equal(late);
        // The same draw without the exclusion: keccak256(randomness, jobId, attempt, hub, chainid).
        const [, value] = await randomness.randomnessOf(armed.auditTarget);
        const seed = ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "uint8", "address", "uint256"], [value, jobId, 2, hub, chainId]),
        );
        const epoch = armed.phaseEnd / (await w.stakes.EPOCH_LENGTH()); // phaseEnd: when the draw was armed
        expect((await w.stakes.drawSeats(Role.EXECUTOR, w.modelId, epoch, seed, 1, [late]))[1]).to.deep.equal(next);
        if ((await w.stakes.drawSeats(Role.EXECUTOR, w.modelId, epoch, seed, 1, []))[1][0] === late) wouldHaveDrawnLate++;
        await start.restore();
      }
      expect(wouldHaveDrawnLate, `tries: ${tries}`).to.equal(2);
    });
  });

  describe("cancel", function () {
    it("reverts when the caller is not the requester", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await requestJob(w);
      await expect(w.jobs.connect(w.others[0]).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "NotRequester")
        .withArgs(jobId, w.others[0].address);
    });

    it("refunds an Unassigned job at once", async function () {
      const w = await loadFixture(finalizeFixture);
      for (const e of w.executors) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      const { jobId } = await requestJob(w);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Unassigned);
      // The draw re-armed by the failed assignment is still in the future: nobody can compute it.
      expect(job.auditTarget).to.be.greaterThan((await ethers.provider.getBlockNumber()) + 1);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.emit(w.jobs, "JobRefunded")
        .withArgs(jobId, RefundReason.Cancelled, TOKEN);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      await expectVaultSettled(w);
    });

    it("reverts DrawNotReady once the draw's randomness is known and before the deadline (a requester cannot decline a draw it can compute), and refunds after the deadline", async function () {
      const w = await loadFixture(finalizeFixture);
      const receipt = (await (await w.jobs.connect(w.requester).requestInference(await requestParams())).wait())!;
      const jobId = 1n;
      const { auditTarget: target, deadline } = await w.jobs.jobOf(jobId);
      expect(target).to.equal(receipt.blockNumber + 2);
      const randomness = await randomnessSource(w);
      await mineToDraw(w, jobId);
      // A staked executor is drawable now, and anyone could compute which one: the job must be assigned.
      expect((await randomness.randomnessOf(target))[0]).to.not.equal(RandomnessStatus.Pending);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "DrawNotReady")
        .withArgs(jobId, target);
      await time.setNextBlockTimestamp(deadline - 1n);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "DrawNotReady")
        .withArgs(jobId, target);
      // Nobody assigned it in time: from the deadline on, nobody can, and the requester takes its fee back.
      await time.setNextBlockTimestamp(deadline);
      await expect(w.jobs.assign(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseOver").withArgs(jobId, deadline);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.emit(w.jobs, "JobRefunded")
        .withArgs(jobId, RefundReason.Cancelled, TOKEN);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      for (const e of w.executors) expect((await executorAccount(w, e.address)).locked).to.equal(0n);
      await expectVaultSettled(w);
    });

    it("reverts on an Assigned job, before and after its phase and deadline: timeout ends it, paying the treasury", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, assigned } = await requestJob(w);
      const job = await w.jobs.jobOf(jobId);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Assigned);
      await time.increaseTo(job.phaseEnd + 1n);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Assigned);
      await time.increaseTo(job.deadline + 1n);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Assigned);
      const treasury = await w.vault.treasuryAccrued();
      const tx = w.jobs.connect(w.requester).timeout(jobId);
      await expect(tx).to.emit(w.jobs, "JobTimedOut").withArgs(jobId, assigned[0], TIMEOUT_SLASH);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Expired, TOKEN);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + TIMEOUT_SLASH);
      expect((await executorAccount(w, assigned[0])).locked).to.equal(0n);
    });

    it("reverts on an assigned QUORUM job (finalize ends it)", async function () {
      const w = await loadFixture(finalizeFixture);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, exactPolicy());
      const { jobId } = await requestJob(w, { mode: Mode.QUORUM });
      await time.increase(2 * 24 * 3600);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Assigned);
    });

    it("reverts when the result was submitted", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await expect(w.jobs.connect(w.requester).cancel(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Submitted);
    });
  });

  describe("challenge", function () {
    it("moves a Submitted job into dispute and collects the resolver's bond from the challenger", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      const bond = (await w.disputes.params()).challengeBond;
      const before = await w.token.balanceOf(w.verifiers[0].address);
      await expect(w.jobs.connect(w.verifiers[0]).challenge(jobId)).to.emit(w.jobs, "JobDisputed").withArgs(jobId);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
      expect(before - (await w.token.balanceOf(w.verifiers[0].address))).to.equal(bond);
    });

    it("reverts with NotChallengeable outside the challenge window or when the job is not Submitted", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      await expect(w.jobs.connect(w.verifiers[1]).challenge(jobId)).to.be.revertedWithCustomError(w.jobs, "NotChallengeable").withArgs(jobId);
    });
  });

  describe("resolveDispute", function () {
    it("reverts with JobNotInStatus when the job is not Disputed", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId } = await submittedJob(w);
      await expect(w.jobs.connect(w.others[0]).resolveDispute(jobId))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(jobId, Status.Submitted);
    });

    it("refunds the job on an Undecided verdict (a committee that never voted)", async function () {
      const w = await loadFixture(finalizeFixture);
      const { jobId, executor } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      await time.increase(1201);
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Undecided);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
    });
  });

  describe("setParams", function () {
    const DAY7 = 7 * 24 * 3600;
    const cases: { name: string; overrides: Partial<IJobRegistry.ParamsStruct>; value: bigint; min: bigint; max: bigint }[] = [
      { name: "executionWindow", overrides: { executionWindow: 59 }, value: 59n, min: 60n, max: BigInt(DAY7) },
      { name: "challengeWindow", overrides: { challengeWindow: DAY7 + 1 }, value: BigInt(DAY7 + 1), min: 60n, max: BigInt(DAY7) },
      { name: "revealWindow", overrides: { revealWindow: 0 }, value: 0n, min: 60n, max: BigInt(DAY7) },
      { name: "quorumSize", overrides: { quorumSize: 4 }, value: 4n, min: 3n, max: 9n },
      { name: "quorumSize", overrides: { quorumSize: 1 }, value: 1n, min: 3n, max: 9n },
      { name: "quorumSize", overrides: { quorumSize: 11 }, value: 11n, min: 3n, max: 9n },
      { name: "maxAttempts", overrides: { maxAttempts: 0 }, value: 0n, min: 1n, max: 5n },
      { name: "maxAttempts", overrides: { maxAttempts: 6 }, value: 6n, min: 1n, max: 5n },
      {
        name: "feeShares",
        overrides: { verifierBps: 5000, modelOwnerBps: 4000, treasuryBps: 1001 },
        value: 10001n,
        min: 0n,
        max: 10000n,
      },
      { name: "quorumWinnerShareBps", overrides: { quorumWinnerShareBps: 10001 }, value: 10001n, min: 0n, max: 10000n },
      { name: "minFee", overrides: { minFee: 0n }, value: 0n, min: 1n, max: 10n ** 27n },
      { name: "minFee", overrides: { minFee: 10n ** 27n + 1n }, value: 10n ** 27n + 1n, min: 1n, max: 10n ** 27n },
      // The timeout slash is bounded by the minimum collateral, which every job locks at least.
      { name: "timeoutSlash", overrides: { timeoutSlash: MIN_COLLATERAL + 1n }, value: MIN_COLLATERAL + 1n, min: 0n, max: MIN_COLLATERAL },
      {
        // A job's own windows (600 + 3.5 days + 1 s) take more than half the 7-day unbonding period.
        name: "window",
        overrides: { challengeWindow: DAY7 / 2 - 600 + 1 },
        value: BigInt(DAY7 / 2 + 1),
        min: 0n,
        max: BigInt(DAY7 / 2),
      },
    ];

    for (const c of cases) {
      it(`reverts when ${c.name} is ${c.value} (ParameterOutOfBounds "${c.name}")`, async function () {
        const w = await loadFixture(finalizeFixture);
        await expect(w.jobs.connect(w.admin).setParams(jobParams(c.overrides)))
          .to.be.revertedWithCustomError(w.jobs, "ParameterOutOfBounds")
          .withArgs(c.name, c.value, c.min, c.max);
      });
    }

    it("sets every parameter and emits ParamsSet", async function () {
      const w = await loadFixture(finalizeFixture);
      const next = jobParams({ executionWindow: 900, quorumSize: 5, maxAttempts: 5, minFee: 10n ** 16n, timeoutSlash: MIN_COLLATERAL });
      await expect(w.jobs.connect(w.admin).setParams(next))
        .to.emit(w.jobs, "ParamsSet")
        .withArgs([900n, 1800n, 600n, 5n, 5n, 1000n, 1000n, 500n, 5000n, 10n ** 16n, MIN_COLLATERAL]);
      const p = await w.jobs.params();
      expect(p.executionWindow).to.equal(900n);
      expect(p.quorumSize).to.equal(5n);
      expect(p.maxAttempts).to.equal(5n);
      expect(p.minFee).to.equal(10n ** 16n);
      expect(p.timeoutSlash).to.equal(MIN_COLLATERAL);
    });

    it("reverts when the caller is not governance", async function () {
      const w = await loadFixture(finalizeFixture);
      await expect(w.jobs.connect(w.others[0]).setParams(jobParams()))
        .to.be.revertedWithCustomError(w.jobs, "UnauthorizedCaller")
        .withArgs(w.others[0].address);
    });
  });

  describe("constructor", function () {
    const TERMS: IJobRegistry.CollateralTermsStruct = { minimum: MIN_COLLATERAL, multipleBps: 220_000, maximum: 100_000n * TOKEN };

    async function deployArgs(w: World) {
      return [w.token, w.models, w.stakes, w.disputes, w.quorum, w.vault, await w.jobs.RANDOMNESS()] as const;
    }

    async function factoryOf(w: World): Promise<JobRegistry__factory> {
      const library = await new JobParams__factory(w.admin).deploy();
      const settlement = await new JobSettlement__factory(w.admin).deploy();
      return new JobRegistry__factory(
        {
          "contracts/libraries/JobParams.sol:JobParams": await library.getAddress(),
          "contracts/libraries/JobSettlement.sol:JobSettlement": await settlement.getAddress(),
        },
        w.admin,
      );
    }

    it("reverts when governance is the zero address", async function () {
      const w = await loadFixture(finalizeFixture);
      const factory = await factoryOf(w);
      await expect(factory.deploy(...(await deployArgs(w)), ethers.ZeroAddress, TERMS, jobParams()))
        .to.be.revertedWithCustomError(w.jobs, "ZeroAddress")
        .withArgs("governance");
    });

    it("reverts when the collateral terms are out of bounds (0 < minimum <= maximum <= MAX_AMOUNT, 1x <= multiple <= 1,000x)", async function () {
      const w = await loadFixture(finalizeFixture);
      const factory = await factoryOf(w);
      const max = 10n ** 27n;
      const cases: { terms: Partial<IJobRegistry.CollateralTermsStruct>; name: string; value: bigint; min: bigint; maxArg: bigint }[] = [
        { terms: { minimum: 0n }, name: "collateralMinimum", value: 0n, min: 1n, maxArg: 100_000n * TOKEN },
        { terms: { minimum: 100_000n * TOKEN + 1n }, name: "collateralMinimum", value: 100_000n * TOKEN + 1n, min: 1n, maxArg: 100_000n * TOKEN },
        { terms: { maximum: max + 1n }, name: "collateralMaximum", value: max + 1n, min: 1n, maxArg: max },
        { terms: { multipleBps: 9_999 }, name: "collateralMultipleBps", value: 9_999n, min: 10_000n, maxArg: 10_000_000n },
        { terms: { multipleBps: 10_000_001 }, name: "collateralMultipleBps", value: 10_000_001n, min: 10_000n, maxArg: 10_000_000n },
      ];
      for (const c of cases) {
        await expect(factory.deploy(...(await deployArgs(w)), w.admin.address, { ...TERMS, ...c.terms }, jobParams()))
          .to.be.revertedWithCustomError(w.jobs, "ParameterOutOfBounds")
          .withArgs(c.name, c.value, c.min, c.maxArg);
      }
    });

    it("checks the initial parameters and keeps the collateral terms", async function () {
      const w = await loadFixture(finalizeFixture);
      const factory = await factoryOf(w);
      await expect(factory.deploy(...(await deployArgs(w)), w.admin.address, TERMS, jobParams({ maxAttempts: 0 })))
        .to.be.revertedWithCustomError(w.jobs, "ParameterOutOfBounds")
        .withArgs("maxAttempts", 0n, 1n, 5n);
      // The timeout slash is bounded by the minimum collateral of the terms being deployed.
      await expect(
        factory.deploy(...(await deployArgs(w)), w.admin.address, { ...TERMS, minimum: TOKEN }, jobParams({ timeoutSlash: 2n * TOKEN })),
      )
        .to.be.revertedWithCustomError(w.jobs, "ParameterOutOfBounds")
        .withArgs("timeoutSlash", 2n * TOKEN, 0n, TOKEN);
      const jobs = await factory.connect(w.others[0]).deploy(...(await deployArgs(w)), w.admin.address, TERMS, jobParams());
      expect(await jobs.EXECUTOR_COLLATERAL()).to.equal(MIN_COLLATERAL);
      expect(await jobs.COLLATERAL_MULTIPLE_BPS()).to.equal(220_000n);
      expect(await jobs.MAX_COLLATERAL()).to.equal(100_000n * TOKEN);
      expect(await jobs.GOVERNANCE()).to.equal(w.admin.address);
      expect(await jobs.DEPLOYER()).to.equal(w.others[0].address);
    });
  });

  describe("securityOf", function () {
    it("gives each mode's collateral, and the audit rate and committee size of OPTIMISTIC, the one disputable mode", async function () {
      const w = await loadFixture(finalizeFixture);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, exactPolicy({ auditRateBps: 1_000 }));
      const none = await requestJob(w, { mode: Mode.NONE, fee: 5n * TOKEN });
      const optimistic = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: 5n * TOKEN });
      const quorum = await requestJob(w, { mode: Mode.QUORUM, fee: 5n * TOKEN });
      const attested = await requestJob(w, { mode: Mode.ATTESTED, fee: 5n * TOKEN });
      expect(await w.jobs.securityOf(none.jobId)).to.deep.equal([MIN_COLLATERAL, 0n, 0n]);
      expect(await w.jobs.securityOf(optimistic.jobId)).to.deep.equal([110n * TOKEN, 1_000n, 3n]);
      expect(await w.jobs.securityOf(quorum.jobId)).to.deep.equal([110n * TOKEN, 0n, 0n]);
      // An ATTESTED result is final on its proof: no audit, no committee.
      expect(await w.jobs.securityOf(attested.jobId)).to.deep.equal([110n * TOKEN, 0n, 0n]);
      await expect(w.jobs.securityOf(9n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(9n);
    });
  });
});
