/**
 * A refereed program (issue 15): a quantized integer model written out so that every output
 * element has exactly one correct value. It is plain JSON-able data: named tensors with a dtype
 * and a static shape, constants (weights, int32 biases, shape-free), and operators in topological
 * order whose every parameter is an integer (float32 scales are stored as their uint32 bits, so
 * no decimal formatting of floats ever enters the hash).
 *
 * Operators and their semantics (the interpreter, interpreter.ts, is the truth for each):
 * - QuantizeLinear    float32 -> q:  clamp(roundHalfEven(f32(x / s)) + zp)
 * - DequantizeLinear  q -> float32:  f32((q - zp) * s)
 * - QLinearMatMul     A[M,K] q x B[K,N] q (+ optional int32 bias[N]) -> Y[M,N] q:
 *                     acc = sum_k (A - aZp)(B - bZp[n]); requantize(acc, bias[n], scaleBits[n], yZp)
 *                     (scaleBits has one entry, or one per output column: per-channel scales)
 * - QLinearConv       X[1|N,C,H,W] q, W[M,C,kh,kw] q (+ int32 bias[M]) -> Y[N,M,oh,ow] q; group 1,
 *                     dilation 1; padded positions hold X's zero point (so they add 0);
 *                     per output channel bZp/scaleBits as above
 * - Relu              q -> q: max(x, zp) (Relu of the dequantized value, re-quantized with the same
 *                     scale and zero point)
 * - MaxPool           q -> q over NCHW windows; padded positions are ignored
 * - QLinearAdd        A, B q (same shape, no broadcasting) -> Y q. Defined here, not by
 *                     onnxruntime (its contrib kernel is a fixed-point path on ARM and a float one on
 *                     x86): acc = (A - aZp) * aMultiplier + (B - bZp) * bMultiplier (integers, acc
 *                     must fit int32), Y = requantize(acc, 0, scaleBits, yZp). A compiler picks the
 *                     multipliers and scale so that aMultiplier * s ~ a_scale / y_scale, etc.
 * - Table             q -> q: Y = table[X - min(X's dtype)], a 256-entry table that is part of the
 *                     program (sigmoid, tanh, GELU... computed once by the compiler)
 * - Reshape           any -> same dtype, same elements, new static shape (row-major order kept)
 *
 * Left for later: broadcasting, batched MatMul, grouped/dilated convolution, AveragePool, Concat,
 * Mul, a compact binary encoding suited to on-chain Merkle leaves.
 */
import { keccak256 } from "ethers";
import { isInt32, isValidScaleBits, QUANT_RANGE, type QuantDType } from "./arith";

/** Element types of a program's tensors. */
export type ProgramDType = QuantDType | "int32" | "float32";

/** A tensor the program defines: a graph input, a constant, or an operator's output. */
export interface TensorDecl {
  readonly name: string;
  readonly dtype: ProgramDType;
  readonly shape: readonly number[];
}

/** A constant's values (weights, biases); float32 constants are stored as uint32 bits. */
export interface ConstantDecl extends TensorDecl {
  readonly data: readonly number[];
}

export interface QuantizeLinearOp {
  readonly op: "QuantizeLinear";
  readonly input: string;
  readonly output: string;
  readonly scaleBits: number;
  readonly zeroPoint: number;
}

export interface DequantizeLinearOp {
  readonly op: "DequantizeLinear";
  readonly input: string;
  readonly output: string;
  readonly scaleBits: number;
  readonly zeroPoint: number;
}

export interface QLinearMatMulOp {
  readonly op: "QLinearMatMul";
  readonly a: string;
  readonly b: string;
  /** Optional int32 bias, one per output column. */
  readonly bias?: string;
  readonly output: string;
  readonly aZeroPoint: number;
  /** One entry, or one per output column. */
  readonly bZeroPoints: readonly number[];
  /** `f32(f32(a_scale * b_scale[n]) / y_scale)` bits; one entry, or one per output column. */
  readonly scaleBits: readonly number[];
  readonly outZeroPoint: number;
}

export interface QLinearConvOp {
  readonly op: "QLinearConv";
  readonly x: string;
  readonly w: string;
  readonly bias?: string;
  readonly output: string;
  readonly xZeroPoint: number;
  /** One entry, or one per output channel. */
  readonly wZeroPoints: readonly number[];
  /** One entry, or one per output channel. */
  readonly scaleBits: readonly number[];
  readonly outZeroPoint: number;
  /** [strideH, strideW] */
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them */
  readonly pads: readonly [number, number, number, number];
}

