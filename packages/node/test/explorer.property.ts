/**
 * The explorer's index as a property: over random sequences of protocol actions on the in-process
 * Hardhat chain (request NONE or OPTIMISTIC jobs, assign and submit honest or falsified results,
 * finalize, cancel, time out, dispute), interleaved with empty blocks, snapshots, reverts to an
 * earlier snapshot (a reorganisation: the blocks after it are replaced by whatever comes next),
 * polls of the index and restarts of it (stop, then reopen the same database file, which resumes
 * from its cursor), the index at the end
 *   (1) agrees with the contracts (audit.ts compareWithChain finds no mismatch),
 *   (2) answers every query exactly as a fresh index built from scratch over the same final chain
 *       (jobs with their timelines, payouts and slashes; nodes; models; disputes; the summary),
 *   (3) holds no step from a block the chain no longer has: every step's transaction has a receipt
 *       on the chain, in the step's block (number and hash).
 * The example tests (explorer.indexer.ts) check one reorganisation and one restart each; this
 * checks that any interleaving of them with the protocol's life leaves no trace of a removed block
 * and loses nothing a resumed index should have read. (1) and (3) are also checked after every
 * poll that catches the index up to the head.
 *
 * Size: EXPLORER_PROPERTY_RUNS (default 30) runs of up to EXPLORER_PROPERTY_ACTIONS (default 80) actions,
 * seed EXPLORER_PROPERTY_SEED (default 20261207, printed on failure). A reach check fails the test
 * when the runs never reverted a chain whose removed blocks held indexed events, never restarted
 * an index or never finalized a job, so a generator that stopped reorganising cannot pass silently.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import Database from "better-sqlite3";
import { compareWithChain } from "../src/explorer/audit";
import type { ExplorerQueries } from "../src/explorer/queries";
import type { ExplorerIndex } from "../src/explorer/runner";
import type { Deployment } from "../src/deployment";
import { assignJob, challengeDistinct, mineAfter, signerOf, Status, Verdict, voteAll } from "../../../test/fixtures/protocol";
import { honestOutput } from "./fixtures/roles";
import { catchUp, dbFile, everything, openIndex } from "./fixtures/explorer";
import { clientOf, exactWorld, falsified, INPUT } from "./fixtures/sdk";

const RUNS = Number(process.env.EXPLORER_PROPERTY_RUNS ?? 30);
const ACTIONS = Number(process.env.EXPLORER_PROPERTY_ACTIONS ?? 80);
const SEED = Number(process.env.EXPLORER_PROPERTY_SEED ?? 20261207);
// Generous: a failure's shrinking reruns the chain many times (minutes). fast-check stops at
// SHRINK_LIMIT_MS and reports the smallest counterexample so far, before mocha's timeout would hide it.
const TIMEOUT_MS = Math.max(900_000, RUNS * ACTIONS * 300);
const SHRINK_LIMIT_MS = TIMEOUT_MS - 120_000;

/** The world: the SDK's (3 executors, 4 verifiers, the MLP as model 2, exact) and the honest output. */
async function propertyWorld() {
  // Index from the block before this world's deployment: the suite's earlier tests left thousands of blocks below it.
  const firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  const w = await exactWorld();
  const output = await honestOutput();
  const deployment: Pick<Deployment, "contracts" | "deploymentBlock"> = { contracts: w.addresses, deploymentBlock: firstBlock };
  return { w, output, deployment };
}

type PropertyWorld = Awaited<ReturnType<typeof propertyWorld>>;

// ---------------------------------------------------------------- actions

const KIND_NAMES = ["request", "assignSubmit", "submit", "finalize", "cancel", "timeout", "dispute", "mine", "snapshot", "revert", "poll", "restart"] as const;
type Kind = (typeof KIND_NAMES)[number];
// A job needs several steps in order, so those come up more often than the chain's own moves.
const WEIGHTS: Record<Kind, number> = {
  request: 5,
  assignSubmit: 7,
  submit: 2,
  finalize: 4,
  cancel: 2,
  timeout: 2,
  dispute: 2,
  mine: 3,
  snapshot: 3,
  revert: 3,
  poll: 5,
  restart: 2,
};
const KINDS = KIND_NAMES.flatMap((k) => Array<Kind>(WEIGHTS[k]).fill(k));

interface Action {
  kind: Kind;
  a: number;
  b: number;
}

