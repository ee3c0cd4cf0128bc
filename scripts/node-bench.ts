/**
 * The node's speed against raw onnxruntime (issue 4, "Speed"): per model, the median time of
 *   raw:   one `session.run` on an already-created session with ready ort tensors, and
 *   check: the node's whole check of the same job: ModelStore.fetch (the file is already cached,
 *          so this is a read plus a SHA-256 check), the runner cached per digest (as JobBook
 *          does), ModelRunner.runCanonical (decode the canonical input, validate, run, encode),
 *          and compareOutputs against a claimed output under a float tolerance;
 * and their ratio. Target: ratio <= 1.10 for every model whose raw inference takes >= 10 ms.
 *
 *   npx hardhat run --no-compile scripts/node-bench.ts                 # alone, full run
 *   BENCH_QUICK=1 npx hardhat run --no-compile scripts/node-bench.ts   # fewer iterations, well under a minute
 *   npm run bench [-- --quick]     # as section 4 of the whole bench (scripts/bench/checking.ts)
 *
 * Both paths use the node's session options (one thread, sequential, graph optimizations off),
 * so the ratio measures the node's overhead, not a difference in onnxruntime settings. The raw
 * and check runs alternate within each iteration, so that drift of the machine (frequency, other
 * load) hits both alike. Writes reports/node-bench.json and prints a table.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { conv, mlp, multi, seededRandom } from "../packages/testkit/src/fixtures";
import { OnnxModelBuilder } from "../packages/testkit/src/onnxBuilder";
import { thirdPartyModelBytes } from "../packages/testkit/src/thirdParty";
import { compareOutputs, encodeTensors, ModelRunner, ModelStore, sessionOptions, sha256Hex, TOLERANCE_SCALE, type ModelRef, type Tensor, type TensorMap, type TolerancePolicy } from "../packages/node/src";

/** The ratio the issue asks for, and the raw time from which it applies. */
const TARGET_RATIO = 1.1;
const TARGET_MIN_RAW_MS = 10;

const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";

interface Plan {
  warmup: number;
  runs: number;
  budgetMs: number;
  minRuns: number;
}

/** Iterations for a model, by its raw time: a fixed count for fast models, a time budget for slow ones. */
function planFor(quick: boolean): Plan {
  // Quick runs need 20 warm-ups too: with 5, the check path (codec and comparison loops) was not yet
  // optimised by V8 and conv224 read 1.14-1.17x against 1.05x in the full run.
  return quick ? { warmup: 20, runs: 41, budgetMs: 4_000, minRuns: 11 } : { warmup: 30, runs: 301, budgetMs: 20_000, minRuns: 51 };
}

/** 1e-4 absolute and relative: a typical float policy (the check compares within it, not bit for bit). */
const POLICY: TolerancePolicy = { exact: false, absTolerance: TOLERANCE_SCALE / 10_000n, relTolerance: TOLERANCE_SCALE / 10_000n };

interface BenchModel {
  name: string;
  bytes: Uint8Array;
  input: TensorMap;
}

export interface Row {
  name: string;
  rawMs: number;
  checkMs: number;
  ratio: number;
}

/** float32 values in [-1, 1) from a seed. */
function floats(seed: number, count: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: count }, () => next() * 2 - 1);
}

function f32(shape: number[], seed: number): Tensor {
  return { dtype: "float32", shape, data: floats(seed, shape.reduce((n, d) => n * d, 1)) };
}

/** Width and depth of the large fixture: chosen so that one raw inference takes well over 10 ms on one thread. */
const WIDE_CHANNELS = 32;
const WIDE_LAYERS = 4;

/**
 * A model large enough for the target to apply (>= 10 ms per inference on one thread): float32
 * "image" [1, 3, 224, 224] -> WIDE_LAYERS x (Conv(WIDE_CHANNELS, 3x3, pad 1) -> Relu) ->
 * GlobalAveragePool -> Flatten -> "features" [1, WIDE_CHANNELS]. About 1.4 G multiply-adds and
 * 110 KB of weights, built here at run time (nothing committed).
 */
function conv224(): Uint8Array {
  const b = new OnnxModelBuilder("glassbox-bench-conv224");
  const conv3x3 = { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, strides: { ints: [1, 1] } };
  b.input("image", "float32", [1, 3, 224, 224]);
  let x = "image";
  let channels = 3;
  for (let layer = 1; layer <= WIDE_LAYERS; layer++) {
    // Weights scaled by 1/sqrt(fan-in) so activations stay near 1 through the layers.
    const scale = 1 / Math.sqrt(channels * 9);
    b.initializer(`k${layer}`, "float32", [WIDE_CHANNELS, channels, 3, 3], [...floats(10 + layer, WIDE_CHANNELS * channels * 9)].map((v) => v * scale));
    b.initializer(`b${layer}`, "float32", [WIDE_CHANNELS], [...floats(20 + layer, WIDE_CHANNELS)].map((v) => v * 0.1));
    b.node("Conv", [x, `k${layer}`, `b${layer}`], [`c${layer}`], conv3x3);
    b.node("Relu", [`c${layer}`], [`r${layer}`]);
    x = `r${layer}`;
    channels = WIDE_CHANNELS;
  }
  b.node("GlobalAveragePool", [x], ["pooled"]);
  b.node("Flatten", ["pooled"], ["features"], { axis: { int: 1 } });
  b.output("features", "float32", [1, WIDE_CHANNELS]);
  return b.toBytes();
}

