/**
 * Starts the devnet's nodes as separate processes, each with its own key, SQLite state, model cache,
 * log file and metrics port: `glassbox node start` for the honest ones, and
 * scripts/devnet/dishonestNode.ts (the same command with a lying output strategy) for the cheat.
 */
import fs from "node:fs";
import path from "node:path";
import { sleep } from "./chain";
import { devnetWallet, type NodeSpec } from "./setup";
import type { ProcessGroup, Started } from "./processes";

export interface NodeLaunch {
  root: string;
  rpc: string;
  deploymentFile: string;
  /** Parent of the nodes' data directories and log files. */
  stateDir: string;
  metricsPort: number;
  /** Chain polls per second matter on a fast devnet clock. */
  pollIntervalMs?: number;
}

export interface RunningNode {
  spec: NodeSpec;
  address: string;
  process: Started;
  metricsPort: number;
  dataDir: string;
}

/** The arguments of `glassbox node start` for `spec` (also what a user would type). */
export function nodeArgs(spec: NodeSpec, launch: NodeLaunch, dataDir: string): string[] {
  return [
    "node",
    "start",
    "--rpc",
    launch.rpc,
    "--deployment",
    launch.deploymentFile,
    "--data-dir",
    dataDir,
    "--roles",
    spec.role,
    "--confirmations",
    "0",
    "--poll-interval-ms",
    String(launch.pollIntervalMs ?? 200),
    // Devnet verifiers re-run every OPTIMISTIC result they see: the cheat is caught by a check, not by luck.
    "--watch-share",
    spec.role === "verifier" ? "1" : "0",
    "--metrics-port",
    String(launch.metricsPort),
    // Every node of a devnet is on 127.0.0.1: outputs (and inputs) by reference are local URLs.
    "--allow-private-uris",
    "true",
    // Outputs above 16 KiB are served by the node's own ops endpoint and posted by reference.
    ...(spec.role === "verifier" ? [] : ["--output-base-url", `http://127.0.0.1:${launch.metricsPort}/outputs`]),
    "--log-level",
    "info",
  ];
}

/** Spawns the node `spec` and waits until its /healthz reports a successful poll. */
export async function startNode(group: ProcessGroup, spec: NodeSpec, launch: NodeLaunch): Promise<RunningNode> {
  const dataDir = path.join(launch.stateDir, spec.name);
  fs.mkdirSync(dataDir, { recursive: true });
  const entry = spec.dishonest
    ? [require.resolve("ts-node/register/transpile-only"), path.join(launch.root, "scripts", "devnet", "dishonestNode.ts")]
    : [path.join(launch.root, "scripts", "glassbox.js")];
  const args = spec.dishonest ? ["-r", entry[0], entry[1]] : entry;
  const started = group.spawn({
    name: spec.name,
    command: process.execPath,
    args: [...args, ...nodeArgs(spec, launch, dataDir)],
    env: { GLASSBOX_PRIVATE_KEY: devnetWallet(spec.accountIndex).privateKey },
    cwd: launch.root,
    logFile: path.join(launch.stateDir, `${spec.name}.log`),
  });
  await waitHealthy(started, launch.metricsPort, 90_000);
  return { spec, address: devnetWallet(spec.accountIndex).address, process: started, metricsPort: launch.metricsPort, dataDir };
}

/** Resolves once http://127.0.0.1:`port`/healthz answers 200; throws if the process exits first. */
export function waitHealthy(started: Started, port: number, timeoutMs: number): Promise<void> {
  return waitAnswers(started, `http://127.0.0.1:${port}/healthz`, timeoutMs, `not healthy on port ${port}`);
}

/** Resolves once `url` answers 200; throws if the process exits first, or with `what` after `timeoutMs`. */
export async function waitAnswers(started: Started, url: string, timeoutMs: number, what = `not answering at ${url}`): Promise<void> {
  let exited: number | string | undefined;
  void started.exited.then((code) => (exited = code));
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${started.name} exited (${exited}) while starting; the end of ${started.logFile}:\n${logTail(started.logFile, 20)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${started.name} ${what} after ${timeoutMs} ms; the end of ${started.logFile}:\n${logTail(started.logFile, 20)}`);
    await sleep(250);
  }
}

/**
 * The last `lines` lines of a process's log, for an error that must say why it failed: CI deletes
 * the state directory with the log in it, so a path alone tells nothing afterwards.
 */
export function logTail(file: string, lines: number): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
  const kept = text.trimEnd().split("\n").slice(-lines);
  return kept.map((l) => `  | ${l.length > 400 ? `${l.slice(0, 400)}...` : l}`).join("\n");
}

/** The value of one metric (summed over its labels) from a node's /metrics; 0 when absent. */
export async function metricValue(port: number, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (match && match[1] === name) sum += Number(match[3]);
  }
  return sum;
}
