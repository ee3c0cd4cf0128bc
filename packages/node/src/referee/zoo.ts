/**
 * The refereeable models of issue 15: an MLP and a CNN of more than 1,000,000 parameters each,
 * built here as quantized ONNX graphs from explicit integer operators (QLinearMatMul, QLinearConv,
 * MaxPool, Reshape, and Relu in the QDQ form DequantizeLinear -> Relu -> QuantizeLinear that
 * compileOnnx turns into the integer Relu). Refereed jobs take integer inputs and give integer
 * outputs, so the graph input is uint8 and the output is the last layer's uint8 tensor: no float
 * QuantizeLinear at the input and no DequantizeLinear at the output.
 *
 * Everything is deterministic: the weights, biases and per-channel scale factors come from a
 * seeded mulberry32 PRNG (integers only), and every float32 scale is computed with +, *, / and
 * sqrt, which IEEE 754 rounds correctly on every engine, so the same call gives the same bytes
 * everywhere (the tests pin their hashes).
 *
 * Weights are bell-shaped integers in [-64, 64] (the sum of four uniform draws in [-16, 16]), the
 * range where onnxruntime's uint8 x int8 kernels cannot saturate on any CPU (selfTest.ts,
 * `weightsCannotSaturate`). Output scales are set from the expected spread of each layer's
 * accumulator on uniformly random inputs so that activations use much of the uint8 range
 * without piling up at 0 or 255.
 *
 * The demo and the bench use these; no test helper is imported.
 */
import { onnx } from "onnx-proto";
import { f32 } from "./arith";
import { compileOnnx } from "./compile";
import type { Program } from "./program";

/** A refereeable model: its ONNX bytes and what a caller needs to feed it. */
export interface ZooModel {
  readonly name: string;
  /** The ONNX ModelProto's bytes (opset 13). */
  readonly onnx: Uint8Array;
  /** Weights plus biases (scales and zero points not counted). */
  readonly params: number;
  readonly inputName: string;
  readonly inputShape: readonly number[];
  readonly inputDType: "uint8";
  readonly outputName: string;
  readonly outputShape: readonly number[];
}

/** mulberry32: a 32-bit seeded PRNG; returns uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform integer in [lo, hi] (the modulo bias of 2^32 % range is negligible and deterministic). */
const uniformInt = (next: () => number, lo: number, hi: number) => lo + (next() % (hi - lo + 1));

/** A seeded uniformly random uint8 input for `model` (what the tests and the bench feed it). */
export function zooInput(model: ZooModel, seed: number): Uint8Array {
  const next = mulberry32(seed);
  const n = model.inputShape.reduce((p, d) => p * d, 1);
  return Uint8Array.from({ length: n }, () => next() & 0xff);
}

/** The variance of one weight: four independent uniform draws in [-16, 16], each of variance (33^2 - 1) / 12. */
const WEIGHT_VARIANCE = (4 * (33 * 33 - 1)) / 12;
/** E[x^2] of a uniform uint8 input with zero point 0: sum(i^2) / 256. */
const UNIFORM_INPUT_SECOND_MOMENT = (255 * 511) / 6;
/** The input's scale: a pixel in [0, 1]. */
const INPUT_SCALE = f32(1 / 255);
/** The base of every weight scale; a column's scale is this times a factor in [0.75, 1.25]. */
const WEIGHT_SCALE = f32(1 / 1024);
/** Hidden activations: zero point 32 (Relu keeps [32, 255]), about 56 levels per standard deviation of the accumulator. */
const HIDDEN = { zeroPoint: 32, levels: 56 };
/** The output: zero point 128, about 40 levels per standard deviation. */
const OUTPUT = { zeroPoint: 128, levels: 40 };

const T = onnx.TensorProto.DataType;
const f32Bytes = (values: readonly number[]) => new Uint8Array(new Float32Array(values).buffer);

/** Builds one graph: initializers from typed arrays, nodes in order. */
class Graph {
  readonly initializers: onnx.ITensorProto[] = [];
  readonly nodes: onnx.INodeProto[] = [];
  params = 0;
  constructor(readonly next: () => number) {}

  init(name: string, dataType: number, dims: number[], raw: Uint8Array): string {
    this.initializers.push({ name, dims, dataType, rawData: raw });
    return name;
  }
  scalarF32(name: string, v: number): string {
    return this.init(name, T.FLOAT, [], f32Bytes([v]));
  }
  scalarU8(name: string, v: number): string {
    return this.init(name, T.UINT8, [], Uint8Array.of(v));
  }
  node(opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []): string {
    this.nodes.push({ name: output, opType, input, output: [output], attribute });
    return output;
  }

