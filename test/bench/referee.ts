/**
 * The bench's referee timing (scripts/bench/referee.ts measureTraceOverhead) on the zoo's MLP, with
 * few runs: its figures are well formed, its commitTrace hook sees every traced run, and the trace
 * it returns is the interpreter's, step for step.
 */
import { expect } from "chai";
import { measureTraceOverhead, type OrtTrace } from "../../scripts/bench/referee";
import { runProgram, traceTensorNames, refereeMlp, zooInput, zooProgram } from "../../packages/node/src";

describe("bench: referee traceOverhead", function () {
  it("gives three positive medians, their ratio, and the interpreter's trace through the commitTrace hook", async function () {
    const model = refereeMlp();
    const seen: OrtTrace[] = [];
    const r = await measureTraceOverhead(model, 4, { warmup: 1, seed: 7, commitTrace: (t) => seen.push(t) });
    expect(r).to.deep.include({ name: "referee-mlp", params: model.params, runs: 4 });
    for (const ms of [r.plainMs, r.traceMs, r.interpreterMs]) expect(ms).to.be.greaterThan(0);
    expect(r.traceOverhead).to.equal(r.traceMs / r.plainMs);
    expect(seen).to.have.length(1 + 4); // warm-up and timed traced runs
    const program = zooProgram(model);
    const { trace } = runProgram(program, { x: zooInput(model, 7) }, { trace: true });
    expect([...r.trace.keys()]).to.deep.equal(traceTensorNames(program));
    for (const [name, data] of r.trace) expect(Array.from(data), name).to.deep.equal(Array.from(trace.get(name)!.data));
  });
});
