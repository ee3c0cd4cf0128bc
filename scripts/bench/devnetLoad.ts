/**
 * Section 3, devnet load, on one of two chains (LoadChain): `devnet`, a `hardhat node` (automine) with
 * the devnet's accelerated clock and deploy/params/localhost.json; `devnet-anvil`, anvil mining a
 * block a second in real time (no clock: nothing here calls evm_* on it) with deploy/params/anvil.json
 * (every window a minute). On either, three executor and three verifier nodes as real `glassbox node
 * start` processes (scripts/devnet modules), and several clients requesting a mix of models and modes
 * (NONE, OPTIMISTIC, QUORUM in turn: NONE and OPTIMISTIC on every model, QUORUM only on the exact
 * model, the only one the registry lets allow it) with a bounded number of jobs in flight each.
 *
 * Measures throughput (jobs finalized per wall-clock second, first request to last final event),
 * latency from the request's receipt to the job's final event per mode (p50/p95/p99 in wall-clock
 * seconds and in blocks), and each process's peak memory (VmHWM from /proc/<pid>/status, and the
 * largest VmRSS sampled every second).
 */
import fs from "node:fs";
import path from "node:path";
import { formatEther, parseEther, type JsonRpcProvider } from "ethers";
import { JobRegistry__factory, type JobRegistry } from "../../packages/node/src/typechain";
import { Status, type Deployment } from "../../packages/node/src";
import { collateralFor } from "../../deploy/economics";
import { loadParams } from "../../deploy/params";
import { bootDevnet, paramsNetwork } from "../devnet/boot";
import { ANVIL_BLOCK_TIME, Clock, freePort, sleep, type ChainKind, type ClockOptions } from "../devnet/chain";
import { DemoClient, type ModeName } from "../devnet/client";
import { startExplorerProcess } from "../devnet/explorer";
import { startNode, type RunningNode } from "../devnet/nodes";
import { ExplorerProbe, type ExplorerFigures } from "./explorerProbe";
import { ProcessGroup } from "../devnet/processes";
import { devnetWallet, NODES, type RegisteredModel } from "../devnet/setup";
import { log, quantile, REPORTS, ROOT, round } from "./common";

/** Accounts of the load's clients: the devnet's two, and two more of the node's twenty. */
const CLIENT_INDEXES = [2, 3, 11, 12];
const MODES: ModeName[] = ["NONE", "OPTIMISTIC", "QUORUM"];
const FEE = parseEther("1");
/**
 * Each executor stakes enough for ~90 jobs' collateral at once: localhost locks max(20 GLASS,
 * 22 x the fee) per executor of a job that verifies (22 GLASS at the load's 1 GLASS fee) and the
 * 20 GLASS minimum for NONE; audited jobs keep theirs locked until the committee rules.
 */
const NODE_STAKE = parseEther("2000");
const DEADLINE_SECONDS = 4 * 3600;
/**
 * Chain seconds per wall-clock second on hardhat: 5x, half the devnet's default. With 60 s windows at
 * 10x the executors missed a quarter of their windows on two shared cores (measured: 22 of 60 jobs
 * needed the keeper); at 5x they keep up, and the keeper's count says whether they did.
 */
const HARDHAT_SPEED: ClockOptions = { secondsPerTick: 5, tickMs: 1000 };

/** How the load runs on one kind of chain: its size, its wall-clock budget and its clock. */
export interface LoadChain {
  /** The bench section (its progress lines, its state directory under reports/). */
  section: "devnet" | "devnet-anvil";
  kind: ChainKind;
  /** Jobs requested in a quick and in a full run. */
  jobs: { quick: number; full: number };
  /** Wall-clock seconds the clients may spend requesting and waiting; what is open then stays unsettled. */
  budgetSeconds: { quick: number; full: number };
  /** The clock that speeds up a hardhat chain's time; none on anvil, whose time is real time. */
  clock?: ClockOptions;
}