export interface ReluOp {
  readonly op: "Relu";
  readonly input: string;
  readonly output: string;
  readonly zeroPoint: number;
}

export interface MaxPoolOp {
  readonly op: "MaxPool";
  readonly input: string;
  readonly output: string;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

export interface QLinearAddOp {
  readonly op: "QLinearAdd";
  readonly a: string;
  readonly b: string;
  readonly output: string;
  readonly aZeroPoint: number;
  readonly bZeroPoint: number;
  readonly aMultiplier: number;
  readonly bMultiplier: number;
  readonly scaleBits: number;
  readonly outZeroPoint: number;
}

export interface TableOp {
  readonly op: "Table";
  readonly input: string;
  readonly output: string;
  /** 256 output values, indexed by `x - min(input dtype)`. */
  readonly table: readonly number[];
}

export interface ReshapeOp {
  readonly op: "Reshape";
  readonly input: string;
  readonly output: string;
}

export type ProgramOp = QuantizeLinearOp | DequantizeLinearOp | QLinearMatMulOp | QLinearConvOp | ReluOp | MaxPoolOp | QLinearAddOp | TableOp | ReshapeOp;

/** The whole program. `tensors` declares every non-constant tensor (inputs and operator outputs). */
export interface Program {
  readonly version: 1;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly tensors: readonly TensorDecl[];
  readonly constants: readonly ConstantDecl[];
  readonly ops: readonly ProgramOp[];
}

/** Thrown when a program is malformed: unknown names, wrong shapes, out-of-range parameters. */
export class ProgramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProgramError";
  }
}

const NAME = /^[A-Za-z0-9_.:\/-]{1,128}$/;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function isQuant(dtype: ProgramDType): dtype is QuantDType {
  return dtype === "uint8" || dtype === "int8";
}

function fitsDType(v: number, dtype: ProgramDType): boolean {
  if (dtype === "float32") return Number.isInteger(v) && v >= 0 && v <= 0xffffffff; // bits
  if (dtype === "int32") return isInt32(v);
  return Number.isInteger(v) && v >= QUANT_RANGE[dtype].min && v <= QUANT_RANGE[dtype].max;
}

/** The output shape of a 2-D window (conv or pool) along one axis. */
export function windowOut(size: number, kernel: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((size + padBefore + padAfter - kernel) / stride) + 1;
}

/**
 * Checks that a program is well formed: names unique and defined before use, dtypes and static
 * shapes consistent with each operator, every integer parameter in its range, every scale a
 * positive finite float32. Returns a map from each tensor's name to its declaration.
 */
