import { mulberry32 } from "../../node/src";
import { OnnxModelBuilder } from "./onnxBuilder";

/**
 * Small ONNX models built in TypeScript, used by the node's tests, the demo and the benchmark.
 * Their weights come from a seeded generator, so every call returns the same bytes and every
 * machine derives the same model id.
 */

/** mulberry32 (the node's, which the referee's zoo uses too) as floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** `count` values in [-1, 1), rounded to float32 so that a reference computed in TS sees the model's exact weights. */
function weights(next: () => number, count: number): number[] {
  return Array.from({ length: count }, () => Math.fround(next() * 2 - 1));
}

export const MLP_SEED = 0x6c617373;
export const CONV_SEED = 0x636f6e76;

/** The MLP's parameters, row-major: w1 is [4, 8], b1 [8], w2 [8, 3], b2 [3]. */
export interface MlpWeights {
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number[];
}

export function mlpWeights(): MlpWeights {
  const next = seededRandom(MLP_SEED);
  return { w1: weights(next, 32), b1: weights(next, 8), w2: weights(next, 24), b2: weights(next, 3) };
}

/** float32 "x" [N, 4] -> Gemm(4x8) -> Relu -> Gemm(8x3) -> "logits" [N, 3]. */
export function mlp(): Uint8Array {
  const w = mlpWeights();
  const b = new OnnxModelBuilder("glassbox-mlp");
  b.input("x", "float32", ["N", 4]);
  b.initializer("W1", "float32", [4, 8], w.w1);
  b.initializer("b1", "float32", [8], w.b1);
  b.initializer("W2", "float32", [8, 3], w.w2);
  b.initializer("b2", "float32", [3], w.b2);
  b.node("Gemm", ["x", "W1", "b1"], ["hidden"]);
  b.node("Relu", ["hidden"], ["hidden_relu"]);
  b.node("Gemm", ["hidden_relu", "W2", "b2"], ["logits"]);
  b.output("logits", "float32", ["N", 3]);
  return b.toBytes();
}

/** The convolution's parameters: kernel is [2, 1, 3, 3] (filters, channels, height, width), bias [2]. */
export interface ConvWeights {
  kernel: number[];
  bias: number[];
}

export function convWeights(): ConvWeights {
  const next = seededRandom(CONV_SEED);
  return { kernel: weights(next, 18), bias: weights(next, 2) };
}

/** Padding of the 3x3 convolution on every side, so that its output keeps the 8x8 size. */
export const CONV_PADDING = 1;

/** float32 "image" [1, 1, 8, 8] -> Conv(2 filters, 3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> "features" [1, 2]. */
export function conv(): Uint8Array {
  const w = convWeights();
  const b = new OnnxModelBuilder("glassbox-conv");
  b.input("image", "float32", [1, 1, 8, 8]);
  b.initializer("kernel", "float32", [2, 1, 3, 3], w.kernel);
  b.initializer("bias", "float32", [2], w.bias);
  b.node("Conv", ["image", "kernel", "bias"], ["conv"], {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [CONV_PADDING, CONV_PADDING, CONV_PADDING, CONV_PADDING] },
    strides: { ints: [1, 1] },
  });
  b.node("Relu", ["conv"], ["conv_relu"]);
  b.node("GlobalAveragePool", ["conv_relu"], ["pooled"]);
  b.node("Flatten", ["pooled"], ["features"], { axis: { int: 1 } });
  b.output("features", "float32", [1, 2]);
  return b.toBytes();
}

/**
 * Several inputs and outputs of several dtypes: int64 "ids" [N] and a float32 scalar "scale" [] give
 * "doubled" = ids * 2 (int64 [N], via Mul with an int64 Constant), "sum" = ReduceSum(Cast(ids to
 * float) * scale) (float32 []), and "positive" = ids > 0 (bool [N]).
 */
export function multi(): Uint8Array {
  const b = new OnnxModelBuilder("glassbox-multi");
  b.input("ids", "int64", ["N"]);
  b.input("scale", "float32", []);
  b.node("Constant", [], ["two"], { value: { tensor: { type: "int64", dims: [], values: [2n] } } });
  b.node("Mul", ["ids", "two"], ["doubled"]);
  b.node("Cast", ["ids"], ["ids_float"], { to: { int: 1 /* TensorProto.FLOAT */ } });
  b.node("Mul", ["ids_float", "scale"], ["scaled"]);
  // Opset 13 takes ReduceSum's axes as an optional input; without it every axis is reduced.
  b.node("ReduceSum", ["scaled"], ["sum"], { keepdims: { int: 0 } });
  b.initializer("zero", "int64", [], [0n]);
  b.node("Greater", ["ids", "zero"], ["positive"]);
  b.output("doubled", "int64", ["N"]);
  b.output("sum", "float32", []);
  b.output("positive", "bool", ["N"]);
  return b.toBytes();
}

/** Every fixture by name. */
export const FIXTURES = { mlp, conv, multi } as const;

export type FixtureName = keyof typeof FIXTURES;
