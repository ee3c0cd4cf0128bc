/**
 * The referee's reference interpreter (src/referee/interpreter.ts) against onnxruntime-node, one
 * standard ONNX operator at a time, on small models built with the testkit's OnnxModelBuilder:
 * outputs must be bit-identical, boundary inputs included (exact ties, accumulators above 2^24,
 * clamping, extreme uint8 x int8 products). Then the operators onnxruntime has no standard kernel
 * for (QLinearAdd, Table) against hand-computed values, the program hash, validation, and the
 * saturating-vector self-test on this CPU.
 *
 * onnxruntime runs with the node's own deterministic session settings (sessionOptions: one thread,
 * graph optimizations off), as a verifier node would run it.
 */
import { expect } from "chai";
import fc from "fast-check";
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { seededRandom } from "../../testkit/src/fixtures";
import { OnnxModelBuilder, type ElemType } from "../../testkit/src/onnxBuilder";
import { f32, float32Bits, float32FromBits, requantize, roundHalfEven } from "../src/referee/arith";
import { CompileError, compileOnnx } from "../src/referee/compile";
import { runProgram, type ProgramTensor } from "../src/referee/interpreter";
import { canonicalProgramBytes, programHash, ProgramError, validateProgram, type Program, type ProgramOp, type TensorDecl } from "../src/referee/program";
import { compareSelfTest, selfTest, selfTestProgram, selfTestVectors, weightsCannotSaturate } from "../src/referee/selfTest";
import { sessionOptions } from "../src/runtime/runner";

type Feed = { type: ElemType; dims: number[]; data: number[] };

async function runOrt(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(bytes, sessionOptions());
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const data = f.type === "uint8" ? Uint8Array.from(f.data) : f.type === "int8" ? Int8Array.from(f.data) : Float32Array.from(f.data);
      ortFeeds[name] = new ort.Tensor(f.type as "uint8" | "int8" | "float32", data, f.dims);
    }
    const result = await session.run(ortFeeds);
    const out: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(result)) out[name] = Array.from(t.data as ArrayLike<number>);
    return out;
  } finally {
    await session.release();
  }
}

/** Bit patterns of float32 values, so that -0, NaN and every ulp count. */
const f32BitsOf = (values: ArrayLike<number>) => Array.from(values, (v) => float32Bits(v));

function valuesOf(t: ProgramTensor): number[] {
  return t.dtype === "float32" ? f32BitsOf(t.data) : Array.from(t.data);
}

function expectBitIdentical(ours: ProgramTensor, theirs: number[], what: string): void {
  const want = ours.dtype === "float32" ? f32BitsOf(theirs) : theirs;
  const got = valuesOf(ours);
  const first = got.findIndex((v, i) => v !== want[i]);
  expect(first, `${what}: first difference at ${first}: interpreter ${got[first]}, onnxruntime ${want[first]}`).to.equal(-1);
  expect(got.length).to.equal(want.length);
}

const randInts = (next: () => number, n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));
const bits = float32Bits;
/** The combined scale onnxruntime computes for QLinearMatMul and QLinearConv: f32(f32(x_s * w_s) / y_s). */
const combined = (xs: number, ws: number, ys: number) => bits(f32(f32(f32(xs) * f32(ws)) / f32(ys)));

function program(tensors: TensorDecl[], constants: Program["constants"], ops: ProgramOp[], inputs: string[], outputs: string[]): Program {
  return { version: 1, inputs, outputs, tensors, constants, ops };
}

describe("referee interpreter vs onnxruntime: QuantizeLinear", function () {
  const x = [0, 0.25, 0.75, 1.25, -1.25, 1.75, -1.75, 63.75, 64.25, 1e9, -1e9, 0.1, -0.1, 3.3, f32(1 / 3), -0];
  for (const [dtype, scale, zp] of [["uint8", 0.5, 10], ["int8", 0.5, -3], ["uint8", f32(0.1), 128], ["int8", f32(0.07), 0]] as const) {
    it(`${dtype}, scale ${scale}, zero point ${zp}: ties to even, saturation`, async function () {
      const next = seededRandom(1);
      const input = [...x, ...Array.from({ length: 48 }, () => f32((next() - 0.5) * 40))].map(f32);
      const b = new OnnxModelBuilder("q");
      b.input("x", "float32", [input.length]);
      b.node("QuantizeLinear", ["x", b.initializer("s", "float32", [], [scale]), b.initializer("zp", dtype, [], [zp])], ["y"]);
      b.output("y", dtype, [input.length]);
      const ortOut = await runOrt(b.toBytes(), { x: { type: "float32", dims: [input.length], data: input } });
      const p = program([{ name: "x", dtype: "float32", shape: [input.length] }, { name: "y", dtype, shape: [input.length] }], [], [{ op: "QuantizeLinear", input: "x", output: "y", scaleBits: bits(scale), zeroPoint: zp }], ["x"], ["y"]);
      const ours = runProgram(p, { x: input }).outputs.get("y")!;
      expectBitIdentical(ours, ortOut.y, "QuantizeLinear");
      if (scale === 0.5) expect(Array.from(ours.data.slice(2, 7))).to.deep.equal([2 + zp, 2 + zp, -2 + zp, 4 + zp, -4 + zp].map((v) => Math.min(dtype === "uint8" ? 255 : 127, Math.max(dtype === "uint8" ? 0 : -128, v))));
    });
  }
});

