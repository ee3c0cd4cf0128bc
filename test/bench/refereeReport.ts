/**
 * Section 6 of reports/BENCH.md (scripts/bench/report.ts refereePart), from figures made up here:
 * nothing runs. A figure over its bound reads NO, a figure the run could not measure reads "not
 * measured" (never a number), and every step's one-step gas is listed.
 */
import { expect } from "chai";
import type { BenchReport } from "../../scripts/bench/benchReport";
import { refereePart } from "../../scripts/bench/report";
import { REFEREE_TARGETS, type RefereeRow } from "../../scripts/bench/refereeSection";
import { SECTIONS } from "../../scripts/bench/sections";

const row = (name: string, gasOneStep: number, traceOverhead: number, moves: number | null): RefereeRow => ({
  name,
  params: 1_234_567,
  ops: 2,
  moves,
  movesDefender: moves === null ? null : moves - 1,
  movesChallenger: moves,
  faultAt: moves === null ? null : { step: 0, element: 7 },
  gasChallenger: moves === null ? null : 900_000,
  gasDefender: moves === null ? null : 800_000,
  gasOneStep,
  traceOverhead,
  plainMs: 0.1,
  traceMs: traceOverhead / 10,
  interpreterMs: 20,
  steps: [
    { step: 0, op: "QLinearMatMul", element: 0, gas: gasOneStep },
    { step: 1, op: "Relu", element: 0, gas: 120_000 },
  ],
});

function render(models: RefereeRow[]): string {
  const report: BenchReport = { quick: true, startedAt: "", machine: { cpus: 2, cpu: "x", node: "v20", platform: "linux" }, seconds: {}, errors: {}, referee: { models, targets: REFEREE_TARGETS, note: "a note" } };
  const out: string[] = [];
  refereePart(report, out);
  return out.join("\n");
}

describe("bench report: the referee's section", function () {
  it("is a section of the bench", function () {
    expect(SECTIONS).to.include("referee");
  });

  it("marks each figure against the issue's bound, and says when the game's figures were not measured", function () {
    const md = render([row("within", 399_999, 1.3, 6), row("over", 400_001, 2.5, null), { ...row("heavy", 1, 1, 9), gasChallenger: 1_000_001 }]);
    expect(md.split("\n").find((l) => l.startsWith("| heavy"))).to.include("| 8 / 9 | NO | 800,000 | 1,000,001 | NO |");
    const lines = md.split("\n");
    const within = lines.find((l) => l.startsWith("| within"))!;
    const over = lines.find((l) => l.startsWith("| over"))!;
    expect(within).to.include("| 399,999 | yes |").and.to.include("| 1.3 | yes |").and.to.include("| 5 / 6 | yes | 800,000 | 900,000 | yes |");
    expect(over).to.include("| 400,001 | NO |").and.to.include("| 2.5 | NO |").and.to.include("| - | not measured | - | - | not measured |");
    expect(md).to.include("The dispute's fault: step 0, element 7.");
    expect(md).to.include("a note");
    expect(md).to.include("over, one-step gas per step: 0 QLinearMatMul 400,001; 1 Relu 120,000.");
  });

  it("writes nothing when the section did not run", function () {
    const out: string[] = [];
    refereePart({ quick: true, startedAt: "", machine: { cpus: 2, cpu: "x", node: "v20", platform: "linux" }, seconds: {}, errors: {} }, out);
    expect(out).to.deep.equal([]);
  });
});
