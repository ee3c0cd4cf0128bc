import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployWorld,
  exactPolicy,
  Mode,
  RefundReason,
  Status,
  TOKEN,
  requestJob,
  runQuorum,
  SAMPLE_OUTPUT,
  submitUnaudited,
  untilLottery,
  randomnessSource,
  type World,
} from "../fixtures/protocol";
import { COLLATERAL, executorAccount, executorOf, expectVaultSettled, nextTimestamp, otherExecutor } from "../fixtures/unit-b-helpers";
import { MockResultVerifier__factory, type MockResultVerifier } from "../../packages/node/src/typechain";
import { readResult } from "../../packages/node/src";

/** JobRegistry.MAX_INLINE_OUTPUT: inline outputs are stored, so they are capped at 12 KiB (inputs at 64 KiB). */
const MAX_INLINE_OUTPUT = 12 * 1024;
const INVALID_INPUT_CLAIM = Uint8Array.of(0x00, 0x02);
const EXECUTOR_PART = (TOKEN * 7500n) / 10000n;

interface SubmitWorld extends World {
  verifier: MockResultVerifier;
}

async function submitFixture(): Promise<SubmitWorld> {
  const w = await deployWorld();
  const verifier = await new MockResultVerifier__factory(w.admin).deploy();
  return { ...w, verifier };
}

