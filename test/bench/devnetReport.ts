/**
 * The bench's devnet sections (scripts/bench/sections.ts) and the Hardhat/anvil table of
 * reports/BENCH.md (scripts/bench/report.ts devnetComparison), from figures made up here: nothing runs.
 */
import { expect } from "chai";
import type { BenchReport } from "../../scripts/bench/benchReport";
import type { DevnetSection } from "../../scripts/bench/devnetLoad";
import { devnetComparison } from "../../scripts/bench/report";
import { SECTIONS, selected } from "../../scripts/bench/sections";

const percentiles = (x: number) => ({ p50: x, p95: x + 1, p99: x + 2, max: x + 3 });

function section(chain: "hardhat" | "anvil", throughput: number): DevnetSection {
  const anvil = chain === "anvil";
  return {
    chain,
    params: anvil ? "anvil" : "localhost",
    windows: { execution: 60, challenge: 60, reveal: 60 },
    automine: !anvil,
    blockIntervalSeconds: 1,
    budgetSeconds: 100,
    planned: 3,
    jobs: 3,
    feeGlass: 1,
    collateralGlass: { NONE: 20, OPTIMISTIC: 22, QUORUM: 22 },
    modelsByMode: { NONE: ["mlp"], OPTIMISTIC: ["mlp"], QUORUM: ["multi"] },
    clients: 1,
    inFlightPerClient: 1,
    clockSpeed: anvil ? 1 : 5,
    measuredSpeed: anvil ? 1 : 12,
    models: ["mlp", "multi"],
    wallSeconds: 10,
    finalized: 2,
    refunded: 0,
    unsettled: 1,
    audits: 0,
    keeperTimeouts: 0,
    keeperQuorumFinalizes: 0,
    throughputJobsPerSecond: throughput,
    latency: [
      { mode: "NONE", jobs: 1, finalized: 1, refunded: 0, unsettled: 0, seconds: percentiles(2), blocks: percentiles(3) },
      { mode: "OPTIMISTIC", jobs: 1, finalized: 1, refunded: 0, unsettled: 0, seconds: percentiles(anvil ? 70 : 14), blocks: percentiles(70) },
      // No QUORUM job finalized: its percentiles are NaN in memory and null in bench.json.
      { mode: "QUORUM", jobs: 1, finalized: 0, refunded: 0, unsettled: 1, seconds: { p50: NaN, p95: NaN, p99: NaN, max: -Infinity }, blocks: JSON.parse('{"p50":null,"p95":null,"p99":null,"max":null}') },
    ],
    memory: [{ name: `${anvil ? "anvil" : "hardhat node"} (chain)`, pid: 1, peakMb: 50, maxSampledRssMb: 50 }, { name: "executor-1", pid: 2, peakMb: 280, maxSampledRssMb: 279 }],
    setupSeconds: 5,
    logs: "reports/bench-x",
  };
}

function report(parts: Partial<BenchReport>): BenchReport {
  return { quick: true, startedAt: "", machine: { cpus: 2, cpu: "", node: "", platform: "" }, seconds: {}, errors: {}, ...parts };
}

/** The row of the table whose first cell is `label`, as its cells. */
function row(table: string, label: string): string[] {
  const line = table.split("\n").find((l) => l.startsWith(`| ${label} |`));
  if (!line) throw new Error(`no row "${label}" in\n${table}`);
  return line.split("|").slice(2, -1).map((c) => c.trim());
}

describe("bench: the devnet load on Hardhat and on anvil", function () {
  describe("sections", function () {
    it("runs devnet-anvil by default, right after devnet", function () {
      const all = selected({});
      expect(all).to.deep.equal([...SECTIONS]);
      expect(all.indexOf("devnet-anvil")).to.equal(all.indexOf("devnet") + 1);
    });

    it("selects devnet-anvil alone or with devnet, and refuses a name it does not know", function () {
      expect(selected({ BENCH_SECTIONS: "devnet-anvil" })).to.deep.equal(["devnet-anvil"]);
      expect(selected({ BENCH_SECTIONS: "devnet, devnet-anvil" })).to.deep.equal(["devnet", "devnet-anvil"]);
      expect(() => selected({ BENCH_SECTIONS: "anvil" })).to.throw('unknown section "anvil"');
    });
  });

  describe("devnetComparison", function () {
    it("shows both chains side by side: throughput, latency per mode in seconds and blocks, clock, block time", function () {
      const table = devnetComparison(report({ devnet: section("hardhat", 0.9), devnetAnvil: section("anvil", 0.2) }));
      expect(row(table, "**throughput (jobs finalized/s)**")).to.deep.equal(["**0.9**", "**0.2**"]);
      expect(row(table, "OPTIMISTIC p50 / p95 / p99 (s)")).to.deep.equal(["14 / 15 / 16", "70 / 71 / 72"]);
      expect(row(table, "NONE p50 / p95 / p99 (blocks)")).to.deep.equal(["3 / 4 / 5", "3 / 4 / 5"]);
      expect(row(table, "clock")).to.deep.equal(["5x the wall clock", "real time (1x)"]);
      expect(row(table, "chain time per wall second, measured over the load")).to.deep.equal(["12x", "1x"]);
      expect(row(table, "challenge window in wall-clock s (at the measured speed)")).to.deep.equal(["5", "60"]);
      expect(row(table, "block time")[1]).to.equal("1 s");
      expect(row(table, "chain's peak memory (MB)")).to.deep.equal(["50", "50"]);
    });

    it("shows the explorer's indexer lag and job-page latency, and a dash for a run without the explorer", function () {
      const withExplorer: DevnetSection = { ...section("hardhat", 0.9), explorer: { lagBlocks: { p50: 1, p95: 3, max: 7, samples: 100 }, jobPageMs: { p50: 4.2, p99: 31.5, max: 40, requests: 500, notYetIndexed: 2, failed: 0 } } };
      const table = devnetComparison(report({ devnet: withExplorer, devnetAnvil: section("anvil", 0.2) }));
      expect(row(table, "explorer: indexer lag behind the head, p50 / max (blocks)")).to.deep.equal(["1 / 7", "–"]);
      expect(row(table, "explorer: job page (GET /api/jobs/:id) p50 / p99 (ms)")).to.deep.equal(["4.2 / 31.5", "–"]);
    });

    it("shows a dash for a mode with no finalized job, in memory (NaN) and from bench.json (null)", function () {
      const table = devnetComparison(report({ devnet: section("hardhat", 0.9), devnetAnvil: section("anvil", 0.2) }));
      expect(row(table, "QUORUM p50 / p95 / p99 (s)")).to.deep.equal(["– / – / –", "– / – / –"]);
      expect(row(table, "QUORUM p50 / p95 / p99 (blocks)")).to.deep.equal(["– / – / –", "– / – / –"]);
    });

    it("says which section did not run, or failed, instead of throwing", function () {
      const onlyAnvil = devnetComparison(report({ devnetAnvil: section("anvil", 0.2) }));
      expect(row(onlyAnvil, "**throughput (jobs finalized/s)**")).to.deep.equal(["not run (section devnet not selected)", "**0.2**"]);
      const anvilFailed = devnetComparison(report({ devnet: section("hardhat", 0.9), errors: { "devnet-anvil": "Error: boom" } }));
      expect(row(anvilFailed, "jobs requested (of planned)")).to.deep.equal(["3 (of 3)", "FAILED (see above)"]);
    });
  });
});