describe("referee interpreter vs onnxruntime: QuantizeLinear near ties (division, not a reciprocal multiply)", function () {
  it("matches onnxruntime on inputs within 3 ulps of every tie, where x * f32(1 / s) gives other answers", async function () {
    for (const scale of [f32(0.1), f32(0.0123), f32(1 / 3)]) {
      const x: number[] = [];
      for (let k = -128; k < 128; k++) {
        const tie = bits(f32((k + 0.5) * scale));
        for (let d = -3; d <= 3; d++) x.push(float32FromBits(tie + d));
      }
      const b = new OnnxModelBuilder("qt");
      b.input("x", "float32", [x.length]);
      b.node("QuantizeLinear", ["x", b.initializer("s", "float32", [], [scale]), b.initializer("zp", "int8", [], [0])], ["y"]);
      b.output("y", "int8", [x.length]);
      const ortOut = await runOrt(b.toBytes(), { x: { type: "float32", dims: [x.length], data: x } });
      const p = program([{ name: "x", dtype: "float32", shape: [x.length] }, { name: "y", dtype: "int8", shape: [x.length] }], [], [{ op: "QuantizeLinear", input: "x", output: "y", scaleBits: bits(scale), zeroPoint: 0 }], ["x"], ["y"]);
      expectBitIdentical(runProgram(p, { x }).outputs.get("y")!, ortOut.y, `QuantizeLinear near ties, scale ${scale}`);
      // The test can tell: multiplying by the rounded reciprocal disagrees with onnxruntime somewhere.
      const r = f32(1 / scale);
      const viaReciprocal = x.map((v) => Math.max(-128, Math.min(127, roundHalfEven(f32(v * r)))));
      expect(viaReciprocal.some((v, i) => v !== ortOut.y[i]), `scale ${scale}`).to.equal(true);
    }
  });
});

describe("referee interpreter vs onnxruntime: DequantizeLinear", function () {
  for (const [dtype, scale, zp] of [["uint8", f32(0.1), 128], ["int8", f32(0.0173), -5], ["uint8", 3e38, 0]] as const) {
    it(`every ${dtype} value, scale ${scale}, zero point ${zp}: the same float32 bits`, async function () {
      const input = Array.from({ length: 256 }, (_, i) => (dtype === "uint8" ? i : i - 128));
      const b = new OnnxModelBuilder("dq");
      b.input("x", dtype, [256]);
      b.node("DequantizeLinear", ["x", b.initializer("s", "float32", [], [scale]), b.initializer("zp", dtype, [], [zp])], ["y"]);
      b.output("y", "float32", [256]);
      const ortOut = await runOrt(b.toBytes(), { x: { type: dtype, dims: [256], data: input } });
      const p = program([{ name: "x", dtype, shape: [256] }, { name: "y", dtype: "float32", shape: [256] }], [], [{ op: "DequantizeLinear", input: "x", output: "y", scaleBits: bits(scale), zeroPoint: zp }], ["x"], ["y"]);
      expectBitIdentical(runProgram(p, { x: input }).outputs.get("y")!, ortOut.y, "DequantizeLinear");
    });
  }
});

interface MatMulCase {
  name: string;
  aType: "uint8" | "int8";
  bType: "uint8" | "int8";
  a: number[];
  b: number[];
  m: number;
  k: number;
  n: number;
  aScale: number;
  aZp: number;
  bScales: number[];
  bZp: number;
  yScale: number;
  yZp: number;
}

async function checkMatMul(c: MatMulCase): Promise<ProgramTensor> {
  const bld = new OnnxModelBuilder("qmm");
  bld.input("a", c.aType, [c.m, c.k]);
  const inputs = [
    "a",
    bld.initializer("a_s", "float32", [], [c.aScale]),
    bld.initializer("a_zp", c.aType, [], [c.aZp]),
    bld.initializer("b", c.bType, [c.k, c.n], c.b),
    c.bScales.length === 1 ? bld.initializer("b_s", "float32", [], c.bScales) : bld.initializer("b_s", "float32", [c.n], c.bScales),
    c.bScales.length === 1 ? bld.initializer("b_zp", c.bType, [], [c.bZp]) : bld.initializer("b_zp", c.bType, [c.n], Array<number>(c.n).fill(c.bZp)),
    bld.initializer("y_s", "float32", [], [c.yScale]),
    bld.initializer("y_zp", c.aType, [], [c.yZp]),
  ];
  bld.node("QLinearMatMul", inputs, ["y"]);
  // onnxruntime's kernels take the result's type from A's (uint8 -> uint8, int8 -> int8).
  bld.output("y", c.aType, [c.m, c.n]);
  const ortOut = await runOrt(bld.toBytes(), { a: { type: c.aType, dims: [c.m, c.k], data: c.a } });
  const p = program(
    [{ name: "a", dtype: c.aType, shape: [c.m, c.k] }, { name: "y", dtype: c.aType, shape: [c.m, c.n] }],
    [{ name: "b", dtype: c.bType, shape: [c.k, c.n], data: c.b }],
    [{ op: "QLinearMatMul", a: "a", b: "b", output: "y", aZeroPoint: c.aZp, bZeroPoints: [c.bZp], scaleBits: c.bScales.map((s) => combined(c.aScale, s, c.yScale)), outZeroPoint: c.yZp }],
    ["a"],
    ["y"],
  );
  const ours = runProgram(p, { a: c.a }).outputs.get("y")!;
  expectBitIdentical(ours, ortOut.y, c.name);
  return ours;
}