const actionArb: fc.Arbitrary<Action> = fc.record({
  // noBias: fast-check favours small integers by default, which would skew the action mix.
  kind: fc.noBias(fc.integer({ min: 0, max: KINDS.length - 1 })).map((i) => KINDS[i]),
  a: fc.noBias(fc.nat({ max: 1_000_000 })),
  b: fc.noBias(fc.nat({ max: 1_000_000 })),
});

function describeAction(x: Action): string {
  return `${x.kind}(${x.a},${x.b})`;
}

// ---------------------------------------------------------------- the index

async function expectEqualToChain(x: PropertyWorld, q: ExplorerQueries, when: string): Promise<void> {
  const all = [...x.w.world.executors, ...x.w.world.verifiers].map((s) => s.address);
  const mismatches = await compareWithChain(q, ethers.provider, x.deployment, all);
  expect(mismatches, `${when}: the index differs from the contracts`).to.deep.equal([]);
}

/** Invariant (3): every step of every job's timeline comes from a transaction the chain holds, in the step's block. */
async function expectNoStaleStep(q: ExplorerQueries, when: string): Promise<void> {
  for (const summary of q.jobs({}, 1, 100).items) {
    for (const step of q.job(summary.jobId)!.timeline) {
      const what = `${when}: job ${summary.jobId} step ${step.kind} (block ${step.block}, tx ${step.txHash})`;
      const receipt = await ethers.provider.getTransactionReceipt(step.txHash);
      expect(receipt, `${what}: the chain has no such transaction`).to.not.equal(null);
      const block = await ethers.provider.getBlock(step.block);
      expect(block, `${what}: the chain has no such block`).to.not.equal(null);
      expect(receipt!.blockNumber, `${what}: the transaction is in another block`).to.equal(step.block);
      expect(receipt!.blockHash, `${what}: the transaction's block is not the step's`).to.equal(block!.hash);
    }
  }
}

/** How many indexed events of `file` lie above `block`. */
function eventsAbove(file: string, block: number): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM events WHERE block > ?").get(block) as { n: number }).n;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- the model

/** What the harness remembers of a job beside the chain (restored with the chain on a revert). */
interface JobModel {
  id: bigint;
  mode: "none" | "optimistic";
  /** Whether the result posted last was falsified (undefined before a result). */
  falsified?: boolean;
}

interface Model {
  jobs: JobModel[];
}

interface Snapshot {
  id: string;
  block: number;
  model: Model;
}

function copyModel(m: Model): Model {
  return { jobs: m.jobs.map((j) => ({ ...j })) };
}

/** Reach figures over every run of the property. */
const reach = {
  runs: 0,
  actions: 0,
  skipped: 0,
  reverts: 0,
  /** Reverts whose removed blocks held events the index had stored. */
  revertsRemovingIndexed: 0,
  /** Polls that noticed a reorganisation. */
  reorgsNoticed: 0,
  restarts: 0,
  finalized: 0,
  cancelled: 0,
  timedOut: 0,
  disputes: 0,
  /** Jobs Finalized in the final indexes. */
  finalizedAtEnd: 0,
  /** Per kind: [run, skipped]. */
  kinds: {} as Record<string, [number, number]>,
};

class Harness {
  model: Model = { jobs: [] };
  snapshots: Snapshot[] = [];
  index: ExplorerIndex;

  constructor(
    readonly x: PropertyWorld,
    readonly file: string,
    readonly maxRange: number,
  ) {
    this.index = openIndex(x.deployment, file, maxRange);
  }

  private get world() {
    return this.x.w.world;
  }

  /** A job of the model in one of `statuses` (and `mode`), searched from offset `seed`. */
  private async pick(seed: number, statuses: number[], mode?: "none" | "optimistic") {
    const jobs = this.model.jobs;
    for (let k = 0; k < jobs.length; k++) {
      const j = jobs[(seed + k) % jobs.length];
      if (mode !== undefined && j.mode !== mode) continue;
      const onChain = await this.world.jobs.jobOf(j.id);
      if (statuses.includes(Number(onChain.status))) return { model: j, onChain };
    }
    return undefined;
  }

  /** Posts the honest output, or a falsified one, as `jobId`'s assigned executor. */
  private async submit(j: JobModel, executor: string, lie: boolean): Promise<void> {
    const output = lie ? falsified(this.x.output, 0.5) : this.x.output;
    await (await this.world.jobs.connect(signerOf(this.world.executors, executor)).submitResult(j.id, output)).wait();
    j.falsified = lie;
  }

