/**
 * The refereed dispute's commitments (issue 15), byte for byte as docs/REFEREE.md fixes them
 * (sections "Elements", "Tensor layout", "Trees", "Range proofs" and the trace root): how a
 * tensor, a weight matrix, a convolution's filters and the channel records are laid out as bytes;
 * the 16-ary SHA-256 tree over their 1,024-byte leaves; range proofs of contiguous leaves and their
 * verifier (the same algorithm as contracts/libraries/TraceMerkle.sol); and a run's trace root.
 *
 * Node-only (node:crypto's SHA-256). Every refusal is a RangeError whose message names the bad value.
 */
import { createHash, hash } from "node:crypto";

/** One-shot SHA-256 (node:crypto `hash`, Node >= 20.12): no hash object per call. */
const sha256 = (data: Uint8Array): Buffer => hash("sha256", data, "buffer") as unknown as Buffer;

/** Bytes in one leaf of a tensor's tree. */
export const LEAF_BYTES = 1024;
/** Children of one node of a tensor's tree. */
export const ARITY = 16;
/** The deepest tree TraceMerkle.sol verifies a proof in (16^8 leaves, 4 TiB: past any tensor). */
export const MAX_PROOF_DEPTH = 8;
/** The most leaves one proof may open on-chain (64 KiB of calldata). */
export const MAX_PROOF_LEAVES = 64;

/** The integer element types of a refereed trace. */
export type CommitDType = "uint8" | "int8" | "int32";

/** One output column's (or channel's) requantization parameters, as a 16-byte channel record holds them. */
export interface ChannelRecord {
  /** int32 bias added to the accumulator (0 when the step has none). */
  bias: number;
  /** The float32 scale's bit pattern, a uint32. */
  scaleBits: number;
  /** The weight zero point of this column, an int32. */
  weightZeroPoint: number;
}

/** A leaf-range proof: the opened leaves' bytes and the sibling hashes, bottom up, left to right. */
export interface RangeProof {
  /** `count * 1024` bytes, the leaves `first .. first + count - 1` (zero-padded). */
  leaves: Uint8Array;
  /** 0x-prefixed 32-byte hashes in the order docs/REFEREE.md "Range proofs" gives. */
  siblings: string[];
}

const RANGES: Readonly<Record<CommitDType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};
const SIZES: Readonly<Record<CommitDType, number>> = { uint8: 1, int8: 1, int32: 4 };
const ZERO_HASH = new Uint8Array(32);
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const TRACE_PREFIX = Uint8Array.of(0x02);

/** Bytes per element of `dtype`. */
export function elementSize(dtype: CommitDType): number {
  const size = SIZES[dtype];
  if (size === undefined) throw new RangeError(`unknown dtype ${String(dtype)}: expected uint8, int8 or int32`);
  return size;
}

// ---------------------------------------------------------------- elements and layouts

/** Writes `value` as a `dtype` element at `offset` (int32 big-endian, two's complement throughout). */
function writeElement(out: Uint8Array, offset: number, dtype: CommitDType, value: number, where: string): void {
  const [lo, hi] = RANGES[dtype];
  if (!Number.isInteger(value) || value < lo || value > hi) throw new RangeError(`${where}: ${value} is not a ${dtype} (an integer in [${lo}, ${hi}])`);
  if (dtype === "int32") {
    const u = value >>> 0;
    out[offset] = u >>> 24;
    out[offset + 1] = (u >>> 16) & 0xff;
    out[offset + 2] = (u >>> 8) & 0xff;
    out[offset + 3] = u & 0xff;
  } else {
    out[offset] = value & 0xff;
  }
}

