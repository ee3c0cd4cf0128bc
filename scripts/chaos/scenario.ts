/** What a chaos scenario is, and the wrapper that gives it a devnet and ends it with the accounting check. */
import { checkAccounting } from "./accounting";
import type { ChainKind } from "../devnet/chain";
import { startDevnet, type Devnet, type DevnetSpec } from "./devnet";

export interface Scenario {
  name: string;
  /** The chains it runs on (`--chain`), each with whether it is part of that chain's `--quick` set (CI). */
  chains: Partial<Record<ChainKind, { quick: boolean }>>;
  description: string;
  /** Resolves with the PASS line's detail; throws with the FAIL line's reason. */
  run(options: RunOptions): Promise<string>;
}

export interface RunOptions {
  quick: boolean;
  /** The chain its devnet runs on (one of the scenario's `chains`). */
  chain: ChainKind;
  /** Progress lines (shown with --verbose). */
  log: (line: string) => void;
}

/** A failure of the scenario's expectation (as opposed to a crash of the harness). */
export class ScenarioFailure extends Error {}

export function expectThat(condition: boolean, why: string): asserts condition {
  if (!condition) throw new ScenarioFailure(why);
}

/**
 * Starts a fresh devnet, runs `body`, then checks the accounting against the chain; the devnet is
 * stopped whatever happens. The detail is `body`'s followed by the accounting summary.
 */
export async function withDevnet(spec: DevnetSpec, body: (devnet: Devnet) => Promise<string>): Promise<string> {
  const t0 = Date.now();
  const devnet = await startDevnet(spec);
  const setup = ((Date.now() - t0) / 1000).toFixed(1);
  progress(`devnet up in ${setup}s (${devnet.dir})`);
  try {
    const detail = await body(devnet);
    progress("checking the accounting");
    const accounting = await checkAccounting(devnet.provider, devnet.deployment, devnet.staked);
    if (!accounting.ok) throw new ScenarioFailure(`accounting: ${accounting.problems.join("; ")} [${accounting.summary}] (logs: ${devnet.dir}, kept)`);
    return `${detail}; accounting holds: ${accounting.summary} (devnet up in ${setup}s)`;
  } catch (err) {
    devnet.keep = true; // keep the logs of a failed scenario
    if (err instanceof Error && !err.message.includes(devnet.dir)) err.message += ` (logs kept in ${devnet.dir})`;
    throw err;
  } finally {
    progress("stopping the devnet");
    await devnet.stop();
  }
}

let progress: (line: string) => void = () => undefined;

/** Where withDevnet reports its own steps (main.ts points it at the running scenario's log). */
export function reportDevnetStepsTo(log: (line: string) => void): void {
  progress = log;
}
