import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  assignJob,
  auditFloor,
  collateralOf,
  deployWorld,
  mineAfter,
  mineToDraw,
  nextEpoch,
  randomnessSource,
  RefundReason,
  defaultPolicy,
  Mode,
  Role,
  Status,
  TOKEN,
  requestJob,
  requestParams,
  SAMPLE_INPUT,
  SAMPLE_OUTPUT,
  signerOf,
  type World,
  RandomnessStatus,
} from "../fixtures/protocol";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { assignedIn, blockTimeOf, COLLATERAL, executorAccount, nextTimestamp } from "../fixtures/unit-b-helpers";
import { RecordingCallback__factory } from "../../packages/node/src/typechain";
import { signPermit } from "../fixtures/permit";

const MAX_INLINE = 64 * 1024;
const DAY = 24 * 3600;

async function requestFixture(): Promise<World> {
  return deployWorld();
}

describe("JobRegistry", function () {
  describe("requestInference", function () {
    it("escrows the fee in the PaymentVault, emits JobRequested and arms the executor draw (DrawArmed, no JobAssigned); assign after the target assigns", async function () {
      const w = await loadFixture(requestFixture);
      const p = await requestParams({ mode: Mode.OPTIMISTIC, fee: 3n * TOKEN });
      const tx = w.jobs.connect(w.requester).requestInference(p);
      const executors = w.executors.map((e) => e.address);
      await expect(tx)
        .to.emit(w.jobs, "JobRequested")
        .withArgs(
          1n,
          w.requester.address,
          1n,
          [1n, 1n, Mode.OPTIMISTIC, 3n * TOKEN, p.deadline, SAMPLE_INPUT, ethers.ZeroHash, "", 0n, ethers.ZeroAddress, 0n, 0n],
          ethers.keccak256(SAMPLE_INPUT),
          1n, // the model's policy version the job pins
        );
      // The draw's target is a block after the request's: nobody knows the executor in the request.
      const requested = (await (await tx).wait())!.blockNumber;
      const target = requested + 2;
      expect(await (await randomnessSource(w)).targetOf(requested)).to.equal(target);
      await expect(tx).to.emit(w.jobs, "DrawArmed").withArgs(1n, target);
      await expect(tx).to.not.emit(w.jobs, "JobAssigned");
      await expect(tx).to.changeTokenBalances(w.token, [w.requester, w.vault, w.jobs], [-3n * TOKEN, 3n * TOKEN, 0n]);
      expect(await w.jobs.jobCount()).to.equal(1n);
      expect((await w.jobs.jobOf(1n)).status).to.equal(Status.Unassigned);
      // Once the target has passed, anyone assigns: one of the staked executors, for a full window.
      await mineToDraw(w, 1n);
      const ts = await nextTimestamp(5);
      await expect(w.jobs.connect(w.others[0]).assign(1n))
        .to.emit(w.jobs, "JobAssigned")
        .withArgs(1n, (chosen: string[]) => chosen.length === 1 && executors.includes(chosen[0]), ts + 600, 1n);
    });

    it("stores every field of the job and locks the executor's collateral", async function () {
      const w = await loadFixture(requestFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const ts = await nextTimestamp(5);
      const { jobId, receipt, assignReceipt } = await requestJob(w, {
        mode: Mode.NONE,
        fee: 2n * TOKEN,
        deadline: ts + DAY,
        callback: await cb.getAddress(),
        callbackGasLimit: 123_456,
      });
      expect(assignedIn(w, receipt)).to.deep.equal([]); // the request only arms the draw
      const [executor] = assignedIn(w, assignReceipt);
      const job = await w.jobs.jobOf(jobId);
      expect(job.requester).to.equal(w.requester.address);
      expect(job.deadline).to.equal(ts + DAY);
      expect(job.phaseEnd).to.equal((await blockTimeOf(assignReceipt)) + 600);
      // The draw's target block, kept in auditTarget until a result is submitted.
      expect(job.auditTarget).to.equal(receipt.blockNumber + 2);
      expect(job.executor).to.equal(executor);
      expect(job.fee).to.equal(2n * TOKEN);
      expect(job.callback).to.equal(await cb.getAddress());
      expect(job.callbackGasUnits).to.equal(16n); // 123,456 gas rounded up to units of 8,192
      expect(job.modelId).to.equal(1n);
      expect(job.version).to.equal(1n);
      expect(job.mode).to.equal(Mode.NONE);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.attempts).to.equal(1n);
      // The input hash of a non-ATTESTED job lives in JobRequested only.
      expect(job.inputHash).to.equal(ethers.ZeroHash);
      expect(job.outputHash).to.equal(ethers.ZeroHash);
      // A NONE job locks the minimum collateral whatever its fee.
      expect((await executorAccount(w, executor)).locked).to.equal(collateralOf(2n * TOKEN, Mode.NONE));
      expect((await executorAccount(w, executor)).locked).to.equal(20n * TOKEN);
    });

    it("gives the executor the full execution window, whatever the requester's deadline", async function () {
      const w = await loadFixture(requestFixture);
      // The window starts at the assignment, a few blocks after the request: past even the earliest deadline.
      let ts = await nextTimestamp(5);
      const earliest = await requestJob(w, { deadline: ts + 600 });
      const earliestEnd = (await w.jobs.jobOf(earliest.jobId)).phaseEnd;
      expect(earliestEnd).to.equal((await blockTimeOf(earliest.assignReceipt)) + 600);
      expect(earliestEnd).to.be.greaterThan(ts + 600);
      ts = await nextTimestamp(5);
      const late = await requestJob(w, { deadline: ts + DAY });
      expect((await w.jobs.jobOf(late.jobId)).phaseEnd).to.equal((await blockTimeOf(late.assignReceipt)) + 600);
    });

    it("locks max(minimum, fee x 22) on the executor of a verified mode", async function () {
      const w = await loadFixture(requestFixture);
      const small = await requestJob(w, { fee: TOKEN / 2n });
      expect((await w.jobs.securityOf(small.jobId)).collateral).to.equal(20n * TOKEN);
      const { jobId, assigned } = await requestJob(w, { fee: 3n * TOKEN });
      expect((await w.jobs.securityOf(jobId)).collateral).to.equal(66n * TOKEN);
      expect(collateralOf(3n * TOKEN, Mode.OPTIMISTIC)).to.equal(66n * TOKEN);
      const expected = assigned[0] === small.assigned[0] ? 86n * TOKEN : 66n * TOKEN;
      expect((await executorAccount(w, assigned[0])).locked).to.equal(expected);
    });

    it("reverts when the fee needs more collateral than MAX_COLLATERAL (FeeAboveCollateralCap)", async function () {
      const w = await loadFixture(requestFixture);
      const cap = 100_000n * TOKEN;
      expect(await w.jobs.MAX_COLLATERAL()).to.equal(cap);
      // 22x the fee: the largest fee is cap / 22 (rounded down, with the rounding of the contract).
      const fee = (cap * 10_000n) / 220_000n + 1n;
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ fee })))
        .to.be.revertedWithCustomError(w.jobs, "FeeAboveCollateralCap")
        .withArgs(fee, cap);
      // NONE locks the minimum only, so the same fee is accepted in NONE mode.
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ fee, mode: Mode.NONE }))).to.emit(
        w.jobs,
        "JobRequested",
      );
    });

    it("accepts an input by reference (inputHash, inputURI and inputSize)", async function () {
      const w = await loadFixture(requestFixture);
      const inputHash = ethers.keccak256(ethers.toUtf8Bytes("a large input"));
      const p = await requestParams({ input: "0x", inputHash, inputURI: "ipfs://bafy-input", inputSize: 4096 });
      const tx = w.jobs.connect(w.requester).requestInference(p);
      await expect(tx)
        .to.emit(w.jobs, "JobRequested")
        .withArgs(
          1n,
          w.requester.address,
          1n,
          [1n, 1n, Mode.OPTIMISTIC, TOKEN, p.deadline, "0x", inputHash, "ipfs://bafy-input", 4096n, ethers.ZeroAddress, 0n, 0n],
          inputHash,
          1n,
        );
      expect((await w.jobs.jobOf(1n)).status).to.equal(Status.Unassigned);
      const { assigned } = await assignJob(w, 1n);
      expect(assigned).to.have.length(1);
      expect((await w.jobs.jobOf(1n)).status).to.equal(Status.Assigned);
    });

    it("stores the input hash of an ATTESTED job, which its proofs are checked against", async function () {
      const w = await loadFixture(requestFixture);
      const inputHash = ethers.keccak256(ethers.toUtf8Bytes("an attested input"));
      await requestJob(w, { mode: Mode.ATTESTED, input: "0x", inputHash, inputURI: "ipfs://bafy-input", inputSize: 100 });
      await requestJob(w, { mode: Mode.ATTESTED });
      expect((await w.jobs.jobOf(1n)).inputHash).to.equal(inputHash);
      expect((await w.jobs.jobOf(2n)).inputHash).to.equal(ethers.keccak256(SAMPLE_INPUT));
    });

    it("accepts a deadline exactly one execution window and exactly MAX_JOB_DURATION away", async function () {
      const w = await loadFixture(requestFixture);
      let ts = await nextTimestamp(5);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ deadline: ts + 600 }))).to.emit(
        w.jobs,
        "JobRequested",
      );
      ts = await nextTimestamp(5);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ deadline: ts + 30 * DAY }))).to.emit(
        w.jobs,
        "JobRequested",
      );
    });

    it("reverts when the model is unknown (ModelRegistry.UnknownModel)", async function () {
      const w = await loadFixture(requestFixture);
      const p = await requestParams({ modelId: 2n });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.models, "UnknownModel")
        .withArgs(2n);
    });

    it("reverts when the version is unknown (ModelRegistry.UnknownVersion)", async function () {
      const w = await loadFixture(requestFixture);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ version: 2 })))
        .to.be.revertedWithCustomError(w.models, "UnknownVersion")
        .withArgs(1n, 2n);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ version: 0 })))
        .to.be.revertedWithCustomError(w.models, "UnknownVersion")
        .withArgs(1n, 0n);
    });

    it("reverts when the version is deprecated (ModelRegistry.VersionDeprecated)", async function () {
      const w = await loadFixture(requestFixture);
      await w.models.connect(w.modelOwner).publishVersion(1n, ethers.sha256(ethers.toUtf8Bytes("v2")), "ipfs://bafy-v2");
      await w.models.connect(w.modelOwner).deprecateVersion(1n, 1);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ version: 1 })))
        .to.be.revertedWithCustomError(w.models, "VersionDeprecated")
        .withArgs(1n, 1n);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ version: 2 }))).to.emit(
        w.jobs,
        "JobRequested",
      );
    });

    it("reverts when the mode is not allowed by the model's policy (ModelRegistry.ModeNotAllowed)", async function () {
      const w = await loadFixture(requestFixture);
      await w.models.connect(w.modelOwner).setPolicy(1n, defaultPolicy({ allowedModes: 1 << Mode.NONE }));
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ mode: Mode.OPTIMISTIC })))
        .to.be.revertedWithCustomError(w.models, "ModeNotAllowed")
        .withArgs(1n, Mode.OPTIMISTIC);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ mode: Mode.QUORUM })))
        .to.be.revertedWithCustomError(w.models, "ModeNotAllowed")
        .withArgs(1n, Mode.QUORUM);
    });

    it("reverts when the fee is below the model's minimum (ModelRegistry.FeeBelowModelMinimum)", async function () {
      const w = await loadFixture(requestFixture);
      const fee = 10n ** 16n - 1n; // above the protocol's 1e15, below the model's 1e16
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ fee })))
        .to.be.revertedWithCustomError(w.models, "FeeBelowModelMinimum")
        .withArgs(fee, 10n ** 16n);
    });

    it("reverts when the input is larger than the model allows (ModelRegistry.InputTooLarge)", async function () {
      const w = await loadFixture(requestFixture);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ input: new Uint8Array(4097).fill(1) })))
        .to.be.revertedWithCustomError(w.models, "InputTooLarge")
        .withArgs(4097n, 4096n);
      const byRef = await requestParams({
        input: "0x",
        inputHash: ethers.id("big"),
        inputURI: "ipfs://big",
        inputSize: 1_000_000,
      });
      await expect(w.jobs.connect(w.requester).requestInference(byRef))
        .to.be.revertedWithCustomError(w.models, "InputTooLarge")
        .withArgs(1_000_000n, 4096n);
    });

    it("reverts when the fee is below the protocol's minimum", async function () {
      const w = await loadFixture(requestFixture);
      const fee = 10n ** 15n - 1n;
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ fee })))
        .to.be.revertedWithCustomError(w.jobs, "FeeBelowProtocolMinimum")
        .withArgs(fee, 10n ** 15n);
    });

    it("reverts when the input is given both inline and by reference", async function () {
      const w = await loadFixture(requestFixture);
      await expect(
        w.jobs.connect(w.requester).requestInference(await requestParams({ inputHash: ethers.id("x") })),
      ).to.be.revertedWithCustomError(w.jobs, "InputBothInlineAndByReference");
      await expect(
        w.jobs.connect(w.requester).requestInference(await requestParams({ inputURI: "ipfs://x" })),
      ).to.be.revertedWithCustomError(w.jobs, "InputBothInlineAndByReference");
    });

    it("reverts when no input is given (or a by-reference input misses its hash, URI or size)", async function () {
      const w = await loadFixture(requestFixture);
      const cases = [
        { input: "0x" },
        { input: "0x", inputURI: "ipfs://x", inputSize: 10 },
        { input: "0x", inputHash: ethers.id("x"), inputSize: 10 },
        { input: "0x", inputHash: ethers.id("x"), inputURI: "ipfs://x" },
      ];
      for (const c of cases) {
        await expect(w.jobs.connect(w.requester).requestInference(await requestParams(c))).to.be.revertedWithCustomError(
          w.jobs,
          "InputMissing",
        );
      }
    });

    it("reverts when an inline input is larger than MAX_INLINE_BYTES", async function () {
      const w = await loadFixture(requestFixture);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ input: new Uint8Array(MAX_INLINE + 1) })))
        .to.be.revertedWithCustomError(w.jobs, "InlineTooLarge")
        .withArgs(MAX_INLINE + 1, MAX_INLINE);
    });

    it("reverts when an input URI is longer than 512 bytes", async function () {
      const w = await loadFixture(requestFixture);
      const p = await requestParams({ input: "0x", inputHash: ethers.id("x"), inputURI: "i".repeat(513), inputSize: 10 });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "InlineTooLarge")
        .withArgs(513n, 512n);
    });

    it("reverts when the deadline is too soon", async function () {
      const w = await loadFixture(requestFixture);
      const ts = (await time.latest()) + 5;
      const p = await requestParams({ deadline: ts + 599 });
      await time.setNextBlockTimestamp(ts);
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "DeadlineOutOfRange")
        .withArgs(ts + 599, ts + 600, ts + 30 * DAY);
    });

    it("reverts when the deadline is too far", async function () {
      const w = await loadFixture(requestFixture);
      const ts = (await time.latest()) + 5;
      const p = await requestParams({ deadline: ts + 30 * DAY + 1 });
      await time.setNextBlockTimestamp(ts);
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "DeadlineOutOfRange")
        .withArgs(ts + 30 * DAY + 1, ts + 600, ts + 30 * DAY);
    });

    it("reverts when the callback gas limit is above MAX_CALLBACK_GAS", async function () {
      const w = await loadFixture(requestFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const p = await requestParams({ callback: await cb.getAddress(), callbackGasLimit: 2_000_001 });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "InvalidCallbackGas")
        .withArgs(await cb.getAddress(), 2_000_001n);
      const atCap = await requestParams({ callback: await cb.getAddress(), callbackGasLimit: 2_000_000 });
      await expect(w.jobs.connect(w.requester).requestInference(atCap)).to.emit(w.jobs, "JobRequested");
    });

    it("reverts when a callback gas limit is given without a callback", async function () {
      const w = await loadFixture(requestFixture);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams({ callbackGasLimit: 1 })))
        .to.be.revertedWithCustomError(w.jobs, "InvalidCallbackGas")
        .withArgs(ethers.ZeroAddress, 1n);
    });

    it("reverts when the requester has not approved the fee", async function () {
      const w = await loadFixture(requestFixture);
      await w.token.connect(w.requester).approve(w.jobs, 0n);
      await expect(w.jobs.connect(w.requester).requestInference(await requestParams()))
        .to.be.revertedWithCustomError(w.token, "ERC20InsufficientAllowance")
        .withArgs(await w.jobs.getAddress(), 0n, TOKEN);
    });

    it("leaves the job Unassigned when the draw's stake snapshot is empty, keeps the fee in escrow, and counts the attempt", async function () {
      const w = await loadFixture(requestFixture);
      for (const e of w.executors) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      await nextEpoch(w); // the snapshot of the request's epoch holds no executor
      const p = await requestParams();
      const tx = w.jobs.connect(w.requester).requestInference(p);
      await expect(tx).to.emit(w.jobs, "DrawArmed");
      await expect(tx).to.not.emit(w.jobs, "JobAssigned");
      await expect(tx).to.changeTokenBalances(w.token, [w.requester, w.vault], [-TOKEN, TOKEN]);
      // The draw after the target finds nobody: JobUnassigned, the attempt is spent, a new draw armed.
      await mineToDraw(w, 1n);
      const assign = w.jobs.assign(1n);
      await expect(assign).to.emit(w.jobs, "JobUnassigned").withArgs(1n);
      const rearmed = (await (await assign).wait())!.blockNumber + 2;
      await expect(assign).to.emit(w.jobs, "DrawArmed").withArgs(1n, rearmed);
      await expect(assign).to.not.emit(w.jobs, "JobAssigned");
      await expect(assign).to.not.emit(w.jobs, "SeatForfeited");
      const job = await w.jobs.jobOf(1n);
      expect(job.status).to.equal(Status.Unassigned);
      expect(job.executor).to.equal(ethers.ZeroAddress);
      expect(job.attempts).to.equal(1n);
      expect(job.auditTarget).to.equal(rearmed);
      expect(await w.token.balanceOf(w.vault)).to.equal(TOKEN);
    });

    it("draws from the snapshot: an executor who unstaked after it is still drawn, forfeits its seat, pays the timeout slash from its unbonding stake, and nobody takes the seat", async function () {
      const w = await loadFixture(requestFixture);
      // Unstaking after the epoch began changes nothing about who is drawn, only who may serve.
      for (const e of w.executors) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      await w.jobs.connect(w.requester).requestInference(await requestParams());
      await mineToDraw(w, 1n);
      const treasury = await w.vault.treasuryAccrued();
      const assign = w.jobs.assign(1n);
      const receipt = (await (await assign).wait())!;
      const forfeits = receipt.logs.map((l) => w.jobs.interface.parseLog(l)).filter((l) => l?.name === "SeatForfeited");
      expect(forfeits).to.have.length(1);
      const holder = forfeits[0]!.args.executor as string;
      expect(forfeits[0]!.args.penalty).to.equal(2n * TOKEN);
      await expect(assign).to.emit(w.jobs, "JobUnassigned").withArgs(1n);
      await expect(assign).to.emit(w.jobs, "DrawArmed");
      await expect(assign).to.not.emit(w.jobs, "JobAssigned");
      const account = await executorAccount(w, holder);
      expect(account.unbonding).to.equal(198n * TOKEN);
      expect(account.locked).to.equal(0n);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + 2n * TOKEN);
      const job = await w.jobs.jobOf(1n);
      expect(job.status).to.equal(Status.Unassigned);
      expect(job.executor).to.equal(ethers.ZeroAddress);
      expect(job.attempts).to.equal(1n);
    });

    it("makes a drawn executor without the collateral free forfeit its seat (no other executor is tried), and refunds once the attempts are spent", async function () {
      const w = await loadFixture(requestFixture);
      // A 10-token fee needs 220 tokens of collateral: more than any executor's 200 tokens of stake.
      const fee = 10n * TOKEN;
      expect(collateralOf(fee, Mode.OPTIMISTIC)).to.equal(220n * TOKEN);
      await w.jobs.connect(w.requester).requestInference(await requestParams({ fee }));
      const treasury = await w.vault.treasuryAccrued();
      for (let attempt = 1; attempt <= 3; attempt++) {
        await mineToDraw(w, 1n);
        const assign = w.jobs.assign(1n);
        await expect(assign).to.emit(w.jobs, "SeatForfeited");
        await expect(assign).to.emit(w.jobs, "JobUnassigned").withArgs(1n);
        await expect(assign).to.not.emit(w.jobs, "JobAssigned");
        expect((await w.jobs.jobOf(1n)).attempts).to.equal(attempt);
        if (attempt < 3) await expect(assign).to.emit(w.jobs, "DrawArmed");
        else await expect(assign).to.emit(w.jobs, "JobRefunded").withArgs(1n, RefundReason.Expired, fee);
      }
      // Three forfeits, each paid from the drawn node's free stake to the treasury, never to the requester.
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + 3n * 2n * TOKEN);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(fee);
      for (const e of w.executors) expect((await executorAccount(w, e.address)).locked).to.equal(0n);
      expect((await w.jobs.jobOf(1n)).status).to.equal(Status.Refunded);
    });
  });

  describe("buying security: a requested audit rate and the audit-cost fee floor", function () {
    const floorAt = (w: World, rateBps: number) => auditFloor(w.params, rateBps);

    it("records a rate above the model's: securityOf gives it, and the audit coin is read at it", async function () {
      const w = await loadFixture(requestFixture);
      const bought = 2_000;
      const fee = floorAt(w, bought);
      const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC, fee, auditRateBps: bought });
      const [, rate, committee] = await w.jobs.securityOf(jobId);
      expect(rate).to.equal(BigInt(bought));
      expect(committee).to.equal(BigInt(w.params.disputes.committeeSize));
      // The coin: keccak256(value, jobId, "audit") mod 10,000 below the job's rate, not the model's 5%.
      await w.jobs.connect(signerOf(w.executors, assigned[0])).submitResult(jobId, SAMPLE_OUTPUT);
      const job = await w.jobs.jobOf(jobId);
      await mineAfter(job.auditTarget);
      const [, value] = await (await randomnessSource(w)).randomnessOf(job.auditTarget);
      const coin = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "string"], [value, jobId, "audit"]))) % 10_000n;
      expect(await w.jobs.auditSelected(jobId)).to.deep.equal([true, coin < BigInt(bought)]);
    });

    it("keeps the model's rate when the requested one is lower (nothing is bought)", async function () {
      const w = await loadFixture(requestFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC, auditRateBps: 100 });
      expect((await w.jobs.securityOf(jobId))[1]).to.equal(BigInt(defaultPolicy().auditRateBps));
    });

    it("reverts FeeBelowAuditCost when the verifiers' share of the fee would not fund the expected audit at the rate asked", async function () {
      const w = await loadFixture(requestFixture);
      const floor = floorAt(w, 2_000);
      const p = await requestParams({ mode: Mode.OPTIMISTIC, fee: floor - 1n, auditRateBps: 2_000 });
      await expect(w.jobs.connect(w.requester).requestInference(p)).to.be.revertedWithCustomError(w.jobs, "FeeBelowAuditCost").withArgs(floor - 1n, floor);
      await expect(w.jobs.connect(w.requester).requestInference({ ...p, fee: floor })).to.emit(w.jobs, "JobRequested");
    });

    it("reverts FeeBelowAuditCost at the model's own rate too, and asks no floor of a mode that is never audited", async function () {
      const w = await loadFixture(requestFixture);
      const floor = floorAt(w, Number(defaultPolicy().auditRateBps));
      await w.models.connect(w.modelOwner).setPolicy(1n, defaultPolicy({ minFee: 0n }));
      const p = await requestParams({ mode: Mode.OPTIMISTIC, fee: floor - 1n });
      await expect(w.jobs.connect(w.requester).requestInference(p)).to.be.revertedWithCustomError(w.jobs, "FeeBelowAuditCost").withArgs(floor - 1n, floor);
      await expect(w.jobs.connect(w.requester).requestInference({ ...p, mode: Mode.NONE })).to.emit(w.jobs, "JobRequested");
    });

    it("reverts AuditRateNotOffered above the protocol's cap or for a mode that is never audited", async function () {
      const w = await loadFixture(requestFixture);
      const cap = await w.models.MAX_AUDIT_RATE_BPS();
      const p = await requestParams({ mode: Mode.OPTIMISTIC, fee: 100n * TOKEN, auditRateBps: Number(cap) + 1 });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "AuditRateNotOffered")
        .withArgs(cap + 1n, cap);
      await expect(w.jobs.connect(w.requester).requestInference({ ...p, mode: Mode.NONE, auditRateBps: 500 }))
        .to.be.revertedWithCustomError(w.jobs, "AuditRateNotOffered")
        .withArgs(500n, cap);
    });
  });

  describe("a model's declared runtime", function () {
    const RUNTIME = 3_600; // longer than the protocol's 600-second execution window

    async function slowModel(w: World, runtime = RUNTIME) {
      await w.models.connect(w.modelOwner).setPolicy(1n, defaultPolicy({ runtime }));
    }

    it("asks for a deadline that leaves the runtime, not the shorter protocol window (DeadlineOutOfRange)", async function () {
      const w = await loadFixture(requestFixture);
      await slowModel(w);
      const ts = await nextTimestamp(1);
      const p = await requestParams({ deadline: ts + RUNTIME - 1 });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "DeadlineOutOfRange")
        .withArgs(ts + RUNTIME - 1, ts + RUNTIME, ts + 30 * DAY);
    });

    it("gives the executor an execution phase of the runtime, from its assignment", async function () {
      const w = await loadFixture(requestFixture);
      await slowModel(w);
      await w.jobs.connect(w.requester).requestInference(await requestParams());
      const jobId = 1n;
      await mineToDraw(w, jobId);
      const ts = await nextTimestamp(3);
      await expect(w.jobs.assign(jobId)).to.emit(w.jobs, "JobAssigned").withArgs(jobId, anyValue, ts + RUNTIME, 1n);
      expect((await w.jobs.jobOf(jobId)).phaseEnd).to.equal(ts + RUNTIME);
      // The protocol's window alone would have let a timeout in after 600 seconds.
      await time.increase(601);
      await expect(w.jobs.timeout(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseNotOver");
    });

    it("keeps the protocol's window for a model whose runtime is shorter", async function () {
      const w = await loadFixture(requestFixture);
      await slowModel(w, 60);
      const { jobId, assignReceipt } = await requestJob(w);
      expect((await w.jobs.jobOf(jobId)).phaseEnd).to.equal((await blockTimeOf(assignReceipt)) + 600);
    });

    it("refuses a runtime that, with the challenge window after it, would pass half the unbonding period (RuntimeTooLong)", async function () {
      const w = await loadFixture(requestFixture);
      const longest = Number(await w.stakes.unbondingPeriod()) / 2 - Number(w.params.jobs.challengeWindow);
      await slowModel(w, longest + 1);
      const p = await requestParams({ deadline: (await time.latest()) + 20 * DAY });
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "RuntimeTooLong")
        .withArgs(longest + 1, longest);
      await slowModel(w, longest);
      await expect(w.jobs.connect(w.requester).requestInference(p)).to.emit(w.jobs, "JobRequested");
    });
  });

  describe("policy pinning", function () {
    it("pins the model's current policy version in JobRequested: a later change is a new version", async function () {
      const w = await loadFixture(requestFixture);
      const first = await requestJob(w);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, defaultPolicy({ absTolerance: 0n, relTolerance: 0n }));
      const second = await requestJob(w);
      const pinned = async (receipt: typeof first.receipt) => {
        for (const log of receipt.logs) {
          const parsed = w.jobs.interface.parseLog(log);
          if (parsed?.name === "JobRequested") return parsed.args.policyVersion as bigint;
        }
        throw new Error("no JobRequested");
      };
      expect(await pinned(first.receipt)).to.equal(1n);
      expect(await pinned(second.receipt)).to.equal(2n);
      // The first job is still judged by the tolerances it was requested under.
      expect((await w.models.policyAt(w.modelId, 1)).absTolerance).to.equal(defaultPolicy().absTolerance);
    });
  });

  describe("requestInferenceWithPermit", function () {
    async function requesterPermit(w: World, value: bigint, deadline: number) {
      return signPermit(w.token, w.requester, await w.jobs.getAddress(), value, BigInt(deadline));
    }

    it("requests with a real EIP-2612 signature and no prior allowance", async function () {
      const w = await loadFixture(requestFixture);
      await w.token.connect(w.requester).approve(w.jobs, 0n);
      const p = await requestParams({ fee: 2n * TOKEN });
      const permitDeadline = (await time.latest()) + 3600;
      const sig = await requesterPermit(w, 2n * TOKEN, permitDeadline);
      const tx = w.jobs.connect(w.requester).requestInferenceWithPermit(p, permitDeadline, sig.v, sig.r, sig.s);
      await expect(tx).to.emit(w.jobs, "JobRequested");
      await expect(tx).to.changeTokenBalances(w.token, [w.requester, w.vault], [-2n * TOKEN, 2n * TOKEN]);
      expect(await w.token.nonces(w.requester.address)).to.equal(1n);
      expect(await w.token.allowance(w.requester.address, w.jobs)).to.equal(0n);
      expect((await w.jobs.jobOf(1n)).requester).to.equal(w.requester.address);
    });

    it("still succeeds when someone front-ran the permit", async function () {
      const w = await loadFixture(requestFixture);
      await w.token.connect(w.requester).approve(w.jobs, 0n);
      const p = await requestParams();
      const permitDeadline = (await time.latest()) + 3600;
      const sig = await requesterPermit(w, TOKEN, permitDeadline);
      await w.token.connect(w.others[0]).permit(w.requester.address, w.jobs, TOKEN, permitDeadline, sig.v, sig.r, sig.s);
      await expect(w.jobs.connect(w.requester).requestInferenceWithPermit(p, permitDeadline, sig.v, sig.r, sig.s)).to.emit(
        w.jobs,
        "JobRequested",
      );
      expect(await w.token.allowance(w.requester.address, w.jobs)).to.equal(0n);
    });

    it("reverts on the transfer when the permit is invalid and nothing is approved", async function () {
      const w = await loadFixture(requestFixture);
      await w.token.connect(w.requester).approve(w.jobs, 0n);
      const p = await requestParams();
      const permitDeadline = (await time.latest()) + 3600;
      const sig = await requesterPermit(w, TOKEN / 2n, permitDeadline); // signed for another value
      await expect(w.jobs.connect(w.requester).requestInferenceWithPermit(p, permitDeadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(w.token, "ERC20InsufficientAllowance")
        .withArgs(await w.jobs.getAddress(), 0n, TOKEN);
    });
  });

  describe("assign", function () {
    it("draws a node that staked after the draw was armed only from a draw armed in a later epoch (the snapshot is fixed before the randomness)", async function () {
      const w = await loadFixture(requestFixture);
      for (const e of w.executors) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      await nextEpoch(w);
      const { jobId, assigned } = await requestJob(w);
      expect(assigned).to.deep.equal([]);
      expect((await w.jobs.jobOf(jobId)).attempts).to.equal(1n);
      // A newcomer stakes after the re-armed draw fixed its snapshot: that draw still finds nobody.
      const newcomer = w.others[0];
      await w.stakes.connect(newcomer).stake(Role.EXECUTOR, 200n * TOKEN);
      await w.stakes.connect(newcomer).optIn(w.modelId); // an executor is drawn only for the models it opted in to
      await nextEpoch(w);
      const second = await assignJob(w, jobId);
      expect(second.assigned).to.deep.equal([]);
      await expect(second.receipt).to.emit(w.jobs, "JobUnassigned").withArgs(jobId);
      // The draw armed now reads this epoch's snapshot, which holds the newcomer.
      await mineToDraw(w, jobId);
      const ts = await nextTimestamp(5);
      await expect(w.jobs.connect(w.others[1]).assign(jobId))
        .to.emit(w.jobs, "JobAssigned")
        .withArgs(jobId, [newcomer.address], ts + 600, 3n);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.executor).to.equal(newcomer.address);
      expect(job.attempts).to.equal(3n);
      expect((await executorAccount(w, newcomer.address)).locked).to.equal(COLLATERAL);
    });

    it("reverts DrawNotReady until the draw's target block has passed, then draws from its randomness", async function () {
      const w = await loadFixture(requestFixture);
      const receipt = (await (await w.jobs.connect(w.requester).requestInference(await requestParams())).wait())!;
      const target = receipt.blockNumber + 2;
      expect((await w.jobs.jobOf(1n)).auditTarget).to.equal(target);
      // Blocks target - 1 and target itself: the target's hash is not known inside either.
      for (let block = receipt.blockNumber + 1; block <= target; block++) {
        await expect(w.jobs.connect(w.others[0]).assign(1n))
          .to.be.revertedWithCustomError(w.jobs, "DrawNotReady")
          .withArgs(1n, target);
      }
      expect(await ethers.provider.getBlockNumber()).to.equal(target);
      // The next block (target + 1) is the first to read the target's randomness.
      await expect(w.jobs.connect(w.others[0]).assign(1n)).to.emit(w.jobs, "JobAssigned");
      expect((await w.jobs.jobOf(1n)).status).to.equal(Status.Assigned);
    });

    it("re-arms the draw (DrawArmed with a new target) when its randomness is lost (target more than 256 blocks old, never recorded)", async function () {
      const w = await loadFixture(requestFixture);
      await w.jobs.connect(w.requester).requestInference(await requestParams());
      const lost = Number((await w.jobs.jobOf(1n)).auditTarget);
      await mine(300);
      const randomness = await randomnessSource(w);
      expect((await randomness.randomnessOf(lost))[0]).to.equal(RandomnessStatus.Lost);
      const tx = w.jobs.connect(w.others[0]).assign(1n);
      const rearmed = (await (await tx).wait())!.blockNumber + 2;
      await expect(tx).to.emit(w.jobs, "DrawArmed").withArgs(1n, rearmed);
      await expect(tx).to.not.emit(w.jobs, "JobAssigned");
      // The lost draw spends an attempt, so re-arms end with the attempts (and the deadline).
      await expect(tx).to.emit(w.jobs, "JobUnassigned").withArgs(1n);
      const job = await w.jobs.jobOf(1n);
      expect(job.status).to.equal(Status.Unassigned);
      expect(job.auditTarget).to.equal(rearmed);
      expect(job.attempts).to.equal(1n);
      for (const e of w.executors) expect((await executorAccount(w, e.address)).locked).to.equal(0n);
      // The new draw is not ready either until its own target has passed; then it assigns.
      await expect(w.jobs.assign(1n)).to.be.revertedWithCustomError(w.jobs, "DrawNotReady").withArgs(1n, rearmed);
      const { assigned } = await assignJob(w, 1n);
      expect(assigned).to.have.length(1);
      expect((await w.jobs.jobOf(1n)).attempts).to.equal(2n);
    });

    it("reverts when the job is not Unassigned", async function () {
      const w = await loadFixture(requestFixture);
      const { jobId } = await requestJob(w);
      await expect(w.jobs.assign(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Assigned);
    });

    it("reverts when the deadline has passed", async function () {
      const w = await loadFixture(requestFixture);
      for (const e of w.executors) await w.stakes.connect(e).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      const { jobId } = await requestJob(w);
      const deadline = (await w.jobs.jobOf(jobId)).deadline;
      await w.stakes.connect(w.others[0]).stake(Role.EXECUTOR, 200n * TOKEN);
      await w.stakes.connect(w.others[0]).optIn(w.modelId);
      await time.increaseTo(deadline);
      await expect(w.jobs.assign(jobId)).to.be.revertedWithCustomError(w.jobs, "PhaseOver").withArgs(jobId, deadline);
    });

    it("reverts when the job does not exist", async function () {
      const w = await loadFixture(requestFixture);
      await expect(w.jobs.assign(7n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(7n);
    });
  });

  describe("issue 10 finding 3: the requester's deadline never cuts the execution phase", function () {
    it("reverts a deadline of now + 61, shorter than one execution window", async function () {
      const w = await loadFixture(requestFixture);
      const ts = (await time.latest()) + 5;
      const p = await requestParams({ deadline: ts + 61 });
      await time.setNextBlockTimestamp(ts);
      await expect(w.jobs.connect(w.requester).requestInference(p))
        .to.be.revertedWithCustomError(w.jobs, "DeadlineOutOfRange")
        .withArgs(ts + 61, ts + 600, ts + 30 * DAY);
    });

    it("lets the requester time the executor out only after a full window, and pays it nothing but its fee back", async function () {
      const w = await loadFixture(requestFixture);
      const ts = await nextTimestamp(5);
      const { jobId, assignReceipt } = await requestJob(w, { deadline: ts + 600 });
      // The window runs from the assignment (a few blocks after the request), past the deadline.
      const assignedAt = await blockTimeOf(assignReceipt);
      await time.setNextBlockTimestamp(ts + 61);
      await expect(w.jobs.connect(w.requester).timeout(jobId))
        .to.be.revertedWithCustomError(w.jobs, "PhaseNotOver")
        .withArgs(jobId, assignedAt + 600);
      await time.setNextBlockTimestamp(assignedAt + 600);
      await expect(w.jobs.connect(w.requester).timeout(jobId))
        .to.be.revertedWithCustomError(w.jobs, "PhaseNotOver")
        .withArgs(jobId, assignedAt + 600);
      await time.increaseTo(assignedAt + 601);
      const treasury = await w.vault.treasuryAccrued();
      await expect(w.jobs.connect(w.requester).timeout(jobId)).to.emit(w.jobs, "JobRefunded").withArgs(jobId, 1n, TOKEN);
      // The timeout slash goes to the treasury; the requester gets back exactly its fee.
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + 2n * TOKEN);
    });
  });
});
