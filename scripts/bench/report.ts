/**
 * reports/BENCH.md and reports/charts/*.png from the bench's results: one part per section, each a
 * few tables and the charts that show them (gas per mode, scaling on a log axis, latency
 * percentiles per mode, expected executions per mode, P(caught) curves).
 */
import fs from "node:fs";
import path from "node:path";
import type { BenchReport } from "./benchReport";
import type { DevnetSection } from "./devnetLoad";
import { renderPng } from "./charts";
import { GAS_PRICES_GWEI, log, REPORTS } from "./common";
import { pCaught, SHARES } from "./security";

const CHARTS = path.join(REPORTS, "charts");

function tableMd(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
const eth = (x: number) => (x < 0.001 ? x.toExponential(2) : x.toFixed(5));

async function chart(name: string, spec: object, out: string[]): Promise<void> {
  try {
    await renderPng(spec, path.join(CHARTS, `${name}.png`));
    out.push(`![${name}](charts/${name}.png)`);
  } catch (err) {
    log(`chart ${name} failed: ${(err as Error).message}`);
    out.push(`(chart ${name} failed to render: ${(err as Error).message})`);
  }
}

async function gasPart(r: BenchReport, out: string[]): Promise<void> {
  const g = r.gas;
  if (!g) return;
  out.push("## 1. Gas per operation and per job", "", g.note, "");
  for (const s of g.scenarios) {
    out.push(`**${s.name}** — whole life ${n0(s.lifeGas)} gas`, "");
    out.push(tableMd(["operation", "sent by", "times", "gas each (max)", "gas total"], s.ops.map((o) => [o.op, o.by, o.gas.length, n0(Math.max(...o.gas)), n0(o.gas.reduce((a, b) => a + b, 0))])), "");
  }
  out.push(`Cost of a job: the fee in GLASS (${g.feeGlass} GLASS in these runs; the requester chooses it, at least the protocol's and the model's minFee) plus the gas of its whole life in ETH:`, "");
  out.push(
    tableMd(
      ["scenario", "mode", "dispute", "life gas", ...GAS_PRICES_GWEI.map((p) => `ETH at ${p} gwei`), "fee (GLASS)"],
      g.scenarios.map((s) => [s.name, s.mode, s.dispute ? "yes" : "no", n0(s.lifeGas), ...GAS_PRICES_GWEI.map((p) => eth(s.lifeEth[`${p}gwei`])), g.feeGlass]),
    ),
    "",
  );
  await chart(
    "gas-per-mode",
    {
      title: "Gas of a job's whole life, per mode and scenario",
      width: 520,
      height: 260,
      data: { values: g.scenarios.map((s) => ({ scenario: s.name.replace(/^[A-Z]+: /, ""), mode: s.mode, gas: s.lifeGas })) },
      mark: "bar",
      encoding: {
        y: { field: "scenario", type: "nominal", sort: null, title: null, axis: { labelLimit: 420 } },
        x: { field: "gas", type: "quantitative", title: "gas (all transactions of the job)" },
        color: { field: "mode", type: "nominal" },
      },
    },
    out,
  );
  out.push("");
}

async function scalingPart(r: BenchReport, out: string[]): Promise<void> {
  const s = r.scaling;
  if (!s) return;
  out.push("## 2. Scaling", "", `Mean of ${s.samples} samples per point. Staked nodes: ${s.nodeSizes.join(", ")}; open jobs: ${s.openJobSizes.join(", ")}. Flat or logarithmic means a small, constant slope per tenfold.`, "");
  out.push(
    tableMd(
      ["operation", "grows with", ...["first", "last"].map((x) => `gas at ${x}`), "ratio last/first", "slope (gas per x10)", "slope (% of first per x10)"],
      s.series.map((x) => [x.name, x.axis, n0(x.points[0].gas), n0(x.points[x.points.length - 1].gas), x.ratio.toFixed(3), n0(x.slopePerDecade), `${x.slopePercentPerDecade}%`]),
    ),
    "",
  );
  const pointsTable = (axis: string) =>
    tableMd([axis, ...s.series.filter((x) => x.axis === axis).map((x) => x.name)], (axis === "staked nodes" ? s.nodeSizes : s.openJobSizes).map((size) => [n0(size), ...s.series.filter((x) => x.axis === axis).map((x) => n0(x.points.find((p) => p.x === size)?.gas ?? Number.NaN))]));
  out.push(pointsTable("staked nodes"), "", pointsTable("open jobs"), "");
  for (const axis of ["staked nodes", "open jobs"] as const) {
    await chart(
      `scaling-${axis.replace(" ", "-")}`,
      {
        title: `Gas as ${axis} grow (log x)`,
        width: 480,
        height: 260,
        data: { values: s.series.filter((x) => x.axis === axis).flatMap((x) => x.points.map((p) => ({ operation: x.name, x: p.x, gas: p.gas }))) },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "x", type: "quantitative", scale: { type: "log" }, title: axis },
          y: { field: "gas", type: "quantitative", scale: { zero: true } },
          color: { field: "operation", type: "nominal" },
        },
      },
      out,
    );
    out.push("");
  }
}

