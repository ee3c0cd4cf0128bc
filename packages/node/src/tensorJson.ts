/**
 * The JSON form of a tensor map, used by `glassbox job request --input` and printed by
 * `glassbox job result`:
 *
 *   {"x": {"dtype": "float32", "shape": [1, 4], "data": [0.5, -1, 2, 3.25]}}
 *
 * int64 values may be JSON numbers (safe integers) or decimal strings, and are printed as numbers
 * when they are safe integers, as strings otherwise; bool values are true/false (0/1 accepted).
 */
import { DTYPES, type DecodedTensor, type DType, type Tensor, type TensorMap } from "./codec/tensor";

/** Thrown when a JSON input does not describe a tensor map; the message names the tensor and field. */
export class TensorJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TensorJsonError";
  }
}

export type JsonValue = number | string | boolean;
export interface JsonTensor {
  dtype: DType;
  shape: number[];
  data: JsonValue[];
}

/** Parses the text of an input file into a tensor map (not yet encoded). */
export function parseTensorJson(textIn: string, source: string): TensorMap {
  let json: unknown;
  try {
    json = JSON.parse(textIn);
  } catch (err) {
    throw new TensorJsonError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new TensorJsonError(`${source} must hold an object of named tensors`);
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) throw new TensorJsonError(`${source} holds no tensor`);
  const out: TensorMap = Object.create(null) as TensorMap;
  for (const [name, value] of entries) out[name] = parseTensor(name, value, source);
  return out;
}

function parseTensor(name: string, value: unknown, source: string): Tensor {
  const where = `${source}: tensor "${name}"`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TensorJsonError(`${where} must be {"dtype", "shape", "data"}`);
  const { dtype, shape, data } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPES)) {
    throw new TensorJsonError(`${where}: unknown dtype ${JSON.stringify(dtype)}; allowed: ${Object.keys(DTYPES).join(", ")}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new TensorJsonError(`${where}: shape must be an array of non-negative integers`);
  }
  if (!Array.isArray(data)) throw new TensorJsonError(`${where}: data must be an array`);
  const dims = shape as number[];
  const count = dims.reduce((n, d) => n * d, 1);
  if (data.length !== count) throw new TensorJsonError(`${where}: shape [${dims.join(", ")}] needs ${count} values, data has ${data.length}`);
  const type = dtype as DType;
  return { dtype: type, shape: dims, data: data.map((v, i) => element(type, v, `${where}: data[${i}]`)) };
}

function element(dtype: DType, v: unknown, where: string): number | bigint | boolean {
  if (dtype === "bool") {
    if (v === true || v === false) return v;
    if (v === 0 || v === 1) return v === 1;
    throw new TensorJsonError(`${where} is not a bool (true, false, 0 or 1)`);
  }
  if (dtype === "int64") {
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
    throw new TensorJsonError(`${where} is not an int64 (a safe integer or a decimal string)`);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
    throw new TensorJsonError(`${where} is not a number`);
  }
  return v;
}

/** The JSON form of decoded tensors, names in the encoding's (sorted) order. */
export function tensorsToJson(tensors: Record<string, DecodedTensor>): Record<string, JsonTensor> {
  const out: Record<string, JsonTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as ArrayLike<number | bigint>, (v) => jsonElement(t.dtype, v)) };
  }
  return out;
}

function jsonElement(dtype: DType, v: number | bigint): JsonValue {
  if (dtype === "bool") return v === 1;
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (!Number.isFinite(v)) return String(v); // JSON has no NaN or Infinity
  return v;
}
