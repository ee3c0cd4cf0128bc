/**
 * One chaos scenario's devnet: a fresh local chain (`hardhat node` with automine and a clock the
 * scenario runs, or anvil mining a block a second in real time), the protocol deployed, the MLP
 * registered, the scenario's nodes staked and started (through an optional RPC proxy), and a demo
 * client. Everything it starts belongs to one ProcessGroup that `stop` tears down.
 */
import type { NetworkParams } from "../../deploy/params";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther, type JsonRpcProvider, type TransactionResponse } from "ethers";
import { JobRegistry__factory } from "../../packages/node/src/typechain";
import type { Deployment } from "../../packages/node/src";
import { bootDevnet } from "../devnet/boot";
import { ANVIL_BLOCK_TIME, Clock, DEFAULT_CLOCK, freePort, sleep, type ChainKind, type ClockOptions } from "../devnet/chain";
import { DemoClient } from "../devnet/client";
import { startNode, type NodeLaunch, type RunningNode } from "../devnet/nodes";
import { ProcessGroup } from "../devnet/processes";
import { CLIENT_INDEXES, devnetWallet, type NodeSpec, type RegisteredModel } from "../devnet/setup";

export const ROOT = path.resolve(__dirname, "..", "..");
export const FEE = parseEther("1");
/** Chain seconds a client gives each job. */
export const DEADLINE_SECONDS = 4 * 3600;

export const executorSpec = (n: number): NodeSpec => ({ name: `executor-${n}`, role: "executor", accountIndex: 3 + n, stake: parseEther("200") });
/** Verifiers use accounts 10.. so that executors 1..6 and verifiers never share a key. */
export const verifierSpec = (n: number): NodeSpec => ({ name: `verifier-${n}`, role: "verifier", accountIndex: 9 + n, stake: parseEther("200") });

export interface DevnetSpec {
  name: string;
  /** Default: hardhat. */
  chain?: ChainKind;
  nodes: NodeSpec[];
  /**
   * Share of OPTIMISTIC jobs audited unasked (default 500, the least rate localhost's registry takes
   * for OPTIMISTIC); 0 deploys a registry without a least rate, for devnets without verifiers, where
   * an audit could only end Undecided.
   */
  auditRateBps?: number;
  /** Start the nodes' RPC through this URL instead of the chain's (the proxy of scenario c). */
  rpcFor?: (chainUrl: string) => Promise<string>;
}

export interface Devnet {
  /** The chain's and the nodes' logs and state; removed by `stop` unless `keep` (or CHAOS_KEEP) is set. */
  dir: string;
  keep: boolean;
  /** hardhat: automine, time moves only with the clock; anvil: a block a second, real time. */
  chain: ChainKind;
  group: ProcessGroup;
  provider: JsonRpcProvider;
  chainUrl: string;
  deployment: Deployment;
  deploymentFile: string;
  mlp: RegisteredModel;
  client: DemoClient;
  nodes: Map<string, RunningNode>;
  launch: (spec: NodeSpec) => NodeLaunch;
  /** Every node staked in this devnet, running or not (the accounting check sums their stakes). */
  staked: NodeSpec[];
  clock?: Clock;
  /**
   * hardhat: time starts running (the clock mines a block per tick, 10x the wall clock); anvil:
   * nothing to do, its time always runs (a block a second, real time).
   */
  startClock(options?: ClockOptions): void;
  stopClock(): Promise<void>;
  /**
   * Wall-clock ms that `chainSeconds` of chain time take while time runs: a tenth on hardhat's
   * clock, all of it on anvil. Scenarios size their waits with it.
   */
  wallMs(chainSeconds: number): number;
  startNode(spec: NodeSpec): Promise<RunningNode>;
  stop(): Promise<void>;
}

let latestDir: string | undefined;

/** The directory of the devnet started last (main.ts shows its logs when a scenario overruns). */
export function latestDevnetDir(): string | undefined {
  return latestDir;
}

