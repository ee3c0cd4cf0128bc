/**
 * The referee's `traceOverhead` (issue 15, "Costs published, and bounded"): the executor's time to
 * produce a refereeable model's output AND its trace, over onnxruntime's plain run of the same
 * model. Both runs use the node's session settings (one thread, graph optimizations off); each
 * session is created once and the input prepared once, then warm-up runs, then `runs` timed runs
 * of each, plain and traced alternating (and which goes first alternating too) so that drift of
 * the machine and cache effects hit both alike. The traced run is a
 * session whose graph also outputs every step's tensor (withTraceOutputs), followed by the
 * `commitTrace` hook, where the trace commitment's hashing goes (timed as part of the traced run;
 * none yet). The reference interpreter's run with its trace is timed on the same input too.
 *
 * Run alone: `node -r ts-node/register/transpile-only scripts/bench/referee.ts [runs]`.
 */
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { quantile, round } from "./common";
import { runProgram, traceTensorNames, withTraceOutputs, refereeCnn, refereeMlp, zooInput, type ZooModel, sessionOptions, zooProgram } from "../../packages/node/src";

/** A trace as onnxruntime produced it: each step's output by name, in step order. */
export type OrtTrace = ReadonlyMap<string, Uint8Array | Int8Array>;

export interface TraceOverheadOptions {
  /** Untimed runs of each kind first (default 3). */
  readonly warmup?: number;
  /** The seed of the random input (default 1). */
  readonly seed?: number;
  /** The intermediate tensors the traced run outputs (default: every step's output). */
  readonly tensors?: readonly string[];
  /** Called on every traced run's tensors inside its timing: the trace commitment (hashing) goes here. */
  readonly commitTrace?: (trace: OrtTrace) => unknown;
}

export interface TraceOverhead {
  readonly name: string;
  readonly params: number;
  readonly runs: number;
  /** Median ms of onnxruntime's plain run (the output only). */
  readonly plainMs: number;
  /** Median ms of onnxruntime's run with every intermediate as an output, plus `commitTrace`. */
  readonly traceMs: number;
  /** Median ms of the reference interpreter's run with its trace (runProgram, validation included). */
  readonly interpreterMs: number;
  /** traceMs / plainMs: the figure issue 15 bounds at 1.3 (without the commitment's hashing until commitTrace does it). */
  readonly traceOverhead: number;
  /** The last traced run's tensors, for the caller to hash or check. */
  readonly trace: OrtTrace;
}

const median = (xs: number[]) => quantile(xs, 0.5);

/** Measures `model`'s trace overhead over `runs` timed runs (see the file's comment). */
export async function measureTraceOverhead(model: ZooModel, runs = 20, options: TraceOverheadOptions = {}): Promise<TraceOverhead> {
  const warmup = options.warmup ?? 3;
  const program = zooProgram(model);
  const names = options.tensors ?? traceTensorNames(program);
  const input = zooInput(model, options.seed ?? 1);
  const feeds = { [model.inputName]: new ort.Tensor(model.inputDType, input, [...model.inputShape]) };
  const plain = await ort.InferenceSession.create(model.onnx, sessionOptions());
  const traced = await ort.InferenceSession.create(withTraceOutputs(model.onnx, program, names), sessionOptions());
  try {
    const runPlain = async () => (await plain.run(feeds))[model.outputName].data;
    const runTraced = async (): Promise<OrtTrace> => {
      const out = await traced.run(feeds);
      const trace: OrtTrace = new Map(names.map((n) => [n, out[n].data as Uint8Array | Int8Array]));
      options.commitTrace?.(trace);
      return trace;
    };
    const runInterpreter = () => runProgram(program, { [model.inputName]: input }, { trace: true });

    const time = async (f: () => unknown, into: number[]) => {
      const t = performance.now();
      await f();
      into.push(performance.now() - t);
    };
    const plainMs: number[] = [];
    const traceMs: number[] = [];
    const interpreterMs: number[] = [];
    let trace: OrtTrace = new Map();
    const keepTrace = async () => {
      trace = await runTraced();
    };
    // onnxruntime's two runs alternate, each first on every other round; the interpreter (which
    // sweeps the caches) runs in its own loop after them.
    for (let i = 0; i < warmup; i++) {
      await runPlain();
      await runTraced();
    }
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        await time(runPlain, plainMs);
        await time(keepTrace, traceMs);
      } else {
        await time(keepTrace, traceMs);
        await time(runPlain, plainMs);
      }
    }
    for (let i = 0; i < warmup; i++) runInterpreter();
    for (let i = 0; i < runs; i++) await time(runInterpreter, interpreterMs);
    return {
      name: model.name,
      params: model.params,
      runs,
      plainMs: median(plainMs),
      traceMs: median(traceMs),
      interpreterMs: median(interpreterMs),
      traceOverhead: median(traceMs) / median(plainMs),
      trace,
    };
  } finally {
    await plain.release();
    await traced.release();
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  for (const model of [refereeMlp(), refereeCnn()]) {
    const r = await measureTraceOverhead(model, runs);
    console.log(JSON.stringify({ name: r.name, params: r.params, runs: r.runs, plainMs: round(r.plainMs, 4), traceMs: round(r.traceMs, 4), interpreterMs: round(r.interpreterMs, 2), traceOverhead: round(r.traceOverhead, 3) }));
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