/** Checks a shape (non-negative integer dimensions) and returns its element count. */
function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${what}: dimension ${d} of [${shape.join(", ")}] is not a non-negative integer`);
    n *= d;
  }
  return n;
}

function checkLength(data: ArrayLike<number>, want: number, what: string): void {
  if (data.length !== want) throw new RangeError(`${what}: ${data.length} values given, the shape holds ${want}`);
}

/** Leaves needed for `bytes` bytes, at least one. */
const leavesFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / LEAF_BYTES));

/**
 * An activation's committed bytes: dense, element after element; a rank-4 `[N, C, H, W]` tensor
 * (data given row-major NCHW) in channels-last `(n, h, w, c)` order, any other rank row-major.
 */
export function encodeActivation(dtype: CommitDType, shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  const size = elementSize(dtype);
  const total = elementCount(shape, "encodeActivation");
  checkLength(data, total, "encodeActivation");
  // Fast path: a typed array of the element's own type holds only valid values and its bytes are
  // the encoding (int8 two's complement), so it is copied or transposed without per-element checks.
  if ((dtype === "uint8" && data instanceof Uint8Array) || (dtype === "int8" && data instanceof Int8Array)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (shape.length !== 4) return bytes.slice();
    const [n, c, h, w] = shape;
    const out = new Uint8Array(total);
    const plane = h * w;
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++) {
        const from = (b * c + ch) * plane;
        const to = b * plane * c + ch;
        for (let q = 0; q < plane; q++) out[to + q * c] = bytes[from + q];
      }
    return out;
  }
  const out = new Uint8Array(total * size);
  for (let i = 0; i < total; i++) writeElement(out, activationIndex(shape, i) * size, dtype, data[i], `encodeActivation element ${i}`);
  return out;
}

/** Position in the committed order of the element at row-major index `rowMajorIndex` (identity unless rank 4). */
export function activationIndex(shape: readonly number[], rowMajorIndex: number): number {
  const total = elementCount(shape, "activationIndex");
  if (!Number.isSafeInteger(rowMajorIndex) || rowMajorIndex < 0 || rowMajorIndex >= total)
    throw new RangeError(`activationIndex: index ${rowMajorIndex} is outside [0, ${total}) of [${shape.join(", ")}]`);
  if (shape.length !== 4) return rowMajorIndex;
  const [, c, h, w] = shape;
  const x = rowMajorIndex % w;
  const y = Math.floor(rowMajorIndex / w) % h;
  const ch = Math.floor(rowMajorIndex / (w * h)) % c;
  const n = Math.floor(rowMajorIndex / (w * h * c));
  return ((n * h + y) * w + x) * c + ch;
}

/** The inverse of activationIndex: the row-major index of the element at committed position `committedIndex`. */
export function activationRowMajor(shape: readonly number[], committedIndex: number): number {
  const total = elementCount(shape, "activationRowMajor");
  if (!Number.isSafeInteger(committedIndex) || committedIndex < 0 || committedIndex >= total)
    throw new RangeError(`activationRowMajor: index ${committedIndex} is outside [0, ${total}) of [${shape.join(", ")}]`);
  if (shape.length !== 4) return committedIndex;
  const [, c, h, w] = shape;
  const ch = committedIndex % c;
  const x = Math.floor(committedIndex / c) % w;
  const y = Math.floor(committedIndex / (c * w)) % h;
  const n = Math.floor(committedIndex / (c * w * h));
  return ((n * c + ch) * h + y) * w + x;
}

function checkPositive(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${what} is ${value}: expected a positive integer`);
}

/** Leaves per column of a `B[K, N]` weight matrix: `ceil(K * size / 1024)`. */
export function columnLeafStride(dtype: CommitDType, k: number): number {
  checkPositive(k, "columnLeafStride: K");
  return Math.ceil((k * elementSize(dtype)) / LEAF_BYTES);
}

/**
 * A QLinearMatMul weight `B[K, N]` (data row-major) committed column-major and leaf-aligned: column
 * `n` holds `B[0..K, n]` and starts at leaf `n * columnLeafStride`; the rest of its last leaf is zero.
 * The result is `N * columnLeafStride * 1024` bytes.
 */
export function encodeMatrixColumns(dtype: CommitDType, k: number, n: number, rowMajorKN: ArrayLike<number>): Uint8Array {
  const size = elementSize(dtype);
  const stride = columnLeafStride(dtype, k) * LEAF_BYTES;
  checkPositive(n, "encodeMatrixColumns: N");
  checkLength(rowMajorKN, k * n, "encodeMatrixColumns");
  const out = new Uint8Array(n * stride);
  for (let row = 0; row < k; row++)
    for (let col = 0; col < n; col++) writeElement(out, col * stride + row * size, dtype, rowMajorKN[row * n + col], `encodeMatrixColumns B[${row}, ${col}]`);
  return out;
}