/** Starts the devnet of `spec`; the caller must call `stop` (in a finally). */
export async function startDevnet(spec: DevnetSpec): Promise<Devnet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `glassbox-chaos-${spec.name}-`));
  latestDir = dir;
  const group = new ProcessGroup();
  const unhook = group.stopOnExit();
  const cleanup: (() => Promise<void> | void)[] = [];
  const partial: { provider?: JsonRpcProvider; client?: DemoClient; clock?: Clock } = {};
  const stop = async () => {
    await partial.clock?.stop();
    await partial.client?.close().catch(() => undefined);
    await group.stopAll();
    for (const c of cleanup.reverse()) await c();
    partial.provider?.destroy();
    unhook();
  };
  try {
    const deploymentFile = path.join(dir, "deployment.json");
    const booted = await bootDevnet(group, {
      root: ROOT,
      port: await freePort(),
      chain: spec.chain ?? "hardhat",
      stateDir: dir,
      deploymentFile,
      fund: [...CLIENT_INDEXES, ...spec.nodes.map((n) => n.accountIndex)],
      stake: spec.nodes,
      // 5%: the least audit rate the registry takes for a model that allows OPTIMISTIC.
      models: { names: ["mlp"], auditRateBps: spec.auditRateBps ?? 500 },
      ...(spec.auditRateBps === 0 ? { params: (p: NetworkParams) => ({ ...p, minAuditRateBps: 0 }) } : {}),
    });
    const { chain, deployment, models } = booted;
    const provider = chain.provider;
    partial.provider = provider;
    const kind: ChainKind = spec.chain ?? "hardhat";
    if (kind === "hardhat") {
      // A live chain keeps producing blocks, and draws wait for one after their target: while no
      // clock runs and automine is on, an empty block every second (chain time does not jump).
      // Anvil mines on its own.
      const heartbeat = setInterval(() => {
        if (!partial.clock && !manualMining.has(provider)) provider.send("evm_mine", []).catch(() => undefined);
      }, HEARTBEAT_MS);
      cleanup.push(() => clearInterval(heartbeat));
    }
    const client = new DemoClient(devnetWallet(CLIENT_INDEXES[0], provider), deployment);
    partial.client = client;
    await client.approve();
    const nodeRpc = spec.rpcFor ? await spec.rpcFor(chain.url) : chain.url;
    const ports = new Map<string, number>();
    for (const n of spec.nodes) ports.set(n.name, await freePort());
    const launch = (n: NodeSpec): NodeLaunch => ({ root: ROOT, rpc: nodeRpc, deploymentFile, stateDir: dir, metricsPort: ports.get(n.name) as number });
    const nodes = new Map<string, RunningNode>();
    const devnet: Devnet = {
      dir,
      keep: false,
      chain: kind,
      group,
      provider,
      chainUrl: chain.url,
      deployment,
      deploymentFile,
      mlp: models.get("mlp") as RegisteredModel,
      client,
      nodes,
      launch,
      staked: [...spec.nodes],
      startClock(options?: ClockOptions) {
        if (partial.clock || kind === "anvil") return;
        partial.clock = new Clock(provider, options);
        devnet.clock = partial.clock;
        partial.clock.start();
      },
      async stopClock() {
        await partial.clock?.stop();
        partial.clock = undefined;
        devnet.clock = undefined;
      },
      wallMs(chainSeconds: number) {
        if (kind === "anvil") return chainSeconds * 1000;
        const speed = devnet.clock?.speed ?? (DEFAULT_CLOCK.secondsPerTick * 1000) / DEFAULT_CLOCK.tickMs;
        return Math.ceil((chainSeconds * 1000) / speed);
      },
      async startNode(n: NodeSpec) {
        const running = await startNode(group, n, launch(n));
        nodes.set(n.name, running);
        return running;
      },
      stop,
    };
    cleanup.push(() => {
      if (!devnet.keep && process.env.CHAOS_KEEP === undefined) fs.rmSync(dir, { recursive: true, force: true });
    });
    await Promise.all(spec.nodes.map((n) => devnet.startNode(n)));
    return devnet;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Whether `name`'s process is still running. */
export function alive(devnet: Devnet, name: string): boolean {
  return devnet.group.get(name) !== undefined;
}

/** /healthz of a node answers 200 within `timeoutMs`. */
export async function healthy(port: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return true;
    } catch {
      // not answering
    }
    if (Date.now() > until) return false;
    await sleep(250);
  }
}