/** The two devnet load sections, in the order of their columns. */
const DEVNET_RUNS = [
  { section: "devnet", title: "Hardhat", of: (r: BenchReport) => r.devnet },
  { section: "devnet-anvil", title: "anvil", of: (r: BenchReport) => r.devnetAnvil },
] as const;

/** A figure, or a dash where there is none (no job of that mode finalized; NaN is null in bench.json). */
const fig = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? String(x) : "–");

function chainOf(d: DevnetSection): string {
  return d.automine
    ? `\`hardhat node\` (automine: a block per transaction, and the clock's empty block every ${d.blockIntervalSeconds} s of wall clock)`
    : `anvil mining a block every ${d.blockIntervalSeconds} s, no automine (a transaction waits for the next block)`;
}

function clockOf(d: DevnetSection): string {
  return d.clockSpeed === 1 ? "real time (1x)" : `${d.clockSpeed}x the wall clock`;
}

/** The params file's windows in chain seconds, and what they last on the wall clock at the chain's measured speed. */
function windowsOf(d: DevnetSection): string {
  const w = d.windows;
  const wall = (s: number) => (s / d.measuredSpeed).toFixed(0);
  return `execution ${w.execution} s, challenge ${w.challenge} s, reveal ${w.reveal} s: ${wall(w.execution)}, ${wall(w.challenge)} and ${wall(w.reveal)} s of wall clock at the measured ${d.measuredSpeed}x`;
}

/** Hardhat and anvil side by side; a column whose section did not run (or failed) says so. */
export function devnetComparison(r: BenchReport): string {
  const rows: [string, (d: DevnetSection) => string | number][] = [
    ["chain", (d) => (d.automine ? "hardhat node, automine" : "anvil, interval mining")],
    ["params", (d) => `deploy/params/${d.params}.json`],
    ["block time", (d) => (d.automine ? `a block per transaction + an empty one every ${d.blockIntervalSeconds} s` : `${d.blockIntervalSeconds} s`)],
    ["clock", clockOf],
    ["chain time per wall second, measured over the load", (d) => `${fig(d.measuredSpeed)}x`],
    ["windows: execution / challenge / reveal (chain s)", (d) => `${d.windows.execution} / ${d.windows.challenge} / ${d.windows.reveal}`],
    ["challenge window in wall-clock s (at the measured speed)", (d) => (d.windows.challenge / d.measuredSpeed).toFixed(0)],
    ["jobs requested (of planned)", (d) => `${d.jobs} (of ${d.planned})`],
    ["finalized / refunded / unsettled", (d) => `${d.finalized} / ${d.refunded} / ${d.unsettled}`],
    ["wall clock, first request to last final event (s)", (d) => d.wallSeconds],
    ["load budget (s)", (d) => d.budgetSeconds],
    ["**throughput (jobs finalized/s)**", (d) => `**${d.throughputJobsPerSecond}**`],
    ...(["NONE", "OPTIMISTIC", "QUORUM"] as const).flatMap((mode): [string, (d: DevnetSection) => string][] => {
      const of = (d: DevnetSection) => d.latency.find((l) => l.mode === mode);
      return [
        [`${mode} p50 / p95 / p99 (s)`, (d) => { const l = of(d); return l ? `${fig(l.seconds.p50)} / ${fig(l.seconds.p95)} / ${fig(l.seconds.p99)}` : "–"; }],
        [`${mode} p50 / p95 / p99 (blocks)`, (d) => { const l = of(d); return l ? `${fig(l.blocks.p50)} / ${fig(l.blocks.p95)} / ${fig(l.blocks.p99)}` : "–"; }],
      ];
    }),
    ["keeper: timeouts (NONE/OPTIMISTIC)", (d) => d.keeperTimeouts],
    ["keeper: QUORUM rounds finalized", (d) => d.keeperQuorumFinalizes],
    ["audits opened", (d) => d.audits],
    ["explorer: indexer lag behind the head, p50 / max (blocks)", (d) => (d.explorer ? `${fig(d.explorer.lagBlocks.p50)} / ${fig(d.explorer.lagBlocks.max)}` : "–")],
    ["explorer: job page (GET /api/jobs/:id) p50 / p99 (ms)", (d) => (d.explorer ? `${fig(d.explorer.jobPageMs.p50)} / ${fig(d.explorer.jobPageMs.p99)}` : "–")],
    ["setup (s, not counted)", (d) => d.setupSeconds],
    ["chain's peak memory (MB)", (d) => fig(d.memory.find((m) => m.name.endsWith("(chain)"))?.peakMb)],
    ["largest node's peak memory (MB)", (d) => fig(Math.max(...d.memory.filter((m) => !m.name.endsWith("(chain)") && m.name !== "explorer").map((m) => m.peakMb)))],
  ];
  const head = ["", ...DEVNET_RUNS.map((c) => `${c.title} (\`${c.section}\`)`)];
  const cell = (c: (typeof DEVNET_RUNS)[number], f: (d: DevnetSection) => string | number) => {
    const d = c.of(r);
    if (d) return f(d);
    return r.errors[c.section] ? "FAILED (see above)" : `not run (section ${c.section} not selected)`;
  };
  return tableMd(head, rows.map(([label, f]) => [label, ...DEVNET_RUNS.map((c) => cell(c, f))]));
}