describe("referee interpreter vs onnxruntime: QLinearMatMul", function () {
  it("uint8 x int8, per-column scales, random values with rows of 255 and 0 and extreme weights", async function () {
    const next = seededRandom(2);
    const m = 6, k = 16, n = 5;
    const a = [...Array<number>(k).fill(255), ...Array<number>(k).fill(0), ...randInts(next, (m - 2) * k, 0, 255)];
    const b = randInts(next, k * n, -128, 127);
    for (let t = 0; t < k; t++) b[t * n] = t % 2 === 0 ? 127 : -128; // column 0: the extremes
    await checkMatMul({ name: "u8s8", aType: "uint8", bType: "int8", a, b, m, k, n, aScale: f32(0.02), aZp: 3, bScales: [0.011, 0.013, 0.0007, 0.02, 0.005].map(f32), bZp: 0, yScale: f32(0.3), yZp: 100 });
  });

  it("uint8 x uint8 and int8 x int8", async function () {
    const next = seededRandom(3);
    const m = 3, k = 12, n = 4;
    await checkMatMul({ name: "u8u8", aType: "uint8", bType: "uint8", a: randInts(next, m * k, 0, 255), b: randInts(next, k * n, 0, 255), m, k, n, aScale: f32(0.05), aZp: 128, bScales: [f32(0.01)], bZp: 120, yScale: f32(0.5), yZp: 128 });
    await checkMatMul({ name: "s8s8", aType: "int8", bType: "int8", a: randInts(next, m * k, -128, 127), b: randInts(next, k * n, -128, 127), m, k, n, aScale: f32(0.05), aZp: -7, bScales: [f32(0.01)], bZp: 0, yScale: f32(0.5), yZp: -20 });
  });

  it("exact .5 ties round to even (combined scale 0.5, odd accumulators)", async function () {
    // a = [1..5] against b = one column of 1s, one of -1s: accumulators 1, 3, 5, 7, 9 and their negatives.
    const m = 5, k = 1, n = 2;
    const a = [1, 3, 5, 7, 9];
    const ours = await checkMatMul({ name: "ties", aType: "uint8", bType: "int8", a, b: [1, -1], m, k, n, aScale: 1, aZp: 0, bScales: [0.5], bZp: 0, yScale: 1, yZp: 100 });
    // 0.5->0, 1.5->2, 2.5->2, 3.5->4, 4.5->4 and their negatives; Math.round would give 1, 2, 3, 4, 5.
    expect(Array.from(ours.data)).to.deep.equal([100, 100, 102, 98, 102, 98, 104, 96, 104, 96]);
  });

  it("accumulators above 2^24 lose their low bit in float32 (2^24 + 1 -> 2^24), then tie to even", async function () {
    // Row 0: 518 x (255 * 127) + 7 x (255 * 1) + 2 x 1 = 2^24 + 1. Row 1: 2^24 + 3. Row 2: 2^24 - 1.
    const k = 527;
    const row = (last: number) => [...Array<number>(518).fill(255), ...Array<number>(7).fill(255), 2, last];
    const b = [...Array<number>(518).fill(127), ...Array<number>(9).fill(1)];
    const a = [...row(0), ...row(2), ...[...Array<number>(518).fill(255), ...Array<number>(7).fill(255), 0, 0]];
    const acc = (r: number[]) => r.reduce((s, v, i) => s + v * b[i], 0);
    expect([acc(a.slice(0, k)), acc(a.slice(k, 2 * k)), acc(a.slice(2 * k))]).to.deep.equal([2 ** 24 + 1, 2 ** 24 + 3, 2 ** 24 - 1]);
    // a_scale 5 * 2^-13, b_scale 2^-12, y_scale 1: combined 5 * 2^-25, exactly.
    const ours = await checkMatMul({ name: ">2^24", aType: "uint8", bType: "int8", a, b, m: 3, k, n: 1, aScale: 5 * 2 ** -13, aZp: 0, bScales: [2 ** -12], bZp: 0, yScale: 1, yZp: 0 });
    // 2^24+1 -> f32 2^24 -> 2.5 -> 2 (exact: 3); 2^24+3 -> 2^24+4 -> 2.5000006 -> 3; 2^24-1 exact -> 2.4999998 -> 2.
    expect(Array.from(ours.data)).to.deep.equal([2, 3, 2]);
  });

  it("accumulators whose float32 product lands on a tie the exact product is not on: the two-roundings value", async function () {
    // Search (acc, scale) pairs with roundHalfEven(f32(acc * s)) != the exact real rounding of acc * s.
    const pairs: { acc: number; scale: number }[] = [];
    for (let acc = 3; acc < 256 && pairs.length < 6; acc += 2) {
      const k = 2 * (acc % 50);
      const centre = bits((k + 0.5) / acc);
      for (let d = -4; d <= 4 && pairs.length < 6; d++) {
        const scale = float32FromBits(centre + d);
        const product = f32(acc * scale);
        const exactAbove = acc * scale; // exact in a double: acc < 2^8, the scale has 24 bits
        if (product - Math.floor(product) === 0.5 && roundHalfEven(product) !== roundHalfEven(exactAbove) && roundHalfEven(exactAbove) < 128) pairs.push({ acc, scale });
      }
    }
    expect(pairs.length).to.be.greaterThan(2);
    // Row i holds acc_i (k = 1, b = 1 in every column); column j requantizes with scale_j (a_scale_j = scale_j, y_scale 1).
    const n = pairs.length;
    const ours = await checkMatMul({ name: "near ties", aType: "uint8", bType: "int8", a: pairs.map((q) => q.acc), b: Array<number>(n).fill(1), m: n, k: 1, n, aScale: 1, aZp: 0, bScales: pairs.map((q) => q.scale), bZp: 0, yScale: 1, yZp: 0 });
    for (let i = 0; i < n; i++) {
      const { acc, scale } = pairs[i];
      expect(ours.data[i * n + i]).to.equal(roundHalfEven(f32(acc * scale)));
      expect(ours.data[i * n + i]).to.not.equal(roundHalfEven(acc * scale)); // exact-real rounding would disagree with onnxruntime
    }
  });

  it("random shapes, types, scales and zero points (fast-check, 30 runs, fixed seed)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 1, max: 4 }),
          k: fc.integer({ min: 1, max: 40 }),
          n: fc.integer({ min: 1, max: 4 }),
          types: fc.constantFrom("u8s8", "u8u8", "s8s8"),
          aScale: fc.float({ min: Math.fround(1e-4), max: Math.fround(1), noNaN: true }),
          bScale: fc.float({ min: Math.fround(1e-4), max: Math.fround(1), noNaN: true }),
          yScale: fc.float({ min: Math.fround(1e-3), max: Math.fround(10), noNaN: true }),
          zps: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
          seed: fc.integer(),
        }),
        async ({ m, k, n, types, aScale, bScale, yScale, zps, seed }) => {
          const aType = types === "s8s8" ? "int8" : "uint8";
          const bType = types === "u8u8" ? "uint8" : "int8";
          const next = seededRandom(seed);
          const range = (t: "uint8" | "int8") => (t === "uint8" ? [0, 255] : [-128, 127]) as [number, number];
          const zp = (t: "uint8" | "int8", raw: number) => (t === "uint8" ? raw : raw - 128);
          await checkMatMul({ name: "random", aType, bType, a: randInts(next, m * k, ...range(aType)), b: randInts(next, k * n, ...range(bType)), m, k, n, aScale, aZp: zp(aType, zps[0]), bScales: [bScale], bZp: zp(bType, zps[1] ^ 0x5a), yScale, yZp: zp(aType, zps[1]) });
        },
      ),
      { seed: 1515, numRuns: 30 },
    );
  });

  it("clamps at both ends of uint8", async function () {
    const ours = await checkMatMul({ name: "clamp", aType: "uint8", bType: "int8", a: [255, 255, 0, 0], b: [127, -128], m: 2, k: 2, n: 1, aScale: 1, aZp: 0, bScales: [1], bZp: 0, yScale: 1, yZp: 128 });
    expect(Array.from(ours.data)).to.deep.equal([0, 128]);
  });
});

