/**
 * `npm start`: the Glassbox devnet on this machine.
 *
 *   1. a local chain on 127.0.0.1:--port: `hardhat node` (the default), its clock running --speed
 *      times the wall clock, or with `--chain anvil` Foundry's anvil mining a block every second in
 *      real time (no automine);
 *   2. the protocol deployed with deploy/params/localhost.json (anvil.json on anvil), written to --deployment;
 *   3. GLASS for everyone, the example models registered (three built here, one third-party), and a
 *      content store on 127.0.0.1:--content-store-port where the CLI publishes inputs above the
 *      inline limit (its URL is the deployment file's `contentStore`);
 *   4. three executor and three verifier nodes, each a `glassbox node start` process with its own
 *      key, stake, SQLite state and metrics port (logs under --state-dir); each executor opted in to
 *      every model (executors are drawn per model);
 *   5. a demo client that requests a job for every model in every mode it allows (QUORUM only on
 *      the exact model), plus one input that fits no model, waits for each and prints its story;
 *   6. a dishonest executor that joins (staked and opted in to every model), returns wrong outputs, is challenged by the verifiers,
 *      loses the committee vote and is slashed;
 *   7. all along, the explorer (`glassbox explorer`) on 127.0.0.1:--explorer-port: every job's
 *      story in a browser, indexed from the chain's logs.
 *
 * On a chain it ran on before (--rpc), each run's dishonest executor is a key that never staked, and
 * the earlier runs' ones, with no node behind them, are retired before the nodes' first stake epoch
 * (scripts/devnet/cheats.ts).
 *
 * With --exit it then stops everything and prints a one-line JSON summary last
 * (`{"jobs","finalized","invalid","slashed","seconds"}`); the exit code is 0 only if every honest
 * job finalized with an output the client verified, the misfit input ended invalid, and the
 * dishonest executor was slashed. Without --exit the devnet keeps running for the CLI until Ctrl-C,
 * which stops every process it started.
 */
import fs from "node:fs";
import path from "node:path";
import { parseEther, type JsonRpcProvider } from "ethers";
import type { Deployment } from "../../packages/node/src";
import { bootDevnet, startNextStakeEpoch } from "./boot";
import { freshCheat, retireEarlierCheats } from "./cheats";
import { ANVIL_BLOCK_TIME, CHAIN_KINDS, Clock, DEFAULT_CLOCK, freePort, type ChainKind } from "./chain";
import { startExplorerProcess } from "./explorer";
import { DemoClient, type ModeName } from "./client";
import { misfitInput } from "./models";
import { metricValue, startNode, type RunningNode } from "./nodes";
import { ProcessGroup } from "./processes";
import { CLIENT_INDEXES, NODES, devnetWallet, modelIdsOf, stakeNode, useDevnetMnemonic, type NodeSpec, type RegisteredModel } from "./setup";
import { readStory, short, tell, type JobStory } from "./story";

const ROOT = path.resolve(__dirname, "..", "..");
const FEE = parseEther("1");
/** Chain seconds a client gives each job to reach a final result. */
const DEADLINE_SECONDS = 4 * 3600;
/** Wall-clock time a client waits for one job. */
const JOB_TIMEOUT_MS = 240_000;
/** Most OPTIMISTIC jobs requested while waiting for the draw to give one to the dishonest executor. */
const MAX_BAIT_JOBS = 12;

export interface DevnetOptions {
  exit: boolean;
  /** The local chain: hardhat (default) or anvil. */
  chain: ChainKind;
  /** A chain already running (keys from GLASSBOX_MNEMONIC) instead of a local one. */
  rpc?: string;
  port: number;
  metricsPort: number;
  /** Port of the content store for by-reference inputs. */
  contentStorePort: number;
  /** Port of the explorer (0: a free one). */
  explorerPort: number;
  stateDir: string;
  deploymentFile: string;
  /** Chain time per wall-clock time. */
  speed: number;
}

export interface Summary {
  jobs: number;
  finalized: number;
  /** Jobs refunded after the cheat held them (no executor could be drawn for the retry, or every attempt failed). */
  refunded: number;
  invalid: number;
  slashed: string[];
  seconds: number;
}

