import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Log } from "ethers";
import Database from "better-sqlite3";
import { CursorStore } from "../src/chain/cursorStore";
import { LogPoller, type LogHandler } from "../src/chain/logPoller";
import { readResult, RevealNotFoundError } from "../src/chain/results";
import { deployWorld, EXACT, Mode, requestJob, runQuorum, SAMPLE_OUTPUT, signerOf, Status } from "../../../test/fixtures/protocol";

async function chainFixture() {
  // An exact model, so that the reorg test can request a QUORUM job (QUORUM needs exact models).
  const world = await deployWorld({ executors: 3, verifiers: 3, policy: EXACT });
  return { world, startBlock: await ethers.provider.getBlockNumber() };
}

/** Records what the poller hands over. */
class Recorder implements LogHandler {
  readonly seen: Log[] = [];
  readonly reorgs: { fork: number; forgotten: string[] }[] = [];
  constructor(private readonly store: CursorStore) {}
  async onLogs(logs: Log[]): Promise<void> {
    for (const l of logs) {
      // Idempotent by construction: the action key is the log's identity.
      if (this.store.claimAction(`${l.transactionHash}:${l.index}`, l.blockNumber)) this.seen.push(l);
    }
  }
  async onReorg(fork: number, forgotten: string[]): Promise<void> {
    this.reorgs.push({ fork, forgotten });
    const gone = new Set(forgotten);
    for (let i = this.seen.length - 1; i >= 0; i--) if (gone.has(`${this.seen[i].transactionHash}:${this.seen[i].index}`)) this.seen.splice(i, 1);
  }
}

async function drain(poller: LogPoller) {
  for (let i = 0; i < 100; i++) if ((await poller.poll()) === undefined) return;
  throw new Error("poller did not catch up in 100 polls");
}

