/**
 * The canonical tensor encoding shared with contracts/libraries/TensorCodec.sol.
 *
 *   map    := version:u8 (=1) count:u8 tensor*count
 *   tensor := nameLen:u8 name dtype:u8 rank:u8 dim:u32le*rank values (little-endian)
 *
 * Tensors are sorted by name (bytewise, strictly ascending), names are 1..64 bytes of UTF-8,
 * rank is at most 8 and bool values are 0 or 1, so one tensor map has exactly one encoding.
 * A two-byte buffer `0x00 reason` is not a map: it is an executor's claim that the input was
 * invalid (see INVALID_REASONS in sdk/enums.ts).
 */
import { INVALID_REASONS, type InvalidReason } from "../sdk/enums";

export const FORMAT_VERSION = 1;
export const MAX_NAME_BYTES = 64;
export const MAX_RANK = 8;
export const MAX_TENSORS = 255;

export const DTYPES = {
  float32: 1,
  float64: 2,
  int32: 3,
  int64: 4,
  bool: 5,
  uint8: 6,
  int8: 7,
} as const;

export type DType = keyof typeof DTYPES;

const ELEMENT_SIZE: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  bool: 1,
  uint8: 1,
  int8: 1,
};


/** One tensor: int64 values are bigint, bool values are 0/1 or booleans, the rest numbers. */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: ArrayLike<number | bigint | boolean>;
}

export type TensorMap = Record<string, Tensor>;

/** Thrown on any encoding or decoding error; `offset` says where decoding broke. */
export class TensorCodecError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = "TensorCodecError";
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function elementCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Encodes a tensor map canonically. Throws TensorCodecError naming the tensor at fault. */
export function encodeTensors(tensors: TensorMap): Uint8Array {
  const entries = Object.entries(tensors).map(([name, t]) => ({ name, nameBytes: utf8.encode(name), t }));
  if (entries.length > MAX_TENSORS) throw new TensorCodecError(`at most ${MAX_TENSORS} tensors, got ${entries.length}`);
  entries.sort((a, b) => compareBytes(a.nameBytes, b.nameBytes));
  const parts: Uint8Array[] = [Uint8Array.of(FORMAT_VERSION, entries.length)];
  for (let i = 0; i < entries.length; i++) {
    const { name, nameBytes, t } = entries[i];
    if (i > 0 && compareBytes(entries[i - 1].nameBytes, nameBytes) === 0) throw new TensorCodecError(`duplicate tensor name "${name}"`);
    if (nameBytes.length === 0 || nameBytes.length > MAX_NAME_BYTES) {
      throw new TensorCodecError(`tensor name "${name}" must be 1..${MAX_NAME_BYTES} bytes`);
    }
    if (utf8Decoder.decode(nameBytes) !== name) {
      // Lone surrogates encode to U+FFFD: two different keys could then share one encoded name.
      throw new TensorCodecError(`tensor name "${name}" is not well-formed Unicode`);
    }
    const code = DTYPES[t.dtype];
    if (code === undefined) throw new TensorCodecError(`tensor "${name}": unknown dtype "${String(t.dtype)}"`);
    if (t.shape.length > MAX_RANK) throw new TensorCodecError(`tensor "${name}": rank ${t.shape.length} > ${MAX_RANK}`);
    for (const d of t.shape) {
      if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new TensorCodecError(`tensor "${name}": bad dimension ${d}`);
    }
    const count = elementCount(t.shape);
    if (t.data.length !== count) {
      throw new TensorCodecError(`tensor "${name}": shape [${t.shape.join(", ")}] needs ${count} values, got ${t.data.length}`);
    }
    const header = new Uint8Array(1 + nameBytes.length + 2 + 4 * t.shape.length);
    const hv = new DataView(header.buffer);
    header[0] = nameBytes.length;
    header.set(nameBytes, 1);
    header[1 + nameBytes.length] = code;
    header[2 + nameBytes.length] = t.shape.length;
    t.shape.forEach((d, i) => hv.setUint32(3 + nameBytes.length + 4 * i, d, true));
    parts.push(header, encodeValues(name, t.dtype, t.data));
  }
  return concat(parts);
}

/**
 * The values of one tensor as packed little-endian bytes (the canonical value layout, which is also
 * ONNX's raw_data layout). Throws TensorCodecError naming `name` for a value that does not fit.
 */