function models(): BenchModel[] {
  return [
    { name: "mlp", bytes: mlp(), input: { x: f32([1, 4], 1) } },
    { name: "conv", bytes: conv(), input: { image: f32([1, 1, 8, 8], 2) } },
    {
      name: "multi",
      bytes: multi(),
      input: { ids: { dtype: "int64", shape: [6], data: [3n, -1n, 0n, 7n, 2n, -5n] }, scale: { dtype: "float32", shape: [], data: [0.5] } },
    },
    {
      name: "silero-vad",
      bytes: thirdPartyModelBytes(),
      input: {
        input: f32([1, 1536], 3),
        sr: { dtype: "int64", shape: [], data: [16000n] },
        h: { dtype: "float32", shape: [2, 1, 64], data: new Float32Array(128) },
        c: { dtype: "float32", shape: [2, 1, 64], data: new Float32Array(128) },
      },
    },
    { name: "conv224", bytes: conv224(), input: { image: f32([1, 3, 224, 224], 4) } },
  ];
}

/** ort tensors for the raw path, built once (not timed). */
function ortFeeds(input: TensorMap): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(input)) {
    const data = t.dtype === "int64" ? BigInt64Array.from(t.data as ArrayLike<bigint>) : Float32Array.from(t.data as ArrayLike<number>);
    feeds[name] = new ort.Tensor(t.dtype === "int64" ? "int64" : "float32", data, t.shape);
  }
  return feeds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function bench(model: BenchModel, store: ModelStore, cacheSource: string, id: number, PLAN: Plan): Promise<Row> {
  // Put the model where its URI points and fetch it once: from here on it is in the cache.
  const source = path.join(cacheSource, `${model.name}.onnx`);
  await writeFile(source, model.bytes);
  const ref: ModelRef = { id, version: 1, digest: `0x${sha256Hex(model.bytes)}`, uri: pathToFileURL(source).href };
  await store.fetch(ref);

  const session = await ort.InferenceSession.create(model.bytes, sessionOptions());
  const feeds = ortFeeds(model.input);
  // The node keeps one runner per digest (JobBook.runner); the check looks it up, as the node does.
  const runners = new Map<string, ModelRunner>([[ref.digest, await ModelRunner.load(await store.fetch(ref), `${model.name}`)]]);
  const inputBytes = encodeTensors(model.input);
  const claimed = await (runners.get(ref.digest) as ModelRunner).runCanonical(inputBytes);

  const raw = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    return ms(start);
  };
  const check = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    const bytes = await store.fetch(ref);
    const runner = runners.get(ref.digest);
    if (!runner || bytes.length !== model.bytes.length) throw new Error(`${model.name}: the cache lost the model`);
    const mine = await runner.runCanonical(inputBytes);
    const verdict = compareOutputs(claimed, mine, POLICY);
    const elapsed = ms(start);
    if (!verdict.equal) throw new Error(`${model.name}: the node's own re-run differs from the claimed output: ${verdict.reason}`);
    return elapsed;
  };

  for (let i = 0; i < PLAN.warmup; i++) {
    await raw();
    await check();
  }
  const raws: number[] = [];
  const checks: number[] = [];
  const began = Date.now();
  for (let i = 0; i < PLAN.runs && (i < PLAN.minRuns || Date.now() - began < PLAN.budgetMs); i++) {
    // Alternate which path goes first, so neither always runs on a warmer cache.
    if (i % 2 === 0) {
      raws.push(await raw());
      checks.push(await check());
    } else {
      checks.push(await check());
      raws.push(await raw());
    }
  }
  await session.release();
  for (const r of runners.values()) await r.release();
  const rawMs = median(raws);
  const checkMs = median(checks);
  return { name: model.name, rawMs: round(rawMs), checkMs: round(checkMs), ratio: round(checkMs / rawMs) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function table(rows: Row[]): string {
  const head = ["model", "raw ms", "check ms", "ratio", "target"];
  const lines = rows.map((r) => [r.name, r.rawMs.toFixed(3), r.checkMs.toFixed(3), r.ratio.toFixed(3), r.rawMs >= TARGET_MIN_RAW_MS ? (r.ratio <= TARGET_RATIO ? "met" : "MISSED") : "n/a (< 10 ms)"]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [fmt(head), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(fmt)].join("\n");
}

/**
 * Runs the bench (`quick`: fewer iterations), writes reports/node-bench.json and prints its table;
 * also the "cost of checking" section of `npm run bench` (scripts/bench/checking.ts).
 */
export async function runNodeBench(quick: boolean = QUICK): Promise<{ models: Row[] }> {
  const work = await mkdtemp(path.join(os.tmpdir(), "glassbox-bench-"));
  try {
    const store = new ModelStore(path.join(work, "cache"));
    const rows: Row[] = [];
    let id = 1;
    for (const model of models()) rows.push(await bench(model, store, work, id++, planFor(quick)));

    const report = { models: rows };
    const out = path.join(__dirname, "..", "reports", "node-bench.json");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`node check vs raw onnxruntime inference, median (${quick ? "quick" : "full"} run; ${os.cpus()[0]?.model ?? "cpu"}, one intra-op thread)`);
    console.log(table(rows));
    const judged = rows.filter((r) => r.rawMs >= TARGET_MIN_RAW_MS);
    const met = judged.every((r) => r.ratio <= TARGET_RATIO);
    console.log(`\ntarget: check <= ${TARGET_RATIO.toFixed(2)} x raw for models with raw >= ${TARGET_MIN_RAW_MS} ms`);
    if (judged.length === 0) console.log("target: NOT JUDGED (no model took >= 10 ms here)");
    else console.log(`target: ${met ? "MET" : "NOT MET"} (${judged.map((r) => `${r.name} ${r.ratio.toFixed(3)}`).join(", ")})`);
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    return report;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export { TARGET_MIN_RAW_MS, TARGET_RATIO };

if (require.main === module) {
  runNodeBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