describe("CursorStore", function () {
  it("claims an action once and remembers the cursor", function () {
    const store = new CursorStore(":memory:", "test");
    expect(store.cursor()).to.equal(undefined);
    expect(store.claimAction("submit:1:1", 10)).to.equal(true);
    expect(store.claimAction("submit:1:1", 10)).to.equal(false);
    store.advance([{ block: 10, hash: "0xaa" }, { block: 12, hash: "0xbb" }]);
    expect(store.cursor()).to.deep.equal({ block: 12, hash: "0xbb" });
    expect(store.hashAt(10)).to.equal("0xaa");
    store.close();
  });

  it("forgets the actions and hashes above a rewind point", function () {
    const store = new CursorStore(":memory:", "test");
    store.claimAction("a", 5);
    store.claimAction("b", 9);
    store.advance([{ block: 5, hash: "0x05" }, { block: 9, hash: "0x09" }]);
    expect(store.rewind(5, "0x05")).to.deep.equal(["b"]);
    expect(store.hasAction("a")).to.equal(true);
    expect(store.hasAction("b")).to.equal(false);
    expect(store.hashAt(9)).to.equal(undefined);
    expect(store.cursor()).to.deep.equal({ block: 5, hash: "0x05" });
    store.close();
  });

  it("keeps the block each action's transaction was mined in, and replays from below the event of any mined above a fork", function () {
    const store = new CursorStore(":memory:", "test");
    store.claimAction("early", 5, "claimed");
    store.settleAction("early", "0xa", { block: 6, hash: "0x06" });
    store.claimAction("late-tx", 7, "claimed");
    store.settleAction("late-tx", "0xb", { block: 12, hash: "0x12" });
    store.claimAction("unmined", 8, "claimed");
    expect(store.newestMined()).to.deep.equal({ block: 12, hash: "0x12" });
    expect(store.minedAbove(6)).to.deep.equal([{ block: 12, hash: "0x12" }]);
    // A fork at 10 removed block 12: "late-tx"'s event (block 7) must be handled again.
    expect(store.replayFrom(10)).to.equal(6);
    expect(store.replayFrom(12)).to.equal(12);
    expect(store.rewind(store.replayFrom(10), "0x06").sort()).to.deep.equal(["late-tx", "unmined"]);
    expect(store.newestMined()).to.deep.equal({ block: 6, hash: "0x06" });
    store.close();
  });

  it("adds the mined-block columns to a store written before they existed", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-cursor-"));
    const file = path.join(dir, "old.sqlite");
    const old = new Database(file);
    old.exec("CREATE TABLE actions (scope TEXT NOT NULL, key TEXT NOT NULL, block INTEGER NOT NULL, detail TEXT, PRIMARY KEY (scope, key)); INSERT INTO actions VALUES ('test', 'old', 3, 'tx:0x1');");
    old.close();
    const store = new CursorStore(file, "test");
    expect(store.hasAction("old")).to.equal(true);
    expect(store.newestMined()).to.equal(undefined);
    store.claimAction("new", 4, "claimed");
    store.settleAction("new", "0x2", { block: 5, hash: "0x05" });
    expect(store.newestMined()).to.deep.equal({ block: 5, hash: "0x05" });
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("settles a claim with its transaction, releases one on demand, and releases every unsettled claim at once", function () {
    const store = new CursorStore(":memory:", "test");
    store.claimAction("mined", 5, "claimed");
    store.settleAction("mined", "0xabc");
    store.claimAction("crashed-1", 6, "claimed");
    store.claimAction("crashed-2", 7, "claimed");
    store.claimAction("failed", 8, "claimed");
    store.releaseAction("failed");
    expect(store.hasAction("failed")).to.equal(false);
    expect(store.releaseUnsettled().sort()).to.deep.equal(["crashed-1", "crashed-2"]);
    expect(store.hasAction("mined")).to.equal(true);
    expect(store.hasAction("crashed-1")).to.equal(false);
    expect(store.releaseUnsettled()).to.deep.equal([]);
    store.close();
  });

  it("keeps only the configured number of recent hashes", function () {
    const store = new CursorStore(":memory:", "test", 3);
    store.advance([1, 2, 3, 4, 5].map((b) => ({ block: b, hash: `0x0${b}` })));
    expect(store.oldestRecorded()).to.equal(3);
    store.close();
  });
});

describe("LogPoller", function () {
  it("backfills in bounded ranges, waits for confirmations, and hands every log over once", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    for (let i = 0; i < 3; i++) await requestJob(world, { mode: Mode.NONE });
    const store = new CursorStore(":memory:", "jobs");
    const recorder = new Recorder(store);
    const poller = new LogPoller(ethers.provider, store, recorder, {
      addresses: [await world.jobs.getAddress()],
      confirmations: 2,
      maxRange: 2,
      startBlock,
    });
    await drain(poller);
    const head = await ethers.provider.getBlockNumber();
    expect(store.cursor()!.block).to.equal(head - 2);
    await mine(2);
    await drain(poller);
    const expected = await ethers.provider.getLogs({ address: await world.jobs.getAddress(), fromBlock: startBlock, toBlock: head });
    expect(recorder.seen.map((l) => l.transactionHash + l.index)).to.deep.equal(expected.map((l) => l.transactionHash + l.index));
  });

  it("resumes from its persisted cursor after a restart and replays nothing twice", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-cursor-"));
    const file = path.join(dir, "node.sqlite");
    const options = { addresses: [await world.jobs.getAddress()], confirmations: 0, maxRange: 50, startBlock };
    const before = new CursorStore(file, "jobs");
    const first = new Recorder(before);
    await requestJob(world, { mode: Mode.NONE });
    await drain(new LogPoller(ethers.provider, before, first, options));
    before.close();
    await requestJob(world, { mode: Mode.NONE }); // happens while the node is down
    const after = new CursorStore(file, "jobs"); // a restarted node, same database file
    const second = new Recorder(after);
    await drain(new LogPoller(ethers.provider, after, second, options));
    after.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const firstTx = new Set(first.seen.map((l) => l.transactionHash));
    expect(second.seen.length).to.be.greaterThan(0);
    for (const l of second.seen) expect(firstTx.has(l.transactionHash)).to.equal(false);
  });

  it("detects a reorganisation by block hash, rewinds to the fork and replays the new branch", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const store = new CursorStore(":memory:", "jobs");
    const recorder = new Recorder(store);
    const poller = new LogPoller(ethers.provider, store, recorder, {
      addresses: [await world.jobs.getAddress()],
      confirmations: 0,
      maxRange: 100,
      startBlock,
    });
    await requestJob(world, { mode: Mode.NONE });
    await drain(poller);
    const fork = await ethers.provider.getBlockNumber();
    const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    const orphan = await requestJob(world, { mode: Mode.NONE });
    await mine(3);
    await drain(poller);
    expect(recorder.seen.some((l) => l.transactionHash === orphan.receipt.hash)).to.equal(true);

    await network.provider.send("evm_revert", [snapshot]);
    await mine(1); // a different block at the old height
    const replacement = await requestJob(world, { mode: Mode.QUORUM });
    await mine(4);
    await drain(poller);

    expect(recorder.reorgs.length).to.equal(1);
    expect(recorder.reorgs[0].fork).to.be.at.most(fork);
    expect(recorder.seen.some((l) => l.transactionHash === orphan.receipt.hash)).to.equal(false);
    expect(recorder.seen.some((l) => l.transactionHash === replacement.receipt.hash)).to.equal(true);
    const head = await ethers.provider.getBlock("latest");
    expect(store.cursor()).to.deep.equal({ block: head!.number, hash: head!.hash });
  });

  it("notices a reorganisation that removes only its own transaction, above the cursor, and replays the event that caused it", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const store = new CursorStore(":memory:", "jobs");
    const recorder = new Recorder(store);
    // Three confirmations: the cursor stays below the node's own transaction, so its hash alone
    // never shows the reorganisation.
    const poller = new LogPoller(ethers.provider, store, recorder, { addresses: [await world.jobs.getAddress()], confirmations: 3, maxRange: 100, startBlock });
    const job = await requestJob(world, { mode: Mode.NONE });
    await mine(3);
    await drain(poller);
    const seen = recorder.seen.find((l) => l.transactionHash === job.receipt.hash);
    expect(seen, "the request's event was handled").to.not.equal(undefined);
    const key = `${seen!.transactionHash}:${seen!.index}`;
    const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    // The node's action for that event: a transaction mined above the cursor, then settled.
    const [, , own] = await ethers.getSigners();
    const receipt = (await (await own.sendTransaction({ to: own.address, value: 1n })).wait())!;
    store.settleAction(key, receipt.hash, { block: receipt.blockNumber, hash: receipt.blockHash });
    await drain(poller);
    expect(store.cursor()!.block).to.be.below(receipt.blockNumber);
    expect(recorder.reorgs).to.deep.equal([]);

    await network.provider.send("evm_revert", [snapshot]);
    await mine(2); // other blocks at the same heights: the transaction is gone
    expect(await ethers.provider.getTransactionReceipt(receipt.hash)).to.equal(null);
    await drain(poller);

    expect(recorder.reorgs.length).to.equal(1);
    expect(recorder.reorgs[0].fork).to.equal(job.receipt.blockNumber - 1);
    expect(recorder.reorgs[0].forgotten).to.include(key);
    expect(recorder.seen.filter((l) => `${l.transactionHash}:${l.index}` === key).length, "the event was handed over again").to.equal(1);
    expect(store.hasAction(key)).to.equal(true);
  });

  it("reads one block a poll to check its own transactions while none was replaced", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const store = new CursorStore(":memory:", "jobs");
    let reads = 0;
    const counting = new Proxy(ethers.provider, {
      get(target, prop, receiver) {
        if (prop === "getBlock") return (...args: Parameters<typeof target.getBlock>) => (reads++, target.getBlock(...args));
        return Reflect.get(target, prop, receiver);
      },
    });
    const poller = new LogPoller(counting, store, new Recorder(store), { addresses: [await world.jobs.getAddress()], confirmations: 0, maxRange: 100, startBlock });
    await drain(poller);
    for (let i = 0; i < 5; i++) {
      const [, , own] = await ethers.getSigners();
      const receipt = (await (await own.sendTransaction({ to: own.address, value: 1n })).wait())!;
      store.claimAction(`own-${i}`, receipt.blockNumber);
      store.settleAction(`own-${i}`, receipt.hash, { block: receipt.blockNumber, hash: receipt.blockHash });
    }
    await drain(poller);
    reads = 0;
    await mine(1);
    await poller.poll();
    // The cursor's block, the newest own transaction's block, and the new range's last block.
    expect(reads).to.equal(3);
  });

  it("never runs two polls at once", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const store = new CursorStore(":memory:", "jobs");
    const poller = new LogPoller(ethers.provider, store, new Recorder(store), {
      addresses: [await world.jobs.getAddress()],
      confirmations: 0,
      maxRange: 1000,
      startBlock,
    });
    const [a, b] = [poller.poll(), poller.poll()];
    expect(a).to.equal(b);
    await a;
  });
});