function usage(): string {
  return [
    "usage: npm start -- [--exit] [--chain hardhat|anvil] [--port N] [--metrics-port N] [--state-dir DIR] [--deployment FILE] [--speed N]",
    "  --exit            run the demo once, stop everything, print a JSON summary last; exit 0 only on success",
    "  --chain KIND      hardhat (default: automine, its clock sped up by --speed) or anvil (a block a second, real time)",
    "  --rpc URL         use a chain that is already running instead (real time, deploy/params/anvil.json); every key",
    "                    comes from GLASSBOX_MNEMONIC (accounts 0..11 need ETH); reuses the deployment file's contracts",
    "  --port N          port of the local chain (default 8545, or GLASSBOX_DEVNET_PORT)",
    "  --metrics-port N  first of the nodes' /healthz + /metrics ports (default 9460; one per node)",
    "  --content-store-port N  port of the content store for inputs above 64 KiB (default 9470)",
    "  --explorer-port N port of the explorer's pages and API (default 9480; 0 picks a free one)",
    "  --state-dir DIR   nodes' SQLite state, model caches and logs (default .devnet; wiped at start)",
    "  --deployment FILE where the contract addresses are written (default deployments/localhost.json, anvil.json or rpc.json)",
    "  --speed N         chain seconds per wall-clock second on hardhat (default 10; anvil runs in real time)",
  ].join("\n");
}

/** Thrown by parseArgs for --help: its message is the usage, printed on stdout with exit code 0. */
export class HelpRequested extends Error {}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DevnetOptions {
  const options: DevnetOptions = {
    exit: false,
    chain: "hardhat",
    port: Number(env.GLASSBOX_DEVNET_PORT ?? 8545),
    metricsPort: 9460,
    contentStorePort: 9470,
    explorerPort: 9480,
    stateDir: path.join(ROOT, ".devnet"),
    deploymentFile: path.join(ROOT, "deployments", "localhost.json"),
    speed: DEFAULT_CLOCK.secondsPerTick * (1000 / DEFAULT_CLOCK.tickMs),
  };
  const int = (flag: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, not "${raw ?? ""}"\n${usage()}`);
    return n;
  };
  let deploymentGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--exit") options.exit = true;
    else if (arg === "--port") options.port = int(arg, argv[++i], 1, 65535);
    else if (arg === "--metrics-port") options.metricsPort = int(arg, argv[++i], 1, 65535 - NODES.length - 1);
    else if (arg === "--content-store-port") options.contentStorePort = int(arg, argv[++i], 1, 65535);
    else if (arg === "--explorer-port") options.explorerPort = int(arg, argv[++i], 0, 65535);
    else if (arg === "--state-dir") options.stateDir = path.resolve(argv[++i] ?? "");
    else if (arg === "--deployment") {
      options.deploymentFile = path.resolve(argv[++i] ?? "");
      deploymentGiven = true;
    }
    else if (arg === "--speed") options.speed = int(arg, argv[++i], 1, 100);
    else if (arg === "--chain") {
      const kind = argv[++i] ?? "";
      if (!(CHAIN_KINDS as readonly string[]).includes(kind)) throw new Error(`--chain must be one of ${CHAIN_KINDS.join(", ")}, not "${kind}"\n${usage()}`);
      options.chain = kind as ChainKind;
    }
    else if (arg === "--rpc") {
      const url = argv[++i] ?? "";
      let protocol = "";
      try {
        protocol = new URL(url).protocol;
      } catch {
        protocol = "";
      }
      if (protocol !== "http:" && protocol !== "https:") throw new Error(`--rpc must be an http(s) URL of a JSON-RPC endpoint, not "${url}"\n${usage()}`);
      options.rpc = url;
    } else if (arg === "--help" || arg === "-h") throw new HelpRequested(usage());
    else throw new Error(`unknown argument "${arg}"\n${usage()}`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error(`GLASSBOX_DEVNET_PORT must be a port number`);
  if (options.rpc !== undefined && argv.includes("--chain")) throw new Error(`--rpc and --chain exclude each other: --rpc uses a chain that is already running\n${usage()}`);
  if (options.rpc !== undefined && !env.GLASSBOX_MNEMONIC) {
    throw new Error(`--rpc needs the devnet's keys: export GLASSBOX_MNEMONIC="<BIP-39 phrase>" whose accounts 0 to 11 hold ETH on ${options.rpc} (0 deploys, 1 owns the models, 2-3 request, 4-9 are the nodes, 10 and up the dishonest executor)`);
  }
  if (!deploymentGiven && options.rpc !== undefined) options.deploymentFile = path.join(ROOT, "deployments", "rpc.json");
  else if (!deploymentGiven && options.chain === "anvil") options.deploymentFile = path.join(ROOT, "deployments", "anvil.json");
  return options;
}

interface Planned {
  label: string;
  model: RegisteredModel;
  mode: ModeName;
  input: Uint8Array;
  client: DemoClient;
  /** The misfit input: must end refunded as InvalidInput. */
  expectInvalid?: boolean;
}

