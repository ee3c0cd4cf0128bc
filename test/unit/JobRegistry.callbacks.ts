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
  requestJob,
  requestParams,
  SAMPLE_INPUT,
  SAMPLE_OUTPUT,
  salt,
  signerOf,
  submitUnaudited,
  type World,
} from "../fixtures/protocol";
import { encodeTensors } from "../../verifier/src/codec/tensor";
import { executorOf, expectVaultSettled } from "../fixtures/unit-b-helpers";
import {
  GasBurnerCallback__factory,
  RecordingCallback__factory,
  ReentrantCallback__factory,
  RevertingCallback__factory,
  SentimentGate__factory,
  type ReentrantCallback,
} from "../../typechain-types";

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

describe("JobRegistry", function () {
  describe("callbacks", function () {
    it("delivers (jobId, valid, output) to a well-behaved callback exactly once", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      expect(await cb.calls()).to.equal(0n);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
      expect(await cb.lastJobId()).to.equal(jobId);
      expect(await cb.lastValid()).to.equal(true);
      expect(await cb.lastOutput()).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Finalized);
      expect(await cb.calls()).to.equal(1n);
    });

    it("tells the callback valid == false with the claim bytes when the input was invalid", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000);
      const tx = w.jobs.connect(executor).submitResult(jobId, INVALID_INPUT_CLAIM);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.InvalidInput, TOKEN);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
      expect(await cb.lastValid()).to.equal(false);
      expect(await cb.lastOutput()).to.equal("0x0002");
    });

    it("finalizes although the callback burns all its gas", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new GasBurnerCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 500_000);
      const tx = w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      const receipt = await (await tx).wait();
      expect(receipt!.gasUsed).to.be.lessThan(500_000n + 400_000n);
      const [status, hash, output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(hash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("finalizes although the callback reverts", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RevertingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 300_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      const [status, , output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("finalizes although the callback returns a 1 MB return bomb", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RevertingCallback__factory(w.admin).deploy();
      await cb.setBomb(true);
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 2_000_000);
      const tx = w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), false);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      const receipt = await (await tx).wait();
      // The callee's 2M cap plus the hub's own work: no copy of the megabyte is paid for.
      expect(receipt!.gasUsed).to.be.lessThan(2_000_000n + 400_000n);
      const [status, , output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(output).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    });

    it("reverts a finalize sent with too little gas to honour the callback's cap", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 1_000_000, Mode.OPTIMISTIC);
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      const required = (1_000_000n * 64n) / 63n + 20_000n;
      // `available` is whatever gasleft() was at the check: it depends on the gas schedule.
      await expect(w.jobs.finalize(jobId, { gasLimit: 400_000 }))
        .to.be.revertedWithCustomError(w.jobs, "InsufficientGasForCallback")
        .withArgs(anyValue, required);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      expect(await cb.calls()).to.equal(0n);
      await expect(w.jobs.finalize(jobId, { gasLimit: 2_000_000 }))
        .to.emit(w.jobs, "CallbackExecuted")
        .withArgs(jobId, await cb.getAddress(), true);
      expect(await cb.calls()).to.equal(1n);
    });

    it("reverts a NONE submission sent with too little gas to honour the callback's cap", async function () {
      const w = await loadFixture(callbacksFixture);
      const cb = await new RecordingCallback__factory(w.admin).deploy();
      const { jobId, executor } = await jobWithCallback(w, await cb.getAddress(), 1_500_000);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT, { gasLimit: 600_000 }))
        .to.be.revertedWithCustomError(w.jobs, "InsufficientGasForCallback")
        .withArgs(anyValue, (1_500_000n * 64n) / 63n + 20_000n);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Assigned);
    });
  });

  describe("callbacks: re-entrancy", function () {
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

    it("cannot re-enter finalize for the same job, and the executor is credited once", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("finalize", [jobId]));
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.vault, "FeePaid");
      await expectNotReentered(cb, w.jobs.interface.getError("ReentrancyGuardReentrantCall")!.selector);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      await expectVaultSettled(w, [await cb.getAddress()]);
    });

    it("cannot re-enter requestInference", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w, Mode.NONE);
      const p = await requestParams({ mode: Mode.NONE, input: SAMPLE_INPUT });
      await cb.arm(w.jobs, w.jobs.interface.encodeFunctionData("requestInference", [p]));
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expectNotReentered(cb, w.jobs.interface.getError("ReentrancyGuardReentrantCall")!.selector);
      expect(await w.jobs.jobCount()).to.equal(1n);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("takes nothing with vault.claim() during finalization, and the executor's credit stays whole", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      await cb.arm(w.vault, w.vault.interface.encodeFunctionData("claim"));
      await submitUnaudited(w, jobId, executor, SAMPLE_OUTPUT);
      await time.increase(1801);
      const balanceBefore = await w.token.balanceOf(w.vault);
      await w.jobs.finalize(jobId);
      await expectNotReentered(cb, w.vault.interface.getError("NothingToClaim")!.selector);
      expect(await w.token.balanceOf(w.vault)).to.equal(balanceBefore);
      expect(await w.token.balanceOf(cb)).to.equal(0n);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      await expectVaultSettled(w, [await cb.getAddress()]);
    });

    it("cannot re-enter disputes.resolve from the callback of a Valid verdict", async function () {
      const w = await loadFixture(callbacksFixture);
      const { cb, jobId, executor } = await armedJob(w);
      await cb.arm(w.disputes, w.disputes.interface.encodeFunctionData("resolve", [jobId]));
      await w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await w.disputes.connect(w.verifiers[0]).challenge(jobId);
      const disputeId = await w.disputes.disputeOfJob(jobId);
      const committee = await w.disputes.committeeOf(disputeId);
      const salts = committee.map(() => salt());
      for (let i = 0; i < committee.length; i++) {
        const voter = signerOf(w.verifiers, committee[i]);
        await w.disputes.connect(voter).commitVote(disputeId, await w.disputes.commitmentOf(committee[i], disputeId, Verdict.Valid, salts[i]));
      }
      for (let i = 0; i < committee.length; i++) {
        await w.disputes.connect(signerOf(w.verifiers, committee[i])).revealVote(disputeId, Verdict.Valid, salts[i]);
      }
      const tx = w.disputes.resolve(jobId);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Valid);
      await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await cb.getAddress(), true);
      await expectNotReentered(cb, w.disputes.interface.getError("ReentrancyGuardReentrantCall")!.selector);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect((await w.disputes.disputeOf(disputeId)).resolved).to.equal(true);
      // Paid once: the fee part, plus its equal share (with the 3 voters) of half the forfeited 10-token bond.
      expect((await w.vault.queryFilter(w.vault.filters.FeePaid(jobId))).length).to.equal(1);
      const bondShare = (10n * TOKEN * 5000n) / 10000n / 4n;
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART + bondShare);
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

    async function classify(w: World, gate: Awaited<ReturnType<typeof gateWorld>>["gate"], output: Uint8Array) {
      const deadline = (await time.latest()) + 3600;
      await expect(gate.connect(w.requester).classify(SAMPLE_INPUT, TOKEN, Mode.NONE, deadline))
        .to.emit(gate, "ClassificationRequested")
        .withArgs(1n);
      expect(await gate.pending(1n)).to.equal(true);
      const executor = await executorOf(w, 1n);
      return w.jobs.connect(executor).submitResult(1n, output);
    }

    it("pays the fee from its own balance and opens the gate when the argmax is the open label above the threshold", async function () {
      const { w, gate } = await gateWorld();
      const tx = await classify(w, gate, logits([0.1, 0.7, 0.2]));
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
      await expect(await classify(w, gate, logits([0.9, 0.05, 0.05])))
        .to.emit(gate, "Classified")
        .withArgs(1n, 0n, (score: bigint) => score > 0n, false);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await gate.lastLabel()).to.equal(0n);
    });

    it("keeps the gate closed when the open label wins below the threshold", async function () {
      const { w, gate } = await gateWorld();
      await expect(await classify(w, gate, logits([0.3, 0.4, 0.3])))
        .to.emit(gate, "Classified")
        .withArgs(1n, 1n, (score: bigint) => score < THRESHOLD, false);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await gate.lastLabel()).to.equal(1n);
    });

    it("reports a failed classification when the executor claims the input is invalid", async function () {
      const { w, gate } = await gateWorld();
      const tx = await classify(w, gate, INVALID_INPUT_CLAIM);
      await expect(tx).to.emit(gate, "ClassificationFailed").withArgs(1n, 2n);
      expect(await gate.gateOpen()).to.equal(false);
      expect(await w.vault.creditOf(gate)).to.equal(TOKEN);
    });

    it("reverts when onInferenceResult is called by anyone but the JobRegistry", async function () {
      const { w, gate } = await gateWorld();
      await expect(gate.connect(w.others[0]).onInferenceResult(1n, true, logits([0.1, 0.9])))
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