interface ConvCase {
  name: string;
  x: number[];
  xShape: [number, number, number, number];
  w: number[];
  wShape: [number, number, number, number];
  bias?: number[];
  xScale: number;
  xZp: number;
  wScales: number[];
  yScale: number;
  yZp: number;
  /** The weights' zero point (0 unless given). */
  wZp?: number;
  strides: [number, number];
  pads: [number, number, number, number];
}

async function checkConv(c: ConvCase): Promise<ProgramTensor> {
  const [nb, , h, wd] = c.xShape;
  const [m, , kh, kw] = c.wShape;
  const oh = Math.floor((h + c.pads[0] + c.pads[2] - kh) / c.strides[0]) + 1;
  const ow = Math.floor((wd + c.pads[1] + c.pads[3] - kw) / c.strides[1]) + 1;
  const bld = new OnnxModelBuilder("qconv");
  bld.input("x", "uint8", c.xShape);
  const inputs = [
    "x",
    bld.initializer("x_s", "float32", [], [c.xScale]),
    bld.initializer("x_zp", "uint8", [], [c.xZp]),
    bld.initializer("w", "int8", c.wShape, c.w),
    c.wScales.length === 1 ? bld.initializer("w_s", "float32", [], c.wScales) : bld.initializer("w_s", "float32", [m], c.wScales),
    c.wScales.length === 1 ? bld.initializer("w_zp", "int8", [], [c.wZp ?? 0]) : bld.initializer("w_zp", "int8", [m], Array<number>(m).fill(c.wZp ?? 0)),
    bld.initializer("y_s", "float32", [], [c.yScale]),
    bld.initializer("y_zp", "uint8", [], [c.yZp]),
    ...(c.bias ? [bld.initializer("bias", "int32", [m], c.bias)] : []),
  ];
  bld.node("QLinearConv", inputs, ["y"], { kernel_shape: { ints: [kh, kw] }, strides: { ints: c.strides }, pads: { ints: c.pads } });
  bld.output("y", "uint8", [nb, m, oh, ow]);
  const ortOut = await runOrt(bld.toBytes(), { x: { type: "uint8", dims: c.xShape, data: c.x } });
  const p = program(
    [{ name: "x", dtype: "uint8", shape: c.xShape }, { name: "y", dtype: "uint8", shape: [nb, m, oh, ow] }],
    [{ name: "w", dtype: "int8", shape: c.wShape, data: c.w }, ...(c.bias ? [{ name: "bias", dtype: "int32" as const, shape: [m], data: c.bias }] : [])],
    [{ op: "QLinearConv", x: "x", w: "w", bias: c.bias ? "bias" : undefined, output: "y", xZeroPoint: c.xZp, wZeroPoints: [c.wZp ?? 0], scaleBits: c.wScales.map((s) => combined(c.xScale, s, c.yScale)), outZeroPoint: c.yZp, strides: c.strides, pads: c.pads }],
    ["x"],
    ["y"],
  );
  const ours = runProgram(p, { x: c.x }).outputs.get("y")!;
  expectBitIdentical(ours, ortOut.y, c.name);
  return ours;
}

