/**
 * `npm run chaos`: scenarios that break a devnet (hardhat node + node processes) on purpose, each
 * on a fresh chain and each ended by the accounting check (scripts/chaos/accounting.ts).
 *
 *   npm run chaos                     every scenario
 *   npm run chaos -- --quick          the CI subset (under ~4 minutes on 2 cores)
 *   npm run chaos -- --only <name>    one scenario (repeatable)
 *   npm run chaos -- --verbose        progress lines on stderr
 *
 * Prints `PASS <name> (<seconds>s): <detail>` or `FAIL <name>: <why>` per scenario and
 * `N passed, N failed` last; exits 1 if any failed, 2 on a bad argument. A failed scenario keeps
 * its directory (chain and node logs) under the OS temp dir and names it.
 */
import type { Scenario } from "./scenario";
import { executorKill } from "./scenarios/executorKill";
import { verifierOffline } from "./scenarios/verifierOffline";
import { rpcOutage } from "./scenarios/rpcOutage";
import { reorg } from "./scenarios/reorg";
import { hostileInputs } from "./scenarios/hostileInputs";

export const SCENARIOS: Scenario[] = [executorKill, verifierOffline, rpcOutage, reorg, hostileInputs];

interface Options {
  quick: boolean;
  only: string[];
  verbose: boolean;
}

function usage(): string {
  return [
    "usage: npm run chaos -- [--quick] [--only <name>]... [--verbose]",
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(18)}${s.quick ? "(quick) " : "        "}${s.description}`),
  ].join("\n");
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, only: [], verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--verbose" || arg === "-v") options.verbose = true;
    else if (arg === "--only") {
      const name = argv[++i];
      if (!SCENARIOS.some((s) => s.name === name)) throw new Error(`--only: unknown scenario "${name ?? ""}"\n${usage()}`);
      options.only.push(name);
    } else if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${usage()}`);
  }
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
  const chosen = SCENARIOS.filter((s) => (options.only.length > 0 ? options.only.includes(s.name) : !options.quick || s.quick));
  const log = (line: string) => {
    if (options.verbose) console.error(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
  };
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  for (const scenario of chosen) {
    const t0 = Date.now();
    try {
      const detail = await scenario.run({ quick: options.quick, log: (l) => log(`${scenario.name}: ${l}`) });
      passed++;
      console.log(`PASS ${scenario.name} (${((Date.now() - t0) / 1000).toFixed(1)}s): ${detail}`);
    } catch (err) {
      failed++;
      const why = err instanceof Error ? err.message : String(err);
      console.log(`FAIL ${scenario.name}: ${why.replace(/\s*\n\s*/g, " ")} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    }
  }
  log(`all scenarios took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