  /** Runs one action; false when it was not possible in the current state (skipped). */
  async run({ kind, a, b }: Action): Promise<boolean> {
    const w = this.world;
    switch (kind) {
      case "request": {
        const mode = b % 3 === 0 ? "none" : "optimistic";
        // A client per request: a client remembers its next nonce, which a revert takes back.
        const client = await clientOf(this.x.w, w.requester);
        const { jobId } = await client.request({ model: this.x.w.modelId, input: INPUT, mode });
        this.model.jobs.push({ id: jobId, mode });
        return true;
      }
      case "assignSubmit": {
        const pick = await this.pick(a, [Status.Unassigned]);
        if (!pick) return false;
        const { assigned } = await assignJob(w, pick.model.id);
        // No executor could be drawn (all slashed below their collateral, say): the draw was re-armed.
        if (assigned.length === 0) return true;
        // Now and then the executor lets its window pass instead (a later timeout).
        if (b % 3 === 0) return true;
        await this.submit(pick.model, assigned[0], b % 5 < 2);
        return true;
      }
      case "submit": {
        const pick = await this.pick(a, [Status.Assigned]);
        if (!pick || Number(pick.onChain.phaseEnd) <= (await time.latest()) + 1) return false;
        await this.submit(pick.model, pick.onChain.executor, b % 5 < 2);
        return true;
      }
      case "finalize": {
        const pick = await this.pick(a, [Status.Submitted], "optimistic");
        if (!pick) return false;
        const end = Number(pick.onChain.phaseEnd);
        if ((await time.latest()) <= end) await time.increaseTo(end + 1);
        await mineAfter(pick.onChain.auditTarget);
        await (await w.jobs.finalize(pick.model.id)).wait();
        expect(Number((await w.jobs.jobOf(pick.model.id)).status), `job ${pick.model.id} finalized`).to.equal(Status.Finalized);
        reach.finalized++;
        return true;
      }
      case "cancel": {
        // A requester may cancel only while the draw's randomness is unknown (its target block not mined).
        const pick = await this.pick(a, [Status.Unassigned]);
        if (!pick || (await ethers.provider.getBlockNumber()) + 1 > Number(pick.onChain.auditTarget)) return false;
        await (await w.jobs.connect(w.requester).cancel(pick.model.id)).wait();
        reach.cancelled++;
        return true;
      }
      case "timeout": {
        const pick = await this.pick(a, [Status.Assigned]);
        if (!pick) return false;
        const end = Number(pick.onChain.phaseEnd);
        if ((await time.latest()) <= end) await time.increaseTo(end + 1);
        await (await w.jobs.timeout(pick.model.id)).wait();
        reach.timedOut++;
        return true;
      }
      case "dispute": {
        // A verifier challenges a result within its window; the committee votes it Invalid if it was falsified.
        const pick = await this.pick(a, [Status.Submitted], "optimistic");
        if (!pick || Number(pick.onChain.phaseEnd) <= (await time.latest()) + 1) return false;
        const { disputeId } = await challengeDistinct(w, pick.model.id, w.verifiers[b % w.verifiers.length]);
        await voteAll(w, disputeId, pick.model.falsified ? Verdict.Invalid : Verdict.Valid);
        await (await w.jobs.resolveDispute(pick.model.id)).wait();
        reach.disputes++;
        return true;
      }
      case "mine": {
        await mine((b % 8) + 1);
        return true;
      }
      case "snapshot": {
        const id = (await network.provider.send("evm_snapshot", [])) as string;
        this.snapshots.push({ id, block: await ethers.provider.getBlockNumber(), model: copyModel(this.model) });
        return true;
      }
      case "revert": {
        if (this.snapshots.length === 0) return false;
        const i = a % this.snapshots.length;
        const s = this.snapshots[i];
        // Half the time the index first reads the blocks about to be removed, so that the reorganisation takes indexed steps away.
        if (b % 2 === 0) await this.catchUp();
        if (eventsAbove(this.file, s.block) > 0) reach.revertsRemovingIndexed++;
        expect(await network.provider.send("evm_revert", [s.id]), `evm_revert ${s.id}`).to.equal(true);
        // Snapshot ids are single-use: this one and every later one are gone.
        this.snapshots.splice(i);
        this.model = copyModel(s.model);
        expect(await ethers.provider.getBlockNumber(), "the chain's height after the revert").to.equal(s.block);
        expect(Number(await w.jobs.jobCount()), "the model's jobs after the revert").to.equal(this.model.jobs.length);
        reach.reverts++;
        // The new chain: a few blocks of other content (often more follows from later actions).
        await mine((b % 3) + 1);
        return true;
      }
      case "poll": {
        if (b % 2 === 0) {
          const result = await this.index.poll();
          if (result?.reorgedTo !== undefined) reach.reorgsNoticed++;
          return true;
        }
        const head = await this.catchUp();
        await expectEqualToChain(this.x, this.index.queries, `after catching up to block ${head}`);
        await expectNoStaleStep(this.index.queries, `after catching up to block ${head}`);
        return true;
      }
      case "restart": {
        await this.index.stop();
        this.index = openIndex(this.x.deployment, this.file, this.maxRange);
        reach.restarts++;
        return true;
      }
    }
  }