  /** `count` bell-shaped int8 weights in [-64, 64]. */
  weights(count: number): Int8Array {
    const w = new Int8Array(count);
    for (let i = 0; i < count; i++) w[i] = uniformInt(this.next, -16, 16) + uniformInt(this.next, -16, 16) + uniformInt(this.next, -16, 16) + uniformInt(this.next, -16, 16);
    this.params += count;
    return w;
  }
  /** One float32 weight scale per output channel: WEIGHT_SCALE times a factor in [0.75, 1.25] (multiples of 1/64). */
  channelScales(count: number): number[] {
    return Array.from({ length: count }, () => f32(WEIGHT_SCALE * ((48 + uniformInt(this.next, 0, 32)) / 64)));
  }

  /** DequantizeLinear -> Relu -> QuantizeLinear with one scale and zero point: compileOnnx's integer Relu. */
  relu(x: string, scale: string, zp: string, out: string): string {
    this.node("DequantizeLinear", [x, scale, zp], `${out}_dq`);
    this.node("Relu", [`${out}_dq`], `${out}_relu`);
    return this.node("QuantizeLinear", [`${out}_relu`, scale, zp], out);
  }
}

/** A quantized activation: its tensor name, float32 scale and zero point, and E[(x - zp)^2] in levels. */
interface Act {
  readonly name: string;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly secondMoment: number;
}

/**
 * The output scale that gives about `levels` levels per standard deviation of an accumulator over
 * `k` products of an activation of second moment `secondMoment` with the zoo's weights:
 * y_scale = a_scale * WEIGHT_SCALE * std(acc) / levels.
 */
function outputScale(a: Act, k: number, levels: number): number {
  return f32((a.scale * WEIGHT_SCALE * Math.sqrt(k * a.secondMoment * WEIGHT_VARIANCE)) / levels);
}

/** QLinearMatMul (`a` [1, K] uint8 x int8 [K, N], per-column scales) and, when `relu`, the QDQ Relu. */
function dense(g: Graph, a: Act, k: number, n: number, name: string, relu: boolean): Act {
  const target = relu ? HIDDEN : OUTPUT;
  const yScale = outputScale(a, k, target.levels);
  const w = g.weights(k * n); // row-major [K, N]
  g.init(`${name}_w`, T.INT8, [k, n], new Uint8Array(w.buffer));
  g.init(`${name}_w_scale`, T.FLOAT, [n], f32Bytes(g.channelScales(n)));
  g.init(`${name}_w_zp`, T.INT8, [n], new Uint8Array(n));
  const ys = g.scalarF32(`${name}_y_scale`, yScale);
  const yzp = g.scalarU8(`${name}_y_zp`, target.zeroPoint);
  const as = g.scalarF32(`${name}_a_scale`, a.scale);
  const azp = g.scalarU8(`${name}_a_zp`, a.zeroPoint);
  const q = g.node("QLinearMatMul", [a.name, as, azp, `${name}_w`, `${name}_w_scale`, `${name}_w_zp`, ys, yzp], relu ? `${name}_q` : name);
  const out = relu ? g.relu(q, ys, yzp, name) : q;
  // After Relu about half the values sit at the zero point and the rest are |N(0, levels)|.
  return { name: out, scale: yScale, zeroPoint: target.zeroPoint, secondMoment: (target.levels * target.levels) / 2 };
}