describe("referee interpreter vs onnxruntime: QLinearConv", function () {
  it("3x3, pads 1 (filled with the input's zero point), strides 2x1, per-channel scales, int32 bias", async function () {
    const next = seededRandom(4);
    const xShape: [number, number, number, number] = [1, 2, 6, 5];
    const wShape: [number, number, number, number] = [3, 2, 3, 3];
    const x = randInts(next, 60, 0, 255);
    x.fill(255, 0, 15); // a block of the maximum input
    const w = randInts(next, 54, -128, 127);
    w.fill(127, 0, 9);
    w.fill(-128, 9, 18);
    await checkConv({ name: "conv", x, xShape, w, wShape, bias: [1000, -70000, 3], xScale: f32(0.03), xZp: 17, wScales: [0.004, 0.0021, 0.009].map(f32), yScale: f32(0.25), yZp: 120, strides: [2, 1], pads: [1, 1, 1, 1] });
  });

  it("asymmetric pads and a large input zero point: a padded position contributes nothing", async function () {
    const next = seededRandom(5);
    const ours = await checkConv({ name: "pads", x: randInts(next, 16, 0, 255), xShape: [1, 1, 4, 4], w: [1, 1, 1, 1], wShape: [1, 1, 2, 2], xScale: 1, xZp: 200, wScales: [1], yScale: 1, yZp: 0, strides: [1, 1], pads: [1, 0, 0, 1] });
    expect(ours.shape).to.deep.equal([1, 1, 4, 4]);
  });

  it("random shapes, strides, pads, scales, zero points and biases (fast-check, 20 runs, fixed seed)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          c: fc.integer({ min: 1, max: 3 }),
          m: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 3, max: 7 }),
          w: fc.integer({ min: 3, max: 7 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          scales: fc.tuple(...[1e-3, 1e-3, 1e-3].map((min) => fc.float({ min: Math.fround(min), max: Math.fround(1), noNaN: true }))),
          xZp: fc.integer({ min: 0, max: 255 }),
          wZp: fc.integer({ min: -128, max: 127 }),
          yZp: fc.integer({ min: 0, max: 255 }),
          withBias: fc.boolean(),
          seed: fc.integer(),
        }),
        async (r) => {
          fc.pre(r.h + r.pads[0] + r.pads[2] >= r.kh && r.w + r.pads[1] + r.pads[3] >= r.kw);
          const next = seededRandom(r.seed);
          await checkConv({
            name: "random conv",
            x: randInts(next, r.c * r.h * r.w, 0, 255),
            xShape: [1, r.c, r.h, r.w],
            w: randInts(next, r.m * r.c * r.kh * r.kw, -128, 127),
            wShape: [r.m, r.c, r.kh, r.kw],
            bias: r.withBias ? randInts(next, r.m, -100000, 100000) : undefined,
            xScale: r.scales[0],
            xZp: r.xZp,
            wScales: [r.scales[1]],
            wZp: r.wZp,
            yScale: r.scales[2],
            yZp: r.yZp,
            strides: r.strides,
            pads: r.pads,
          });
        },
      ),
      { seed: 1516, numRuns: 20 },
    );
  });

  it("exact ties with a bias (combined scale 0.5): ties to even", async function () {
    // One input channel, a 1x1 kernel of 1: acc = x - 0, plus bias 0 or 1 per output channel.
    const x = [1, 3, 5, 7, 9, 11, 13, 15];
    const ours = await checkConv({ name: "conv ties", x, xShape: [1, 1, 2, 4], w: [1, -1], wShape: [2, 1, 1, 1], bias: [0, -2], xScale: 1, xZp: 0, wScales: [0.5], yScale: 1, yZp: 128, strides: [1, 1], pads: [0, 0, 0, 0] });
    const want = [...x.map((v) => 128 + requantize(v, 0, bits(0.5), 0, "int8")), ...x.map((v) => 128 + requantize(-v, -2, bits(0.5), 0, "int8"))];
    expect(Array.from(ours.data)).to.deep.equal(want);
    expect(Array.from(ours.data.slice(0, 4))).to.deep.equal([128, 130, 130, 132]); // 0.5->0, 1.5->2, 2.5->2, 3.5->4
  });
});