describe("JobRegistry", function () {
  describe("submitResult", function () {
    it("finalizes a NONE job at once and pays the executor", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.NONE });
      const executor = await executorOf(w, jobId);
      const hash = ethers.keccak256(SAMPLE_OUTPUT);
      const tx = w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(tx).to.emit(w.jobs, "ResultSubmitted").withArgs(jobId, executor.address, hash, SAMPLE_OUTPUT, "", 0n);
      await expect(tx).to.emit(w.jobs, "JobFinalized").withArgs(jobId, hash);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
      await expectVaultSettled(w);
    });

    it("opens the challenge window of an OPTIMISTIC job", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const executor = await executorOf(w, jobId);
      const ts = await nextTimestamp(3);
      const hash = ethers.keccak256(SAMPLE_OUTPUT);
      const tx = w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT);
      await expect(tx).to.emit(w.jobs, "ResultSubmitted").withArgs(jobId, executor.address, hash, SAMPLE_OUTPUT, "", ts + 1800);
      const submitBlock = (await (await tx).wait())!.blockNumber;
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Submitted);
      expect(job.phaseEnd).to.equal(ts + 1800);
      // The audit coin is the randomness of a block after the submission's (RANDOMNESS.DELAY blocks on).
      expect(job.auditTarget).to.equal(BigInt(submitBlock) + (await (await randomnessSource(w)).DELAY()));
      expect((await w.jobs.resultOf(jobId)).outputHash).to.equal(hash);
      // Collateral stays locked while the result can be challenged.
      expect((await executorAccount(w, executor.address)).locked).to.equal(COLLATERAL);
      expect(await w.vault.creditOf(executor.address)).to.equal(0n);
    });

    it("reverts when the output is empty", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResult(jobId, "0x")).to.be.revertedWithCustomError(w.jobs, "EmptyOutput");
    });

    it("reverts when the output is larger than MAX_INLINE_OUTPUT (12 KiB)", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResult(jobId, new Uint8Array(MAX_INLINE_OUTPUT + 1)))
        .to.be.revertedWithCustomError(w.jobs, "InlineTooLarge")
        .withArgs(MAX_INLINE_OUTPUT + 1, MAX_INLINE_OUTPUT);
    });

    it("reverts when the caller is not the assigned executor", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      const intruder = otherExecutor(w, executor.address);
      await expect(w.jobs.connect(intruder).submitResult(jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "NotAssignedExecutor")
        .withArgs(jobId, intruder.address);
      await expect(w.jobs.connect(w.requester).submitResult(jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "NotAssignedExecutor")
        .withArgs(jobId, w.requester.address);
    });

    it("reverts when the result was already submitted", async function () {
      const w = await loadFixture(submitFixture);
      const optimistic = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const e1 = await executorOf(w, optimistic.jobId);
      await w.jobs.connect(e1).submitResult(optimistic.jobId, SAMPLE_OUTPUT);
      await expect(w.jobs.connect(e1).submitResult(optimistic.jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(optimistic.jobId, Status.Submitted);
      const none = await requestJob(w, { mode: Mode.NONE });
      const e2 = await executorOf(w, none.jobId);
      await w.jobs.connect(e2).submitResult(none.jobId, SAMPLE_OUTPUT);
      await expect(w.jobs.connect(e2).submitResult(none.jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "JobNotInStatus")
        .withArgs(none.jobId, Status.Finalized);
    });

    it("reverts when the execution window is over", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      const phaseEnd = (await w.jobs.jobOf(jobId)).phaseEnd;
      await time.increaseTo(phaseEnd);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "PhaseOver")
        .withArgs(jobId, phaseEnd);
    });

    it("accepts a result in the last second of the execution window", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      const phaseEnd = (await w.jobs.jobOf(jobId)).phaseEnd;
      await time.setNextBlockTimestamp(phaseEnd);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT)).to.emit(w.jobs, "ResultSubmitted");
    });

    it("reverts when the job is a QUORUM job", async function () {
      const w = await loadFixture(submitFixture);
      await w.models.connect(w.modelOwner).setPolicy(1n, exactPolicy());
      const { jobId } = await requestJob(w, { mode: Mode.QUORUM });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "WrongMode")
        .withArgs(jobId, Mode.QUORUM);
    });

    it("reverts when the job is an ATTESTED job", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.ATTESTED });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResult(jobId, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "WrongMode")
        .withArgs(jobId, Mode.ATTESTED);
    });

    it("reverts when the job does not exist", async function () {
      const w = await loadFixture(submitFixture);
      await expect(w.jobs.connect(w.executors[0]).submitResult(42n, SAMPLE_OUTPUT))
        .to.be.revertedWithCustomError(w.jobs, "UnknownJob")
        .withArgs(42n);
    });

    it("refunds the requester at once when a NONE executor claims the input is invalid", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.NONE });
      const executor = await executorOf(w, jobId);
      const tx = w.jobs.connect(executor).submitResult(jobId, INVALID_INPUT_CLAIM);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.InvalidInput, TOKEN);
      await expect(tx).to.not.emit(w.jobs, "JobFinalized");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.creditOf(executor.address)).to.equal(0n);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
      const [status, hash, output] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Refunded);
      expect(hash).to.equal(ethers.keccak256(INVALID_INPUT_CLAIM));
      expect(output).to.equal("0x0002");
      await expectVaultSettled(w);
    });

    it("refunds the requester after the challenge window when an OPTIMISTIC executor claims the input is invalid", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const executor = await executorOf(w, jobId);
      await submitUnaudited(w, jobId, executor, INVALID_INPUT_CLAIM);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(0n);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.InvalidInput, TOKEN);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      expect(await w.vault.creditOf(executor.address)).to.equal(0n);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
      await expectVaultSettled(w);
    });
  });

  describe("submitResultRef", function () {
    const hash = ethers.keccak256(ethers.toUtf8Bytes("a large output"));
    const uri = "ipfs://bafy-output";

    it("records a by-reference OPTIMISTIC result and pays it after the window", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const executor = await executorOf(w, jobId);
      const tx = await untilLottery(w, jobId, false, () => w.jobs.connect(executor).submitResultRef(jobId, hash, uri));
      const ts = (await tx.getBlock())!.timestamp;
      await expect(tx).to.emit(w.jobs, "ResultSubmitted").withArgs(jobId, executor.address, hash, "0x", uri, ts + 1800);
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([BigInt(Status.Submitted), hash, "0x", uri]);
      expect((await w.jobs.jobOf(jobId)).outputHash).to.equal(hash);
      await time.increase(1801);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "JobFinalized").withArgs(jobId, hash);
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([BigInt(Status.Finalized), hash, "0x", uri]);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("finalizes a by-reference NONE result at once", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.NONE });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResultRef(jobId, hash, uri)).to.emit(w.jobs, "JobFinalized").withArgs(jobId, hash);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
    });

    it("reverts when the hash or the URI is empty", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResultRef(jobId, ethers.ZeroHash, uri)).to.be.revertedWithCustomError(
        w.jobs,
        "EmptyOutput",
      );
      await expect(w.jobs.connect(executor).submitResultRef(jobId, hash, "")).to.be.revertedWithCustomError(w.jobs, "EmptyOutput");
    });

    it("reverts when the URI is longer than 512 bytes", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitResultRef(jobId, hash, "u".repeat(513)))
        .to.be.revertedWithCustomError(w.jobs, "InlineTooLarge")
        .withArgs(513n, 512n);
    });

    it("reverts when the caller is not the assigned executor", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w);
      const intruder = otherExecutor(w, (await executorOf(w, jobId)).address);
      await expect(w.jobs.connect(intruder).submitResultRef(jobId, hash, uri))
        .to.be.revertedWithCustomError(w.jobs, "NotAssignedExecutor")
        .withArgs(jobId, intruder.address);
    });

    it("reverts when the job is a QUORUM or an ATTESTED job", async function () {
      const w = await loadFixture(submitFixture);
      await w.models.connect(w.modelOwner).setPolicy(1n, exactPolicy());
      const quorum = await requestJob(w, { mode: Mode.QUORUM });
      await expect(w.jobs.connect(await executorOf(w, quorum.jobId)).submitResultRef(quorum.jobId, hash, uri))
        .to.be.revertedWithCustomError(w.jobs, "WrongMode")
        .withArgs(quorum.jobId, Mode.QUORUM);
      const attested = await requestJob(w, { mode: Mode.ATTESTED });
      await expect(w.jobs.connect(await executorOf(w, attested.jobId)).submitResultRef(attested.jobId, hash, uri))
        .to.be.revertedWithCustomError(w.jobs, "WrongMode")
        .withArgs(attested.jobId, Mode.ATTESTED);
    });
  });

  describe("submitAttestedResult", function () {
    const proof = ethers.toUtf8Bytes("a TEE quote");

    it("reverts when no result verifier is registered", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.ATTESTED });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, SAMPLE_OUTPUT, proof)).to.be.revertedWithCustomError(
        w.jobs,
        "NoResultVerifier",
      );
    });

    it("reverts when the verifier rejects the proof", async function () {
      const w = await loadFixture(submitFixture);
      await w.jobs.connect(w.admin).setResultVerifier(w.verifier);
      const { jobId } = await requestJob(w, { mode: Mode.ATTESTED });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, SAMPLE_OUTPUT, "0x"))
        .to.be.revertedWithCustomError(w.jobs, "ProofRejected")
        .withArgs(jobId);
      await w.verifier.setAnswer(false);
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, SAMPLE_OUTPUT, proof))
        .to.be.revertedWithCustomError(w.jobs, "ProofRejected")
        .withArgs(jobId);
    });

    it("finalizes and pays at once when the proof is accepted", async function () {
      const w = await loadFixture(submitFixture);
      await expect(w.jobs.connect(w.admin).setResultVerifier(w.verifier))
        .to.emit(w.jobs, "ResultVerifierSet")
        .withArgs(await w.verifier.getAddress());
      const { jobId } = await requestJob(w, { mode: Mode.ATTESTED });
      const executor = await executorOf(w, jobId);
      const hash = ethers.keccak256(SAMPLE_OUTPUT);
      const tx = w.jobs.connect(executor).submitAttestedResult(jobId, SAMPLE_OUTPUT, proof);
      await expect(tx).to.emit(w.jobs, "ResultSubmitted").withArgs(jobId, executor.address, hash, SAMPLE_OUTPUT, "", 0n);
      await expect(tx).to.emit(w.jobs, "JobFinalized").withArgs(jobId, hash);
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([BigInt(Status.Finalized), hash, ethers.hexlify(SAMPLE_OUTPUT), ""]);
      expect(await w.vault.creditOf(executor.address)).to.equal(EXECUTOR_PART);
      expect((await executorAccount(w, executor.address)).locked).to.equal(0n);
      await expectVaultSettled(w);
    });

    it("reverts when the job is not an ATTESTED job", async function () {
      const w = await loadFixture(submitFixture);
      await w.jobs.connect(w.admin).setResultVerifier(w.verifier);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, SAMPLE_OUTPUT, proof))
        .to.be.revertedWithCustomError(w.jobs, "WrongMode")
        .withArgs(jobId, Mode.OPTIMISTIC);
    });

    it("reverts when the output is empty or too large, or the caller is not the executor", async function () {
      const w = await loadFixture(submitFixture);
      await w.jobs.connect(w.admin).setResultVerifier(w.verifier);
      const { jobId } = await requestJob(w, { mode: Mode.ATTESTED });
      const executor = await executorOf(w, jobId);
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, "0x", proof)).to.be.revertedWithCustomError(
        w.jobs,
        "EmptyOutput",
      );
      await expect(w.jobs.connect(executor).submitAttestedResult(jobId, new Uint8Array(MAX_INLINE_OUTPUT + 1), proof))
        .to.be.revertedWithCustomError(w.jobs, "InlineTooLarge")
        .withArgs(MAX_INLINE_OUTPUT + 1, MAX_INLINE_OUTPUT);
      const intruder = otherExecutor(w, executor.address);
      await expect(w.jobs.connect(intruder).submitAttestedResult(jobId, SAMPLE_OUTPUT, proof))
        .to.be.revertedWithCustomError(w.jobs, "NotAssignedExecutor")
        .withArgs(jobId, intruder.address);
    });
  });

  describe("setResultVerifier", function () {
    it("reverts when the caller is not governance", async function () {
      const w = await loadFixture(submitFixture);
      await expect(w.jobs.connect(w.others[0]).setResultVerifier(w.verifier))
        .to.be.revertedWithCustomError(w.jobs, "UnauthorizedCaller")
        .withArgs(w.others[0].address);
    });
  });

  describe("jobOf", function () {
    it("reverts when the job does not exist", async function () {
      const w = await loadFixture(submitFixture);
      await expect(w.jobs.jobOf(0n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(0n);
      await expect(w.jobs.jobOf(1n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(1n);
    });
  });

  describe("resultOf", function () {
    it("returns nothing before a result, and the inline output after one", async function () {
      const w = await loadFixture(submitFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([BigInt(Status.Assigned), ethers.ZeroHash, "0x", ""]);
      await w.jobs.connect(await executorOf(w, jobId)).submitResult(jobId, SAMPLE_OUTPUT);
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([
        BigInt(Status.Submitted),
        ethers.keccak256(SAMPLE_OUTPUT),
        ethers.hexlify(SAMPLE_OUTPUT),
        "",
      ]);
    });

    it("gives a finalized QUORUM job's winning hash with empty bytes: they are read back from its reveals", async function () {
      const w = await loadFixture(submitFixture);
      await w.models.connect(w.modelOwner).setPolicy(w.modelId, exactPolicy());
      const { jobId, assigned } = await requestJob(w, { mode: Mode.QUORUM });
      await runQuorum(w, jobId, assigned, assigned.map(() => SAMPLE_OUTPUT));
      await w.jobs.finalize(jobId);
      const hash = ethers.keccak256(SAMPLE_OUTPUT);
      expect(await w.jobs.resultOf(jobId)).to.deep.equal([BigInt(Status.Finalized), hash, "0x", ""]);
      const result = await readResult(w.jobs, w.quorum, jobId);
      expect(result.outputHash).to.equal(hash);
      expect(ethers.hexlify(result.output)).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
    });

    it("reverts when the job does not exist", async function () {
      const w = await loadFixture(submitFixture);
      await expect(w.jobs.resultOf(3n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(3n);
    });
  });
});
