import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import {
  deployWorld,
  Mode,
  RefundReason,
  Status,
  TOKEN,
  Verdict,
  assignJob,
  requestJob,
  requestParams,
  SAMPLE_INPUT,
  SAMPLE_OUTPUT,
  WRONG_OUTPUT,
  submitUnaudited,
  voteAll,
  type World,
} from "../fixtures/protocol";
import { encodeTensors } from "../../packages/node/src/sdk";
import { executorOf, expectVaultSettled } from "../fixtures/unit-b-helpers";
import {
  GasBurnerCallback__factory,
  RecordingCallback__factory,
  ReentrantCallback__factory,
  ReentrancyGuardTransient__factory,
  RevertingCallback__factory,
  SentimentGate__factory,
  type ReentrantCallback,
} from "../../packages/node/src/typechain";

const EXECUTOR_PART = (TOKEN * 7500n) / 10000n;
const INVALID_INPUT_CLAIM = Uint8Array.of(0x00, 0x02);

async function callbacksFixture(): Promise<World> {
  return deployWorld();
}

/** Requests a job with `callback` and returns its id and executor. */
async function jobWithCallback(w: World, callback: string, callbackGasLimit: number, mode: number = Mode.NONE) {
  const { jobId } = await requestJob(w, { mode, callback, callbackGasLimit });
  return { jobId, executor: await executorOf(w, jobId) };
}

/** The selector of the error in `data`, or "" when there is none. */
function selectorOf(data: string): string {
  return data.length >= 10 ? data.slice(0, 10) : "";
}

/**
 * Callbacks are pulled, not pushed: finalization (submitResult in NONE, finalize, a Valid verdict,
 * an invalid-input claim) never calls out, and `deliver(jobId, output)` runs the callback once,
 * paid by whoever calls it. What JobRegistry.limits.ts already pins (delivery only after the end,
 * NothingToDeliver, QUORUM's OutputMismatch, a by-reference output's hash, gas at the limits) is
 * not repeated here.
 */