describe("referee interpreter vs onnxruntime: MaxPool", function () {
  for (const [dtype, kernel, strides, pads] of [
    ["uint8", [2, 2], [2, 2], [0, 0, 1, 1]],
    ["int8", [3, 3], [1, 1], [1, 1, 1, 1]],
    ["uint8", [3, 2], [2, 1], [2, 0, 0, 1]],
  ] as const) {
    it(`${dtype}, kernel ${kernel.join("x")}, strides ${strides.join("x")}, pads [${pads.join(", ")}] (padding never wins)`, async function () {
      const next = seededRandom(6);
      const shape: [number, number, number, number] = [1, 2, 5, 5];
      const x = dtype === "uint8" ? randInts(next, 50, 0, 255) : randInts(next, 50, -128, -100); // all negative: padding must not be 0
      const oh = Math.floor((5 + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1;
      const ow = Math.floor((5 + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1;
      const b = new OnnxModelBuilder("pool");
      b.input("x", dtype, shape);
      b.node("MaxPool", ["x"], ["y"], { kernel_shape: { ints: kernel }, strides: { ints: strides }, pads: { ints: pads } });
      b.output("y", dtype, [1, 2, oh, ow]);
      const ortOut = await runOrt(b.toBytes(), { x: { type: dtype, dims: shape, data: x } });
      const p = program([{ name: "x", dtype, shape }, { name: "y", dtype, shape: [1, 2, oh, ow] }], [], [{ op: "MaxPool", input: "x", output: "y", kernel, strides, pads }], ["x"], ["y"]);
      expectBitIdentical(runProgram(p, { x }).outputs.get("y")!, ortOut.y, "MaxPool");
    });
  }
});

describe("referee interpreter vs onnxruntime: Relu", function () {
  it("max(x, zero point) on quantized values equals Quantize(Relu(Dequantize(x))) with the same scale and zero point", async function () {
    for (const [dtype, zp, scale] of [["uint8", 117, f32(0.037)], ["int8", -9, f32(0.5)], ["uint8", 0, 3e-5]] as const) {
      const x = Array.from({ length: 256 }, (_, i) => (dtype === "uint8" ? i : i - 128));
      const b = new OnnxModelBuilder("relu");
      b.input("x", dtype, [256]);
      const s = b.initializer("s", "float32", [], [scale]);
      const z = b.initializer("zp", dtype, [], [zp]);
      b.node("DequantizeLinear", ["x", s, z], ["f"]).node("Relu", ["f"], ["r"]).node("QuantizeLinear", ["r", s, z], ["y"]);
      b.output("y", dtype, [256]);
      const ortOut = await runOrt(b.toBytes(), { x: { type: dtype, dims: [256], data: x } });
      const p = program([{ name: "x", dtype, shape: [256] }, { name: "y", dtype, shape: [256] }], [], [{ op: "Relu", input: "x", output: "y", zeroPoint: zp }], ["x"], ["y"]);
      expectBitIdentical(runProgram(p, { x }).outputs.get("y")!, ortOut.y, `Relu ${dtype}`);
    }
  });
});

/** A small quantized CNN as an ONNX model (every intermediate tensor is also a graph output) and as the program written by hand. */
function chainModel(): { bytes: Uint8Array; input: number[]; program: Program } {
  const next = seededRandom(7);
  const input = Array.from({ length: 1 * 2 * 6 * 6 }, () => f32(next() * 4 - 1));
  const w = randInts(next, 4 * 2 * 3 * 3, -128, 127);
  const bias = randInts(next, 4, -3000, 3000);
  const fc = randInts(next, 16 * 3, -128, 127);
  const S = { x: f32(0.02), w: f32(0.003), c: f32(0.05), fc: f32(0.004), y: f32(0.1) };
  const b = new OnnxModelBuilder("chain");
  b.input("x", "float32", [1, 2, 6, 6]);
  const xs = b.initializer("xs", "float32", [], [S.x]);
  const xzp = b.initializer("xzp", "uint8", [], [60]);
  const cs = b.initializer("cs", "float32", [], [S.c]);
  const czp = b.initializer("czp", "uint8", [], [10]);
  const ys = b.initializer("ys", "float32", [], [S.y]);
  const yzp = b.initializer("yzp", "uint8", [], [128]);
  b.node("QuantizeLinear", ["x", xs, xzp], ["xq"]);
  b.node("QLinearConv", ["xq", xs, xzp, b.initializer("w", "int8", [4, 2, 3, 3], w), b.initializer("ws", "float32", [], [S.w]), b.initializer("wzp", "int8", [], [0]), cs, czp, b.initializer("bias", "int32", [4], bias)], ["c"], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } });
  b.node("MaxPool", ["c"], ["p"], { kernel_shape: { ints: [3, 3] }, strides: { ints: [3, 3] } });
  b.node("Reshape", ["p", b.initializer("shape", "int64", [2], [1n, 16n])], ["flat"]);
  b.node("QLinearMatMul", ["flat", cs, czp, b.initializer("fc", "int8", [16, 3], fc), b.initializer("fcs", "float32", [], [S.fc]), b.initializer("fczp", "int8", [], [0]), ys, yzp], ["yq"]);
  b.node("DequantizeLinear", ["yq", ys, yzp], ["y"]);
  for (const [name, type, shape] of [["xq", "uint8", [1, 2, 6, 6]], ["c", "uint8", [1, 4, 6, 6]], ["p", "uint8", [1, 4, 2, 2]], ["flat", "uint8", [1, 16]], ["yq", "uint8", [1, 3]], ["y", "float32", [1, 3]]] as const) b.output(name, type, shape);

  const p = program(
    [
      { name: "x", dtype: "float32", shape: [1, 2, 6, 6] },
      { name: "xq", dtype: "uint8", shape: [1, 2, 6, 6] },
      { name: "c", dtype: "uint8", shape: [1, 4, 6, 6] },
      { name: "p", dtype: "uint8", shape: [1, 4, 2, 2] },
      { name: "flat", dtype: "uint8", shape: [1, 16] },
      { name: "yq", dtype: "uint8", shape: [1, 3] },
      { name: "y", dtype: "float32", shape: [1, 3] },
    ],
    [
      { name: "w", dtype: "int8", shape: [4, 2, 3, 3], data: w },
      { name: "bias", dtype: "int32", shape: [4], data: bias },
      { name: "fc", dtype: "int8", shape: [16, 3], data: fc },
    ],
    [
      { op: "QuantizeLinear", input: "x", output: "xq", scaleBits: bits(S.x), zeroPoint: 60 },
      { op: "QLinearConv", x: "xq", w: "w", bias: "bias", output: "c", xZeroPoint: 60, wZeroPoints: [0], scaleBits: [combined(S.x, S.w, S.c)], outZeroPoint: 10, strides: [1, 1], pads: [1, 1, 1, 1] },
      { op: "MaxPool", input: "c", output: "p", kernel: [3, 3], strides: [3, 3], pads: [0, 0, 0, 0] },
      { op: "Reshape", input: "p", output: "flat" },
      { op: "QLinearMatMul", a: "flat", b: "fc", output: "yq", aZeroPoint: 10, bZeroPoints: [0], scaleBits: [combined(S.c, S.fc, S.y)], outZeroPoint: 128 },
      { op: "DequantizeLinear", input: "yq", output: "y", scaleBits: bits(S.y), zeroPoint: 128 },
    ],
    ["x"],
    ["xq", "c", "p", "flat", "yq", "y"],
  );
  return { bytes: b.toBytes(), input, program: p };
}

describe("referee interpreter vs onnxruntime: a whole program and its trace", function () {
  it("Quantize -> QLinearConv -> MaxPool -> Reshape -> QLinearMatMul -> Dequantize: every intermediate tensor matches", async function () {
    const { bytes, input, program: p } = chainModel();
    const ortOut = await runOrt(bytes, { x: { type: "float32", dims: [1, 2, 6, 6], data: input } });
    const { outputs, trace } = runProgram(p, { x: input }, { trace: true });
    for (const name of ["xq", "c", "p", "flat", "yq", "y"]) expectBitIdentical(trace.get(name)!, ortOut[name], name);
    expect(valuesOf(outputs.get("y")!)).to.deep.equal(valuesOf(trace.get("y")!));
    expect(trace.get("w")!.data).to.have.length(72); // constants are in the trace too
    // Not a constant output: the values vary.
    expect(new Set(trace.get("c")!.data).size).to.be.greaterThan(10);
  });
});

describe("referee compiler: ONNX model -> program", function () {
  it("compiles the quantized CNN into exactly the hand-written program (same hash)", function () {
    const { bytes, program: p } = chainModel();
    const compiled = compileOnnx(onnx.ModelProto.decode(bytes));
    expect(compiled).to.deep.equal(JSON.parse(JSON.stringify(p)));
    expect(programHash(compiled)).to.equal(programHash(p));
  });

  it("turns DequantizeLinear -> Relu -> QuantizeLinear into the integer Relu, and keeps it in floats when 255 * scale overflows", async function () {
    const build = (scale: number) => {
      const b = new OnnxModelBuilder("qdq-relu");
      b.input("x", "uint8", [256]);
      const s = b.initializer("s", "float32", [], [scale]);
      const z = b.initializer("zp", "uint8", [], [77]);
      b.node("DequantizeLinear", ["x", s, z], ["f"]).node("Relu", ["f"], ["r"]).node("QuantizeLinear", ["r", s, z], ["y"]);
      b.output("y", "uint8", [256]);
      return b.toBytes();
    };
    const compiled = compileOnnx(onnx.ModelProto.decode(build(f32(0.05))));
    expect(compiled.ops).to.deep.equal([{ op: "Relu", input: "x", output: "y", zeroPoint: 77 }]);
    const x = Array.from({ length: 256 }, (_, i) => i);
    const ortOut = await runOrt(build(f32(0.05)), { x: { type: "uint8", dims: [256], data: x } });
    expectBitIdentical(runProgram(compiled, { x }).outputs.get("y")!, ortOut.y, "compiled Relu");
    // 3e38: (255 - 77) * s overflows to infinity, so the float path is not max(x, zp); a float Relu is not supported.
    expect(() => compileOnnx(onnx.ModelProto.decode(build(3e38)))).to.throw(CompileError, /Relu/);
  });

  it("refuses operators, dynamic shapes and non-constant scales it does not support", function () {
    const dyn = new OnnxModelBuilder("dyn");
    dyn.input("x", "uint8", ["N", 4]);
    dyn.node("MaxPool", ["x"], ["y"], { kernel_shape: { ints: [1, 1] } });
    dyn.output("y", "uint8", ["N", 4]);
    expect(() => compileOnnx(dyn.toModel())).to.throw(CompileError, /static/);
    const add = new OnnxModelBuilder("add");
    add.input("x", "float32", [2]);
    add.node("Add", ["x", "x"], ["y"]);
    add.output("y", "float32", [2]);
    expect(() => compileOnnx(add.toModel())).to.throw(CompileError, /not supported/);
    const q = new OnnxModelBuilder("q");
    q.input("x", "float32", [2]).input("s", "float32", []);
    q.node("QuantizeLinear", ["x", "s"], ["y"]);
    q.output("y", "uint8", [2]);
    expect(() => compileOnnx(q.toModel())).to.throw(CompileError, /initializer/);
  });
});

describe("referee interpreter: QLinearAdd (integer semantics defined by the program)", function () {
  it("acc = (a - aZp) * aMultiplier + (b - bZp) * bMultiplier, then requantize(acc, 0, s, yZp)", function () {
    const a = [0, 10, 128, 255, 200, 7];
    const bv = [-128, 0, 5, 127, -1, 3];
    const op: ProgramOp = { op: "QLinearAdd", a: "a", b: "b", output: "y", aZeroPoint: 128, bZeroPoint: -1, aMultiplier: 3, bMultiplier: -5, scaleBits: bits(0.25), outZeroPoint: 100 };
    const p = program([{ name: "a", dtype: "uint8", shape: [6] }, { name: "b", dtype: "int8", shape: [6] }, { name: "y", dtype: "uint8", shape: [6] }], [], [op], ["a", "b"], ["y"]);
    const got = Array.from(runProgram(p, { a, b: bv }).outputs.get("y")!.data);
    // By hand: acc = 3(a - 128) - 5(b + 1); y = clamp(roundHalfEven(acc / 4) + 100).
    // a=0,b=-128: -384 + 635 = 251 -> 62.75 -> 63 -> 163
    // a=10,b=0: -354 - 5 = -359 -> -89.75 -> -90 -> 10
    // a=128,b=5: 0 - 30 = -30 -> -7.5 -> -8 (tie to even) -> 92
    // a=255,b=127: 381 - 640 = -259 -> -64.75 -> -65 -> 35
    // a=200,b=-1: 216 - 0 = 216 -> 54 -> 154
    // a=7,b=3: -363 - 20 = -383 -> -95.75 -> -96 -> 4
    expect(got).to.deep.equal([163, 10, 92, 35, 154, 4]);
  });
});

describe("referee interpreter: Table activation", function () {
  it("looks each value up in the program's 256-entry table, indexed from the input type's minimum", function () {
    // A quantized sigmoid: int8 input (scale 1/16, zp 0) -> uint8 output (scale 1/256, zp 0), computed once, stored in the program.
    const table = Array.from({ length: 256 }, (_, i) => Math.min(255, Math.round(256 / (1 + Math.exp(-(i - 128) / 16)))));
    const x = [-128, -1, 0, 1, 127, 40];
    const p = program([{ name: "x", dtype: "int8", shape: [6] }, { name: "y", dtype: "uint8", shape: [6] }], [], [{ op: "Table", input: "x", output: "y", table }], ["x"], ["y"]);
    expect(Array.from(runProgram(p, { x }).outputs.get("y")!.data)).to.deep.equal(x.map((v) => table[v + 128]));
    expect(table[128]).to.equal(128);
  });
});

describe("referee program: canonical bytes and hash", function () {
  const base = selfTestProgram();
  it("does not depend on the order object keys were written in", function () {
    const shuffled: Program = { ops: base.ops.map((o) => Object.fromEntries(Object.entries(o).reverse()) as ProgramOp), constants: base.constants, tensors: base.tensors, outputs: base.outputs, inputs: base.inputs, version: 1 };
    expect(programHash(shuffled)).to.equal(programHash(base));
  });

  it("changes when one scale bit or one weight changes", function () {
    const op = base.ops[0] as Extract<ProgramOp, { op: "QLinearMatMul" }>;
    const oneBit: Program = { ...base, ops: [{ ...op, scaleBits: [op.scaleBits[0] + 1] }] };
    const weight: Program = { ...base, constants: [{ ...base.constants[0], data: base.constants[0].data.map((v, i) => (i === 0 ? v - 1 : v)) }] };
    const hashes = new Set([programHash(base), programHash(oneBit), programHash(weight)]);
    expect(hashes.size).to.equal(3);
  });

  it("is canonical JSON with sorted keys, integers only and no whitespace", function () {
    const tiny = program([{ name: "x", dtype: "uint8", shape: [2] }, { name: "y", dtype: "uint8", shape: [2] }], [], [{ op: "Relu", input: "x", output: "y", zeroPoint: 3 }], ["x"], ["y"]);
    const text = new TextDecoder().decode(canonicalProgramBytes(tiny));
    expect(text).to.equal('{"constants":[],"inputs":["x"],"ops":[{"input":"x","op":"Relu","output":"y","zeroPoint":3}],"outputs":["y"],"tensors":[{"dtype":"uint8","name":"x","shape":[2]},{"dtype":"uint8","name":"y","shape":[2]}],"version":1}');
    expect(programHash(tiny)).to.match(/^0x[0-9a-f]{64}$/);
  });
});

describe("referee program: validation", function () {
  const t = (name: string, dtype: TensorDecl["dtype"], shape: number[]): TensorDecl => ({ name, dtype, shape });
  it("refuses undefined tensors, bad shapes, bad scales and zero points, and out-of-range constants", function () {
    const relu = (zeroPoint: number): ProgramOp => ({ op: "Relu", input: "x", output: "y", zeroPoint });
    expect(() => validateProgram(program([t("x", "uint8", [2]), t("y", "uint8", [2])], [], [relu(300)], ["x"], ["y"]))).to.throw(ProgramError);
    expect(() => validateProgram(program([t("x", "uint8", [2]), t("y", "uint8", [3])], [], [relu(0)], ["x"], ["y"]))).to.throw(ProgramError);
    expect(() => validateProgram(program([t("y", "uint8", [2])], [], [relu(0)], [], ["y"]))).to.throw(ProgramError);
    expect(() => validateProgram(program([t("x", "float32", [2]), t("y", "uint8", [2])], [], [{ op: "QuantizeLinear", input: "x", output: "y", scaleBits: 0, zeroPoint: 0 }], ["x"], ["y"]))).to.throw(ProgramError, /scale/);
    expect(() => validateProgram(program([t("x", "uint8", [2]), t("y", "uint8", [2])], [{ name: "k", dtype: "int8", shape: [1], data: [200] }], [relu(0)], ["x"], ["y"]))).to.throw(ProgramError, /not a int8/);
    expect(() => validateProgram(program([t("x", "uint8", [2]), t("y", "uint8", [2])], [], [{ op: "Table", input: "x", output: "y", table: [1, 2] }], ["x"], ["y"]))).to.throw(ProgramError, /256/);
  });

  it("refuses inputs the dtype cannot hold and accumulators that overflow int32", function () {
    const p = program([t("x", "uint8", [2]), t("y", "uint8", [2])], [], [{ op: "Relu", input: "x", output: "y", zeroPoint: 0 }], ["x"], ["y"]);
    expect(() => runProgram(p, { x: [1, 256] })).to.throw(ProgramError);
    expect(() => runProgram(p, { x: [1] })).to.throw(ProgramError);
    const k = 33100; // 33100 * 255 * 255 > 2^31
    const big = program([t("a", "uint8", [1, k]), t("y", "uint8", [1, 1])], [{ name: "b", dtype: "uint8", shape: [k, 1], data: Array<number>(k).fill(255) }], [{ op: "QLinearMatMul", a: "a", b: "b", output: "y", aZeroPoint: 0, bZeroPoints: [0], scaleBits: [bits(1)], outZeroPoint: 0 }], ["a"], ["y"]);
    expect(() => runProgram(big, { a: Array<number>(k).fill(255) })).to.throw(/overflows int32/);
  });
});

describe("referee self-test: saturating uint8 x int8 vectors", function () {
  it("runs on this CPU and reports pass or the first differing element", async function () {
    const result = await selfTest();
    // Recorded for the report: whether this CPU's onnxruntime u8s8 kernel saturates.
    console.log(`      self-test on this CPU: ${result.pass ? "pass" : `FAIL at ${JSON.stringify(result.firstDifference)}`}`);
    expect(result.expected).to.have.length(12);
    expect(result.actual).to.have.length(12);
    if (result.pass) expect(result.actual).to.deep.equal(result.expected);
    else expect(result.firstDifference).to.not.equal(undefined);
  });

  it("fails, at row 0 column 0, against an emulation of AVX2's saturating vpmaddubsw", function () {
    // What MLAS's AVX2 (no VNNI) kernel computes: adjacent products summed into a saturating int16.
    const { a, b } = selfTestVectors();
    const m = 3, k = 8, n = 4;
    const sat = (v: number) => Math.max(-32768, Math.min(32767, v));
    const p = selfTestProgram();
    const op = p.ops[0] as Extract<ProgramOp, { op: "QLinearMatMul" }>;
    const emulated: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t += 2) acc += sat(a[i * k + t] * b[t * n + j] + a[i * k + t + 1] * b[(t + 1) * n + j]);
        emulated.push(requantize(acc, 0, op.scaleBits[0], op.outZeroPoint, "uint8"));
      }
    }
    const expected = Array.from(runProgram(p, { a }).outputs.get("y")!.data);
    const result = compareSelfTest(expected, emulated);
    expect(result.pass).to.equal(false);
    expect(result.firstDifference).to.deep.equal({ index: 0, row: 0, column: 0, expected: 255, actual: 192 });
    // Column 1 (all -128) saturates too: -127.5 -> -128 -> 0 exactly, -64 -> 64 saturated.
    expect([expected[1], emulated[1]]).to.deep.equal([0, 64]);
  });

  it("knows the weight range where no pair can saturate", function () {
    expect(weightsCannotSaturate([64, -64, 0, 12])).to.equal(true);
    expect(weightsCannotSaturate([65])).to.equal(false);
    expect(weightsCannotSaturate([-128])).to.equal(false);
  });
});
