/**
 * `npm run chaos`: scenarios that break a devnet (a local chain + node processes) on purpose, each
 * on a fresh chain and each ended by the accounting check (scripts/chaos/accounting.ts).
 *
 *   npm run chaos                     every scenario on hardhat (automine, a clock the scenario runs)
 *   npm run chaos -- --chain anvil    every scenario that runs on anvil (a block a second, real time)
 *   npm run chaos -- --quick          the chain's CI subset
 *   npm run chaos -- --only <name>    one scenario (repeatable)
 *   npm run chaos -- --verbose        progress lines on stderr
 *
 * Prints `PASS <name> (<seconds>s): <detail>` or `FAIL <name>: <why>` per scenario and
 * `N passed, N failed` last; exits 1 if any failed, 2 on a bad argument. A failed scenario keeps
 * its directory (chain and node logs) under the OS temp dir and names it.
 *
 * Every scenario has a wall-clock budget (SCENARIO_BUDGET_S, or --budget <seconds>). One that
 * overruns it is a FAIL naming its last progress step; the tail of each of its devnet's logs is
 * printed, the remaining scenarios are not run, and the process exits 1, which kills every
 * process the devnet started (ProcessGroup.stopOnExit). A hung scenario can never hang CI.
 */
import fs from "node:fs";
import path from "node:path";
import { CHAIN_KINDS, type ChainKind } from "../devnet/chain";
import { latestDevnetDir } from "./devnet";
import { reportDevnetStepsTo, type Scenario } from "./scenario";
import { executorKill } from "./scenarios/executorKill";
import { verifierOffline } from "./scenarios/verifierOffline";
import { rpcOutage } from "./scenarios/rpcOutage";
import { reorg } from "./scenarios/reorg";
import { hostileInputs } from "./scenarios/hostileInputs";
import { reorgSubmit, reorgVote } from "./scenarios/anvilReorg";

export const SCENARIOS: Scenario[] = [executorKill, verifierOffline, rpcOutage, reorg, reorgSubmit, reorgVote, hostileInputs];

/** Wall-clock seconds a scenario may take (a quick one takes 30-70 s on 2 idle cores). */
export const SCENARIO_BUDGET_S = { quick: 360, full: 900 };
/** Lines of each devnet log printed when a scenario overruns its budget. */
const TAIL_LINES = 15;

interface Options {
  chain: ChainKind;
  quick: boolean;
  only: string[];
  verbose: boolean;
  budgetS?: number;
}

function usage(): string {
  return [
    "usage: npm run chaos -- [--chain hardhat|anvil] [--quick] [--only <name>]... [--verbose] [--budget <seconds per scenario>]",
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(18)}${CHAIN_KINDS.map((c) => (s.chains[c] ? `${c}${s.chains[c]?.quick ? " (quick)" : ""}` : "")).filter(Boolean).join(", ").padEnd(34)}${s.description}`),
  ].join("\n");
}

function parseArgs(argv: string[]): Options {
  const options: Options = { chain: "hardhat", quick: false, only: [], verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--verbose" || arg === "-v") options.verbose = true;
    else if (arg === "--chain") {
      const kind = argv[++i] ?? "";
      if (!(CHAIN_KINDS as readonly string[]).includes(kind)) throw new Error(`--chain must be one of ${CHAIN_KINDS.join(", ")}, not "${kind}"`);
      options.chain = kind as ChainKind;
    } else if (arg === "--only") {
      const name = argv[++i];
      if (!SCENARIOS.some((s) => s.name === name)) throw new Error(`--only: unknown scenario "${name ?? ""}"\n${usage()}`);
      options.only.push(name);
    } else if (arg === "--budget") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 10) throw new Error(`--budget: expected whole seconds >= 10, got "${argv[i] ?? ""}"`);
      options.budgetS = value;
    } else if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${usage()}`);
  }
  const elsewhere = options.only.filter((name) => !SCENARIOS.find((s) => s.name === name)?.chains[options.chain]);
  if (elsewhere.length > 0) throw new Error(`--only: ${elsewhere.join(", ")} does not run on ${options.chain}; see --help for each scenario's chains`);
  return options;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => {
    const on = s.chains[options.chain];
    if (!on) return false;
    return options.only.length > 0 ? options.only.includes(s.name) : !options.quick || on.quick;
  });
  const log = (line: string) => {
    if (options.verbose) console.error(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
  };
  const budgetS = options.budgetS ?? (options.quick ? SCENARIO_BUDGET_S.quick : SCENARIO_BUDGET_S.full);
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  console.log(`chaos on ${options.chain}${options.quick ? " (quick)" : ""}: ${chosen.map((s) => s.name).join(", ")}`);
  for (const [index, scenario] of chosen.entries()) {
    const t0 = Date.now();
    let lastStep = "starting its devnet";
    const progress = (line: string) => {
      lastStep = line;
      log(`${scenario.name}: ${line}`);
    };
    reportDevnetStepsTo(progress);
    const outcome = await withBudget(scenario.run({ quick: options.quick, chain: options.chain, log: progress }), budgetS * 1000);
    const took = ((Date.now() - t0) / 1000).toFixed(1);
    if (outcome.kind === "done") {
      passed++;
      console.log(`PASS ${scenario.name} (${took}s): ${outcome.detail}`);
    } else if (outcome.kind === "failed") {
      failed++;
      const why = outcome.err instanceof Error ? outcome.err.message : String(outcome.err);
      console.log(`FAIL ${scenario.name}: ${why.replace(/\s*\n\s*/g, " ")} (${took}s)`);
    } else {
      // Exiting skips the devnet's stop, so its directory stays for a look.
      const dir = latestDevnetDir();
      console.log(`FAIL ${scenario.name}: overran its budget of ${budgetS} s; last step: ${lastStep}${dir ? ` (logs kept in ${dir})` : ""}`);
      if (dir) printLogTails(dir);
      const skipped = chosen.slice(index + 1).map((s) => s.name);
      console.log(`${passed} passed, ${failed + 1} failed${skipped.length > 0 ? ` (not run: ${skipped.join(", ")})` : ""}`);
      return 1; // exiting kills every process group the hung scenario started
    }
  }
  log(`all scenarios (on ${options.chain}) took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

type Outcome = { kind: "done"; detail: string } | { kind: "failed"; err: unknown } | { kind: "overran" };

/** Settles with the scenario's outcome, or with "overran" after `ms` (the scenario is left running). */
function withBudget(run: Promise<string>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "overran" }), ms);
  });
  const finished = run.then(
    (detail): Outcome => ({ kind: "done", detail }),
    (err: unknown): Outcome => ({ kind: "failed", err }),
  );
  return Promise.race([finished, overrun]).finally(() => clearTimeout(timer));
}

/** The last lines of every log in a devnet's directory (the chain's and each node's). */
function printLogTails(dir: string): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort()) {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").trimEnd().split("\n");
    console.log(`--- last ${Math.min(TAIL_LINES, lines.length)} lines of ${file}`);
    // Hardhat colours its method names; the escapes are dropped.
    for (const line of lines.slice(-TAIL_LINES)) console.log(`    ${line.replace(/\x1b\[[0-9;]*m/g, "").slice(0, 400)}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