/** The measured ratios, anvil against Hardhat, when both sections ran. */
function devnetContrast(r: BenchReport): string[] {
  const [h, a] = [r.devnet, r.devnetAnvil];
  if (!h || !a) return [];
  const p50 = (d: DevnetSection, mode: string) => d.latency.find((l) => l.mode === mode)?.seconds.p50 ?? Number.NaN;
  const ratio = (x: number, y: number) => (Number.isFinite(x / y) ? `${(x / y).toFixed(1)}x` : "–");
  return [
    `Measured here: median latency on anvil ${["NONE", "OPTIMISTIC", "QUORUM"].map((m) => `${m} ${ratio(p50(a, m), p50(h, m))}`).join(", ")} Hardhat's, throughput ${ratio(a.throughputJobsPerSecond, h.throughputJobsPerSecond)} (${a.throughputJobsPerSecond} against ${h.throughputJobsPerSecond} jobs/s).`,
    "",
  ];
}

/** One chain's load in detail: what ran, its throughput, its latency per mode and its memory. */
function devnetDetail(d: DevnetSection, heading: string): string[] {
  return [
    heading,
    "",
    `${d.jobs} jobs from ${d.clients} clients (at most ${d.inFlightPerClient} in flight each), models ${d.models.join(", ")}, modes NONE / OPTIMISTIC / QUORUM in turn ` +
      `(${Object.entries(d.modelsByMode).map(([mode, names]) => `${mode} on ${names.join(", ")}`).join("; ")}: QUORUM only on the exact model, the only kind ModelRegistry lets allow it), ` +
      `each paying ${d.feeGlass} GLASS (each executor locks ${Object.entries(d.collateralGlass).map(([mode, c]) => `${c} GLASS for ${mode}`).join(", ")}: max(minimum, 22 x fee) for the modes that verify), ` +
      `against 3 executor and 3 verifier node processes on ${chainOf(d)}, chain time ${clockOf(d)} (deploy/params/${d.params}.json: ${windowsOf(d)}; model audit rate 10%; the devnet's verifiers re-run every OPTIMISTIC result, --watch-share 1). ` +
      `Setup took ${d.setupSeconds} s (not counted); the load's budget was ${d.budgetSeconds} s. Logs: \`${d.logs}/\`.`,
    "",
    `**Throughput: ${d.throughputJobsPerSecond} jobs finalized per second** (${d.finalized} finalized in ${d.wallSeconds} s of wall clock, first request to last final event); ${d.refunded} refunded, ${d.unsettled} unsettled; the audit lottery opened ${d.audits} audits. ` +
      `Executors that missed their window (the load's keeper moved the job on): ${d.keeperTimeouts} timeouts (NONE/OPTIMISTIC: the executor loses timeoutSlash to the treasury, not to the requester, and the job is reassigned, or refunded when no time is left) and ${d.keeperQuorumFinalizes} QUORUM rounds closed without every seat (absent members lose their collateral).`,
    "",
    `Latency from the request's receipt to the job's final event (wall-clock seconds; an OPTIMISTIC job waits out a ${d.windows.challenge} s challenge window, ${(d.windows.challenge / d.measuredSpeed).toFixed(0)} s of wall clock at the measured speed; ` +
      (d.automine ? "blocks include the clock's empty blocks, one per wall-clock second, and every transaction's own block):" : `blocks come one per ${d.blockIntervalSeconds} s whatever they carry, so blocks track seconds):`),
    "",
    tableMd(
      ["mode", "jobs", "finalized", "refunded", "unsettled", "p50 s", "p95 s", "p99 s", "max s", "p50 blocks", "p95 blocks", "p99 blocks"],
      d.latency.map((l) => [l.mode, l.jobs, l.finalized, l.refunded, l.unsettled, fig(l.seconds.p50), fig(l.seconds.p95), fig(l.seconds.p99), fig(l.seconds.max), fig(l.blocks.p50), fig(l.blocks.p95), fig(l.blocks.p99)]),
    ),
    "",
    ...(d.explorer ? explorerDetail(d.explorer) : []),
    "Peak memory of each process (VmHWM from /proc/<pid>/status; and the largest VmRSS sampled each second):",
    "",
    tableMd(["process", "peak (VmHWM) MB", "max sampled RSS MB"], d.memory.map((m) => [m.name, m.peakMb, m.maxSampledRssMb])),
    "",
  ];
}

