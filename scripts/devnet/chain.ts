/**
 * The devnet's chain: a local node on 127.0.0.1, one of two kinds.
 *
 *   - `hardhat` (the default): `hardhat node` with automine, and a clock that makes its time run
 *     faster than the wall clock. The protocol's windows are at least one minute (the contracts'
 *     MIN_WINDOW), and a Hardhat node only moves time when it mines: the clock mines an empty block
 *     every `tickMs` with `evm_increaseTime(secondsPerTick)`, so chain time runs at
 *     `secondsPerTick * 1000 / tickMs` times the wall clock (10x by default: a one-minute challenge
 *     window lasts six seconds). Transactions are mined at once.
 *   - `anvil`: Foundry's node (npm `@foundry-rs/anvil-linux-amd64`, the binary inside the package)
 *     with interval mining: a block every `blockTime` seconds on the wall clock and no automine, so
 *     a transaction waits in the mempool for the next block and the chain's time is real time. Its
 *     parameters (deploy/params/anvil.json) have windows that fit real time.
 */
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, type TransactionResponse } from "ethers";
import { pinnedJsonRpcProvider } from "../../packages/node/src";
import type { ProcessGroup, Started } from "./processes";

/** Hardhat's default development mnemonic: the accounts `hardhat node` funds (see hardhat.config.ts). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The kinds of local chain the devnet runs on. */
export const CHAIN_KINDS = ["hardhat", "anvil"] as const;
export type ChainKind = (typeof CHAIN_KINDS)[number];

/** Seconds between anvil's blocks (interval mining). */
export const ANVIL_BLOCK_TIME = 1;

/** Accounts the local chain funds with ETH (mnemonic indexes 0..N-1; the devnet uses up to 12). */
const FUNDED_ACCOUNTS = 20;

export interface ChainOptions {
  root: string;
  port: number;
  logFile: string;
  /** Default: hardhat. */
  kind?: ChainKind;
  /** Give up if the node does not answer within this long. */
  startTimeoutMs?: number;
}