export { transactionsFrom, waitPendingFrom } from "../devnet/chain";

/** Lines of a node's log file that match `pattern`. */
export function logLines(devnet: Devnet, name: string, pattern: RegExp): string[] {
  const file = path.join(devnet.dir, `${name}.log`);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => pattern.test(l));
}

/** Waits until every job in `ids` is Finalized or Refunded. */
export async function settleAll(devnet: Devnet, ids: bigint[], timeoutMs: number): Promise<Map<bigint, "finalized" | "refunded">> {
  const out = new Map<bigint, "finalized" | "refunded">();
  await Promise.all(ids.map(async (id) => out.set(id, await devnet.client.settled(id, timeoutMs))));
  return out;
}

/** Wall-clock ms between the idle devnet's empty blocks. */
const HEARTBEAT_MS = 1_000;
/** Chains whose blocks a scenario is mining by hand (automine off): no heartbeat block then. */
const manualMining = new WeakSet<JsonRpcProvider>();

/**
 * Runs `body` while blocks are mined only by hand (`evm_mine`): hardhat's automine off (and no
 * heartbeat block), anvil's interval mining paused. Restores the chain's own mining afterwards.
 */
export async function withManualMining<T>(devnet: Pick<Devnet, "provider" | "chain">, body: () => Promise<T>): Promise<T> {
  const { provider } = devnet;
  const hardhat = devnet.chain === "hardhat";
  manualMining.add(provider);
  await provider.send(hardhat ? "evm_setAutomine" : "evm_setIntervalMining", [hardhat ? false : 0]);
  try {
    return await body();
  } finally {
    await provider.send(hardhat ? "evm_setAutomine" : "evm_setIntervalMining", [hardhat ? true : ANVIL_BLOCK_TIME]);
    manualMining.delete(provider);
  }
}

/**
 * Waits until every job in `ids` is Finalized or Refunded, acting as a keeper meanwhile: a job
 * still Assigned after its execution phase is moved on with `timeout` (anyone may call it; the
 * executor is slashed and the job reassigned or refunded by the rules), and an Unassigned one is
 * cancelled by its requester (client 1, the devnet's `client`). Returns the jobs it timed out.
 */
export async function settleWithKeeper(devnet: Devnet, ids: bigint[], timeoutMs: number): Promise<bigint[]> {
  const jobs = JobRegistry__factory.connect(devnet.deployment.contracts.jobRegistry, devnetWallet(CLIENT_INDEXES[0], devnet.provider));
  const timedOut: bigint[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = (await devnet.provider.getBlock("latest"))?.timestamp ?? 0;
    let open = 0;
    for (const id of ids) {
      const job = await jobs.jobOf(id);
      const status = Number(job.status);
      if (status === 5 || status === 6) continue;
      open++;
      if (status === 1) {
        // No executor could be drawn (every one excluded or locked): the requester takes its fee back.
        try {
          await (await jobs.cancel(id)).wait();
        } catch {
          // assigned meanwhile
        }
      } else if (status === 2 && Number(job.mode) !== 2 && Number(job.phaseEnd) < now) {
        try {
          await (await jobs.timeout(id)).wait();
          timedOut.push(id);
        } catch {
          // someone else moved it first
        }
      }
    }
    if (open === 0) return timedOut;
    if (Date.now() > until) throw new Error(`${open} of jobs ${ids.join(", ")} still open after ${timeoutMs} ms`);
    await sleep(500);
  }
}
