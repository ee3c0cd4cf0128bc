import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import pino from "pino";
import os from "node:os";
import path from "node:path";
import { GlassboxNode } from "../src/node";
import { CursorStore } from "../src/chain/cursorStore";
import type { NodeLogger } from "../src/ops/logger";
import { Mode, Status, requestJob } from "../../../test/fixtures/protocol";
import { closeAll, errorsOf, honestOutput, nonces, perturb, rolesWorld, settle, startAll, startNode, type RolesWorld, type TestNode } from "./fixtures/roles";

const servedModel = () => rolesWorld();

/** New node instances on the same SQLite files and caches. */
async function restart(world: RolesWorld, nodes: TestNode[]): Promise<TestNode[]> {
  const again: TestNode[] = [];
  for (const n of nodes) {
    const executor = world.executors.some((e) => e.address === n.signer.address);
    again.push(await startNode(world, { signer: n.signer, executor, verifier: !executor, dbFile: n.dbFile, cacheDir: n.cacheDir }));
  }
  return again;
}

describe("GlassboxNode: processing the same logs twice", function () {
  it("sends no transaction a second time, whether it resumes from its cursor or is handed every log again", async function () {
    const world = await loadFixture(servedModel);
    // A cheated first attempt: submit, challenge, votes, reveals, resolve, resubmit and finalize all happen.
    const { all } = await startAll(world, { strategy: perturb(0.5, [1]) });
    const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
    await settle(all);
    await time.increase(Number(world.params.jobs.challengeWindow) + 1);
    await settle(all);
    expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
    await closeAll(all);
    const sent = await nonces(all);
    expect(sent.reduce((a, b) => a + b, 0)).to.be.greaterThan(0);

    const again = await restart(world, all);
    try {
      await settle(again);
      expect(await nonces(again)).to.deep.equal(sent);

      const logs = await ethers.provider.getLogs({
        address: [await world.jobs.getAddress(), await world.disputes.getAddress(), await world.quorum.getAddress()],
        fromBlock: world.startBlock,
        toBlock: "latest",
      });
      for (const n of again) {
        await n.node.onLogs(logs);
        await n.node.step();
      }
      expect(await nonces(again)).to.deep.equal(sent);
      expect(errorsOf([...all, ...again])).to.deep.equal([]);
    } finally {
      await closeAll(again);
    }
  });
});

describe("GlassboxNode: run", function () {
  it("serves jobs until its signal aborts, then returns after the running iteration", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world);
    const abort = new AbortController();
    const running = all.map((n) => n.node.run(abort.signal));
    try {
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
      const deadline = Date.now() + 10_000;
      while ((await world.jobs.jobOf(jobId)).status !== BigInt(Status.Finalized) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      abort.abort();
      await Promise.all(running);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(ethers.getBytes(output)).to.deep.equal(await honestOutput());
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      abort.abort();
      await Promise.all(running);
      await closeAll(all);
    }
  });
});

describe("GlassboxNode: logging", function () {
  it("takes a pino logger as its structured logger", async function () {
    const world = await loadFixture(servedModel);
    const logger: NodeLogger = pino({ level: "silent" });
    const node = new GlassboxNode(
      {
        jobRegistry: await world.jobs.getAddress(),
        dbFile: ":memory:",
        modelCacheDir: path.join(os.tmpdir(), "glassbox-pino-cache"),
        roles: { executor: false, verifier: true },
        watchShare: 1,
        confirmations: 0,
        maxRange: 1000,
        startBlock: world.startBlock,
        pollIntervalMs: 10,
      },
      { signer: world.verifiers[0], logger },
    );
    await node.init();
    try {
      expect(node.address).to.equal(world.verifiers[0].address);
      const step = await node.step();
      expect(step.poll?.to).to.equal(await ethers.provider.getBlockNumber());
    } finally {
      await node.close();
    }
  });
});

describe("GlassboxNode: a claim a crash left unsettled", function () {
  it("is released at start, and the job it was for is served (a settled claim is not)", async function () {
    const world = await loadFixture(servedModel);
    const { jobId, assigned, receipt } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
    const executor = world.executors.find((e) => e.address === assigned[0])!;
    const dbFile = path.join(world.tmp, `crashed-${Math.random().toString(36).slice(2)}.sqlite`);
    // What a crash between the claim and the receipt leaves behind: the claim, without its transaction.
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const scope = `${chainId}:${(await world.jobs.getAddress()).toLowerCase()}:${executor.address.toLowerCase()}`;
    const store = new CursorStore(dbFile, scope);
    store.claimAction(`submit:${jobId}:1`, receipt.blockNumber, "claimed");
    store.close();
    const node = await startNode(world, { signer: executor, executor: true, dbFile });
    try {
      expect(node.logger.at("Node.init").some((l) => (l.line.released as string[] | undefined)?.includes(`submit:${jobId}:1`))).to.equal(true);
      await settle([node]);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(errorsOf([node])).to.deep.equal([]);
    } finally {
      await closeAll([node]);
    }
  });
});