export const HARDHAT_LOAD: LoadChain = { section: "devnet", kind: "hardhat", jobs: { quick: 60, full: 1000 }, budgetSeconds: { quick: 150, full: 1500 }, clock: HARDHAT_SPEED };

/**
 * Anvil: every OPTIMISTIC job waits out a real 60 s challenge window (a QUORUM round moves on as soon
 * as every member has committed and revealed), so with the same 16 jobs in flight the load finalizes
 * about half a job a second once it runs (measured on two shared cores: 180 jobs in 391 s, 0.46/s,
 * after 84 s of setup, the deploy's transactions each waiting for a one-second block and the stakes
 * for the next real stake epoch; 24 jobs in 96 s). 24 jobs (8 per mode) keep the quick run to about
 * four minutes; 300 fill the full run's ~15 minutes with setup, and its 780 s budget stops a stalled
 * load before that.
 */
export const ANVIL_LOAD: LoadChain = { section: "devnet-anvil", kind: "anvil", jobs: { quick: 24, full: 300 }, budgetSeconds: { quick: 360, full: 780 } };

/** The keeper's account (one of the node's twenty that nothing else uses). */
const KEEPER_INDEX = 13;
/** A fixed limit: an estimate goes stale when the nodes' transactions land first (a slash, a reassignment). */
const KEEPER_GAS = 3_000_000;
/** Chain seconds after a QUORUM round's commit phase before the keeper tries to close it (its preflight refuses early calls). */
const QUORUM_GRACE_SECONDS = 120;

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ModeLatency {
  mode: string;
  jobs: number;
  finalized: number;
  refunded: number;
  unsettled: number;
  seconds: Percentiles;
  blocks: Percentiles;
}

export interface NodeMemory {
  name: string;
  pid: number;
  peakMb: number;
  maxSampledRssMb: number;
}

export interface DevnetSection {
  chain: ChainKind;
  /** The deploy/params file the protocol was deployed with (localhost or anvil). */
  params: string;
  /** Its windows, in chain seconds. */
  windows: { execution: number; challenge: number; reveal: number };
  /** Whether every transaction is mined at once in its own block (hardhat), or waits for the next interval block (anvil). */
  automine: boolean;
  /** Wall-clock seconds between blocks that come whatever they carry: the clock's ticks on hardhat, anvil's interval. */
  blockIntervalSeconds: number;
  /** The load's wall-clock budget; jobs still open when it ran out are unsettled. */
  budgetSeconds: number;
  /** Jobs the run meant to request; `jobs` were requested before the budget ran out. */
  planned: number;
  jobs: number;
  feeGlass: number;
  /** What each executor of a job locks at that fee (the params file's collateral terms), by mode. */
  collateralGlass: Record<string, number>;
  /** The models each mode's jobs were requested on (QUORUM: the exact models only). */
  modelsByMode: Record<string, string[]>;
  clients: number;
  inFlightPerClient: number;
  /** Chain time per wall-clock time that the clock adds: 1 on anvil (real time). */
  clockSpeed: number;
  /** Chain time per wall-clock time over the load, measured from the head block's timestamp (hardhat's automined blocks add their own seconds). */
  measuredSpeed: number;
  models: string[];
  wallSeconds: number;
  finalized: number;
  refunded: number;
  unsettled: number;
  audits: number;
  /** Jobs the keeper moved on because their executor missed its phase (NONE/OPTIMISTIC: timeout; QUORUM: finalize). */
  keeperTimeouts: number;
  keeperQuorumFinalizes: number;
  throughputJobsPerSecond: number;
  latency: ModeLatency[];
  memory: NodeMemory[];
  /** The explorer (`glassbox explorer`, a process of its own) through the load: indexer lag and job-page latency. */
  explorer?: ExplorerFigures;
  setupSeconds: number;
  logs: string;
}

interface Tracked {
  mode: ModeName;
  requestedAt: number;
  requestBlock: number;
  endedAt?: number;
  endBlock?: number;
  outcome?: "finalized" | "refunded";
  done: () => void;
}