interface Outcome {
  plan: Planned;
  jobId: bigint;
  story: JobStory;
  verified: { ok: boolean; why?: string };
}

export async function runDevnet(options: DevnetOptions, say: (line: string) => void): Promise<{ summary: Summary; ok: boolean; failures: string[] }> {
  const started = Date.now();
  fs.rmSync(options.stateDir, { recursive: true, force: true });
  fs.mkdirSync(options.stateDir, { recursive: true });
  fs.mkdirSync(path.dirname(options.deploymentFile), { recursive: true });
  const group = new ProcessGroup();
  let clock: Clock | undefined;
  const unhook = group.stopOnExit(undefined, async () => clock?.stop());
  let provider: JsonRpcProvider | undefined;
  const clients: DemoClient[] = [];
  try {
    if (options.rpc !== undefined) {
      useDevnetMnemonic(process.env.GLASSBOX_MNEMONIC as string);
      say(`using the chain at ${options.rpc} (keys from GLASSBOX_MNEMONIC; its time is taken as real time)`);
    } else {
      const what = options.chain === "anvil" ? `anvil (a block every ${ANVIL_BLOCK_TIME} s, no automine)` : "hardhat node";
      say(`starting ${what} on 127.0.0.1:${options.port} (log: ${rel(path.join(options.stateDir, "chain.log"))})`);
    }
    const realTime = options.rpc !== undefined || options.chain === "anvil";
    const booted = await bootDevnet(group, {
      root: ROOT,
      port: options.port,
      chain: options.chain,
      rpc: options.rpc,
      stateDir: options.stateDir,
      deploymentFile: options.deploymentFile,
      fund: [...CLIENT_INDEXES, ...NODES.map((n) => n.accountIndex)],
      stake: NODES,
      contentStorePort: options.contentStorePort,
      // An earlier run's cheat on this chain has no node any more: out of every draw pool before
      // the nodes' first stake epoch, or the draw gives it jobs that expire.
      beforeEpoch: async (d, p) => void (await retireEarlierCheats(d, p, say)),
    });
    const { chain, deployment, models } = booted;
    provider = chain.provider;
    say(`deployed the protocol (${booted.deployed.sent} transactions${booted.deployed.sent === 0 ? ": the deployment file's contracts were reused" : ""}) -> ${rel(options.deploymentFile)}`);
    // A chain that already ran this demo has earlier cheats (slashed, jailed or retired above): each run takes a key never staked.
    const cheatSpec = await freshCheat(deployment, provider);
    say(`content store ${booted.contentStore ?? "?"} (bytes in ${rel(path.join(options.stateDir, "content"))}/): job request publishes inputs above 64 KiB there`);
    say(`registered ${[...models.values()].map((m) => `#${m.id} ${m.model.description}`).join("; ")}`);

    if (!realTime) {
      clock = new Clock(provider, options.speed % 2 === 0 ? { secondsPerTick: options.speed / 2, tickMs: 500 } : { secondsPerTick: options.speed, tickMs: 1000 }, (err) => say(`clock: ${(err as Error).message}`));
      clock.start();
      say(`chain time runs at ${clock.speed}x the wall clock (a one-minute window lasts ${(60 / clock.speed).toFixed(1)} s)`);
    } else {
      say(`chain time is real time: every window of deploy/params/anvil.json lasts a minute`);
    }

    const launch = (i: number) => ({ root: ROOT, rpc: chain.url, deploymentFile: options.deploymentFile, stateDir: options.stateDir, metricsPort: options.metricsPort + i });
    const running: RunningNode[] = await Promise.all(NODES.map((spec, i) => startNode(group, spec, launch(i))));
    const names = new Map<string, string>(running.map((n) => [n.address.toLowerCase(), n.spec.name]));
    names.set(devnetWallet(cheatSpec.accountIndex).address.toLowerCase(), cheatSpec.name);
    for (const [i, index] of CLIENT_INDEXES.entries()) names.set(devnetWallet(index).address.toLowerCase(), `client-${i + 1}`);
    const nameOf = (a: string) => names.get(a.toLowerCase()) ?? short(a);
    const optedIn = (spec: NodeSpec) => (spec.role === "executor" ? `, opted in to model${modelIdsOf(spec, models).length === 1 ? "" : "s"} ${modelIdsOf(spec, models).map((id) => `#${id}`).join(", ")}` : "");
    const explorer = await startExplorerProcess(group, { root: ROOT, rpc: chain.url, deploymentFile: options.deploymentFile, stateDir: options.stateDir, port: options.explorerPort === 0 ? await freePort() : options.explorerPort });
    say(`explorer ${explorer.url} (log: ${rel(path.join(options.stateDir, "explorer.log"))}): every job's story, indexed from the chain's logs`);
    for (const n of running) say(`  ${n.spec.name} ${n.address} staked ${n.spec.stake / 10n ** 18n} GLASS${optedIn(n.spec)}; metrics http://127.0.0.1:${n.metricsPort}/metrics`);

    for (const index of CLIENT_INDEXES) {
      const client = new DemoClient(devnetWallet(index, provider), deployment);
      await client.approve();
      clients.push(client);
    }

    // Act 1: every model in every mode it allows (QUORUM needs an exact model), from two clients at once, and one input that fits no model.
    const plans: Planned[] = [];
    for (const model of models.values()) {
      for (const mode of model.model.exact ? (["NONE", "OPTIMISTIC", "QUORUM"] as const) : (["NONE", "OPTIMISTIC"] as const)) {
        plans.push({ label: `${model.model.name}/${mode}`, model, mode, input: model.model.input(), client: clients[plans.length % clients.length] });
      }
    }
    const mlpModel = models.get("mlp") as RegisteredModel;
    plans.push({ label: "mlp/OPTIMISTIC, misfit input", model: mlpModel, mode: "OPTIMISTIC", input: misfitInput(), client: clients[0], expectInvalid: true });
    say(`\nact 1: ${plans.length} jobs (every model in every mode it allows, and an input that fits no model)`);
    const outcomes = await runJobs(plans, provider, deployment, say, nameOf);

    // Act 2: the dishonest executor joins; jobs are requested until the draw gives it one.
    say(`\nact 2: ${cheatSpec.name} ${devnetWallet(cheatSpec.accountIndex).address} stakes ${cheatSpec.stake / 10n ** 18n} GLASS${optedIn(cheatSpec)} and adds 1.0 to every output`);
    // Staked and opted in to every model (the bait jobs are the MLP's) before the next epoch:
    // draws read the snapshot of the epoch they are armed in, so the new stake counts from the next.
    await stakeNode(deployment, cheatSpec, provider, models);
    await startNextStakeEpoch(deployment, provider, realTime ? "anvil" : "hardhat");
    const cheat = await startNode(group, cheatSpec, launch(NODES.length));
    const cheatAddress = cheat.address.toLowerCase();
    const bait: Planned[] = [];
    const pending: Promise<Outcome>[] = [];
    for (let i = 0; i < MAX_BAIT_JOBS; i++) {
      const plan: Planned = { label: `mlp/OPTIMISTIC bait ${i + 1}`, model: mlpModel, mode: "OPTIMISTIC", input: mlpModel.model.input(), client: clients[i % clients.length] };
      bait.push(plan);
      const req = await plan.client.request(plan.model, plan.mode, plan.input, FEE, DEADLINE_SECONDS);
      pending.push(settle(plan, req.jobId, req.block, provider, deployment));
      if (await assignedTo(deployment, provider, req.jobId, req.block, cheatAddress)) {
        say(`  job ${req.jobId} was drawn for ${cheatSpec.name}`);
        break;
      }
    }
    const act2 = await Promise.all(pending);
    for (const o of act2) report(o, say, nameOf);
    await group.stop(cheatSpec.name);

    // The verdict of the run.
    const all = [...outcomes, ...act2];
    const failures: string[] = [];
    const slashed = new Set<string>();
    for (const o of all) for (const s of o.story.slashed) slashed.add(s.node.toLowerCase());
    for (const o of all) {
      const cheated = o.story.assigned.some((a) => a.some((e) => e.toLowerCase() === cheatAddress));
      if (o.plan.expectInvalid) {
        if (o.story.refundReason !== "InvalidInput") failures.push(`${o.plan.label} (job ${o.jobId}) ended ${o.story.outcome} ${o.story.refundReason ?? ""}, not refunded as InvalidInput`);
      } else if (cheated && o.story.outcome === "refunded" && (o.story.refundReason === "Rejected" || o.story.refundReason === "Expired")) {
        // Every attempt went wrong (Rejected), or the retry after the cheat's slash drew nobody
        // (Expired: each draw excludes the cheat, which holds most of the pool's stake, so all its
        // tries can land on it; or the honest executors had no free stake left): refunded, which
        // is what the rules say. Any other job must finalize.
      } else if (o.story.outcome !== "finalized" || !o.verified.ok) {
        failures.push(`${o.plan.label} (job ${o.jobId}) ended ${o.story.outcome}${o.story.refundReason ? ` (${o.story.refundReason})` : ""}${o.verified.ok ? "" : `, output not verified: ${o.verified.why}`}`);
      }
    }
    if (!all.some((o) => o.story.assigned.some((a) => a.some((e) => e.toLowerCase() === cheatAddress)))) {
      failures.push(`the draw never gave ${cheatSpec.name} a job in ${bait.length} tries`);
    } else if (!slashed.has(cheatAddress)) {
      failures.push(`${cheatSpec.name} was given a job but was not slashed`);
    }
    for (const n of running) {
      const executed = await metricValue(n.metricsPort, "jobs_executed_total").catch(() => NaN);
      const verified = await metricValue(n.metricsPort, "jobs_verified_total").catch(() => NaN);
      say(`  ${n.spec.name}: executed ${executed}, verified ${verified} (from its /metrics)`);
    }
    const summary: Summary = {
      jobs: all.length,
      finalized: all.filter((o) => o.story.outcome === "finalized").length,
      refunded: all.filter((o) => !o.plan.expectInvalid && o.story.outcome === "refunded").length,
      invalid: all.filter((o) => o.story.refundReason === "InvalidInput").length,
      slashed: [...slashed].map((a) => getAddressSafe(all, a)),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    for (const f of failures) say(`FAILED: ${f}`);
    if (!options.exit) {
      say(JSON.stringify(summary));
      say(`\nthe devnet keeps running: RPC ${chain.url}, deployment ${rel(options.deploymentFile)}, node logs in ${rel(options.stateDir)}/`);
      say(`explorer: ${explorer.url}`);
      say(`try: GLASSBOX_PRIVATE_KEY=${devnetWallet(CLIENT_INDEXES[0]).privateKey} npx glassbox job request --model ${mlpModel.id} --input examples/inputs/mlp.json --wait`);
      say("Ctrl-C stops every process it started.");
      await new Promise<never>(() => undefined); // until SIGINT/SIGTERM: stopOnExit stops everything and exits
    }
    return { summary, ok: failures.length === 0, failures };

    async function runJobs(batch: Planned[], p: JsonRpcProvider, d: Deployment, out: (line: string) => void, names: (a: string) => string): Promise<Outcome[]> {
      const requested = [];
      for (const plan of batch) requested.push({ plan, req: await plan.client.request(plan.model, plan.mode, plan.input, FEE, DEADLINE_SECONDS) });
      const done = await Promise.all(requested.map(({ plan, req }) => settle(plan, req.jobId, req.block, p, d)));
      for (const o of done) report(o, out, names);
      return done;
    }
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await clock?.stop();
    provider?.destroy();
    await group.stopAll();
    unhook();
  }
}

async function settle(plan: Planned, jobId: bigint, block: number, provider: JsonRpcProvider, deployment: Deployment): Promise<Outcome> {
  await plan.client.settled(jobId, JOB_TIMEOUT_MS);
  const story = await readStory(provider, deployment, jobId, block);
  const verified = story.outcome === "finalized" ? await plan.client.verify(jobId, plan.model, plan.input) : { ok: false, why: "refunded" };
  return { plan, jobId, story, verified };
}

async function assignedTo(deployment: Deployment, provider: JsonRpcProvider, jobId: bigint, block: number, address: string): Promise<boolean> {
  const story = await readStory(provider, deployment, jobId, block);
  return story.assigned.some((a) => a.some((e) => e.toLowerCase() === address));
}

function report(o: Outcome, say: (line: string) => void, nameOf: (a: string) => string): void {
  const check = o.story.outcome === "finalized" ? (o.verified.ok ? "output verified by the client" : `OUTPUT NOT VERIFIED: ${o.verified.why}`) : "";
  say(`[${o.story.mode}] job ${o.jobId} ${o.plan.label}, requested by ${nameOf(o.plan.client.address)}: ${o.story.outcome}${o.story.refundReason ? ` (${o.story.refundReason})` : ""}${check ? `, ${check}` : ""}`);
  for (const line of tell(o.story, nameOf)) say(line);
}

function getAddressSafe(all: Outcome[], lower: string): string {
  for (const o of all) for (const s of o.story.slashed) if (s.node.toLowerCase() === lower) return s.node;
  return lower;
}

function rel(p: string): string {
  return path.relative(process.cwd(), p) || ".";
}

if (require.main === module) {
  let options: DevnetOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(err.message);
      process.exit(0);
    }
    console.error((err as Error).message);
    process.exit(2);
  }
  const say = (line: string) => console.log(line);
  runDevnet(options, say).then(
    ({ summary, ok }) => {
      say(JSON.stringify(summary));
      process.exit(ok ? 0 : 1);
    },
    (err: unknown) => {
      console.error(`devnet failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
