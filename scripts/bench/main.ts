/**
 * `npm run bench`: the whole benchmark suite; `npm run bench -- --quick` (or BENCH_QUICK=1): a
 * reduced run, under ten minutes on two cores (five of them the anvil load's real-time windows).
 * Runs under `hardhat run` (the gas, scaling and security sections use Hardhat's in-process network;
 * the devnet section starts its own `hardhat node` on a free port, devnet-anvil its own anvil, and
 * the nodes as processes). Writes reports/bench.json, reports/BENCH.md and reports/charts/*.png.
 *
 * Sections, one module each: gas.ts, scaling.ts, devnetLoad.ts (devnet on hardhat, devnet-anvil on
 * anvil), checking.ts, security.ts, refereeSection.ts (which also writes reports/referee.json). A section
 * that fails is recorded with its error and the others still run; the exit code is then 1.
 * BENCH_SECTIONS=gas,security runs only those (for development; the report says which ran).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isQuick, log, REPORTS } from "./common";
import { runChecking, type CheckingSection } from "./checking";
import { ANVIL_LOAD, HARDHAT_LOAD, runDevnetLoad } from "./devnetLoad";
import { runGas, type GasSection } from "./gas";
import { runReferee } from "./refereeSection";
import type { BenchReport } from "./benchReport";
import { writeReport } from "./report";
import { runScaling, type ScalingSection } from "./scaling";
import { runSecurity, type SecuritySection } from "./security";
import { selected, type SectionName } from "./sections";


async function runSection(report: BenchReport, name: SectionName, quick: boolean): Promise<void> {
  const started = Date.now();
  log(`section ${name}: start`);
  try {
    if (name === "gas") report.gas = await runGas();
    else if (name === "scaling") report.scaling = await runScaling(quick);
    else if (name === "devnet") report.devnet = await runDevnetLoad(quick, HARDHAT_LOAD);
    else if (name === "devnet-anvil") report.devnetAnvil = await runDevnetLoad(quick, ANVIL_LOAD);
    else if (name === "checking") report.checking = await runChecking(quick);
    else if (name === "referee") report.referee = await runReferee(quick);
    else report.security = await runSecurity(quick);
  } catch (err) {
    report.errors[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`section ${name}: FAILED: ${report.errors[name]}`);
  }
  report.seconds[name] = Math.round((Date.now() - started) / 100) / 10;
  log(`section ${name}: ${report.seconds[name]} s`);
}

async function main(): Promise<void> {
  const quick = isQuick();
  const began = Date.now();
  const report: BenchReport = {
    quick,
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version, platform: `${os.platform()} ${os.arch()}` },
    seconds: {},
    errors: {},
  };
  fs.mkdirSync(REPORTS, { recursive: true });
  const jsonFile = path.join(REPORTS, "bench.json");
  for (const name of selected(process.env)) {
    await runSection(report, name, quick);
    fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`); // partial results survive a crash
  }
  report.seconds.total = Math.round((Date.now() - began) / 100) / 10;
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  await writeReport(report);
  log(`wrote reports/bench.json, reports/BENCH.md and reports/charts/ in ${report.seconds.total} s (${quick ? "quick" : "full"} run)`);
  if (Object.keys(report.errors).length > 0) {
    log(`failed sections: ${Object.keys(report.errors).join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