  /** Polls until the index holds the chain's head (at least once); returns the head. */
  private async catchUp(): Promise<number> {
    const head = await ethers.provider.getBlockNumber();
    for (let i = 0; i < 10_000 && (i === 0 || this.index.indexedBlock() !== head); i++) {
      const result = await this.index.poll();
      if (result?.reorgedTo !== undefined) reach.reorgsNoticed++;
    }
    expect(this.index.indexedBlock(), "the index never reached the head").to.equal(head);
    return head;
  }

  /** The invariants at the end of a run: the index caught up equals the chain and a fresh index. */
  async check(): Promise<void> {
    const head = await this.catchUp();
    await expectEqualToChain(this.x, this.index.queries, "at the end");
    await expectNoStaleStep(this.index.queries, "at the end");
    const fresh = openIndex(this.x.deployment, dbFile("explorer-property"), 500);
    try {
      await catchUp(fresh);
      expect(everything(this.index.queries, head), "the index differs from a fresh index of the same chain").to.deep.equal(everything(fresh.queries, head));
    } finally {
      await fresh.stop();
    }
    reach.finalizedAtEnd += this.index.queries.jobs({ status: "Finalized" }, 1, 100).total;
  }
}

describe("ExplorerIndexer (property): reorganisations and restarts leave an index equal to the chain and to a fresh index", function () {
  this.timeout(TIMEOUT_MS);

  it(`random protocol actions, snapshots, reverts, polls and restarts (${RUNS} runs x up to ${ACTIONS} actions, seed ${SEED})`, async function () {
    // Deploys the world once, before the runs (each run reverts to it).
    await loadFixture(propertyWorld);
    const property = fc.asyncProperty(
      // 1 to ACTIONS actions (size "max": lengths spread over the whole range); a failure shrinks to a shorter sequence.
      fc.array(actionArb, { minLength: 1, maxLength: ACTIONS, size: "max" }),
      // Small ranges too: a poll then covers part of the chain, and a restart resumes mid-way.
      fc.constantFrom(1, 3, 10, 500),
      async (actions, maxRange) => {
        const x = await loadFixture(propertyWorld);
        const h = new Harness(x, dbFile("explorer-property"), maxRange);
        reach.runs++;
        const done: string[] = [];
        try {
          for (const action of actions) {
            reach.actions++;
            try {
              const ran = await h.run(action);
              const k = (reach.kinds[action.kind] ??= [0, 0]);
              k[ran ? 0 : 1]++;
              if (!ran) reach.skipped++;
            } catch (err) {
              throw new Error(`${describeAction(action)} failed after [${done.join(", ")}]: ${err instanceof Error ? err.message : String(err)}`);
            }
            done.push(describeAction(action));
          }
          await h.check();
        } finally {
          await h.index.stop();
        }
      },
    );
    const started = Date.now();
    try {
      await fc.assert(property, { numRuns: RUNS, seed: SEED, verbose: 0, interruptAfterTimeLimit: SHRINK_LIMIT_MS, markInterruptAsFailure: true });
    } catch (err) {
      // fast-check 4 keeps the failing run's own error as `cause`.
      const cause = err instanceof Error && err.cause !== undefined ? `\nCaused by: ${err.cause instanceof Error ? err.cause.message : String(err.cause)}` : "";
      throw new Error(`explorer property failed (EXPLORER_PROPERTY_SEED=${SEED}): ${err instanceof Error ? err.message : String(err)}${cause}`);
    }
    console.log(`      explorer property: ${JSON.stringify(reach)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(reach.revertsRemovingIndexed, "no revert removed a block whose events were indexed").to.be.greaterThan(0);
    expect(reach.reorgsNoticed, "no poll noticed a reorganisation").to.be.greaterThan(0);
    expect(reach.restarts, "no index was restarted").to.be.greaterThan(0);
    expect(reach.finalized, "no job was finalized").to.be.greaterThan(0);
    expect(reach.finalizedAtEnd, "no final index held a finalized job").to.be.greaterThan(0);
  });
});
