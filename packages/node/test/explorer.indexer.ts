/**
 * The explorer's index (src/explorer): a world with a NONE job finalized, an OPTIMISTIC one
 * finalized, a cancelled one, a QUORUM one and an OPTIMISTIC one judged Invalid by a committee
 * (its executor slashed) is indexed from its logs alone, and the index must equal the contracts;
 * a reorganisation must leave no step of the removed blocks; a restarted index must equal a fresh
 * one; a range handled twice changes nothing; jobs() pages and filters.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import Database from "better-sqlite3";
import { compareWithChain } from "../src/explorer/audit";
import type { ExplorerQueries } from "../src/explorer/queries";
import { createExplorerIndex, type ExplorerIndex } from "../src/explorer/runner";
import type { Deployment } from "../src/deployment";
import { assignJob, challengeDistinct, signerOf, Verdict, voteAll } from "../../../test/fixtures/protocol";
import { honestOutput } from "./fixtures/roles";
import { catchUp, dbFile, everything, openIndex } from "./fixtures/explorer";
import { clientOf, exactWorld, falsified, finalize, INPUT, post, runHonestQuorum } from "./fixtures/sdk";

/** The world: five jobs, one of each kind the explorer shows. */
async function explorerWorld() {
  // Index from the block before this world's deployment: the suite's earlier tests left thousands of blocks below it.
  const firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  const w = await exactWorld();
  const client = await clientOf(w, w.world.requester);
  const output = await honestOutput();
  const none = (await client.request({ model: w.modelId, input: INPUT, mode: "none" })).jobId;
  await post(w, none, output);
  const optimistic = (await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" })).jobId;
  await post(w, optimistic, output);
  await finalize(w, optimistic);
  const cancelled = (await client.request({ model: w.modelId, input: INPUT, mode: "none" })).jobId;
  await (await w.world.jobs.connect(w.world.requester).cancel(cancelled)).wait();
  const quorum = (await client.request({ model: w.modelId, input: INPUT, mode: "quorum" })).jobId;
  await runHonestQuorum(w, quorum, output);
  const disputed = (await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" })).jobId;
  const cheat = await post(w, disputed, falsified(output, 0.5));
  const { disputeId } = await challengeDistinct(w.world, disputed, w.world.verifiers[0]);
  await voteAll(w.world, disputeId, Verdict.Invalid);
  await (await w.world.jobs.resolveDispute(disputed)).wait();
  const deployment: Pick<Deployment, "contracts" | "deploymentBlock"> = { contracts: w.addresses, deploymentBlock: firstBlock };
  return { w, output, deployment, cheat: cheat.address, disputeId, jobs: { none, optimistic, cancelled, quorum, disputed } };
}

type ExplorerWorld = Awaited<ReturnType<typeof explorerWorld>>;

async function expectEqualToChain(x: ExplorerWorld, q: ExplorerQueries): Promise<void> {
  const all = [...x.w.world.executors, ...x.w.world.verifiers].map((s) => s.address);
  expect(await compareWithChain(q, ethers.provider, x.deployment, all)).to.deep.equal([]);
}

describe("ExplorerIndexer: an index built from logs alone equals the contracts", function () {
  it("agrees with JobRegistry, StakeManager and ModelRegistry on every job, node and model", async function () {
    const x = await loadFixture(explorerWorld);
    const index = openIndex(x.deployment, dbFile("explorer"));
    try {
      await catchUp(index);
      await expectEqualToChain(x, index.queries);
      const q = index.queries;
      expect(q.job(x.jobs.none)).to.deep.include({ status: "Finalized", mode: "NONE" });
      expect(q.job(x.jobs.optimistic)).to.deep.include({ status: "Finalized", mode: "OPTIMISTIC", disputed: false });
      expect(q.job(x.jobs.cancelled)).to.deep.include({ status: "Refunded", refundReason: "Cancelled" });
      expect(q.job(x.jobs.quorum)).to.deep.include({ status: "Finalized", mode: "QUORUM" });
      expect(q.job(x.jobs.disputed)).to.deep.include({ status: "Unassigned", disputed: true });
    } finally {
      await index.stop();
    }
  });

  it("tells a job's whole timeline: the SDK's progress steps and the request, fee split, credits and slashes", async function () {
    const x = await loadFixture(explorerWorld);
    const index = openIndex(x.deployment, dbFile("explorer"));
    try {
      await catchUp(index);
      const kinds = index.queries.job(x.jobs.none)!.timeline.map((s) => s.kind);
      expect(kinds.slice(0, 4)).to.deep.equal(["requested", "drawArmed", "assigned", "resultPosted"]);
      expect(kinds).to.include.members(["feePaid", "finalized"]);
      // The fee split credits the executor and the model owner without a Credited event: read from FeePaid.
      const none = index.queries.job(x.jobs.none)!;
      expect(none.payouts.map((p) => [p.as, p.amount])).to.deep.equal([
        ["executor", none.feeSplit!.executor],
        ["modelOwner", none.feeSplit!.modelOwner],
      ]);
      const detail = index.queries.job(x.jobs.disputed)!;
      const steps = detail.timeline.map((s) => s.kind);
      for (const k of ["requested", "resultPosted", "disputed", "challenged", "committeeDrawn", "voteCommitted", "voteRevealed", "disputeResolved", "disputeSettled", "collateralSlashed", "slashed", "drawArmed"]) {
        expect(steps, k).to.include(k);
      }
      expect(steps.indexOf("collateralSlashed")).to.be.greaterThan(steps.indexOf("disputeSettled"));
      const executorSlash = detail.slashes.find((s) => s.node === x.cheat);
      expect(executorSlash).to.deep.include({ role: "EXECUTOR", jobId: String(x.jobs.disputed), disputeId: String(x.disputeId) });
      expect(detail.disputes).to.have.length(1);
      expect(detail.disputes[0]).to.deep.include({ verdict: "Invalid", audit: false, challenger: x.w.world.verifiers[0].address });
      const dispute = index.queries.dispute(String(x.disputeId))!;
      expect(dispute.reveals.map((r) => r.verdict)).to.deep.equal(dispute.committee.map(() => "Invalid"));
      expect(dispute.slashes.map((s) => s.node)).to.include(x.cheat);
      expect(detail.payouts.some((p) => p.as === "challenger" && p.account === x.w.world.verifiers[0].address)).to.equal(true);
      const node = index.queries.node(x.cheat.toLowerCase())!;
      expect(node.disputesLost).to.equal(1);
      expect(BigInt(node.slashed)).to.be.greaterThan(0n);
      // QUORUM's output bytes are in the reveals only; the inline input in the request.
      expect(index.queries.revealedOutput(x.jobs.quorum)).to.equal(ethers.hexlify(x.output));
      expect(index.queries.jobInputBytes(x.jobs.none)).to.match(/^0x[0-9a-f]+$/);
      expect(index.queries.isKnownUri(x.w.modelUri)).to.equal(true);
      expect(index.queries.isKnownUri("http://169.254.169.254/latest")).to.equal(false);
    } finally {
      await index.stop();
    }
  });
});

describe("ExplorerIndexer: a reorganisation", function () {
  it("drops every step of the removed blocks and indexes the new chain's instead", async function () {
    const x = await loadFixture(explorerWorld);
    const { w } = x;
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const { assigned } = await assignJob(w.world, jobId);
    const index = openIndex(x.deployment, dbFile("explorer"));
    try {
      await catchUp(index);
      const snapshot = await takeSnapshot();
      // The removed chain: the job finalizes well above the fork (so only onReorg can forget it).
      await mine(40);
      await (await w.world.jobs.connect(signerOf(w.world.executors, assigned[0])).submitResult(jobId, x.output)).wait();
      await catchUp(index);
      expect(index.queries.job(jobId)!.status).to.equal("Finalized");
      // The new chain: shorter, and the executor misses its deadline instead.
      await snapshot.restore();
      await time.increase(Number(w.world.params.jobs.executionWindow) + 1);
      await (await w.world.jobs.timeout(jobId)).wait();
      await catchUp(index);
      const job = index.queries.job(jobId)!;
      expect(job.status).to.not.equal("Finalized");
      const kinds = job.timeline.map((s) => s.kind);
      expect(kinds).to.not.include("resultPosted");
      expect(kinds).to.not.include("finalized");
      expect(kinds).to.not.include("feePaid");
      expect(kinds).to.include("timedOut");
      expect(job.timeline.every((s) => s.block <= index.indexedBlock())).to.equal(true);
      await expectEqualToChain(x, index.queries);
    } finally {
      await index.stop();
    }
  });
});

describe("ExplorerIndexer: a restart", function () {
  it("backfills from its cursor to the head and ends equal to a fresh index and to the contracts", async function () {
    const x = await loadFixture(explorerWorld);
    const { w } = x;
    const file = dbFile("explorer");
    const first = openIndex(x.deployment, file, 20);
    const stopAt = (await ethers.provider.getBlockNumber()) - 30;
    while (first.indexedBlock() < stopAt) await first.poll();
    await first.stop();
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await post(w, jobId, x.output);
    await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const resumed = openIndex(x.deployment, file, 20);
    const fresh = openIndex(x.deployment, dbFile("explorer"));
    try {
      await catchUp(resumed);
      await catchUp(fresh);
      const head = await ethers.provider.getBlockNumber();
      expect(everything(resumed.queries, head)).to.deep.equal(everything(fresh.queries, head));
      expect(resumed.queries.job(jobId)!.status).to.equal("Finalized");
      await expectEqualToChain(x, resumed.queries);
    } finally {
      await resumed.stop();
      await fresh.stop();
    }
  });
});

describe("ExplorerIndexer: idempotence", function () {
  it("changes nothing when a range is handled twice", async function () {
    const x = await loadFixture(explorerWorld);
    const file = dbFile("explorer");
    const index = openIndex(x.deployment, file);
    try {
      await catchUp(index);
      const head = await ethers.provider.getBlockNumber();
      const tables = () => {
        const db = new Database(file, { readonly: true });
        try {
          const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('cursor', 'block_hashes', 'actions')").all() as { name: string }[]).map((t) => t.name);
          return Object.fromEntries(names.map((n) => [n, db.prepare(`SELECT * FROM ${n} ORDER BY 1, 2`).all()]));
        } finally {
          db.close();
        }
      };
      const before = { answers: everything(index.queries, head), tables: tables() };
      const logs = (await ethers.provider.getLogs({ address: index.indexer.addresses(), fromBlock: 0, toBlock: head }))
        .filter((l) => !l.removed)
        .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      await index.indexer.onLogs(logs, { from: 0, to: head });
      const middle = logs.filter((l) => l.blockNumber > head - 40);
      await index.indexer.onLogs(middle, { from: head - 39, to: head });
      expect({ answers: everything(index.queries, head), tables: tables() }).to.deep.equal(before);
    } finally {
      await index.stop();
    }
  });
});

describe("ExplorerQueries.jobs: paging and filters", function () {
  it("pages newest first, answers an empty page past the end with the right total, and filters by status, mode, model, node and requester", async function () {
    const x = await loadFixture(explorerWorld);
    const index = openIndex(x.deployment, dbFile("explorer"));
    try {
      await catchUp(index);
      const q = index.queries;
      const all = q.jobs({}, 1, 100);
      expect(all.total).to.equal(5);
      expect(all.items.map((j) => j.jobId)).to.deep.equal(["5", "4", "3", "2", "1"]);
      const page2 = q.jobs({}, 2, 2);
      expect(page2).to.deep.include({ page: 2, limit: 2, total: 5, pages: 3 });
      expect(page2.items.map((j) => j.jobId)).to.deep.equal(["3", "2"]);
      expect(q.jobs({}, 3, 2).items.map((j) => j.jobId)).to.deep.equal(["1"]);
      expect(q.jobs({}, 99, 2)).to.deep.include({ items: [], total: 5, pages: 3 });
      expect(q.jobs({ status: "Finalized" }, 1, 100).items.map((j) => j.jobId)).to.deep.equal([x.jobs.quorum, x.jobs.optimistic, x.jobs.none].map(String));
      expect(q.jobs({ status: "Refunded" }, 1, 100).items.map((j) => j.jobId)).to.deep.equal([String(x.jobs.cancelled)]);
      expect(q.jobs({ mode: "QUORUM" }, 1, 100).total).to.equal(1);
      expect(q.jobs({ mode: "OPTIMISTIC", status: "Finalized" }, 1, 100).items.map((j) => j.jobId)).to.deep.equal([String(x.jobs.optimistic)]);
      expect(q.jobs({ modelId: String(x.w.modelId) }, 1, 100).total).to.equal(5);
      expect(q.jobs({ modelId: 1 }, 1, 100).total).to.equal(0);
      expect(q.jobs({ requester: x.w.world.requester.address.toLowerCase() }, 1, 100).total).to.equal(5);
      expect(q.jobs({ requester: x.w.world.admin.address }, 1, 100).total).to.equal(0);
      expect(q.jobs({ node: x.cheat }, 1, 100).items.map((j) => j.jobId)).to.include(String(x.jobs.disputed));
      expect(q.jobs({ node: "not an address" }, 1, 100)).to.deep.include({ items: [], total: 0 });
      for (const j of q.jobs({ node: x.cheat }, 1, 100).items) expect(q.job(j.jobId)!.timeline.some((s) => s.kind === "assigned" && (s.detail.executors as string[]).includes(x.cheat))).to.equal(true);
    } finally {
      await index.stop();
    }
  });
});

describe("createExplorerIndex: confirmations and the polling loop", function () {
  it("indexes only blocks `confirmations` below the head, and start() catches up in the background until stop()", async function () {
    const x = await loadFixture(explorerWorld);
    const index = createExplorerIndex({ provider: ethers.provider, deployment: x.deployment, dbFile: dbFile("explorer"), confirmations: 3, maxRange: 25, pollMs: 10 });
    try {
      index.start();
      const head = await ethers.provider.getBlockNumber();
      for (let i = 0; i < 500 && index.indexedBlock() < head - 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(index.indexedBlock()).to.equal(head - 3);
      expect(index.queries.summary({ chainId: 31337, headBlock: head })).to.deep.include({ indexedBlock: head - 3, lagBlocks: 3 });
      await mine(2);
      for (let i = 0; i < 500 && index.indexedBlock() < head - 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(index.indexedBlock()).to.equal(head - 1);
    } finally {
      await index.stop();
    }
  });
});

describe("createExplorerIndex: its database", function () {
  it("refuses :memory: (the cursor store and the index must share one file)", async function () {
    const x = await loadFixture(explorerWorld);
    expect(() => openIndex(x.deployment, ":memory:")).to.throw(/dbFile must be a file: the cursor store and the index share it/);
  });
});