function checkFilterShape(shape: readonly number[], what: string): void {
  if (shape.length !== 4) throw new RangeError(`${what}: shape [${shape.join(", ")}] is not [M, C, kh, kw]`);
  shape.forEach((d, i) => checkPositive(d, `${what}: dimension ${i} of [${shape.join(", ")}]`));
}

/** Leaves per filter of a `W[M, C, kh, kw]` convolution weight: `ceil(C * kh * kw * size / 1024)`. */
export function filterLeafStride(dtype: CommitDType, shape: readonly number[]): number {
  checkFilterShape(shape, "filterLeafStride");
  const [, c, kh, kw] = shape;
  return Math.ceil((c * kh * kw * elementSize(dtype)) / LEAF_BYTES);
}

/**
 * A QLinearConv weight `W[M, C, kh, kw]` (data row-major) committed filter-major, channels-last and
 * leaf-aligned: filter `m` holds `W[m, c, i, j]` in `(i, j, c)` order and starts at leaf
 * `m * filterLeafStride`. The result is `M * filterLeafStride * 1024` bytes.
 */
export function encodeConvFilters(dtype: CommitDType, shape: readonly number[], rowMajor: ArrayLike<number>): Uint8Array {
  const size = elementSize(dtype);
  const stride = filterLeafStride(dtype, shape) * LEAF_BYTES;
  const [m, c, kh, kw] = shape;
  checkLength(rowMajor, m * c * kh * kw, "encodeConvFilters");
  const out = new Uint8Array(m * stride);
  for (let f = 0; f < m; f++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const at = f * stride + ((i * kw + j) * c + ch) * size;
          writeElement(out, at, dtype, rowMajor[((f * c + ch) * kh + i) * kw + j], `encodeConvFilters W[${f}, ${ch}, ${i}, ${j}]`);
        }
  return out;
}

/** Channel records, 16 bytes each: `bias (int32 BE) || scaleBits (uint32 BE) || weightZeroPoint (int32 BE) || 4 zero bytes`. */
export function encodeChannelRecords(records: readonly ChannelRecord[]): Uint8Array {
  const out = new Uint8Array(records.length * 16);
  records.forEach((r, i) => {
    writeElement(out, i * 16, "int32", r.bias, `encodeChannelRecords record ${i} bias`);
    if (!Number.isInteger(r.scaleBits) || r.scaleBits < 0 || r.scaleBits > 0xffffffff)
      throw new RangeError(`encodeChannelRecords record ${i} scaleBits: ${r.scaleBits} is not a uint32`);
    writeElement(out, i * 16 + 4, "int32", r.scaleBits | 0, `encodeChannelRecords record ${i} scaleBits`);
    writeElement(out, i * 16 + 8, "int32", r.weightZeroPoint, `encodeChannelRecords record ${i} weightZeroPoint`);
  });
  return out;
}

// ---------------------------------------------------------------- hashes

/** `sha256(0x00 || leaf)` of one 1,024-byte leaf. */
export function leafHash(leaf: Uint8Array): Uint8Array {
  if (leaf.length !== LEAF_BYTES) throw new RangeError(`leafHash: a leaf is ${LEAF_BYTES} bytes, got ${leaf.length}`);
  return createHash("sha256").update(LEAF_PREFIX).update(leaf).digest();
}

/** `sha256(0x01 || c0 || ... || c15)` of 16 child hashes of 32 bytes. */
export function nodeHash(children: readonly Uint8Array[]): Uint8Array {
  if (children.length !== ARITY) throw new RangeError(`nodeHash: a node has ${ARITY} children, got ${children.length}`);
  const h = createHash("sha256").update(NODE_PREFIX);
  children.forEach((c, i) => {
    if (c.length !== 32) throw new RangeError(`nodeHash: child ${i} is ${c.length} bytes, not 32`);
    h.update(c);
  });
  return h.digest();
}

/** `sha256(0x02 || root(tensor 0) || ... || root(tensor n))` of 0x-prefixed 32-byte roots, as 0x hex. */
export function traceRoot(tensorRoots: readonly string[]): string {
  const h = createHash("sha256").update(TRACE_PREFIX);
  tensorRoots.forEach((r, i) => h.update(parseHash(r, `traceRoot: root ${i}`)));
  return toHex(h.digest());
}