export function encodeValues(name: string, dtype: DType, data: ArrayLike<number | bigint | boolean>): Uint8Array {
  const size = ELEMENT_SIZE[dtype];
  const out = new Uint8Array(size * data.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const at = i * size;
    switch (dtype) {
      case "float32":
        view.setFloat32(at, Number(v), true);
        break;
      case "float64":
        view.setFloat64(at, Number(v), true);
        break;
      case "int32":
        view.setInt32(at, checkInt(name, Number(v), -(2 ** 31), 2 ** 31 - 1), true);
        break;
      case "int64":
        view.setBigInt64(at, BigInt.asIntN(64, checkBigInt(name, v)), true);
        break;
      case "bool":
        view.setUint8(at, v === true || v === 1 || v === 1n ? 1 : checkBool(name, v));
        break;
      case "uint8":
        view.setUint8(at, checkInt(name, Number(v), 0, 255));
        break;
      case "int8":
        view.setInt8(at, checkInt(name, Number(v), -128, 127));
        break;
    }
  }
  return out;
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new TensorCodecError(`tensor "${name}": ${v} is not an integer in [${min}, ${max}]`);
  return v;
}

function checkBigInt(name: string, v: number | bigint | boolean): bigint {
  if (typeof v === "bigint") {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new TensorCodecError(`tensor "${name}": ${v} does not fit int64`);
    return v;
  }
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw new TensorCodecError(`tensor "${name}": ${String(v)} is not an int64 (use a bigint or a safe integer)`);
}

function checkBool(name: string, v: number | bigint | boolean): number {
  if (v === false || v === 0 || v === 0n) return 0;
  throw new TensorCodecError(`tensor "${name}": ${String(v)} is not a bool`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decoded values: Float32Array, Float64Array, Int32Array, BigInt64Array, Uint8Array, Int8Array. */
export interface DecodedTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
}

/** Decodes and validates a canonical map with the same rules as the Solidity decoder. */
export function decodeTensors(bytes: Uint8Array): Record<string, DecodedTensor> {
  if (bytes.length < 2 || bytes[0] !== FORMAT_VERSION) throw new TensorCodecError("not a canonical tensor map (bad version byte)", 0);
  const count = bytes[1];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // No prototype: a tensor named "__proto__" (or "constructor") must be an ordinary key.
  const out = Object.create(null) as Record<string, DecodedTensor>;
  let at = 2;
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    if (at + 1 > bytes.length) throw new TensorCodecError("truncated tensor header", at);
    const nameLen = bytes[at];
    if (nameLen === 0 || nameLen > MAX_NAME_BYTES || at + 1 + nameLen + 2 > bytes.length) throw new TensorCodecError("bad tensor name", at);
    const nameBytes = bytes.subarray(at + 1, at + 1 + nameLen);
    if (previous && compareBytes(previous, nameBytes) >= 0) throw new TensorCodecError("tensors are not sorted by name", at);
    previous = nameBytes;
    let name: string;
    try {
      name = utf8Decoder.decode(nameBytes);
    } catch {
      throw new TensorCodecError("tensor name is not UTF-8", at);
    }
    at += 1 + nameLen;
    const code = bytes[at];
    const dtype = (Object.keys(DTYPES) as DType[]).find((k) => DTYPES[k] === code);
    if (!dtype) throw new TensorCodecError(`unknown dtype code ${code}`, at);
    const rank = bytes[at + 1];
    at += 2;
    if (rank > MAX_RANK || at + 4 * rank > bytes.length) throw new TensorCodecError("bad rank", at);
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) shape.push(view.getUint32(at + 4 * d, true));
    at += 4 * rank;
    const n = elementCount(shape);
    const size = ELEMENT_SIZE[dtype];
    if (at + n * size > bytes.length) throw new TensorCodecError(`tensor "${name}" values are truncated`, at);
    const raw = bytes.slice(at, at + n * size);
    if (dtype === "bool") {
      const bad = raw.findIndex((b) => b > 1);
      if (bad >= 0) throw new TensorCodecError(`tensor "${name}": bool value ${raw[bad]}`, at + bad);
    }
    out[name] = { dtype, shape, data: typedView(dtype, raw) };
    at += n * size;
  }
  if (at !== bytes.length) throw new TensorCodecError("trailing bytes after the last tensor", at);
  return out;
}

function typedView(dtype: DType, raw: Uint8Array): DecodedTensor["data"] {
  // `raw` is a fresh copy, aligned at offset 0, and this machine family is little-endian like the encoding.
  const b = raw.buffer;
  switch (dtype) {
    case "float32":
      return new Float32Array(b);
    case "float64":
      return new Float64Array(b);
    case "int32":
      return new Int32Array(b);
    case "int64":
      return new BigInt64Array(b);
    case "int8":
      return new Int8Array(b);
    default:
      return new Uint8Array(b);
  }
}

/** The two-byte invalid-input claim for `reason`. */
export function invalidClaim(reason: InvalidReason): Uint8Array {
  return Uint8Array.of(0, INVALID_REASONS[reason]);
}

/** True when `bytes` is an invalid-input claim rather than a tensor map. */
export function isInvalidClaim(bytes: Uint8Array): boolean {
  return bytes.length === 2 && bytes[0] === 0;
}