/** The anvil binary that npm installed (no other download). */
export function anvilBinary(root: string): string {
  return path.join(root, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
}

/** The command that starts a `kind` chain on 127.0.0.1:`port`, funding the development mnemonic. */
export function chainCommand(kind: ChainKind, root: string, port: number): { command: string; args: string[] } {
  if (kind === "hardhat") {
    return { command: path.join(root, "node_modules", ".bin", "hardhat"), args: ["node", "--hostname", "127.0.0.1", "--port", String(port)] };
  }
  return {
    command: anvilBinary(root),
    args: [
      "--host", "127.0.0.1",
      "--port", String(port),
      "--block-time", String(ANVIL_BLOCK_TIME),
      "--mnemonic", HARDHAT_MNEMONIC,
      "--accounts", String(FUNDED_ACCOUNTS),
      "--balance", "10000",
      "--chain-id", "31337",
    ],
  };
}

export function rpcUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Starts a `kind` chain (default hardhat) on 127.0.0.1:`port` and waits until it answers eth_chainId. */
export async function startChain(group: ProcessGroup, options: ChainOptions): Promise<{ process: Started; provider: JsonRpcProvider; url: string }> {
  const url = rpcUrl(options.port);
  if (await answers(url)) {
    throw new Error(`something already answers JSON-RPC at ${url}; stop it or pick another port with --port`);
  }
  const kind = options.kind ?? "hardhat";
  const { command, args } = chainCommand(kind, options.root, options.port);
  if (kind === "anvil" && !fs.existsSync(command)) {
    throw new Error(`anvil is not installed at ${command}: run npm ci (it comes in the npm package @foundry-rs/anvil-linux-amd64, linux x64 only)`);
  }
  const started = group.spawn({ name: "chain", command, args, cwd: options.root, logFile: options.logFile });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let exited: number | string | undefined;
  void started.exited.then((code) => (exited = code));
  while (!(await answers(url))) {
    if (exited !== undefined) throw new Error(`${kind} node exited (${exited}) before answering; see ${options.logFile}`);
    if (Date.now() > deadline) throw new Error(`${kind} node did not answer at ${url} within ${options.startTimeoutMs ?? 60_000} ms; see ${options.logFile}`);
    await sleep(200);
  }
  const provider = await pinnedProvider(url);
  return { process: started, provider, url };
}

/** A provider pinned to the chain at `url` (no network re-detection) and without a call cache. */
export async function pinnedProvider(url: string): Promise<JsonRpcProvider> {
  const probe = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  const chainId = BigInt(await probe.send("eth_chainId", []));
  probe.destroy();
  return pinnedJsonRpcProvider(url, Network.from(chainId), { pollingIntervalMs: 250 });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export interface ClockOptions {
  /** Chain seconds added per tick. */
  secondsPerTick: number;
  /** Wall-clock ms between ticks. */
  tickMs: number;
}

export const DEFAULT_CLOCK: ClockOptions = { secondsPerTick: 5, tickMs: 500 };

/** Advances the chain's time by mining one block per tick; `stop` waits for the tick in flight. */
export class Clock {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly options: ClockOptions = DEFAULT_CLOCK,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    if (options.secondsPerTick < 1 || options.tickMs < 50) throw new Error("clock: secondsPerTick must be >= 1 and tickMs >= 50");
  }

  /** Chain time per wall-clock time. */
  get speed(): number {
    return (this.options.secondsPerTick * 1000) / this.options.tickMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.tick());
    }, this.options.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private async tick(): Promise<void> {
    try {
      await this.provider.send("evm_increaseTime", [this.options.secondsPerTick]);
      await this.provider.send("evm_mine", []);
      this.failures = 0;
    } catch (err) {
      if (++this.failures === 1) this.onError(err); // report once per outage, not every tick
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Ports for the devnet's listeners come from below the kernel's ephemeral range: a port in that
 * range that is free now can be taken a moment later by any outgoing connection on the machine (a
 * node's RPC poll, a test's fetch), and the listener started after it then fails with EADDRINUSE.
 * CI runs several devnets beside a test suite that opens thousands of connections, so it happened.
 */
const LOW_PORT = 10_000;

/** The lowest port of the kernel's ephemeral range (Linux's file; 32768, its default, elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOW_PORT + 1_000) return low;
  } catch {
    // not Linux
  }
  return 32_768;
}

/** Ports this process has handed out: two devnets of one test run never get the same one. */
const handedOut = new Set<number>();

/** Whether a listener can bind 127.0.0.1:`port` right now. */
async function canBind(port: number): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive TCP ports on 127.0.0.1 that nothing listens on right now, below
 * the ephemeral range (see LOW_PORT), none handed out before by this process. Other processes pick
 * at random too, so a clash needs two picks of the same run and stays unlikely, not impossible.
 */
export async function freePortRun(count: number): Promise<number> {
  const high = ephemeralLow() - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = LOW_PORT + Math.floor(Math.random() * (high - LOW_PORT));
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = !handedOut.has(p) && (await canBind(p));
    if (!ok) continue;
    for (let p = first; p < first + count; p++) handedOut.add(p);
    return first;
  }
  throw new Error(`no run of ${count} free ports between ${LOW_PORT} and ${high}: stop some of the listeners on 127.0.0.1`);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (tests run devnets side by side). */
export function freePort(): Promise<number> {
  return freePortRun(1);
}

/** The first pending transaction from `from` (automine off), waiting up to `timeoutMs`. */
export async function waitPendingFrom(provider: JsonRpcProvider, from: string, timeoutMs: number): Promise<{ hash: string; data: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const block = (await provider.send("eth_getBlockByNumber", ["pending", true])) as { transactions: { from: string; hash: string; input: string }[] };
    const tx = block.transactions.find((t) => t.from.toLowerCase() === from.toLowerCase());
    if (tx) return { hash: tx.hash, data: tx.input };
    if (Date.now() > until) throw new Error(`no pending transaction from ${from} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Every mined transaction sent by `from`, oldest first (a devnet's chain is short enough to scan). */
export async function transactionsFrom(provider: JsonRpcProvider, from: string): Promise<TransactionResponse[]> {
  const head = await provider.getBlockNumber();
  const out: TransactionResponse[] = [];
  for (let n = 0; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) if (tx.from.toLowerCase() === from.toLowerCase()) out.push(tx);
  }
  return out;
}