/** The depth of a tree over `byteLength` bytes: the least `d >= 0` with `16^d >= max(1, ceil(byteLength / 1024))`. */
export function depthFor(byteLength: number): number {
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) throw new RangeError(`depthFor: ${byteLength} is not a byte length`);
  return depthForLeaves(leavesFor(byteLength));
}

function depthForLeaves(leaves: number): number {
  let depth = 0;
  for (let width = 1; width < leaves; width *= ARITY) depth++;
  return depth;
}

const toHex = (b: Uint8Array): string => `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex")}`;

function parseHash(hex: string, what: string): Buffer {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`${what}: ${hex} is not a 0x-prefixed 32-byte hash`);
  return Buffer.from(hex.slice(2), "hex");
}

// ---------------------------------------------------------------- the tree

/** The 16-ary SHA-256 tree of one tensor's bytes, every level kept (32 bytes a node) for proofs. */
export class MerkleTree {
  /** The root, 0x-prefixed. */
  readonly root: string;
  /** The least `d` with `16^d >= leafCount`; 0 for one leaf (the root is then its leaf hash). */
  readonly depth: number;
  /** `max(1, ceil(bytes / 1024))`. */
  readonly leafCount: number;
  private readonly bytes: Uint8Array;
  /** levels[l] holds level l's node hashes back to back; levels[depth] is the root. */
  private readonly levels: readonly Buffer[];

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.leafCount = leavesFor(bytes.length);
    this.depth = depthForLeaves(this.leafCount);
    const levels: Buffer[] = [Buffer.alloc(this.leafCount * 32)];
    // One buffer holds the prefix and a leaf; one-shot hashing of it avoids a hash object per leaf.
    const buf = Buffer.alloc(1 + LEAF_BYTES);
    buf[0] = LEAF_PREFIX[0];
    for (let i = 0; i < this.leafCount; i++) {
      const end = Math.min(bytes.length, (i + 1) * LEAF_BYTES);
      buf.set(bytes.subarray(i * LEAF_BYTES, end), 1);
      if (end - i * LEAF_BYTES < LEAF_BYTES) buf.fill(0, 1 + end - i * LEAF_BYTES);
      levels[0].set(sha256(buf), i * 32);
    }
    for (let l = 0; l < this.depth; l++) {
      const below = levels[l];
      const width = below.length / 32;
      const level = Buffer.alloc(Math.ceil(width / ARITY) * 32);
      for (let p = 0; p * ARITY < width; p++) {
        const h = createHash("sha256").update(NODE_PREFIX);
        const from = p * ARITY * 32;
        const to = Math.min(below.length, from + ARITY * 32);
        h.update(below.subarray(from, to));
        for (let missing = ARITY - (to - from) / 32; missing > 0; missing--) h.update(ZERO_HASH);
        h.digest().copy(level, p * 32);
      }
      levels.push(level);
    }
    this.levels = levels;
    this.root = toHex(levels[this.depth]);
  }

  /** The tree of `bytes` (copied), cut into 1,024-byte leaves, the last one zero-padded. */
  static fromBytes(bytes: Uint8Array): MerkleTree {
    return new MerkleTree(bytes.slice());
  }

  /** Leaf `i`'s 1,024 bytes (zero-padded past the data). */
  leaf(i: number): Uint8Array {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.leafCount) throw new RangeError(`leaf: ${i} is outside [0, ${this.leafCount})`);
    const out = new Uint8Array(LEAF_BYTES);
    out.set(this.bytes.subarray(i * LEAF_BYTES, Math.min(this.bytes.length, (i + 1) * LEAF_BYTES)));
    return out;
  }

  /** The hash at position `pos` of level `l`, or 32 zero bytes past the level's width. */
  private node(l: number, pos: number): Uint8Array {
    const level = this.levels[l];
    return pos * 32 < level.length ? level.subarray(pos * 32, pos * 32 + 32) : ZERO_HASH;
  }

  /** The hash at position `pos` of level `l` (0: the leaf hashes; depth: the root), 0x hex; zero past the level's width. */
  nodeAt(l: number, pos: number): string {
    if (!Number.isSafeInteger(l) || l < 0 || l > this.depth) throw new RangeError(`nodeAt: level ${l} is outside [0, ${this.depth}]`);
    return toHex(this.node(l, pos));
  }

  /** The 16 children (0x hex, zero past the data) of node `pos` of level `l >= 1`: what the game's `open` reveals. */
  children(l: number, pos: number): string[] {
    if (!Number.isSafeInteger(l) || l < 1 || l > this.depth) throw new RangeError(`children: level ${l} is outside [1, ${this.depth}]`);
    return Array.from({ length: ARITY }, (_, c) => toHex(this.node(l - 1, pos * ARITY + c)));
  }

  /**
   * A proof of leaves `first .. first + count - 1`: at each level, bottom up, for each parent of
   * the known run `[lo, hi]`, left to right, the hashes of its children outside the run (zero past
   * the level's width), in position order.
   */
  rangeProof(first: number, count: number): RangeProof {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`rangeProof: count ${count} is not a positive integer`);
    if (!Number.isSafeInteger(first) || first < 0 || first + count > this.leafCount)
      throw new RangeError(`rangeProof: leaves ${first} .. ${first + count - 1} are not all within the ${this.leafCount} leaves`);
    const leaves = new Uint8Array(count * LEAF_BYTES);
    for (let i = 0; i < count; i++) leaves.set(this.leaf(first + i), i * LEAF_BYTES);
    const siblings: string[] = [];
    let lo = first;
    let hi = first + count - 1;
    for (let l = 0; l < this.depth; l++) {
      const [plo, phi] = [Math.floor(lo / ARITY), Math.floor(hi / ARITY)];
      for (let c = plo * ARITY; c < (phi + 1) * ARITY; c++) if (c < lo || c > hi) siblings.push(toHex(this.node(l, c)));
      [lo, hi] = [plo, phi];
    }
    return { leaves, siblings };
  }
}