describe("readResult", function () {
  it("reads an inline output from resultOf", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const { jobId, assigned } = await requestJob(world, { mode: Mode.NONE });
    await world.jobs.connect(signerOf(world.executors, assigned[0])).submitResult(jobId, SAMPLE_OUTPUT);
    const result = await readResult(world.jobs, world.quorum, jobId, startBlock);
    expect(result).to.deep.equal({ status: Status.Finalized, outputHash: ethers.keccak256(SAMPLE_OUTPUT), output: SAMPLE_OUTPUT, outputURI: "" });
  });

  it("gives a by-reference output's hash and URI with empty bytes (it fetches nothing)", async function () {
    const { world, startBlock } = await loadFixture(chainFixture);
    const { jobId, assigned } = await requestJob(world, { mode: Mode.NONE });
    const hash = ethers.keccak256(SAMPLE_OUTPUT);
    await world.jobs.connect(signerOf(world.executors, assigned[0])).submitResultRef(jobId, hash, "https://node.example/outputs/x");
    const result = await readResult(world.jobs, world.quorum, jobId, startBlock);
    expect(result).to.deep.equal({ status: Status.Finalized, outputHash: hash, output: new Uint8Array(0), outputURI: "https://node.example/outputs/x" });
  });

  describe("a QUORUM output (the hub keeps only its hash)", function () {
    async function finalizedQuorumJob() {
      const { world, startBlock } = await loadFixture(chainFixture);
      const { jobId, assigned } = await requestJob(world, { mode: Mode.QUORUM });
      await runQuorum(world, jobId, assigned, assigned.map(() => SAMPLE_OUTPUT));
      await world.jobs.finalize(jobId);
      expect((await world.jobs.resultOf(jobId)).output).to.equal("0x");
      return { world, startBlock, jobId };
    }

    it("reads the bytes back from a ResultRevealed event whose hash is the winning hash", async function () {
      const { world, startBlock, jobId } = await finalizedQuorumJob();
      const result = await readResult(world.jobs, world.quorum, jobId, startBlock);
      expect(result.status).to.equal(Status.Finalized);
      expect(result.outputHash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(result.output).to.deep.equal(SAMPLE_OUTPUT);
      expect(ethers.keccak256(result.output)).to.equal(result.outputHash);
    });

    it("throws RevealNotFoundError when the scan starts after the reveals", async function () {
      const { world, jobId } = await finalizedQuorumJob();
      const after = (await ethers.provider.getBlockNumber()) + 1;
      await mine(1);
      const read = readResult(world.jobs, world.quorum, jobId, after);
      await expect(read).to.be.rejectedWith(RevealNotFoundError, new RegExp(`job ${jobId}: no ResultRevealed with hash ${ethers.keccak256(SAMPLE_OUTPUT)} from block ${after} on`));
    });
  });
});
