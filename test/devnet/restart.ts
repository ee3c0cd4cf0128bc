/**
 * A node killed with SIGKILL in the middle of a job and started again, as separate processes
 * against a `hardhat node`: it finishes the job once, sends no duplicate transaction, and serves a
 * job assigned to it while it was down.
 *
 * The kill is placed deterministically: the chain's automine is off, so the node's submitResult
 * sits in the mempool (sent, not mined) when the process is killed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parseEther, type JsonRpcProvider } from "ethers";
import { JobRegistry__factory } from "../../packages/node/src/typechain";
import type { Deployment } from "../../packages/node/src";
import { bootDevnet } from "../../scripts/devnet/boot";
import { freePort, sleep, transactionsFrom, waitPendingFrom } from "../../scripts/devnet/chain";
import { DemoClient } from "../../scripts/devnet/client";
import { startNode, type NodeLaunch } from "../../scripts/devnet/nodes";
import { ProcessGroup } from "../../scripts/devnet/processes";
import { CLIENT_INDEXES, devnetWallet, type NodeSpec, type RegisteredModel } from "../../scripts/devnet/setup";

const ROOT = path.resolve(__dirname, "..", "..");
const EXECUTOR: NodeSpec = { name: "executor-under-test", role: "executor", accountIndex: 4, stake: parseEther("200") };
const STATUS_SUBMITTED = 3;

describe("a node killed mid-job (SIGKILL) and restarted", function () {
  this.timeout(300_000);
  const group = new ProcessGroup();
  let dir: string;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  let launch: NodeLaunch;
  let client: DemoClient;
  let mlp: RegisteredModel;
  const executor = devnetWallet(EXECUTOR.accountIndex).address;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-restart-"));
    const file = path.join(dir, "deployment.json");
    const booted = await bootDevnet(group, {
      root: ROOT,
      port: await freePort(),
      stateDir: dir,
      deploymentFile: file,
      fund: [CLIENT_INDEXES[0], EXECUTOR.accountIndex],
      stake: [EXECUTOR],
      // No audits: this test is about one executor's transactions, not committees (a registry with
      // no least audit rate, so the MLP may allow OPTIMISTIC at 0%).
      models: { names: ["mlp"], auditRateBps: 0 },
      params: (p) => ({ ...p, minAuditRateBps: 0 }),
    });
    const { chain } = booted;
    provider = chain.provider;
    deployment = booted.deployment;
    mlp = booted.models.get("mlp") as RegisteredModel;
    client = new DemoClient(devnetWallet(CLIENT_INDEXES[0], provider), deployment);
    await client.approve();
    launch = { root: ROOT, rpc: chain.url, deploymentFile: file, stateDir: dir, metricsPort: await freePort() };
  });

  after(async function () {
    await client?.close();
    await group.stopAll();
    provider?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("finishes the interrupted job once, serves the job it missed, and never sends twice", async function () {
    await provider.send("evm_setAutomine", [false]);
    await startNode(group, EXECUTOR, launch);

    // Job 1 is mined; blocks are mined by hand until its draw target has passed, the node assigns it
    // (mined like any transaction), sees its assignment and sends submitResult, which stays pending.
    const first = client.request(mlp, "OPTIMISTIC", mlp.model.input(), parseEther("1"), 4 * 3600);
    await mineWhenPending(provider, client.address);
    const job1 = (await first).jobId;
    const pendingSubmit = await mineUntilPendingCall(provider, executor, "submitResult");
    expect(JobRegistry__factory.createInterface().parseTransaction({ data: pendingSubmit.data })?.name).to.equal("submitResult");

    group.signal(EXECUTOR.name, "SIGKILL");
    await group.get(EXECUTOR.name)?.exited;

    // While it is down: its submission is mined, and job 2 is requested and assigned to it (the
    // client sends the `assign` once the draw's target has passed: anyone may).
    await provider.send("evm_mine", []);
    const second = client.request(mlp, "OPTIMISTIC", mlp.model.input(), parseEther("1"), 4 * 3600);
    await mineWhenPending(provider, client.address);
    const job2 = (await second).jobId;
    const jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
    expect(Number((await jobs.jobOf(job1)).status)).to.equal(STATUS_SUBMITTED);
    const target = Number((await jobs.jobOf(job2)).auditTarget);
    while ((await provider.getBlockNumber()) <= target) await provider.send("evm_mine", []);
    const assigning = JobRegistry__factory.connect(deployment.contracts.jobRegistry, devnetWallet(CLIENT_INDEXES[0], provider)).assign(job2);
    await mineWhenPending(provider, client.address);
    await (await assigning).wait();
    expect((await jobs.jobOf(job2)).executor).to.equal(executor);

    // Restarted with the same data directory: it backfills from its cursor.
    await provider.send("evm_setAutomine", [true]);
    await startNode(group, EXECUTOR, launch);
    const until = Date.now() + 120_000;
    while (Number((await jobs.jobOf(job2)).status) !== STATUS_SUBMITTED) {
      if (Date.now() > until) throw new Error(`job ${job2} was not served after the restart; see ${launch.stateDir}/${EXECUTOR.name}.log`);
      await sleep(250);
    }
    // Past both challenge windows: the node finalizes both jobs (its pending finalizes survived the kill).
    await provider.send("evm_increaseTime", [120]);
    await provider.send("evm_mine", []);
    expect(await client.settled(job1, 60_000)).to.equal("finalized");
    expect(await client.settled(job2, 60_000)).to.equal("finalized");
    expect((await client.verify(job1, mlp, mlp.model.input())).ok).to.equal(true);
    expect((await client.verify(job2, mlp, mlp.model.input())).ok).to.equal(true);

    // Every transaction the node ever sent, in order: one submit per job, no repeats, none reverted.
    const sent = await transactionsFrom(provider, executor);
    const iface = JobRegistry__factory.createInterface();
    const calls = sent
      .filter((tx) => tx.to?.toLowerCase() === deployment.contracts.jobRegistry.toLowerCase())
      .map((tx) => {
        const parsed = iface.parseTransaction({ data: tx.data });
        return `${parsed?.name}(${parsed?.args[0]})`;
      });
    expect(calls.slice(0, 3)).to.deep.equal([`assign(${job1})`, `submitResult(${job1})`, `submitResult(${job2})`]);
    expect(calls.slice(3).sort()).to.deep.equal([`finalize(${job1})`, `finalize(${job2})`].sort());
    for (const tx of sent) expect((await provider.getTransactionReceipt(tx.hash))?.status).to.equal(1);
    expect(await provider.getTransactionCount(executor)).to.equal(sent.length);
  });
});

/** Mines one block once a transaction from `from` is pending (automine is off). */
async function mineWhenPending(provider: JsonRpcProvider, from: string): Promise<void> {
  await waitPendingFrom(provider, from, 30_000);
  await provider.send("evm_mine", []);
}

/** Mines blocks (automine is off) until a transaction from `from` calling `method` is pending; returns it. */
async function mineUntilPendingCall(provider: JsonRpcProvider, from: string, method: string): Promise<{ hash: string; data: string }> {
  const iface = JobRegistry__factory.createInterface();
  // A bound on waiting, not a performance target: on two loaded cores (CI's three lanes) the node's
  // start-up, model load and run took over 60 s once.
  const until = Date.now() + 180_000;
  for (;;) {
    if (Date.now() > until) throw new Error(`no pending ${method} from ${from} within 180 s`);
    const seen = await waitPendingFrom(provider, from, 500).catch(() => undefined);
    if (seen && iface.parseTransaction({ data: seen.data })?.name === method) return seen;
    await provider.send("evm_mine", []);
  }
}