/** Follows JobFinalized and JobRefunded from the head, one getLogs per poll, and settles tracked jobs. */
class Tracker {
  private readonly jobs = new Map<bigint, Tracked>();
  private readonly early = new Map<bigint, { block: number; at: number; outcome: "finalized" | "refunded" }>();
  private next = 0;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly deployment: Deployment,
    private readonly say: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.next = (await this.provider.getBlockNumber()) + 1;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Registers a requested job; resolves once its final event is seen. */
  /** The ids of the jobs tracked so far. */
  ids(): bigint[] {
    return [...this.jobs.keys()];
  }

  track(jobId: bigint, mode: ModeName, requestBlock: number, requestedAt: number): Promise<void> {
    return new Promise((resolve) => {
      const t: Tracked = { mode, requestedAt, requestBlock, done: resolve };
      this.jobs.set(jobId, t);
      const seen = this.early.get(jobId);
      if (seen) this.settle(t, seen.block, seen.at, seen.outcome);
    });
  }

  all(): Tracked[] {
    return [...this.jobs.values()];
  }

  /** Jobs requested and not yet final. */
  open(): [bigint, Tracked][] {
    return [...this.jobs.entries()].filter(([, t]) => !t.outcome);
  }

  private settle(t: Tracked, block: number, at: number, outcome: "finalized" | "refunded"): void {
    if (t.outcome) return;
    t.endBlock = block;
    t.endedAt = at;
    t.outcome = outcome;
    t.done();
  }

  private async run(): Promise<void> {
    const jobs = JobRegistry__factory.connect(this.deployment.contracts.jobRegistry, this.provider);
    const finalTopics = [jobs.interface.getEvent("JobFinalized").topicHash, jobs.interface.getEvent("JobRefunded").topicHash];
    while (!this.stopped) {
      try {
        const head = await this.provider.getBlockNumber();
        if (head >= this.next) {
          const logs = await this.provider.getLogs({ address: this.deployment.contracts.jobRegistry, topics: [finalTopics], fromBlock: this.next, toBlock: head });
          const at = Date.now();
          for (const l of logs) {
            const jobId = BigInt(l.topics[1]);
            const outcome = l.topics[0] === finalTopics[0] ? "finalized" : "refunded";
            const t = this.jobs.get(jobId);
            if (t) this.settle(t, l.blockNumber, at, outcome);
            else this.early.set(jobId, { block: l.blockNumber, at, outcome });
          }
          this.next = head + 1;
        }
      } catch (err) {
        this.say(`tracker poll failed: ${(err as Error).message}`);
      }
      await sleep(200);
    }
  }
}

/**
 * Anyone may move a job on (STYLE: "after a timeout anyone may move a job on"), and the nodes do not
 * call `timeout` for each other: the load's keeper does, for jobs whose executor missed its phase
 * (a node too slow under load), and `finalize` for QUORUM rounds whose phases are over. Counts both.
 */
class Keeper {
  timeouts = 0;
  quorumFinalizes = 0;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly jobs: JobRegistry,
    private readonly tracker: Tracker,
    private readonly provider: JsonRpcProvider,
    private readonly say: (line: string) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(2_000);
      try {
        // Chain time from the head block, never the wall clock: on hardhat the clock runs it ahead,
        // on anvil it is real time but moves in whole blocks.
        const now = await chainTime(this.provider);
        for (const [jobId, t] of this.tracker.open()) {
          if (this.stopped) return;
          const job = await this.jobs.jobOf(jobId);
          if (Number(job.status) !== Status.Assigned || Number(job.phaseEnd) >= now) continue;
          if (t.mode === "QUORUM") {
            // The members finalize their own round once its reveal phase is over: only a round left
            // open well past that (a member missed its commit) is the keeper's.
            if (Number(job.phaseEnd) + QUORUM_GRACE_SECONDS >= now) continue;
            if (await this.tryCall(() => this.jobs.finalize.staticCall(jobId), () => this.jobs.finalize(jobId, { gasLimit: KEEPER_GAS }))) this.quorumFinalizes++;
          } else if (await this.tryCall(() => this.jobs.timeout.staticCall(jobId), () => this.jobs.timeout(jobId, { gasLimit: KEEPER_GAS }))) {
            this.timeouts++;
          }
        }
      } catch (err) {
        this.say(`keeper: ${(err as Error).message.split("\n")[0]}`);
      }
    }
  }

  private async tryCall(check: () => Promise<unknown>, send: () => Promise<{ wait(): Promise<unknown> }>): Promise<boolean> {
    try {
      await check();
    } catch {
      return false; // not yet (or someone else moved it on)
    }
    try {
      await (await send()).wait();
      return true;
    } catch {
      return false; // a node's own transaction landed first
    }
  }
}