describe("JobRegistry", function () {
  describe("deliver", function () {
    it("finalize calls nobody; anyone may then deliver (jobId, valid, outputHash, output), the stored bytes winning over the caller's", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "JobFinalized").and.not.to.emit(w.jobs, "CallbackExecuted");
      expect(await cb.calls()).to.equal(0n);
      // An inline output is stored: whatever bytes the deliverer passes are ignored.
      await expect(w.jobs.connect(w.others[0]).deliver(jobId, WRONG_OUTPUT))
        .to.emit(w.jobs, "CallbackExecuted")
        .withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
      expect(await cb.lastJobId()).to.equal(jobId);
      expect(await cb.lastValid()).to.equal(true);
      expect(await cb.lastOutputHash()).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(await cb.lastOutput()).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Finalized);
      expect(await cb.calls()).to.equal(1n);
    });

    it("refunds an invalid-input claim without calling out, then delivers valid == false with the claim bytes", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000);
      const tx = w.jobs.connect(executor).submitResult(jobId, INVALID_INPUT_CLAIM);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.InvalidInput, TOKEN);
      await expect(tx).not.to.emit(w.jobs, "CallbackExecuted");
      expect(await cb.calls()).to.equal(0n);
      await expect(w.jobs.deliver(jobId, "0x")).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
      expect(await cb.lastValid()).to.equal(false);
      expect(await cb.lastOutputHash()).to.equal(ethers.keccak256(INVALID_INPUT_CLAIM));
      expect(await cb.lastOutput()).to.equal("0x0002");
    });

    it("never delivers a rejected result: after an Invalid verdict the job is reassigned and only the honest output arrives", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor: cheat } = await jobWithCallback(w, await cb.getAddress(), 300_000, Mode.OPTIMISTIC);
      await w.jobs.connect(cheat).submitResult(jobId, WRONG_OUTPUT);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      await voteAll(w, await w.disputes.disputeOfJob(jobId), Verdict.Invalid);
      const resolve = w.jobs.resolveDispute(jobId);
      await expect(resolve).to.emit(w.jobs, "DisputeSettled").and.not.to.emit(w.jobs, "CallbackExecuted");
      // The verdict arms a new executor draw; the job waits Unassigned, with nothing to deliver.
      await expect(resolve).to.emit(w.jobs, "DrawArmed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      await expect(w.jobs.deliver(jobId, WRONG_OUTPUT)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Unassigned);
      await assignJob(w, jobId);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Assigned);
      await expect(w.jobs.deliver(jobId, WRONG_OUTPUT)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Assigned);
      const honest = await executorOf(w, jobId);
      expect(honest.address).to.not.equal(cheat.address);
      await submitUnaudited(w, jobId, honest, SAMPLE_OUTPUT);
      await time.increase(1801);
      await w.jobs.finalize(jobId);
      await w.jobs.deliver(jobId, "0x");
      expect(await cb.calls()).to.equal(1n);
      expect(await cb.lastOutput()).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    });

    it("a NONE submission runs no callback, and the callback burning all its gas in deliver undoes nothing", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new GasBurnerCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 500_000);
      const tx = w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(tx).to.emit(w.jobs, "JobFinalized").and.not.to.emit(w.jobs, "CallbackExecuted");
      expect(await cb.counter()).to.equal(0n);
      const delivery = w.jobs.connect(w.others[0]).deliver(jobId, "0x");
      await expect(delivery).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      const receipt = await (await delivery).wait();
      expect(receipt!.gasUsed).to.be.lessThan(500_000n + 400_000n);
      const [status, hash, output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(hash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("a callback that reverts in deliver undoes nothing, and its delivery is spent (not retried)", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RevertingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "JobFinalized").and.not.to.emit(w.jobs, "CallbackExecuted");
      await expect(w.jobs.deliver(jobId, "0x")).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      const [status, , output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      await expect(w.jobs.deliver(jobId, "0x")).to.be.revertedWithCustomError(w.jobs, "NothingToDeliver").withArgs(jobId);
    });

    it("a 1 MB return bomb in deliver costs the deliverer no copy and undoes nothing", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RevertingCallback__factory(w.admin).deploy();
      await cb.setBomb(true);
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 2_000_000);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT)).not.to.emit(w.jobs, "CallbackExecuted");
      const delivery = w.jobs.deliver(jobId, "0x");
      await expect(delivery).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      const receipt = await (await delivery).wait();
      // The callee's 2M cap plus the hub's own work: no copy of the megabyte is paid for.
      expect(receipt!.gasUsed).to.be.lessThan(2_000_000n + 400_000n);
      const [status, , output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    });

    it("finalize needs no gas for the callback; a delivery sent with too little to honour its cap reverts and spends nothing", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 1_000_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      await w.jobs.finalize(jobId, { gasLimit: 400_000 });
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      const cap = 123n * 8192n; // 1,000,000 gas rounded up to the hub's units of 8,192
      const required = (cap * 64n) / 63n + 20_000n;
      // `available` is whatever gasleft() was at the check: it depends on the gas schedule.
      await expect(w.jobs.deliver(jobId, "0x", { gasLimit: 400_000 }))
        .to.be.revertedWithCustomError(w.jobs, "InsufficientGasForCallback")
        .withArgs(anyValue, required);
      expect(await cb.calls()).to.equal(0n);
      await expect(w.jobs.deliver(jobId, "0x", { gasLimit: 2_000_000 }))
        .to.emit(w.jobs, "CallbackExecuted")
        .withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
    });

    it("a NONE submission needs no gas for the callback at all", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 1_500_000);
      // Far less than the 1.5M cap: the executor never pays for the requester's callback.
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT, { gasLimit: 600_000 });
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect(await cb.calls()).to.equal(0n);
    });
  });

  describe("deliver: re-entrancy from the callback", function () {
    async function armedJob(w: World, mode: number = Mode.OPTIMISTIC) {
      const cb = await new ReentrantCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 1_000_000, mode);
      return { cb, jobId, executor };
    }

    async function expectNotReentered(cb: ReentrantCallback, selector: string) {
      expect(await cb.called()).to.equal(true);
      expect(await cb.reentered()).to.equal(false);
      expect(selectorOf(await cb.reentryError())).to.equal(selector);
    }

    const GUARD = () => ReentrancyGuardTransient__factory.createInterface().getError("ReentrancyGuardReentrantCall")!.selector;

    it("cannot deliver a second time from inside its own delivery", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w, Mode.NONE);
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("deliver", [jobId, "0x"]));
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(w.jobs.deliver(jobId, "0x")).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      await expectNotReentered(cb, GUARD());
      expect((await w.jobs.queryFilter(w.jobs.filters.CallbackExecuted(jobId))).length).to.equal(1);
      await expect(w.jobs.deliver(jobId, "0x")).to.be.revertedWithCustomError(w.jobs, "NothingToDeliver").withArgs(jobId);
    });

    it("cannot finalize any job from inside a delivery, and each executor is paid once", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      const other = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("finalize", [other.jobId]));
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await submitUnaudited(w, other.jobId, await executorOf(w, other.jobId), SAMPLE_OUTPUT);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.vault, "FeePaid");
      expect(await cb.called()).to.equal(false);
      await w.jobs.deliver(jobId, "0x");
      await expectNotReentered(cb, GUARD());
      expect((await w.jobs.jobOf(other.jobId)).status).to.equal(Status.Submitted);
      await w.jobs.finalize(other.jobId);
      for (const id of [jobId, other.jobId]) {
        expect((await w.jobs.jobOf(id)).status).to.equal(Status.Finalized);
        expect((await w.vault.queryFilter(w.vault.filters.FeePaid(id))).length).to.equal(1);
      }
      await expectVaultSettled(w, [await cb.getAddress()]);
    });

    it("cannot re-enter requestInference", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w, Mode.NONE);
      const p = await requestParams({ mode: Mode.NONE, input: SAMPLE_INPUT });
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("requestInference", [p]));
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await w.jobs.deliver(jobId, "0x");
      await expectNotReentered(cb, GUARD());
      expect(await w.jobs.jobCount()).to.equal(1n);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("takes nothing with vault.claim() during a delivery, and the executor's credit stays whole", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      await cb.arm(w.vault, w.vault.interface.encodeFunctionData("claim"));
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      await w.jobs.finalize(jobId);
      const balanceBefore = await w.token.balanceOf(w.vault);
      await w.jobs.deliver(jobId, "0x");
      await expectNotReentered(cb, w.vault.interface.getError("NothingToClaim")!.selector);
      expect(await w.token.balanceOf(w.vault)).to.equal(balanceBefore);
      expect(await w.token.balanceOf(cb)).to.equal(0n);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      await expectVaultSettled(w, [await cb.getAddress()]);
    });

    it("cannot resolve a dispute from inside a delivery: the hub is locked, and the dispute resolves later, once", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      const other = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("resolveDispute", [other.jobId]));
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await w.jobs.connect(await executorOf(w, other.jobId)).submitResult(other.jobId, SAMPLE_OUTPUT);
      for (const id of [jobId, other.jobId]) {
        await w.jobs.connect(w.verifiers[0]).challenge(id);
        await voteAll(w, await w.disputes.disputeOfJob(id), Verdict.Valid);
      }
      // A Valid verdict finalizes without calling out.
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Valid);
      await expect(tx).not.to.emit(w.jobs, "CallbackExecuted");
      expect(await cb.called()).to.equal(false);
      await expect(w.jobs.deliver(jobId, "0x")).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      // Disputes are resolved through the hub, which the running delivery has locked.
      await expectNotReentered(cb, GUARD());
      const otherDispute = await w.disputes.disputeOfJob(other.jobId);
      expect((await w.disputes.disputeOf(otherDispute)).resolved).to.equal(false);
      expect((await w.jobs.jobOf(other.jobId)).status).to.equal(Status.Disputed);
      await expect(w.jobs.resolveDispute(other.jobId)).to.emit(w.jobs, "DisputeSettled").withArgs(other.jobId, Verdict.Valid);
      for (const id of [jobId, other.jobId]) {
        expect((await w.jobs.jobOf(id)).status).to.equal(Status.Finalized);
        expect((await w.vault.queryFilter(w.vault.filters.FeePaid(id))).length).to.equal(1);
      }
      await expectVaultSettled(w, [await cb.getAddress()]);
    });
  });

  describe("SentimentGate", function () {
    const THRESHOLD = 5n * 10n ** 17n; // 0.5
    const OPEN_LABEL = 1n;

    async function gateWorld() {
      const w = await loadFixture(callbacksFixture);
      const gate = await new SentimentGate__factory(w.requester).deploy(w.jobs, w.token, w.modelId, OPEN_LABEL, THRESHOLD);
      await w.token.connect(w.admin).mint(gate, 10n * TOKEN);
      return { w, gate };
    }

    function logits(values: number[]): Uint8Array {
      return encodeTensors({ logits: { dtype: "float32", shape: [1, values.length], data: values } });
    }

    /** The 1e18 fixed-point value of float32(x), as the codec reads it (truncated). */
    function fixedOf(x: number): bigint {
      const buf = new DataView(new ArrayBuffer(4));
      buf.setFloat32(0, x);
      const bits = buf.getUint32(0);
      const exponent = ((bits >>> 23) & 0xff) - 127;
      const mantissa = BigInt((bits & 0x7fffff) | 0x800000);
      const scaled = mantissa * 10n ** 18n;
      const shift = 23 - exponent;
      return shift >= 0 ? scaled / (1n << BigInt(shift)) : scaled * (1n << BigInt(-shift));
    }

    /** The gate asks for a classification of job 1, whose executor posts `output`; nothing is classified yet. */
    async function classify(w: World, gate: Awaited<ReturnType<typeof gateWorld>>["gate"], output: Uint8Array) {
      const deadline = (await time.latest()) + 3600;
      await expect(gate.connect(w.requester).classify(SAMPLE_INPUT, TOKEN, Mode.NONE, deadline))
        .to.emit(gate, "ClassificationRequested")
        .withArgs(1n);
      expect(await gate.pending(1n)).to.equal(true);
      await assignJob(w, 1n); // the request armed the executor draw; anyone assigns after its target
      const executor = await executorOf(w, 1n);
      const tx = w.jobs.connect(executor).submitResult(1n, output);
      await expect(tx).not.to.emit(w.jobs, "CallbackExecuted");
      await expect(tx).not.to.emit(gate, "Classified");
      await expect(tx).not.to.emit(gate, "ClassificationFailed");
      expect(await gate.pending(1n)).to.equal(true);
    }

    /** Anyone delivers job 1's result to the gate. */
    function deliver(w: World, output: Uint8Array | string = "0x") {
      return w.jobs.connect(w.others[0]).deliver(1n, output);
    }

    it("pays the fee from its own balance and, once delivered, opens the gate when the argmax is the open label above the threshold", async function () {
      const { w, gate } = await gateWorld();
      await classify(w, gate, logits([0.1, 0.7, 0.2]));
      const tx = deliver(w);
      await expect(tx)
        .to.emit(gate, "Classified")
        .withArgs(1n, 1n, (score: bigint) => score > fixedOf(0.7) - 2n && score < fixedOf(0.7) + 2n, true);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(1n, await gate.getAddress(), true);
      expect(await gate.gateOpen()).to.equal(true);
      expect(await gate.lastLabel()).to.equal(1n);
      expect(await gate.pending(1n)).to.equal(false);
      expect(await w.token.balanceOf(gate)).to.equal(9n * TOKEN);
      expect((await w.jobs.jobOf(1n)).requester).to.equal(await gate.getAddress());
    });

    it("keeps the gate closed when the argmax is another label", async function () {
      const { w, gate } = await gateWorld();
      await classify(w, gate, logits([0.9, 0.05, 0.05]));
      await expect(deliver(w))
        .to.emit(gate, "Classified")
        .withArgs(1n, 0n, (score: bigint) => score > 0n, false);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await gate.lastLabel()).to.equal(0n);
    });

    it("keeps the gate closed when the open label wins below the threshold", async function () {
      const { w, gate } = await gateWorld();
      await classify(w, gate, logits([0.3, 0.4, 0.3]));
      await expect(deliver(w))
        .to.emit(gate, "Classified")
        .withArgs(1n, 1n, (score: bigint) => score < THRESHOLD, false);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await gate.lastLabel()).to.equal(1n);
    });

    it("reports a failed classification when the executor claims the input is invalid", async function () {
      const { w, gate } = await gateWorld();
      await classify(w, gate, INVALID_INPUT_CLAIM);
      await expect(deliver(w)).to.emit(gate, "ClassificationFailed").withArgs(1n, 2n);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await w.vault.creditOf(gate)).to.equal(TOKEN);
    });

    describe("an output posted by reference", function () {
      const URI = "https://node.example/outputs/1";

      async function classifiedByReference(output: Uint8Array) {
        const { w, gate } = await gateWorld();
        const deadline = (await time.latest()) + 3600;
        await gate.connect(w.requester).classify(SAMPLE_INPUT, TOKEN, Mode.NONE, deadline);
        await assignJob(w, 1n);
        const executor = await executorOf(w, 1n);
        await expect(w.jobs.connect(executor).submitResultRef(1n, ethers.keccak256(output), URI)).not.to.emit(w.jobs, "CallbackExecuted");
        return { w, gate };
      }

      it("reports BY_REFERENCE (255) when delivered without its bytes, and decides nothing", async function () {
        const { w, gate } = await classifiedByReference(logits([0.1, 0.7, 0.2]));
        expect(await gate.BY_REFERENCE()).to.equal(255n);
        // Without the bytes, only the consumer (or its requester) may use the delivery up.
        await expect(deliver(w)).to.be.revertedWithCustomError(w.jobs, "UnauthorizedCaller").withArgs(w.others[0].address);
        await expect(gate.connect(w.others[0]).settle(1n, "0x")).to.be.revertedWithCustomError(gate, "NotOwner").withArgs(w.others[0].address);
        await expect(gate.connect(w.requester).settle(1n, "0x")).to.emit(gate, "ClassificationFailed").withArgs(1n, 255n).and.not.to.emit(gate, "Classified");
        expect(await gate.gateOpen()).to.equal(false);
        expect(await gate.pending(1n)).to.equal(false);
      });

      it("classifies it when the deliverer supplies bytes that hash to the job's output hash", async function () {
        const output = logits([0.1, 0.7, 0.2]);
        const { w, gate } = await classifiedByReference(output);
        await expect(deliver(w, logits([0.7, 0.1, 0.2])))
          .to.be.revertedWithCustomError(w.jobs, "OutputMismatch")
          .withArgs(1n, ethers.keccak256(output));
        await expect(deliver(w, output)).to.emit(gate, "Classified").withArgs(1n, 1n, anyValue, true);
        expect(await gate.gateOpen()).to.equal(true);
      });
    });

    it("reverts when onInferenceResult is called by anyone but the JobRegistry", async function () {
      const { w, gate } = await gateWorld();
      const output = logits([0.1, 0.9]);
      await expect(gate.connect(w.others[0]).onInferenceResult(1n, true, ethers.keccak256(output), output))
        .to.be.revertedWithCustomError(gate, "OnlyJobRegistry")
        .withArgs(w.others[0].address);
    });

    it("reverts when anyone but the owner asks for a classification", async function () {
      const { w, gate } = await gateWorld();
      const deadline = (await time.latest()) + 3600;
      await expect(gate.connect(w.others[0]).classify(SAMPLE_INPUT, TOKEN, Mode.NONE, deadline))
        .to.be.revertedWithCustomError(gate, "NotOwner")
        .withArgs(w.others[0].address);
    });
  });
});
