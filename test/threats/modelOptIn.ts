/**
 * Executors drawn for models they do not run, and opt-ins timed after the randomness.
 *
 * (a) Before executors opted in per model, every staked executor was drawn for every model's jobs.
 * A node that did not have a job's model could not serve it: it timed out and paid `timeoutSlash`
 * (or forfeited its seat), and the job waited for another draw. Now each executor opts in to the
 * models it runs (`StakeManager.optIn`) and a job's executors are drawn from its model's pool only
 * (`JobSettlement._drawSeats` passes `job.modelId`; `StakeManager._pool`). With two models whose
 * executors each run one, every job goes to an executor of its model and nobody pays for a model it
 * never opted in to. Draw every job from one pool (make `_pool` ignore `modelId`) and both tests
 * of (a) fail: model-2 jobs land on model-1 executors, which time out and are slashed.
 *
 * (b) An opt-in or opt-out is written at the current stake epoch, so it changes only draws whose
 * snapshot is a later epoch. An executor that sees a job's draw randomness and then opts in to the
 * job's model (to take it) or out of it (to dodge it) does not change who is drawn: the job goes
 * to the executor an honest assign would have pinned before the change, which is the draw of the
 * snapshot of the epoch the draw was armed in. Read the pools live instead of at the snapshot (or
 * write an opt-in into the current snapshot) and both tests of (b) fail.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { takeSnapshot, loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionReceipt } from "ethers";
import {
  defaultPolicy,
  deployWorld,
  mineToDraw,
  Mode,
  nextEpoch,
  armedDrawOf,
  requestJob,
  requestParams,
  Role,
  SAMPLE_OUTPUT,
  signerOf,
  Status,
  TOKEN,
  type World,
} from "../fixtures/protocol";

/** Jobs per model in (a), jobs per test in (b). */
const JOBS = 20;
const LATE_JOBS = 12;
const STAKE = 200n * TOKEN;

// ---------------------------------------------------------------- (a) fixtures

/**
 * Four executors (200 GLASS each) and two models: executors 0 and 1 run model 1 only, executors 2
 * and 3 model 2 only (they opted out of model 1, which the world opted them in to, and in to model
 * 2); the stake epoch has turned since, so every draw sees those pools.
 */
async function twoModelsFixture() {
  const w = await deployWorld({ executors: 4, verifiers: 1 });
  await w.models.connect(w.modelOwner).registerModel(ethers.id("model-2-bytes"), "ipfs://model-2", defaultPolicy());
  const model2 = await w.models.modelCount();
  expect(model2).to.equal(2n);
  const runs = new Map<bigint, HardhatEthersSigner[]>([
    [1n, w.executors.slice(0, 2)],
    [2n, w.executors.slice(2, 4)],
  ]);
  for (const e of runs.get(2n)!) {
    await w.stakes.connect(e).optOut(1n);
    await w.stakes.connect(e).optIn(2n);
  }
  await nextEpoch(w);
  return { w, runs };
}

interface Served {
  /** Jobs assigned to an executor that did not opt in to their model. */
  misassigned: string[];
  /** Seats forfeited at assignment, and executors that timed out (they could not run the model). */
  forfeited: number;
  timedOut: number;
  /** Jobs each executor served. */
  servedBy: Map<string, number>;
}

/**
 * Requests JOBS NONE jobs on each model, interleaved, and plays the executors: one that runs the
 * job's model submits at once (a NONE job is final on submission, which frees its collateral); one
 * that does not cannot, so the execution window passes and the job is timed out (`timeoutSlash`).
 */
async function serveJobs(w: World, runs: Map<bigint, HardhatEthersSigner[]>): Promise<Served> {
  const out: Served = { misassigned: [], forfeited: 0, timedOut: 0, servedBy: new Map() };
  for (let i = 0; i < 2 * JOBS; i++) {
    const modelId = i % 2 === 0 ? 2n : 1n;
    const { jobId, assigned, assignReceipt } = await requestJob(w, { mode: Mode.NONE, modelId });
    out.forfeited += events(w, assignReceipt, "SeatForfeited").length;
    expect(assigned, `job ${jobId} (model ${modelId}) is assigned`).to.have.length(1);
    const executor = assigned[0];
    const runners = runs.get(modelId)!.map((e) => e.address);
    if (!runners.includes(executor)) {
      out.misassigned.push(`job ${jobId} of model ${modelId} -> ${executor}`);
      await time.increase(Number(w.params.jobs.executionWindow) + 1);
      await expect(w.jobs.timeout(jobId)).to.emit(w.jobs, "JobTimedOut");
      out.timedOut++;
      continue;
    }
    await w.jobs.connect(signerOf(w.executors, executor)).submitResult(jobId, SAMPLE_OUTPUT);
    expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
    out.servedBy.set(executor, (out.servedBy.get(executor) ?? 0) + 1);
  }
  return out;
}