/** The explorer's figures under the load (scripts/bench/explorerProbe.ts). */
function explorerDetail(e: NonNullable<DevnetSection["explorer"]>): string[] {
  return [
    `**Explorer under the load** (\`glassbox explorer\`, its own process, \`--confirmations 0\`, polling every 250 ms): its indexer stayed **${fig(e.lagBlocks.p50)} blocks behind the head at the median, ${fig(e.lagBlocks.max)} at most** (p95 ${fig(e.lagBlocks.p95)}; ${e.lagBlocks.samples} samples, one a second); ` +
      `a job's page (GET /api/jobs/:id, its timeline, disputes and payouts) answered in **${fig(e.jobPageMs.p50)} ms at the median and ${fig(e.jobPageMs.p99)} ms at p99** (max ${fig(e.jobPageMs.max)}; ${e.jobPageMs.requests} requests, 5 a second on jobs picked at random among those requested so far; ${e.jobPageMs.notYetIndexed} were of a job not indexed yet (404), ${e.jobPageMs.failed} failed).`,
    "",
  ];
}

async function devnetPart(r: BenchReport, out: string[]): Promise<void> {
  const ran = DEVNET_RUNS.filter((c) => c.of(r));
  if (ran.length === 0) return;
  out.push(
    "## 3. Devnet load",
    "",
    "The same load (clients, models, modes, jobs in flight) on two local chains. They differ in how time passes, not in what the nodes do. " +
      "Hardhat mines every transaction at once (automine) and the devnet's clock adds chain time faster than the wall clock; as every block's timestamp is at least a second past the last, a busy Hardhat chain's time runs faster still than its clock (the measured speed below). " +
      "anvil mines a block every second with no automine, so each transaction waits for the next block, and its time is real time: each of anvil.json's 60 s windows lasts a real minute. " +
      "An OPTIMISTIC job's latency is mostly its challenge window (its chain seconds over the chain's speed); NONE and QUORUM wait for no window when every node does its part (a QUORUM round moves on once every member has committed and revealed): " +
      "their latency is blocks and the nodes' polling, and each transaction waiting for anvil's next block adds up to a second. With the same jobs in flight, throughput follows latency. " +
      "Blocks count every block mined: anvil's come one a second whatever they carry, Hardhat's one per transaction of the whole load plus the clock's one a second.",
    "",
    ...devnetContrast(r),
    devnetComparison(r),
    "",
  );
  for (const [i, c] of DEVNET_RUNS.entries()) {
    const d = c.of(r);
    if (d) out.push(...devnetDetail(d, `### 3${"ab"[i]}. ${c.title} (\`${c.section}\`)`));
  }
  await chart(
    "latency-per-mode",
    {
      title: "Latency request -> final, per mode (wall-clock seconds; each chain on its own scale)",
      data: { values: ran.flatMap((c) => c.of(r)!.latency.flatMap((l) => (["p50", "p95", "p99"] as const).map((p) => ({ chain: c.title, mode: l.mode, percentile: p, seconds: l.seconds[p] })))) },
      facet: { column: { field: "chain", type: "nominal", title: null, sort: DEVNET_RUNS.map((c) => c.title) } },
      spec: {
        width: 300,
        height: 240,
        mark: "bar",
        encoding: {
          x: { field: "mode", type: "nominal", title: null },
          xOffset: { field: "percentile", type: "nominal" },
          y: { field: "seconds", type: "quantitative" },
          color: { field: "percentile", type: "nominal" },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
    out,
  );
  out.push("");
}

async function checkingPart(r: BenchReport, out: string[]): Promise<void> {
  const c = r.checking;
  if (!c) return;
  out.push(
    "## 4. Cost of checking",
    "",
    "The node's whole check of a job (cached model fetch, decode, validate, run, encode, compare) against one raw onnxruntime run, median ms (scripts/node-bench.ts; also in reports/node-bench.json):",
    "",
    tableMd(["model", "raw ms", "check ms", "ratio"], c.nodeBench.map((m) => [m.name, m.rawMs.toFixed(3), m.checkMs.toFixed(3), m.ratio.toFixed(3)])),
    "",
    `Expected executions of the model per job (audit rate ${c.auditRate}, committee ${c.committeeSize}, ${c.watchingVerifiers} verifiers watching a share ${c.watchShare} each, quorum ${c.quorumSize}; params: ${c.paramsChecked.join("; ")}), and the one-thread compute per job that makes, from the check times above:`,
    "",
    tableMd(["mode", "executions per job", "formula", ...c.nodeBench.map((m) => `${m.name} ms/job`)], c.modes.map((m) => [m.mode, m.executionsPerJob, m.formula, ...c.nodeBench.map((b) => m.msPerJob[b.name])])),
    "",
    `OPTIMISTIC costs ${c.optimisticVsQuorum}x the compute of QUORUM (its re-executions: audits and watchers, ${(c.modes[1].executionsPerJob - 1).toFixed(2)} per job, against ${c.quorumSize - 1} extra for QUORUM). QUORUM is open only to exact models (ModelRegistry refuses it for a policy with tolerances: ModeNotAllowed); a tolerant model's choice is between NONE and OPTIMISTIC.`,
    "",
  );
  await chart(
    "executions-per-mode",
    {
      title: "Expected executions of the model per job",
      width: 360,
      height: 220,
      data: { values: c.modes.map((m) => ({ mode: m.mode, executions: m.executionsPerJob })) },
      mark: "bar",
      encoding: { x: { field: "mode", type: "nominal", sort: null, title: null }, y: { field: "executions", type: "quantitative" }, color: { field: "mode", type: "nominal", legend: null } },
    },
    out,
  );
  out.push("");
}

async function securityPart(r: BenchReport, out: string[]): Promise<void> {
  const s = r.security;
  if (!s) return;
  const sim = s.simulation;
  out.push(
    "## 5. Security that money buys",
    "",
    `A cheater falsifies a share f of its OPTIMISTIC jobs. Per falsified job it is caught with probability q: audit only q = a = ${s.qAuditOnly}; with ${s.watchingVerifiers} watching verifiers at w = ${s.watchShare}, q = 1 - (1-a)(1-w)^${s.watchingVerifiers} = ${s.qWithWatchers}. P(caught within N jobs) = 1 - (1 - f q)^N.`,
    "",
  );
  for (const [label, rows] of [["Audit only", s.auditOnly], ["Audit + watching verifiers", s.withWatchers]] as const) {
    out.push(`**${label}**`, "", tableMd(["f", ...s.horizons.map((n) => `N = ${n}`)], rows.map((row) => [row.f, ...row.p.map(pct)])), "");
  }
  out.push(
    `**Simulation** (Hardhat in-process network, seed ${sim.seed}): ${sim.jobs} OPTIMISTIC jobs of a model audited at a = ${sim.auditRate}, one executor cheating on a share f = ${sim.f} (${sim.cheats} cheats), every job finalized by the contract's own lottery. ${sim.seconds} s.`,
    "",
    tableMd(
      ["quantity", "observed", "95% interval (Wilson)", "expected", "within"],
      [
        ["audits that hit a cheat, per job", `${sim.auditsOnCheats}/${sim.jobs} = ${sim.hitRate}`, `${sim.hitRateCi.low} – ${sim.hitRateCi.high}`, `f a = ${sim.hitRateExpected}`, sim.hitRateWithinCi ? "yes" : "NO"],
        ["audits per job", `${sim.audits}/${sim.jobs} = ${sim.auditRateObserved}`, `${sim.auditRateCi.low} – ${sim.auditRateCi.high}`, `a = ${sim.auditRate}`, sim.auditRateWithinCi ? "yes" : "NO"],
      ],
    ),
    "",
    `One audited cheat carried to the committee's Invalid verdict cost the cheater ${sim.slashMeasuredGlass} GLASS of stake: the job's whole collateral, max(minimum, 22 x fee) = ${sim.collateralGlass} GLASS at its ${sim.feeGlass} GLASS fee${sim.slashMeasuredGlass === sim.collateralGlass ? "" : " (MISMATCH)"}.`,
    "",
    "**Expected profit of a wrong answer on one job** (docs/ARCHITECTURE.md, \"Why a wrong answer loses money\"; deploy/economics.ts, exact integer arithmetic) = (1 - q h) x fee - q h x (C - bounty), in GLASS, " +
      "where C = max(minimum, fee x multipleBps / 10,000) is the collateral the executor locks for the job and an Invalid verdict takes whole, at most `bounty` of it can return to the cheater through its own challenger, " +
      "h is the chance that a committee rules the wrong result Invalid against a 10% adversary, and a fee whose C would exceed the cap is refused (FeeAboveCollateralCap). " +
      "C grows with the fee, so there is no break-even fee: E rises with the fee only while the minimum binds and falls once the multiple does, and its largest value over every fee the chain accepts is where the multiple starts to bind.",
    "",
    tableMd(
      ["params files", "minimum", "multiple", "least multiple (loadParams)", "bounty", "minFee", "q floor", "k, h", "multiple binds from fee", "largest fee (cap)", "largest E[profit] (at that fee, q floor)", "negative at every accepted fee"],
      s.terms.map((t) => [
        t.files.join(", "),
        t.minimumGlass,
        `${t.multipleBps / 10_000}x`,
        `${(t.leastMultipleBps / 10_000).toFixed(4)}x`,
        t.bountyGlass,
        t.minFeeGlass,
        `${t.minAuditRateBps / 100}%`,
        `${t.committeeSize}, ${t.h.toFixed(4)}`,
        t.bindsFromFeeGlass,
        t.largestFeeGlass,
        `${t.worstExpectedProfitGlass} (fee ${t.worstFeeGlass})`,
        t.negativeAtEveryFee ? "yes" : "NO",
      ]),
    ),
    "",
    s.terms.every((t) => t.negativeAtEveryFee)
      ? "With the shipped files a wrong answer's expected profit is negative at every fee the chain accepts, even at the least audit rate a model may have and with audits alone (exact check: below the binding fee E rises to a negative top; above it E falls, bounded by a line of negative slope that starts negative)."
      : "A shipped file lets a wrong answer pay at some accepted fee (see NO above).",
    "",
    tableMd(
      ["params files", "catch", "q", "h", "fee", "collateral C", "E[profit]", "negative"],
      s.profit.map((p) => [p.files, p.catchModel, p.q, p.h, `${p.feeGlass} (${p.feeBasis})`, p.collateralGlass, p.expectedProfitGlass, p.negative ? "yes" : "NO"]),
    ),
    "",
    "Assumptions:",
    "",
    ...s.assumptions.map((a) => `- ${a}`),
    "",
  );
  const horizons = [1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 200, 300, 500, 700, 1000];
  const values = SHARES.flatMap((f) =>
    [
      ["audit only", s.qAuditOnly],
      ["audit + watchers", s.qWithWatchers],
    ].flatMap(([label, q]) => horizons.map((n) => ({ f: `f = ${f}`, catch: label, N: n, p: pCaught(f, q as number, n) }))),
  );
  await chart(
    "p-caught",
    {
      title: "P(cheater caught within N jobs)",
      width: 480,
      height: 280,
      data: { values },
      mark: "line",
      encoding: {
        x: { field: "N", type: "quantitative", scale: { type: "log" }, title: "jobs N" },
        y: { field: "p", type: "quantitative", title: "P(caught)", axis: { format: "%" } },
        color: { field: "f", type: "nominal", title: "share falsified" },
        strokeDash: { field: "catch", type: "nominal", title: "caught by" },
      },
    },
    out,
  );
  out.push("");
}

/** Section 6: the referee's costs per refereeable model against issue 15's bounds. */
export function refereePart(r: BenchReport, out: string[]): void {
  const s = r.referee;
  if (!s) return;
  const t = s.targets;
  const within = (v: number | null, bound: number) => (v === null ? "not measured" : v <= bound ? "yes" : "NO");
  out.push(
    "## 6. Refereed disputes",
    "",
    `Each refereeable model (built in TypeScript from explicit quantized operators, packages/node/src/referee/zoo.ts), its refereed steps, the gas of the one-step at the dearest element of its dearest step (RefereeOneStep.check as a transaction, calldata included), and traceOverhead: onnxruntime's run with every step's tensor as an output plus the trace commitment (1 KiB SHA-256 leaves, 16-ary trees), over its plain run (medians). Targets: one-step <= ${t.gasOneStep.toLocaleString("en-US")} gas, a whole dispute <= ${t.gasPerSide.toLocaleString("en-US")} gas and <= ${t.movesPerSide} moves per side, traceOverhead <= ${t.traceOverhead}. Raw figures: reports/referee.json.`,
    "",
    s.note,
    "",
    tableMd(
      ["model", "params", "steps", "one-step gas", "within", "moves defender / challenger", "within", "gas defender", "gas challenger", "within", "traceOverhead", "within", "plain ms", "traced ms", "interpreter ms"],
      s.models.map((m) => {
        const gasOf = (g: number | null) => (g === null ? "-" : g.toLocaleString("en-US"));
        const worstGas = m.gasDefender === null || m.gasChallenger === null ? null : Math.max(m.gasDefender, m.gasChallenger);
        return [
          m.name,
          m.params.toLocaleString("en-US"),
          m.ops,
          m.gasOneStep.toLocaleString("en-US"),
          within(m.gasOneStep, t.gasOneStep),
          m.movesDefender === null || m.movesChallenger === null ? "-" : `${m.movesDefender} / ${m.movesChallenger}`,
          within(m.moves, t.movesPerSide),
          gasOf(m.gasDefender),
          gasOf(m.gasChallenger),
          within(worstGas, t.gasPerSide),
          m.traceOverhead,
          within(m.traceOverhead, t.traceOverhead),
          m.plainMs,
          m.traceMs,
          m.interpreterMs,
        ];
      }),
    ),
    "",
  );
  for (const m of s.models) {
    const fault = m.faultAt ? ` The dispute's fault: step ${m.faultAt.step}, element ${m.faultAt.element}.` : "";
    out.push(`${m.name}, one-step gas per step: ${m.steps.map((x) => `${x.step} ${x.op} ${x.gas.toLocaleString("en-US")}`).join("; ")}.${fault}`, "");
  }
}

export async function writeReport(r: BenchReport): Promise<void> {
  fs.rmSync(CHARTS, { recursive: true, force: true });
  const out: string[] = [
    "# Glassbox benchmarks",
    "",
    `${r.quick ? "Quick" : "Full"} run of \`npm run bench${r.quick ? " -- --quick" : ""}\`, started ${r.startedAt}, ${r.seconds.total ?? "?"} s in all ` +
      `(${Object.entries(r.seconds).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v} s`).join(", ")}); ${r.machine.cpus} x ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.platform}. Raw figures: reports/bench.json.`,
    "",
  ];
  for (const [name, err] of Object.entries(r.errors)) out.push(`**Section ${name} FAILED:**`, "", "```", err, "```", "");
  await gasPart(r, out);
  await scalingPart(r, out);
  await devnetPart(r, out);
  await checkingPart(r, out);
  await securityPart(r, out);
  refereePart(r, out);
  fs.writeFileSync(path.join(REPORTS, "BENCH.md"), `${out.join("\n")}\n`);
}