/** QLinearConv 3x3, pad 1, per-channel scales, int32 bias; then the QDQ Relu and a 2x2 MaxPool. */
function convBlock(g: Graph, x: Act, c: number, m: number, name: string, pooledMoment: number): Act {
  const k = c * 9;
  const yScale = outputScale(x, k, HIDDEN.levels);
  const w = g.weights(m * k); // [M, C, 3, 3]
  g.init(`${name}_w`, T.INT8, [m, c, 3, 3], new Uint8Array(w.buffer));
  g.init(`${name}_w_scale`, T.FLOAT, [m], f32Bytes(g.channelScales(m)));
  g.init(`${name}_w_zp`, T.INT8, [m], new Uint8Array(m));
  // A bias within a quarter of the accumulator's standard deviation, in accumulator units.
  const accStd = Math.floor(Math.sqrt(k * x.secondMoment * WEIGHT_VARIANCE));
  const bias = Int32Array.from({ length: m }, () => uniformInt(g.next, -(accStd >> 2), accStd >> 2));
  g.params += m;
  g.init(`${name}_bias`, T.INT32, [m], new Uint8Array(bias.buffer));
  const xs = g.scalarF32(`${name}_x_scale`, x.scale);
  const xzp = g.scalarU8(`${name}_x_zp`, x.zeroPoint);
  const ys = g.scalarF32(`${name}_y_scale`, yScale);
  const yzp = g.scalarU8(`${name}_y_zp`, HIDDEN.zeroPoint);
  const conv = g.node("QLinearConv", [x.name, xs, xzp, `${name}_w`, `${name}_w_scale`, `${name}_w_zp`, ys, yzp, `${name}_bias`], `${name}_q`, [
    { name: "kernel_shape", type: onnx.AttributeProto.AttributeType.INTS, ints: [3, 3] },
    { name: "pads", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] },
  ]);
  const relu = g.relu(conv, ys, yzp, `${name}_relu`);
  const pool = g.node("MaxPool", [relu], `${name}_pool`, [
    { name: "kernel_shape", type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
    { name: "strides", type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
  ]);
  // The max of four neighbouring Relu outputs, as the next layer sees it (borders padded, neighbours
  // correlated): an effective second moment measured on random inputs, in units of levels^2.
  return { name: pool, scale: yScale, zeroPoint: HIDDEN.zeroPoint, secondMoment: pooledMoment * HIDDEN.levels * HIDDEN.levels };
}

const valueInfo = (name: string, elemType: number, dims: readonly number[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

function finish(g: Graph, name: string, inputName: string, inputShape: number[], outputName: string, outputShape: number[]): ZooModel {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "glassbox-referee-zoo",
    graph: {
      name,
      input: [valueInfo(inputName, T.UINT8, inputShape)],
      output: [valueInfo(outputName, T.UINT8, outputShape)],
      initializer: g.initializers,
      node: g.nodes,
    },
  });
  return { name, onnx: onnx.ModelProto.encode(model).finish(), params: g.params, inputName, inputShape, inputDType: "uint8", outputName, outputShape };
}

const INPUT: Act = { name: "x", scale: INPUT_SCALE, zeroPoint: 0, secondMoment: UNIFORM_INPUT_SECOND_MOMENT };

/**
 * The refereeable MLP: uint8 [1, 784] -> QLinearMatMul 784x1024 -> Relu -> QLinearMatMul 1024x1024
 * -> Relu -> QLinearMatMul 1024x10 -> uint8 [1, 10]; 1,861,632 weights.
 */
export function refereeMlp(seed = 15_001): ZooModel {
  const g = new Graph(mulberry32(seed));
  const h1 = dense(g, INPUT, 784, 1024, "fc1", true);
  const h2 = dense(g, h1, 1024, 1024, "fc2", true);
  dense(g, h2, 1024, 10, "y", false);
  return finish(g, "referee-mlp", "x", [1, 784], "y", [1, 10]);
}

/**
 * The refereeable CNN: uint8 [1, 1, 28, 28] -> QLinearConv 3x3 (32) -> Relu -> MaxPool 2x2 ->
 * QLinearConv 3x3 (64) -> Relu -> MaxPool 2x2 -> Reshape [1, 3136] -> QLinearMatMul 3136x384 ->
 * Relu -> QLinearMatMul 384x10 -> uint8 [1, 10]; 1,226,880 weights and biases.
 */
export function refereeCnn(seed = 15_002): ZooModel {
  const g = new Graph(mulberry32(seed));
  const p1 = convBlock(g, INPUT, 1, 32, "conv1", 0.55);
  const p2 = convBlock(g, p1, 32, 64, "conv2", 0.8);
  const flat = g.node("Reshape", [p2.name, g.init("flat_shape", T.INT64, [2], new Uint8Array(new BigInt64Array([1n, 3136n]).buffer))], "flat");
  const h = dense(g, { ...p2, name: flat }, 3136, 384, "fc1", true);
  dense(g, h, 384, 10, "y", false);
  return finish(g, "referee-cnn", "x", [1, 1, 28, 28], "y", [1, 10]);
}

/** `model`'s refereed program (compileOnnx of its ONNX bytes). */
export function zooProgram(model: ZooModel): Program {
  return compileOnnx(onnx.ModelProto.decode(model.onnx));
}