function events(w: World, receipt: ContractTransactionReceipt, name: string) {
  return receipt.logs.map((l) => w.jobs.interface.parseLog(l)).filter((e) => e?.name === name);
}

// ---------------------------------------------------------------- (b) fixtures

/**
 * Three honest executors in model 1 (200 GLASS each) and an attacker executor with 10,000 GLASS
 * staked, 94% of all executor stake, that has not opted in to model 1: as the epoch begins, model
 * 1's snapshot holds the honest three only.
 */
async function lateOptInFixture() {
  const w = await deployWorld({ executors: 3, verifiers: 1 });
  const attacker = w.others[0];
  await w.token.mint(attacker.address, 10_000n * TOKEN);
  await w.stakes.connect(attacker).stake(Role.EXECUTOR, 10_000n * TOKEN);
  await nextEpoch(w);
  return { w, attacker };
}

/** Three executors in model 1, 200 GLASS each (the world as it is). */
async function optOutFixture() {
  return deployWorld({ executors: 3, verifiers: 1 });
}

/** Requests a NONE job on model 1 and mines until its draw's randomness is public; returns its id. */
async function armedJob(w: World): Promise<bigint> {
  const receipt = (await (await w.jobs.connect(w.requester).requestInference(await requestParams({ mode: Mode.NONE }))).wait())!;
  const jobId = events(w, receipt, "JobRequested")[0]!.args.jobId as bigint;
  await mineToDraw(w, jobId);
  return jobId;
}

/** Assigns `jobId` from `caller`; returns the executors of its JobAssigned (empty when none was). */
async function assign(w: World, jobId: bigint, caller: HardhatEthersSigner): Promise<string[]> {
  const receipt = (await (await w.jobs.connect(caller).assign(jobId)).wait())!;
  const assigned = events(w, receipt, "JobAssigned");
  return assigned.length === 0 ? [] : [...(assigned[0]!.args.executors as string[])];
}

/** What an honest assign would pin now: assigns from a fresh account, then rolls the chain back. */
async function honestPin(w: World, jobId: bigint): Promise<string[]> {
  const snapshot = await takeSnapshot();
  const pinned = await assign(w, jobId, w.others[5]);
  await snapshot.restore();
  return pinned;
}

// ---------------------------------------------------------------- tests

