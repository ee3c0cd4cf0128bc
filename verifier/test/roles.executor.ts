import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeTensors, invalidClaim } from "../src/codec/tensor";
import { Mode, RefundReason, SAMPLE_INPUT, Status, requestJob } from "../../test/fixtures/protocol";
import { EXACT_MLP, closeAll, errorsOf, honestOutput, inputByReference, nonces, rolesWorld, settle, startAll, startNode, type TestNode } from "./fixtures/roles";
import { readResult } from "../src/chain/results";

const servedModel = () => rolesWorld();
const exactModel = () => rolesWorld(undefined, EXACT_MLP);

describe("Executor: a NONE job", function () {
  it("is run on the registered model and finalized with the model's canonical output", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world);
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
      await settle(all);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(ethers.getBytes(output)).to.deep.equal(await honestOutput());
      expect((await world.jobs.jobOf(jobId)).executor).to.equal(assigned[0]);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });
});

describe("Executor: an OPTIMISTIC job", function () {
  it("is submitted, left unchallenged by verifiers that re-ran it, and finalized by its executor after the window", async function () {
    const world = await loadFixture(servedModel);
    const { all, verifiers } = await startAll(world);
    try {
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(all);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      for (const v of verifiers) expect(v.logger.at("Verifier.watch").map((l) => l.msg)).to.deep.equal(["result matches within the model's tolerance"]);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(ethers.getBytes(output)).to.deep.equal(await honestOutput());
      expect(await world.disputes.disputeOfJob(jobId)).to.equal(0n);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });
});

describe("Executor: an input that does not fit the model", function () {
  it("is answered with the invalid claim 0x00 02, agreed by the verifiers, and the fee is refunded", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world);
    try {
      const misfit = encodeTensors({ x: { dtype: "float32", shape: [1, 5], data: [1, 2, 3, 4, 5] } });
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC, input: misfit });
      await settle(all);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Refunded);
      expect(ethers.getBytes(output)).to.deep.equal(invalidClaim("inputDoesNotFitModel"));
      const refunds = await world.jobs.queryFilter(world.jobs.filters.JobRefunded(jobId));
      expect(refunds.map((r) => Number(r.args.reason))).to.deep.equal([RefundReason.InvalidInput]);
      expect(await world.disputes.disputeOfJob(jobId)).to.equal(0n);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });
});

describe("Executor: an input given by reference", function () {
  it("is fetched from its file:// URI, checked against its hash, run, left unchallenged by re-running verifiers and finalized", async function () {
    const world = await loadFixture(servedModel);
    const { all, verifiers } = await startAll(world);
    try {
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC, ...inputByReference(world, SAMPLE_INPUT) });
      await settle(all);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      for (const v of verifiers) expect(v.logger.at("Verifier.watch").map((l) => l.msg)).to.deep.equal(["result matches within the model's tolerance"]);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(ethers.getBytes(output)).to.deep.equal(await honestOutput());
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("whose bytes do not hash to the committed inputHash is answered with the claim 0x00 01, not challenged by verifiers that abstain, and refunded", async function () {
    const world = await loadFixture(servedModel);
    const { all, verifiers } = await startAll(world);
    try {
      const other = encodeTensors({ x: { dtype: "float32", shape: [1, 4], data: [9, 9, 9, 9] } });
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC, ...inputByReference(world, other, SAMPLE_INPUT) });
      await settle(all);
      for (const v of verifiers) expect(v.logger.at("Verifier.watch").map((l) => l.msg)).to.deep.equal(["cannot re-run this job; not challenging"]);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Refunded);
      expect(ethers.getBytes(output)).to.deep.equal(invalidClaim("undecodableInput"));
      const refunds = await world.jobs.queryFilter(world.jobs.filters.JobRefunded(jobId));
      expect(refunds.map((r) => Number(r.args.reason))).to.deep.equal([RefundReason.InvalidInput]);
      expect(await world.disputes.disputeOfJob(jobId)).to.equal(0n);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("that is larger than its declared inputSize is answered with the claim 0x00 05 (the policy never allowed it)", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world);
    try {
      const params = { ...inputByReference(world, SAMPLE_INPUT), inputSize: SAMPLE_INPUT.length - 1 };
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE, ...params });
      await settle(all);
      const [, , output] = await world.jobs.resultOf(jobId);
      expect(ethers.getBytes(output)).to.deep.equal(invalidClaim("inputTooLarge"));
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });
});

describe("Executor: a QUORUM job", function () {
  it("is committed and revealed by three executor nodes, even across a restart between commit and reveal, and finalized once", async function () {
    const world = await loadFixture(exactModel);
    const first: TestNode[] = [];
    for (const signer of world.executors) first.push(await startNode(world, { signer, executor: true }));
    const before = await nonces(first);
    const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.QUORUM });
    expect(assigned).to.have.length(3);
    // Two members commit, then every node stops.
    await first[0].node.step();
    await first[1].node.step();
    expect((await world.quorum.roundOf(jobId)).commits).to.equal(2n);
    await closeAll(first);

    const restarted: TestNode[] = [];
    for (const n of first) restarted.push(await startNode(world, { signer: n.signer, executor: true, dbFile: n.dbFile, cacheDir: n.cacheDir }));
    try {
      await settle(restarted);
      // The hub keeps the winning hash only: the bytes are read back from the members' reveals.
      const result = await readResult(world.jobs, world.quorum, jobId, world.startBlock);
      expect(result.status).to.equal(Status.Finalized);
      expect(result.output).to.deep.equal(await honestOutput());
      expect(result.outputHash).to.equal(ethers.keccak256(result.output));
      const round = await world.quorum.roundOf(jobId);
      expect([round.commits, round.reveals, round.tallied]).to.deep.equal([3n, 3n, true]);
      // 3 commits + 3 reveals + 1 finalize, whoever sent it: nothing twice.
      const sent = (await nonces(restarted)).map((n, i) => n - before[i]);
      expect(sent.reduce((a, b) => a + b, 0)).to.equal(7);
      expect(errorsOf([...first, ...restarted])).to.deep.equal([]);
    } finally {
      await closeAll(restarted);
    }
  });
});