// ---------------------------------------------------------------- the verifier

/**
 * Whether `leaves` (1,024-byte leaves, at most 64; the last may leave out trailing zeros) are leaves `first ..` of the tree of depth
 * `depth` (at most 8) whose root is `root`, given `siblings` in rangeProof's order: the algorithm of
 * TraceMerkle.sol's computeRoot. False for every proof the chain refuses, whatever the reason
 * (malformed hashes, no leaf or too many, a range past `16^depth`, siblings missing or left over, another root).
 */
export function verifyRange(root: string, depth: number, first: number, leaves: Uint8Array, siblings: readonly string[]): boolean {
  if (!/^0x[0-9a-fA-F]{64}$/.test(root) || !siblings.every((s) => /^0x[0-9a-fA-F]{64}$/.test(s))) return false;
  if (!Number.isSafeInteger(depth) || depth < 0 || depth > MAX_PROOF_DEPTH) return false;
  // The last leaf may leave out trailing zeros: it is zero-extended, as the chain does.
  const count = Math.ceil(leaves.length / LEAF_BYTES);
  if (count < 1 || count > MAX_PROOF_LEAVES) return false;
  if (!Number.isSafeInteger(first) || first < 0 || first + count > ARITY ** depth) return false;
  const whole = new Uint8Array(count * LEAF_BYTES);
  whole.set(leaves);
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) level.push(leafHash(whole.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES)));
  let lo = first;
  let hi = first + count - 1;
  let s = 0;
  for (let l = 0; l < depth; l++) {
    const [plo, phi] = [Math.floor(lo / ARITY), Math.floor(hi / ARITY)];
    const next: Uint8Array[] = [];
    for (let p = plo; p <= phi; p++) {
      const children: Uint8Array[] = [];
      for (let c = p * ARITY; c < (p + 1) * ARITY; c++) {
        if (c >= lo && c <= hi) children.push(level[c - lo]);
        else if (s < siblings.length) children.push(Buffer.from(siblings[s++].slice(2), "hex"));
        else return false; // siblings missing
      }
      next.push(nodeHash(children));
    }
    [level, lo, hi] = [next, plo, phi];
  }
  if (s !== siblings.length) return false; // siblings left over
  return toHex(level[0]).toLowerCase() === root.toLowerCase();
}