/** VmHWM and VmRSS (MB) of `pid`, or undefined once it has exited. */
function memoryOf(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { hwm: kb("VmHWM") / 1024, rss: kb("VmRSS") / 1024 };
  } catch {
    return undefined;
  }
}

class MemorySampler {
  private readonly peaks = new Map<string, NodeMemory>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly processes: { name: string; pid: number }[]) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1_000);
  }

  stop(): NodeMemory[] {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return [...this.peaks.values()].map((m) => ({ ...m, peakMb: round(m.peakMb, 1), maxSampledRssMb: round(m.maxSampledRssMb, 1) }));
  }

  private sample(): void {
    for (const p of this.processes) {
      const m = memoryOf(p.pid);
      if (!m) continue;
      const prev = this.peaks.get(p.name) ?? { name: p.name, pid: p.pid, peakMb: 0, maxSampledRssMb: 0 };
      this.peaks.set(p.name, { ...prev, peakMb: Math.max(prev.peakMb, m.hwm), maxSampledRssMb: Math.max(prev.maxSampledRssMb, m.rss) });
    }
  }
}

async function chainTime(provider: JsonRpcProvider): Promise<number> {
  return (await provider.getBlock("latest"))?.timestamp ?? 0;
}

function percentiles(xs: number[], digits: number): Percentiles {
  return { p50: round(quantile(xs, 0.5), digits), p95: round(quantile(xs, 0.95), digits), p99: round(quantile(xs, 0.99), digits), max: round(Math.max(...xs), digits) };
}

interface Plan {
  model: RegisteredModel;
  mode: ModeName;
}

/**
 * `total` requests, modes in turn. NONE and OPTIMISTIC go round every model; QUORUM goes round the
 * exact models only (ModelRegistry refuses QUORUM for a model whose policy is not exact, and the
 * devnet registers one exact model, multi).
 */
export function planLoad(models: RegisteredModel[], total: number): Plan[] {
  const exact = models.filter((m) => m.model.exact);
  if (exact.length === 0) throw new Error("devnet load: no exact model registered, so no QUORUM job can be requested");
  return Array.from({ length: total }, (_, i) => {
    const mode = MODES[i % MODES.length];
    const round = Math.floor(i / MODES.length);
    return { mode, model: mode === "QUORUM" ? exact[round % exact.length] : models[round % models.length] };
  });
}

/** Each client requests its share of `plans` in order, keeping at most `inFlight` unsettled. */
async function clientLoop(client: DemoClient, plans: Plan[], inFlight: number, tracker: Tracker, stopAt: number, say: (line: string) => void): Promise<void> {
  const open = new Set<Promise<void>>();
  for (const plan of plans) {
    while (open.size >= inFlight) {
      if (Date.now() > stopAt) return;
      await Promise.race([...open, sleep(1_000)]);
    }
    if (Date.now() > stopAt) return;
    try {
      const req = await client.request(plan.model, plan.mode, plan.model.model.input(), FEE, DEADLINE_SECONDS);
      const p = tracker.track(req.jobId, plan.mode, req.block, Date.now());
      open.add(p);
      void p.then(() => open.delete(p));
    } catch (err) {
      say(`${client.address.slice(0, 8)} request failed: ${(err as Error).message.split("\n")[0]}`);
      await sleep(500);
    }
  }
  while (open.size > 0 && Date.now() < stopAt) await Promise.race([...open, sleep(1_000)]);
}

