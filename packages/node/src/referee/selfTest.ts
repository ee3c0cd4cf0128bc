/**
 * The start-up self-test of issue 15: may this node let onnxruntime compute a program's integer
 * operators, or must it use the reference interpreter? onnxruntime's uint8 x int8 matrix kernels
 * depend on the CPU: on x86 with AVX2 but without VNNI, MLAS multiplies with `vpmaddubsw`, which
 * adds two adjacent u8 x s8 products into an int16 and SATURATES (255 * 127 * 2 = 64770 > 32767),
 * while VNNI's `vpdpbusd` (and ARM's kernels) accumulate in int32 exactly. The test runs one
 * QLinearMatMul whose rows and columns are built to saturate (255 against 127 and against -128,
 * pair after pair) through onnxruntime and through the interpreter, and reports the first element
 * that differs. A node may use onnxruntime for an operator only when this passes on its own CPU,
 * and only for weights in `weightsCannotSaturate`'s range (engine.ts `chooseEngine`). Node-only (it loads onnxruntime-node).
 */
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { float32Bits } from "./arith";
import { runProgram } from "./interpreter";
import type { Program } from "./program";
import { sessionOptions } from "../runtime/runner";

/** The weight range is decided in engine.ts (browser-safe, with the engine choice); re-exported here where it was first defined. */
export { weightsCannotSaturate } from "./engine";

export interface SelfTestResult {
  /** Whether onnxruntime matched the interpreter on every element. */
  readonly pass: boolean;
  /** The first element that differs (row-major index into the [M,N] output), when one does. */
  readonly firstDifference?: { readonly index: number; readonly row: number; readonly column: number; readonly expected: number; readonly actual: number };
  /** The interpreter's output (the rule's values). */
  readonly expected: readonly number[];
  /** onnxruntime's output on this CPU. */
  readonly actual: readonly number[];
}

const K = 8;
/** Columns of B: all 127, all -128, alternating 127/-128, and a small column that never saturates. */
const COLUMNS: readonly (readonly number[])[] = [
  Array<number>(K).fill(127),
  Array<number>(K).fill(-128),
  Array.from({ length: K }, (_, k) => (k % 2 === 0 ? 127 : -128)),
  Array.from({ length: K }, (_, k) => (k % 2 === 0 ? 3 : -5)),
];
/** Rows of A: all 255 (saturates against the first three columns), alternating 255/0, and small values. */
const ROWS: readonly (readonly number[])[] = [
  Array<number>(K).fill(255),
  Array.from({ length: K }, (_, k) => (k % 2 === 0 ? 255 : 0)),
  Array.from({ length: K }, (_, k) => (k % 3) + 1),
];
const M = ROWS.length;
const N = COLUMNS.length;
/**
 * a_scale 2^-11, b_scale 1, y_scale 1, y_zp 128: the exact sum 8 * 255 * 127 = 259080 gives
 * 126.50390625 -> 127 -> 255, the saturated 4 * 32767 = 131068 gives 64 -> 192; 8 * 255 * -128 gives
 * -127.5 -> -128 -> 0, saturated -131072 gives -64 -> 64.
 */
const A_SCALE = 2 ** -11;
const Y_ZERO_POINT = 128;

/** The self-test's A (uint8 [M,K], row-major) and B (int8 [K,N], row-major). */
export function selfTestVectors(): { a: number[]; b: number[] } {
  const a = ROWS.flat();
  const b: number[] = [];
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) b.push(COLUMNS[n][k]);
  return { a, b };
}

/** The self-test as a refereed program (the interpreter's side). */
export function selfTestProgram(): Program {
  const { b } = selfTestVectors();
  return {
    version: 1,
    inputs: ["a"],
    outputs: ["y"],
    tensors: [
      { name: "a", dtype: "uint8", shape: [M, K] },
      { name: "y", dtype: "uint8", shape: [M, N] },
    ],
    constants: [{ name: "b", dtype: "int8", shape: [K, N], data: b }],
    ops: [{ op: "QLinearMatMul", a: "a", b: "b", output: "y", aZeroPoint: 0, bZeroPoints: [0], scaleBits: [float32Bits(Math.fround(Math.fround(A_SCALE * 1) / 1))], outZeroPoint: Y_ZERO_POINT }],
  };
}

/** The same QLinearMatMul as an ONNX model (opset 13), built here so that the node needs no test helpers. */
export function selfTestModelBytes(): Uint8Array {
  const { b } = selfTestVectors();
  const T = onnx.TensorProto.DataType;
  const scalar = (name: string, dataType: number, bytes: Uint8Array): onnx.ITensorProto => ({ name, dims: [], dataType, rawData: bytes });
  const f32 = (x: number) => new Uint8Array(new Float32Array([x]).buffer);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "glassbox-referee-selftest",
    graph: {
      name: "selftest",
      input: [{ name: "a", type: { tensorType: { elemType: T.UINT8, shape: { dim: [{ dimValue: M }, { dimValue: K }] } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: T.UINT8, shape: { dim: [{ dimValue: M }, { dimValue: N }] } } } }],
      initializer: [
        { name: "b", dims: [K, N], dataType: T.INT8, rawData: new Uint8Array(new Int8Array(b).buffer) },
        scalar("a_scale", T.FLOAT, f32(A_SCALE)),
        scalar("a_zp", T.UINT8, new Uint8Array([0])),
        scalar("b_scale", T.FLOAT, f32(1)),
        scalar("b_zp", T.INT8, new Uint8Array([0])),
        scalar("y_scale", T.FLOAT, f32(1)),
        scalar("y_zp", T.UINT8, new Uint8Array([Y_ZERO_POINT])),
      ],
      node: [{ name: "qmm", opType: "QLinearMatMul", input: ["a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"], output: ["y"] }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Compares two outputs element by element; used by selfTest and exported so that it can be tested without onnxruntime. */
export function compareSelfTest(expected: readonly number[], actual: readonly number[]): SelfTestResult {
  const index = expected.findIndex((v, i) => actual[i] !== v);
  if (index < 0 && expected.length === actual.length) return { pass: true, expected, actual };
  const i = index < 0 ? Math.min(expected.length, actual.length) : index;
  return {
    pass: false,
    firstDifference: { index: i, row: Math.floor(i / N), column: i % N, expected: expected[i], actual: actual[i] },
    expected,
    actual,
  };
}

/** Runs the saturating QLinearMatMul through onnxruntime (the node's deterministic session settings) and the interpreter. */
export async function selfTest(): Promise<SelfTestResult> {
  const { a } = selfTestVectors();
  const expected = Array.from(runProgram(selfTestProgram(), { a }).outputs.get("y")!.data);
  const session = await ort.InferenceSession.create(selfTestModelBytes(), sessionOptions());
  try {
    const result = await session.run({ a: new ort.Tensor("uint8", Uint8Array.from(a), [M, K]) });
    return compareSelfTest(expected, Array.from(result.y.data as Uint8Array));
  } finally {
    await session.release();
  }
}
