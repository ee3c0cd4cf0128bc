/**
 * Every job has an exit at the limits (issue 10, findings 1, 4 and 9). Each step of a job's life,
 * in every mode, with the largest output the contracts take and the largest callback a requester
 * may ask for, stays under 12M gas: well under the 2^24 per-transaction cap (EIP-7825) that
 * Hardhat's hardfork enforces. Before, a QUORUM `finalize` copied the winning output into storage
 * again and ran the callback in the same transaction: a ~22 KB output froze the job for good.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { GasBurnerCallback__factory, RecordingCallback__factory } from "../../packages/node/src/typechain";
import { EXACT, Mode, Status, TOKEN, deployWorld, requestJob, runQuorum, signerOf, submitUnaudited, type World } from "../fixtures/protocol";

/** EIP-7825's per-transaction gas cap. */
const TX_GAS_CAP = 2n ** 24n;
/** What every step must stay under: about 72% of the cap. */
const BUDGET = 12_000_000n;
/** JobRegistry.MAX_INLINE_OUTPUT, QuorumManager.MAX_OUTPUT_BYTES, JobRegistry.MAX_CALLBACK_GAS. */
const MAX_INLINE_OUTPUT = 12 * 1024;
const MAX_REVEAL = 64 * 1024;
const MAX_CALLBACK_GAS = 2_000_000;

/** `n` bytes that are all non-zero (the dearest calldata), starting with a non-zero byte. */
function bulky(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 31 + seed) % 255) + 1;
  return out;
}

async function gasOf(tx: Promise<ContractTransactionResponse> | ContractTransactionResponse): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

async function limitsFixture() {
  // An exact model allows every mode, QUORUM included.
  const world = await deployWorld({ executors: 3, verifiers: 4, policy: EXACT });
  const burner = await new GasBurnerCallback__factory(world.admin).deploy();
  const recorder = await new RecordingCallback__factory(world.admin).deploy();
  return { world, burner, recorder };
}

async function requestWithCallback(world: World, mode: number, callback: string) {
  return requestJob(world, { mode, fee: TOKEN, callback, callbackGasLimit: MAX_CALLBACK_GAS });
}