export async function runDevnetLoad(quick: boolean, on: LoadChain = HARDHAT_LOAD): Promise<DevnetSection> {
  const total = quick ? on.jobs.quick : on.jobs.full;
  const budgetSeconds = quick ? on.budgetSeconds.quick : on.budgetSeconds.full;
  const inFlight = 4;
  const say = (line: string) => log(`${on.section}: ${line}`);
  const stateDir = path.join(REPORTS, `bench-${on.section}`);
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const deploymentFile = path.join(stateDir, "deployment.json");
  const group = new ProcessGroup();
  const unhook = group.stopOnExit();
  let clock: Clock | undefined;
  let provider: JsonRpcProvider | undefined;
  let tracker: Tracker | undefined;
  let sampler: MemorySampler | undefined;
  let keeper: Keeper | undefined;
  let probe: ExplorerProbe | undefined;
  const clients: DemoClient[] = [];
  const began = Date.now();
  try {
    const port = await freePort();
    const specs = NODES.map((n) => ({ ...n, stake: NODE_STAKE }));
    // On anvil every deploy transaction waits for its block and the stakes for the next (real) stake epoch.
    say(`booting ${on.kind} on :${port} (deploy, models, stakes, next stake epoch)`);
    const booted = await bootDevnet(group, { root: ROOT, port, chain: on.kind, stateDir, deploymentFile, fund: [...CLIENT_INDEXES, ...NODES.map((n) => n.accountIndex)], stake: specs });
    const { chain, deployment } = booted;
    provider = chain.provider;
    const models = [...booted.models.values()];
    if (on.clock) {
      clock = new Clock(provider, on.clock, (err) => say(`clock: ${(err as Error).message}`));
      clock.start();
    }
    const ports = await Promise.all(specs.map(() => freePort()));
    const running: RunningNode[] = await Promise.all(
      specs.map((spec, i) => startNode(group, spec, { root: ROOT, rpc: chain.url, deploymentFile, stateDir, metricsPort: ports[i] })),
    );
    const explorer = await startExplorerProcess(group, { root: ROOT, rpc: chain.url, deploymentFile, stateDir, port: await freePort() });
    say(`explorer ${explorer.url} indexing beside the nodes`);
    const watched = [...running.map((n) => ({ name: n.spec.name, pid: n.process.child.pid ?? 0 })), { name: "explorer", pid: explorer.process.child.pid ?? 0 }, { name: `${on.kind === "anvil" ? "anvil" : "hardhat node"} (chain)`, pid: chain.process?.child.pid ?? 0 }];
    sampler = new MemorySampler(watched.filter((p) => p.pid > 0));
    sampler.start();
    for (const index of CLIENT_INDEXES) {
      const client = new DemoClient(devnetWallet(index, provider), deployment);
      await client.approve();
      clients.push(client);
    }
    const setupSeconds = round((Date.now() - began) / 1000, 1);
    say(`chain on :${port}, ${running.length} nodes up, ${clients.length} clients, ${models.length} models (setup ${setupSeconds} s); ${total} jobs within ${budgetSeconds} s`);

    tracker = new Tracker(provider, deployment, say);
    await tracker.start();
    keeper = new Keeper(JobRegistry__factory.connect(deployment.contracts.jobRegistry, devnetWallet(KEEPER_INDEX, provider)), tracker, provider, say);
    keeper.start();
    probe = new ExplorerProbe(explorer.url, provider, () => tracker!.ids());
    probe.start();
    const plans = planLoad(models, total);
    const share = (c: number) => plans.filter((_, i) => i % clients.length === c);
    const loadStart = Date.now();
    const chainStart = await chainTime(provider);
    const stopAt = loadStart + budgetSeconds * 1000;
    const progress = setInterval(() => {
      const t = tracker!.all();
      say(`${t.length} of ${total} requested, ${t.filter((x) => x.outcome).length} settled (${Math.round((Date.now() - loadStart) / 1000)} s of a ${budgetSeconds} s budget)`);
    }, 10_000);
    try {
      await Promise.all(clients.map((c, i) => clientLoop(c, share(i), inFlight, tracker!, stopAt, say)));
    } finally {
      clearInterval(progress);
    }
    // Chain seconds per wall-clock second over the load, as the chain moved them: on hardhat every
    // block's timestamp is at least a second past the last, so a busy chain runs ahead of its clock.
    const chainSpeed = round(((await chainTime(provider)) - chainStart) / ((Date.now() - loadStart) / 1000), 2);
    await keeper.stop();
    const explorerFigures = await probe.stop();
    probe = undefined;
    say(`explorer: indexer lag p50 ${explorerFigures.lagBlocks.p50} / max ${explorerFigures.lagBlocks.max} blocks; job page p50 ${explorerFigures.jobPageMs.p50} / p99 ${explorerFigures.jobPageMs.p99} ms over ${explorerFigures.jobPageMs.requests} requests`);
    const tracked = tracker.all();
    const settled = tracked.filter((t) => t.outcome);
    const lastEnd = Math.max(...settled.map((t) => t.endedAt ?? 0));
    const wallSeconds = round((lastEnd - loadStart) / 1000, 1);
    const finalized = tracked.filter((t) => t.outcome === "finalized").length;
    const jobsContract = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
    const audits = (await jobsContract.queryFilter(jobsContract.filters.AuditStarted(), 0)).length;
    const latency: ModeLatency[] = MODES.map((mode) => {
      const mine = tracked.filter((t) => t.mode === mode);
      const done = mine.filter((t) => t.outcome === "finalized");
      return {
        mode,
        jobs: mine.length,
        finalized: done.length,
        refunded: mine.filter((t) => t.outcome === "refunded").length,
        unsettled: mine.filter((t) => !t.outcome).length,
        seconds: percentiles(done.map((t) => ((t.endedAt ?? 0) - t.requestedAt) / 1000), 2),
        blocks: percentiles(done.map((t) => (t.endBlock ?? 0) - t.requestBlock), 0),
      };
    });
    const params = paramsNetwork(on.kind);
    const { collateral: terms, jobs: windows } = loadParams(params);
    const verified = Number(formatEther(collateralFor(FEE, terms)));
    return {
      chain: on.kind,
      params,
      windows: { execution: windows.executionWindow, challenge: windows.challengeWindow, reveal: windows.revealWindow },
      automine: on.kind === "hardhat",
      blockIntervalSeconds: on.clock ? on.clock.tickMs / 1000 : ANVIL_BLOCK_TIME,
      budgetSeconds,
      planned: total,
      jobs: tracked.length,
      feeGlass: Number(formatEther(FEE)),
      collateralGlass: { NONE: Number(formatEther(BigInt(terms.minimum))), OPTIMISTIC: verified, QUORUM: verified },
      modelsByMode: Object.fromEntries(MODES.map((mode) => [mode, [...new Set(plans.filter((p) => p.mode === mode).map((p) => p.model.model.name))]])),
      clients: clients.length,
      inFlightPerClient: inFlight,
      clockSpeed: clock?.speed ?? 1,
      measuredSpeed: chainSpeed,
      models: models.map((m) => m.model.name),
      wallSeconds,
      finalized,
      refunded: settled.length - finalized,
      unsettled: tracked.length - settled.length,
      audits,
      keeperTimeouts: keeper.timeouts,
      keeperQuorumFinalizes: keeper.quorumFinalizes,
      throughputJobsPerSecond: round(finalized / wallSeconds, 3),
      latency,
      memory: sampler.stop(),
      explorer: explorerFigures,
      setupSeconds,
      logs: path.relative(ROOT, stateDir),
    };
  } finally {
    sampler?.stop();
    await probe?.stop();
    await keeper?.stop();
    await tracker?.stop();
    for (const c of clients) await c.close().catch(() => undefined);
    await clock?.stop();
    provider?.destroy();
    await group.stopAll();
    unhook();
  }
}