export function validateProgram(p: Program): Map<string, TensorDecl> {
  if (p.version !== 1) throw new ProgramError(`unknown program version ${String(p.version)}`);
  const decls = new Map<string, TensorDecl>();
  const declare = (t: TensorDecl) => {
    if (!NAME.test(t.name)) throw new ProgramError(`bad tensor name ${JSON.stringify(t.name)}`);
    if (decls.has(t.name)) throw new ProgramError(`tensor "${t.name}" is declared twice`);
    if (!["uint8", "int8", "int32", "float32"].includes(t.dtype)) throw new ProgramError(`"${t.name}": bad dtype ${t.dtype}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new ProgramError(`"${t.name}": bad shape [${t.shape.join(", ")}]`);
    decls.set(t.name, t);
  };
  for (const c of p.constants) {
    declare(c);
    if (c.data.length !== elementCount(c.shape)) throw new ProgramError(`constant "${c.name}": ${c.data.length} values for shape [${c.shape.join(", ")}]`);
    if (!c.data.every((v) => fitsDType(v, c.dtype))) throw new ProgramError(`constant "${c.name}": a value is not a ${c.dtype}`);
  }
  for (const t of p.tensors) declare(t);

  const defined = new Set<string>([...p.constants.map((c) => c.name), ...p.inputs]);
  for (const name of p.inputs) if (!decls.has(name) || p.constants.some((c) => c.name === name)) throw new ProgramError(`input "${name}" is not a declared non-constant tensor`);
  const get = (name: string): TensorDecl => {
    const t = decls.get(name);
    if (!t || !defined.has(name)) throw new ProgramError(`tensor "${name}" is used before it is defined`);
    return t;
  };
  const out = (name: string): TensorDecl => {
    const t = decls.get(name);
    if (!t) throw new ProgramError(`output tensor "${name}" is not declared`);
    if (defined.has(name)) throw new ProgramError(`tensor "${name}" is defined twice`);
    defined.add(name);
    return t;
  };
  const need = (cond: boolean, op: ProgramOp, what: string) => {
    if (!cond) throw new ProgramError(`${op.op} -> "${(op as { output: string }).output}": ${what}`);
  };
  const zp = (v: number, t: TensorDecl) => isQuant(t.dtype) && fitsDType(v, t.dtype);
  const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const perChannel = (list: readonly number[], n: number) => list.length === 1 || list.length === n;

  for (const op of p.ops) {
    switch (op.op) {
      case "QuantizeLinear": {
        const x = get(op.input);
        const y = out(op.output);
        need(x.dtype === "float32" && isQuant(y.dtype) && sameShape(x.shape, y.shape), op, "needs float32 in, uint8/int8 out of the same shape");
        need(isValidScaleBits(op.scaleBits) && zp(op.zeroPoint, y), op, "bad scale or zero point");
        break;
      }
      case "DequantizeLinear": {
        const x = get(op.input);
        const y = out(op.output);
        need(isQuant(x.dtype) && y.dtype === "float32" && sameShape(x.shape, y.shape), op, "needs uint8/int8 in, float32 out of the same shape");
        need(isValidScaleBits(op.scaleBits) && zp(op.zeroPoint, x), op, "bad scale or zero point");
        break;
      }
      case "QLinearMatMul": {
        const a = get(op.a);
        const b = get(op.b);
        const y = out(op.output);
        need(isQuant(a.dtype) && isQuant(b.dtype) && isQuant(y.dtype), op, "operands and result must be uint8/int8");
        need(a.shape.length === 2 && b.shape.length === 2 && a.shape[1] === b.shape[0] && sameShape(y.shape, [a.shape[0], b.shape[1]]), op, "shapes must be [M,K] x [K,N] -> [M,N]");
        const n = b.shape[1];
        need(zp(op.aZeroPoint, a) && perChannel(op.bZeroPoints, n) && op.bZeroPoints.every((z) => zp(z, b)) && zp(op.outZeroPoint, y), op, "bad zero point");
        need(perChannel(op.scaleBits, n) && op.scaleBits.every(isValidScaleBits), op, "bad scales");
        if (op.bias !== undefined) {
          const bias = get(op.bias);
          need(bias.dtype === "int32" && sameShape(bias.shape, [n]), op, "bias must be int32 [N]");
        }
        break;
      }
      case "QLinearConv": {
        const x = get(op.x);
        const w = get(op.w);
        const y = out(op.output);
        need(isQuant(x.dtype) && isQuant(w.dtype) && isQuant(y.dtype), op, "operands and result must be uint8/int8");
        need(x.shape.length === 4 && w.shape.length === 4 && x.shape[1] === w.shape[1], op, "needs X[N,C,H,W] and W[M,C,kh,kw]");
        need(op.strides.length === 2 && op.strides.every((s) => Number.isSafeInteger(s) && s > 0), op, "bad strides");
        need(op.pads.length === 4 && op.pads.every((s) => Number.isSafeInteger(s) && s >= 0), op, "bad pads");
        const [n, , h, wd] = x.shape;
        const [m, , kh, kw] = w.shape;
        const oh = windowOut(h, kh, op.strides[0], op.pads[0], op.pads[2]);
        const ow = windowOut(wd, kw, op.strides[1], op.pads[1], op.pads[3]);
        need(oh > 0 && ow > 0 && sameShape(y.shape, [n, m, oh, ow]), op, `output shape must be [${n}, ${m}, ${oh}, ${ow}]`);
        need(zp(op.xZeroPoint, x) && perChannel(op.wZeroPoints, m) && op.wZeroPoints.every((z) => zp(z, w)) && zp(op.outZeroPoint, y), op, "bad zero point");
        need(perChannel(op.scaleBits, m) && op.scaleBits.every(isValidScaleBits), op, "bad scales");
        if (op.bias !== undefined) {
          const bias = get(op.bias);
          need(bias.dtype === "int32" && sameShape(bias.shape, [m]), op, "bias must be int32 [M]");
        }
        break;
      }
      case "Relu": {
        const x = get(op.input);
        const y = out(op.output);
        need(isQuant(x.dtype) && x.dtype === y.dtype && sameShape(x.shape, y.shape) && zp(op.zeroPoint, x), op, "needs the same uint8/int8 type and shape in and out, and a zero point of that type");
        break;
      }
      case "MaxPool": {
        const x = get(op.input);
        const y = out(op.output);
        need(isQuant(x.dtype) && x.dtype === y.dtype && x.shape.length === 4, op, "needs a uint8/int8 NCHW tensor");
        need([...op.kernel, ...op.strides].every((s) => Number.isSafeInteger(s) && s > 0) && op.pads.every((s) => Number.isSafeInteger(s) && s >= 0), op, "bad kernel, strides or pads");
        need(op.pads[0] < op.kernel[0] && op.pads[2] < op.kernel[0] && op.pads[1] < op.kernel[1] && op.pads[3] < op.kernel[1], op, "a pad must be smaller than the kernel");
        const oh = windowOut(x.shape[2], op.kernel[0], op.strides[0], op.pads[0], op.pads[2]);
        const ow = windowOut(x.shape[3], op.kernel[1], op.strides[1], op.pads[1], op.pads[3]);
        need(oh > 0 && ow > 0 && sameShape(y.shape, [x.shape[0], x.shape[1], oh, ow]), op, `output shape must be [${x.shape[0]}, ${x.shape[1]}, ${oh}, ${ow}]`);
        break;
      }
      case "QLinearAdd": {
        const a = get(op.a);
        const b = get(op.b);
        const y = out(op.output);
        need(isQuant(a.dtype) && isQuant(b.dtype) && isQuant(y.dtype) && sameShape(a.shape, b.shape) && sameShape(a.shape, y.shape), op, "needs uint8/int8 tensors of one shape");
        need(zp(op.aZeroPoint, a) && zp(op.bZeroPoint, b) && zp(op.outZeroPoint, y) && isValidScaleBits(op.scaleBits), op, "bad zero point or scale");
        // |x - zp| <= 255, so |acc| <= 255 * (|ma| + |mb|) < 2^31 whenever each multiplier is below 2^22.
        need([op.aMultiplier, op.bMultiplier].every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 22), op, "multipliers must be integers below 2^22 in magnitude");
        break;
      }
      case "Table": {
        const x = get(op.input);
        const y = out(op.output);
        need(isQuant(x.dtype) && isQuant(y.dtype) && sameShape(x.shape, y.shape), op, "needs uint8/int8 tensors of one shape");
        need(op.table.length === 256 && op.table.every((v) => fitsDType(v, y.dtype)), op, `needs 256 ${y.dtype} entries`);
        break;
      }
      case "Reshape": {
        const x = get(op.input);
        const y = out(op.output);
        need(x.dtype === y.dtype && elementCount(x.shape) === elementCount(y.shape), op, "needs the same dtype and element count");
        break;
      }
      default:
        throw new ProgramError(`unknown operator ${(op as { op: string }).op}`);
    }
  }
  for (const name of p.outputs) if (!defined.has(name)) throw new ProgramError(`output "${name}" is never defined`);
  for (const t of p.tensors) if (!defined.has(t.name)) throw new ProgramError(`tensor "${t.name}" is declared but never defined`);
  return decls;
}

/**
 * The canonical encoding: canonical JSON of the validated program, as UTF-8. Canonical means
 * object keys in ascending order (they are all ASCII, so code-unit order is byte order), no
 * whitespace, `undefined` members left out, and only integers (every float is stored as its
 * float32 bits), so `JSON.stringify` of a number is its unique shortest decimal form. Names are
 * restricted to `[A-Za-z0-9_.:/-]`, so no string needs escaping. Two programs that describe the
 * same computation in the same order therefore have the same bytes on every platform.
 */
export function canonicalProgramBytes(p: Program): Uint8Array {
  validateProgram(p);
  return new TextEncoder().encode(canonicalJson(p)); // ASCII only (names are restricted), so UTF-8 is the bytes of the string
}

function canonicalJson(v: unknown): string {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ProgramError(`${v} is not a safe integer; programs hold only integers`);
    return JSON.stringify(v);
  }
  if (typeof v === "string") {
    if (!/^[\x20-\x7e]*$/.test(v) || v.includes('"') || v.includes("\\")) throw new ProgramError(`string ${JSON.stringify(v)} is not canonical-safe`);
    return `"${v}"`;
  }
  if (Array.isArray(v)) {
    // A weight array (millions of integers): JSON.stringify writes each safe integer exactly as the
    // element-wise path would, in one native call.
    if (v.every((x) => typeof x === "number" && Number.isSafeInteger(x))) return JSON.stringify(v);
    return `[${v.map(canonicalJson).join(",")}]`;
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${canonicalJson(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  throw new ProgramError(`cannot encode ${String(v)} in a program`);
}

/** keccak256 of the canonical encoding, as 0x-prefixed hex: the program's on-chain identity. */
export function programHash(p: Program): string {
  return keccak256(canonicalProgramBytes(p));
}