describe("Threat: executors drawn for models they do not run, and opt-ins timed after the draw's randomness", function () {
  describe("(a) a job's executors come from its model's pool only", function () {
    it(`assigns each of ${JOBS} jobs of model 2 (and ${JOBS} of model 1) to an executor that opted in to that model`, async function () {
      const { w, runs } = await loadFixture(twoModelsFixture);
      const served = await serveJobs(w, runs);
      expect(served.misassigned, "jobs drawn outside their model's pool").to.deep.equal([]);
      // Both executors of each model are drawn: the pools hold every executor that opted in.
      for (const e of w.executors) expect(served.servedBy.get(e.address) ?? 0, `jobs served by ${e.address}`).to.be.greaterThan(0);
      const total = [...served.servedBy.values()].reduce((a, b) => a + b, 0);
      expect(total).to.equal(2 * JOBS);
    });

    it(`costs no executor a seat or a timeout slash for a model it never opted in to (${2 * JOBS} jobs): every stake stays whole`, async function () {
      const { w, runs } = await loadFixture(twoModelsFixture);
      const served = await serveJobs(w, runs);
      expect(served.forfeited, "seats forfeited").to.equal(0);
      expect(served.timedOut, "jobs timed out by an executor without the model").to.equal(0);
      for (const e of w.executors) {
        const account = await w.stakes.accountOf(e.address, Role.EXECUTOR);
        expect([account.active, account.locked, account.jailed], `${e.address}'s stake`).to.deep.equal([STAKE, 0n, false]);
      }
    });
  });

  describe("(b) an opt-in or an opt-out after the draw was armed does not move the draw", function () {
    it(`gives the job to the executor the snapshot gives, though an executor with 94% of the stake opts in to its model once the randomness is public (${LATE_JOBS} jobs)`, async function () {
      const { w, attacker } = await loadFixture(lateOptInFixture);
      for (let i = 0; i < LATE_JOBS; i++) {
        const jobId = await armedJob(w);
        // The randomness is public: the attacker sees who an honest assign would pin...
        const pinned = await honestPin(w, jobId);
        expect(pinned, "the honest pin is the snapshot's draw").to.deep.equal(await armedDrawOf(w, jobId));
        // ...and opts in to the job's model before anyone assigns: it now holds 94% of the live pool.
        await expect(w.stakes.connect(attacker).optIn(w.modelId)).to.emit(w.stakes, "ModelOptedIn").withArgs(attacker.address, w.modelId);
        const live = await w.stakes.weightOf(attacker.address, Role.EXECUTOR, w.modelId);
        expect(live * 100n).to.be.greaterThan((await w.stakes.totalWeight(Role.EXECUTOR, w.modelId)) * 90n);
        const assigned = await assign(w, jobId, attacker);
        expect(assigned, `job ${jobId}: the executor pinned before the opt-in`).to.deep.equal(pinned);
        expect(assigned).to.not.include(attacker.address);
        await w.jobs.connect(signerOf(w.executors, assigned[0])).submitResult(jobId, SAMPLE_OUTPUT);
        // It leaves again, and the next job is armed in a later epoch, whose snapshot it is not in.
        await w.stakes.connect(attacker).optOut(w.modelId);
        await nextEpoch(w);
      }
      // The opt-in is real: made before an epoch begins, it counts in that epoch's draws, where the
      // attacker holds 94% of the pool (fewer than 4 jobs of 8 has a chance of about 3e-5).
      await w.stakes.connect(attacker).optIn(w.modelId);
      await nextEpoch(w);
      let attackerJobs = 0;
      for (let i = 0; i < 8; i++) {
        const { jobId, assigned } = await requestJob(w, { mode: Mode.NONE });
        if (assigned[0] === attacker.address) attackerJobs++;
        await w.jobs.connect(assigned[0] === attacker.address ? attacker : signerOf(w.executors, assigned[0])).submitResult(jobId, SAMPLE_OUTPUT);
      }
      expect(attackerJobs, "jobs the attacker took from the epoch after its opt-in").to.be.at.least(4);
    });

    it(`keeps an executor drawn by the snapshot on the job though it opts out of the model once the randomness is public; nobody is drawn in its place (${LATE_JOBS} jobs)`, async function () {
      const w = await loadFixture(optOutFixture);
      const dodgers = new Set<string>();
      for (let i = 0; i < LATE_JOBS; i++) {
        const jobId = await armedJob(w);
        const pinned = await honestPin(w, jobId);
        expect(pinned).to.have.length(1);
        expect(pinned, "the honest pin is the snapshot's draw").to.deep.equal(await armedDrawOf(w, jobId));
        // The drawn executor would rather not serve this job: it leaves the model before anyone assigns.
        const drawn = signerOf(w.executors, pinned[0]);
        await expect(w.stakes.connect(drawn).optOut(w.modelId)).to.emit(w.stakes, "ModelOptedOut").withArgs(drawn.address, w.modelId);
        expect(await w.stakes.weightOf(drawn.address, Role.EXECUTOR, w.modelId)).to.equal(0n);
        const assigned = await assign(w, jobId, w.requester);
        expect(assigned, `job ${jobId}: still the executor the snapshot drew`).to.deep.equal(pinned);
        dodgers.add(drawn.address);
        // The seat is its to serve; it serves, and comes back to the model (same epoch: no snapshot saw it leave).
        await w.jobs.connect(drawn).submitResult(jobId, SAMPLE_OUTPUT);
        await w.stakes.connect(drawn).optIn(w.modelId);
      }
      expect(dodgers.size, "distinct executors that tried to dodge").to.be.greaterThan(1);
    });
  });
});
