import { expect } from "chai";
import Database from "better-sqlite3";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeTensors, invalidClaim } from "../src/codec/tensor";
import { Mode, RandomnessStatus, RefundReason, SAMPLE_INPUT, Status, randomnessSource, requestJob } from "../../../test/fixtures/protocol";
import { EXACT_MLP, closeAll, errorsOf, honestOutput, inputByReference, nodeOf, nonces, rolesWorld, settle, startAll, startNode, type TestNode } from "./fixtures/roles";
import { readResult } from "../src/chain/results";
import { RECORD_AFTER_BLOCKS } from "../src/roles/executor";

const servedModel = () => rolesWorld();
const exactModel = () => rolesWorld(undefined, EXACT_MLP);
/**
 * The MLP with an audit rate of 1 bp: above 0, so that its audit coin is read at all (at 0 the hub
 * never reads it and a lost coin would change nothing), and as low as the registry takes, so that
 * the coin all but never picks the job: a job audited here was audited because its coin was lost.
 */
const rarelyAuditedModel = () => rolesWorld(undefined, { auditRateBps: 1 });

/** Blocks `blockhash` keeps (Hardhat 2.29's EIP-2935 history contract is a stub that always reverts). */
const BLOCKHASH_WINDOW = 256;

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

describe("Executor: an audit coin nobody finalizes in time", function () {
  it("is recorded by the executor node once its target is more than 128 blocks old (not before), so the job is finalized, not audited for a lost coin", async function () {
    const world = await loadFixture(rarelyAuditedModel);
    // Executor nodes only: a verifier node starts the audit as soon as a coin that picks the job is
    // known, which would leave nothing to record in the rare run where the coin picks this job.
    const executors: TestNode[] = [];
    for (const signer of world.executors) executors.push(await startNode(world, { signer, executor: true }));
    try {
      const source = await randomnessSource(world);
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(executors);
      const job = await world.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Submitted);
      const target = Number(job.auditTarget);
      const executor = nodeOf(executors, assigned[0]);
      const recordLines = () => executor.logger.at("Executor.recordAuditCoin");
      const recorded = () => source.queryFilter(source.filters.RandomnessRecorded(target));

      // Head at target + 128: the coin is still safe for 128 blocks; the node sends nothing.
      const head = await ethers.provider.getBlockNumber();
      expect(head).to.be.below(target + RECORD_AFTER_BLOCKS);
      await mine(target + RECORD_AFTER_BLOCKS - head);
      expect(await ethers.provider.getBlockNumber()).to.equal(target + RECORD_AFTER_BLOCKS);
      const [before] = await nonces([executor]);
      for (const n of executors) await n.node.step();
      expect(recordLines()).to.deep.equal([]);
      expect(await recorded()).to.deep.equal([]);
      expect(await nonces([executor])).to.deep.equal([before]);

      // One block later the job still waits for finalize (the challenge window has not ended), so its
      // executor records the coin, once.
      await mine();
      for (const n of executors) await n.node.step();
      expect(recordLines().map((l) => [l.level, l.msg])).to.deep.equal([["info", "sent"]]);
      const events = await recorded();
      expect(events).to.have.length(1);
      expect((await events[0].getTransaction()).from).to.equal(executor.signer.address);
      expect(await nonces([executor])).to.deep.equal([before + 1]);
      for (const n of executors) await n.node.step();
      expect(recordLines()).to.have.length(1);

      // Past blockhash's window the coin is still Ready (unrecorded it would read Lost, i.e. audit),
      // and the challenge window is still open: nobody could have finalized yet.
      await mine(BLOCKHASH_WINDOW + 1);
      expect(await ethers.provider.getBlockNumber()).to.be.above(target + BLOCKHASH_WINDOW);
      const [status, value] = await source.randomnessOf(target);
      expect([Number(status), value]).to.deep.equal([RandomnessStatus.Ready, events[0].args.value]);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      expect(await time.latest()).to.be.at.most(Number(job.phaseEnd));
      // The coin as JobSettlement.auditCoin draws it from the recorded value (a lost coin would read
      // as picked, so `auditSelected` alone could not tell the two apart).
      const coin = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "string"], [value, jobId, "audit"]));
      const selected = BigInt(coin) % 10_000n < 1n;
      expect(await world.jobs.auditSelected(jobId)).to.deep.equal([true, selected]);

      // After the window the executor finalizes; the job is audited only if its recorded coin picked it
      // (1 in 10,000).
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(executors);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(selected ? Status.Disputed : Status.Finalized);
      if (!selected) expect(await world.disputes.disputeOfJob(jobId)).to.equal(0n);
      expect(recordLines()).to.have.length(1);
      expect(errorsOf(executors)).to.deep.equal([]);
    } finally {
      await closeAll(executors);
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

  it("is revealed by members whose reveal state an older node stored (kind executor.reveal), after an upgrade between commit and reveal", async function () {
    const world = await loadFixture(exactModel);
    const first: TestNode[] = [];
    for (const signer of world.executors) first.push(await startNode(world, { signer, executor: true }));
    const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.QUORUM });
    await first[0].node.step();
    await first[1].node.step();
    expect((await world.quorum.roundOf(jobId)).commits).to.equal(2n);
    await closeAll(first);
    // What the node before typed timed actions left in its file: the same rows under the role-prefixed kinds.
    for (const n of first.slice(0, 2)) {
      const db = new Database(n.dbFile);
      expect(db.prepare("UPDATE pending_actions SET kind = 'executor.reveal' WHERE kind = 'revealResult'").run().changes).to.equal(1);
      db.close();
    }

    const restarted: TestNode[] = [];
    for (const n of first) restarted.push(await startNode(world, { signer: n.signer, executor: true, dbFile: n.dbFile, cacheDir: n.cacheDir }));
    try {
      await settle(restarted);
      const round = await world.quorum.roundOf(jobId);
      expect([round.commits, round.reveals, round.tallied]).to.deep.equal([3n, 3n, true]);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(errorsOf([...first, ...restarted])).to.deep.equal([]);
    } finally {
      await closeAll(restarted);
    }
  });
});