describe("JobRegistry: every job has an exit at the limits", function () {
  describe("NONE and OPTIMISTIC with the largest inline output and a callback that burns its whole cap", function () {
    it("NONE: submission (which pays) and delivery each stay under 12M gas; the callback costs the executor nothing", async function () {
      const { world, burner } = await loadFixture(limitsFixture);
      const plain = await requestJob(world, { mode: Mode.NONE });
      const plainSubmit = await gasOf(world.jobs.connect(signerOf(world.executors, plain.assigned[0])).submitResult(plain.jobId, bulky(MAX_INLINE_OUTPUT)));
      const job = await requestWithCallback(world, Mode.NONE, await burner.getAddress());
      const submit = await gasOf(world.jobs.connect(signerOf(world.executors, job.assigned[0])).submitResult(job.jobId, bulky(MAX_INLINE_OUTPUT)));
      expect(submit).to.be.lessThan(BUDGET);
      // Finding 4: the executor's transaction does not run the 2M-gas callback (the first job is
      // colder, hence the slack; running the callback would add 2,000,000).
      expect(submit).to.be.lessThan(plainSubmit + 100_000n);
      expect((await world.jobs.jobOf(job.jobId)).status).to.equal(Status.Finalized);
      const deliver = world.jobs.connect(world.others[0]).deliver(job.jobId, "0x");
      await expect(deliver).to.emit(world.jobs, "CallbackExecuted").withArgs(job.jobId, await burner.getAddress(), false);
      expect(await gasOf(deliver)).to.be.lessThan(BUDGET);
    });

    it("OPTIMISTIC: submission, finalization and delivery each stay under 12M gas", async function () {
      const { world, burner } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.OPTIMISTIC, await burner.getAddress());
      const executor = signerOf(world.executors, job.assigned[0]);
      const submit = await gasOf(submitUnaudited(world, job.jobId, executor, bulky(MAX_INLINE_OUTPUT)));
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      const finalize = await gasOf(world.jobs.finalize(job.jobId));
      expect((await world.jobs.jobOf(job.jobId)).status).to.equal(Status.Finalized);
      const deliver = await gasOf(world.jobs.deliver(job.jobId, "0x"));
      for (const gas of [job.receipt.gasUsed, submit, finalize, deliver]) expect(gas).to.be.lessThan(BUDGET);
    });

    it("refuses an inline output one byte over 12 KiB (it goes by reference instead)", async function () {
      const { world } = await loadFixture(limitsFixture);
      const job = await requestJob(world, { mode: Mode.NONE });
      await expect(world.jobs.connect(signerOf(world.executors, job.assigned[0])).submitResult(job.jobId, bulky(MAX_INLINE_OUTPUT + 1)))
        .to.be.revertedWithCustomError(world.jobs, "InlineTooLarge")
        .withArgs(MAX_INLINE_OUTPUT + 1, MAX_INLINE_OUTPUT);
    });
  });

  describe("QUORUM with the largest reveal the QuorumManager takes", function () {
    it("commits, reveals, finalization and delivery of 64 KiB outputs each stay under 12M gas", async function () {
      const { world, burner } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.QUORUM, await burner.getAddress());
      const output = bulky(MAX_REVEAL);
      const round = await runQuorum(world, job.jobId, job.assigned, job.assigned.map(() => output));
      const finalize = await gasOf(world.jobs.finalize(job.jobId));
      expect((await world.jobs.jobOf(job.jobId)).status).to.equal(Status.Finalized);
      const deliver = await gasOf(world.jobs.deliver(job.jobId, output));
      const steps = [job.receipt.gasUsed, ...round.commits.map((r) => r.gasUsed), ...round.reveals.map((r) => r.gasUsed), finalize, deliver];
      for (const gas of steps) expect(gas).to.be.lessThan(BUDGET);
      expect(BUDGET).to.be.lessThan(TX_GAS_CAP);
    });

    it("finalizes at the same cost whatever the output's size (finding 1: the winning bytes are not copied)", async function () {
      const { world } = await loadFixture(limitsFixture);
      const finalizeWith = async (output: Uint8Array) => {
        const job = await requestJob(world, { mode: Mode.QUORUM });
        await runQuorum(world, job.jobId, job.assigned, job.assigned.map(() => output));
        return gasOf(world.jobs.finalize(job.jobId));
      };
      await finalizeWith(bulky(64, 9)); // warms the accounts and slots every later job touches
      const small = await finalizeWith(bulky(64, 1));
      const large = await finalizeWith(bulky(MAX_REVEAL, 2));
      // Storing 64 KiB would cost ~45M gas; the two differ only by warm/cold slot noise.
      expect(large).to.be.closeTo(small, 25_000n);
    });

    it("keeps the winning hash and reads the bytes back from the reveals", async function () {
      const { world } = await loadFixture(limitsFixture);
      const job = await requestJob(world, { mode: Mode.QUORUM });
      const output = bulky(20_000, 3);
      await runQuorum(world, job.jobId, job.assigned, job.assigned.map(() => output));
      await world.jobs.finalize(job.jobId);
      const [status, outputHash, stored] = await world.jobs.resultOf(job.jobId);
      expect(status).to.equal(Status.Finalized);
      expect(outputHash).to.equal(ethers.keccak256(output));
      expect(stored).to.equal("0x");
      const reveals = await world.quorum.queryFilter(world.quorum.filters.ResultRevealed(job.jobId));
      expect(reveals.map((r) => r.args.output)).to.deep.equal(job.assigned.map(() => ethers.hexlify(output)));
    });
  });

  describe("deliver", function () {
    it("runs the callback once, with the output hash, after finalization only", async function () {
      const { world, recorder } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.OPTIMISTIC, await recorder.getAddress());
      const output = bulky(100, 4);
      await submitUnaudited(world, job.jobId, signerOf(world.executors, job.assigned[0]), output);
      await expect(world.jobs.deliver(job.jobId, "0x")).to.be.revertedWithCustomError(world.jobs, "JobNotInStatus").withArgs(job.jobId, Status.Submitted);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await world.jobs.finalize(job.jobId);
      // Finalization itself never calls out.
      expect(await recorder.calls()).to.equal(0n);
      await expect(world.jobs.deliver(job.jobId, "0x")).to.emit(world.jobs, "CallbackExecuted").withArgs(job.jobId, await recorder.getAddress(), true);
      expect(await recorder.calls()).to.equal(1n);
      expect(await recorder.lastValid()).to.equal(true);
      expect(await recorder.lastOutputHash()).to.equal(ethers.keccak256(output));
      expect(await recorder.lastOutput()).to.equal(ethers.hexlify(output));
      await expect(world.jobs.deliver(job.jobId, "0x")).to.be.revertedWithCustomError(world.jobs, "NothingToDeliver").withArgs(job.jobId);
    });

    it("reverts NothingToDeliver for a job without a callback", async function () {
      const { world } = await loadFixture(limitsFixture);
      const job = await requestJob(world, { mode: Mode.NONE });
      await world.jobs.connect(signerOf(world.executors, job.assigned[0])).submitResult(job.jobId, bulky(64));
      await expect(world.jobs.deliver(job.jobId, "0x")).to.be.revertedWithCustomError(world.jobs, "NothingToDeliver").withArgs(job.jobId);
    });

    it("checks QUORUM bytes against the winning hash (OutputMismatch)", async function () {
      const { world, recorder } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.QUORUM, await recorder.getAddress());
      const output = bulky(300, 5);
      await runQuorum(world, job.jobId, job.assigned, job.assigned.map(() => output));
      await world.jobs.finalize(job.jobId);
      const hash = ethers.keccak256(output);
      await expect(world.jobs.deliver(job.jobId, bulky(300, 6))).to.be.revertedWithCustomError(world.jobs, "OutputMismatch").withArgs(job.jobId, hash);
      await expect(world.jobs.deliver(job.jobId, "0x")).to.be.revertedWithCustomError(world.jobs, "OutputMismatch").withArgs(job.jobId, hash);
      await world.jobs.deliver(job.jobId, output);
      expect(await recorder.lastOutput()).to.equal(ethers.hexlify(output));
    });

    it("gives a by-reference output's hash to the callback, with empty bytes only then (finding 9)", async function () {
      const { world, recorder } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.NONE, await recorder.getAddress());
      const hash = ethers.keccak256(bulky(50_000, 8));
      await world.jobs.connect(signerOf(world.executors, job.assigned[0])).submitResultRef(job.jobId, hash, "https://node.example/outputs/x");
      // A stranger may not use the delivery up without the bytes (a front-run of the consumer's own).
      await expect(world.jobs.connect(world.others[0]).deliver(job.jobId, "0x"))
        .to.be.revertedWithCustomError(world.jobs, "UnauthorizedCaller")
        .withArgs(world.others[0].address);
      await world.jobs.connect(world.requester).deliver(job.jobId, "0x");
      expect(await recorder.lastValid()).to.equal(true);
      expect(await recorder.lastOutputHash()).to.equal(hash);
      expect(await recorder.lastOutput()).to.equal("0x");
    });

    it("reverts InsufficientGasForCallback when the caller sends less gas than the cap needs", async function () {
      const { world, burner } = await loadFixture(limitsFixture);
      const job = await requestWithCallback(world, Mode.NONE, await burner.getAddress());
      await world.jobs.connect(signerOf(world.executors, job.assigned[0])).submitResult(job.jobId, bulky(64));
      await expect(world.jobs.deliver(job.jobId, "0x", { gasLimit: 1_000_000 })).to.be.revertedWithCustomError(world.jobs, "InsufficientGasForCallback");
      // Nothing was used up: a caller with enough gas still delivers.
      await expect(world.jobs.deliver(job.jobId, "0x", { gasLimit: 3_000_000 })).to.emit(world.jobs, "CallbackExecuted");
    });
  });
});
