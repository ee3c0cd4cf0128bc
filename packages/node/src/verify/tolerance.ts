import { decodeTensors, isInvalidClaim, type DecodedTensor } from "../codec/tensor";

/**
 * The comparison a verifier votes on: is an executor's claimed output the same result as the
 * output this verifier computed itself, under the model's policy?
 *
 *   1. An invalid-input claim (the two bytes `0x00 reason`) equals only the same two bytes: the
 *      executor and the verifier must both refuse the input, for the same reason.
 *   2. Otherwise both must be canonical tensor maps (a claimed output that does not decode is not
 *      equal) with the same tensor names, and per name the same dtype and the same shape.
 *   3. Values are compared element by element:
 *      - bit for bit when the policy is `exact`, and always for int32, int64, bool, uint8 and int8;
 *      - for float32 and float64 otherwise, claimed `a` and computed `b` (both widened to double)
 *        are equal when |a - b| <= abs + rel * |b|, with abs = absTolerance / 1e12 and
 *        rel = relTolerance / 1e12 (ModelRegistry.TOLERANCE_SCALE), computed in double precision.
 *        The relative part scales with the verifier's own value `b`, never the claimed one, so an
 *        executor cannot widen its own tolerance by claiming a huge number. NaN equals only NaN
 *        (any payload), +Inf only +Inf, -Inf only -Inf; +0 equals -0.
 *   4. The outputs are equal when every element is.
 *
 * A verifier's own output that is not a canonical map is a bug on the verifier's side: that
 * throws, because a verifier must not vote on a result it could not compute.
 */

/** ModelRegistry.TOLERANCE_SCALE: policy tolerances are fixed point with 12 decimals. */
export const TOLERANCE_SCALE = 1_000_000_000_000n;

const UINT64_MAX = (1n << 64n) - 1n;

/** The part of a model's on-chain ModelPolicy that decides equality. */
export interface TolerancePolicy {
  exact: boolean;
  /** Per-element absolute tolerance, scaled by TOLERANCE_SCALE (uint64 on-chain). */
  absTolerance: bigint;
  /** Per-element relative tolerance, scaled by TOLERANCE_SCALE (uint64 on-chain). */
  relTolerance: bigint;
}

/** One element, for diagnosis: flat (row-major) index within its tensor. int64 values are rounded to a number. */
export interface WorstElement {
  tensor: string;
  index: number;
  claimed: number;
  computed: number;
}

export interface Comparison {
  /** The verdict: true when the claimed output is the same result as the computed one. */
  equal: boolean;
  /** Why not, when `equal` is false. */
  reason?: string;
  /**
   * The element that used most of its allowance (|a - b| / allowed), or the first that differs
   * bit for bit where comparison is exact; absent when no element differs at all.
   */
  worst?: WorstElement;
}

/** Compares a claimed output with the verifier's computed one; see the rule at the top of this file. */
export function compareOutputs(claimed: Uint8Array, computed: Uint8Array, policy: TolerancePolicy): Comparison {
  const tolerance = toleranceOf(policy);
  if (isInvalidClaim(claimed) || isInvalidClaim(computed)) return compareInvalidClaims(claimed, computed);

  const mine = decodeOwn(computed);
  let theirs: Record<string, DecodedTensor>;
  try {
    theirs = decodeTensors(claimed);
  } catch (err) {
    return { equal: false, reason: `the claimed output is not a canonical tensor map (${(err as Error).message})` };
  }
  // A tensor named "__proto__" is swallowed by the decoder's plain-object result: count what was decoded.
  if (Object.keys(theirs).length !== claimed[1]) return { equal: false, reason: "the claimed output has a tensor name the verifier cannot represent" };

  const structure = compareStructure(theirs, mine);
  if (structure !== undefined) return { equal: false, reason: structure };

  let worst: Scored | undefined;
  let mismatches = 0;
  for (const name of Object.keys(mine)) {
    const result = compareValues(name, theirs[name], mine[name], tolerance);
    mismatches += result.mismatches;
    if (result.worst !== undefined && outranks(result.worst, worst)) worst = result.worst;
  }
  if (worst === undefined) return { equal: true };
  const element: WorstElement = { tensor: worst.tensor, index: worst.index, claimed: worst.claimed, computed: worst.computed };
  if (mismatches === 0) return { equal: true, worst: element };
  return { equal: false, reason: `${mismatches} element(s) differ beyond the policy; worst: ${describe(worst)}`, worst: element };
}

interface Tolerance {
  exact: boolean;
  abs: number;
  rel: number;
}

/** An element that differs, with how much of its allowance it used (Infinity: not allowed at all). */
interface Scored extends WorstElement {
  score: number;
  /** Whether the difference is beyond the policy. */
  beyond: boolean;
  /** The allowance when compared within tolerance; undefined when compared bit for bit or not finite. */
  allowed?: number;
}

function toleranceOf(policy: TolerancePolicy): Tolerance {
  for (const key of ["absTolerance", "relTolerance"] as const) {
    const v = policy[key];
    if (typeof v !== "bigint" || v < 0n || v > UINT64_MAX) throw new RangeError(`policy.${key} must be a uint64 bigint, got ${String(v)}`);
  }
  const scale = Number(TOLERANCE_SCALE);
  return { exact: policy.exact, abs: Number(policy.absTolerance) / scale, rel: Number(policy.relTolerance) / scale };
}

function compareInvalidClaims(claimed: Uint8Array, computed: Uint8Array): Comparison {
  const claimedInvalid = isInvalidClaim(claimed);
  const computedInvalid = isInvalidClaim(computed);
  if (claimedInvalid && computedInvalid) {
    if (claimed[1] === computed[1]) return { equal: true };
    return { equal: false, reason: `the claimed invalid-input reason is ${claimed[1]}, the verifier's is ${computed[1]}` };
  }
  if (claimedInvalid) return { equal: false, reason: `the executor claimed the input is invalid (reason ${claimed[1]}), but the verifier ran it` };
  return { equal: false, reason: `the verifier found the input invalid (reason ${computed[1]}), but the executor claimed an output` };
}

function decodeOwn(computed: Uint8Array): Record<string, DecodedTensor> {
  let mine: Record<string, DecodedTensor>;
  try {
    mine = decodeTensors(computed);
  } catch (err) {
    throw new Error(`the verifier's own output is not a canonical tensor map (${(err as Error).message}); do not vote on this job`, { cause: err });
  }
  if (Object.keys(mine).length !== computed[1]) throw new Error(`the verifier's own output has a tensor named "__proto__", which the decoder cannot represent; do not vote on this job`);
  return mine;
}

function compareStructure(theirs: Record<string, DecodedTensor>, mine: Record<string, DecodedTensor>): string | undefined {
  const missing = Object.keys(mine).filter((n) => !Object.hasOwn(theirs, n));
  const extra = Object.keys(theirs).filter((n) => !Object.hasOwn(mine, n));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`lacks ${missing.map((n) => JSON.stringify(n)).join(", ")}`);
    if (extra.length > 0) parts.push(`has unexpected ${extra.map((n) => JSON.stringify(n)).join(", ")}`);
    return `the claimed output ${parts.join(" and ")}`;
  }
  for (const name of Object.keys(mine)) {
    const [a, b] = [theirs[name], mine[name]];
    if (a.dtype !== b.dtype) return `tensor ${JSON.stringify(name)}: claimed dtype ${a.dtype}, computed ${b.dtype}`;
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      return `tensor ${JSON.stringify(name)}: claimed shape [${a.shape.join(", ")}], computed [${b.shape.join(", ")}]`;
    }
  }
  return undefined;
}

function compareValues(name: string, a: DecodedTensor, b: DecodedTensor, tolerance: Tolerance): { mismatches: number; worst?: Scored } {
  if (!tolerance.exact && (b.dtype === "float32" || b.dtype === "float64")) {
    return compareWithin(name, a.data as Float32Array | Float64Array, b.data as Float32Array | Float64Array, tolerance);
  }
  return compareBits(name, a, b);
}

function compareWithin(name: string, a: Float32Array | Float64Array, b: Float32Array | Float64Array, { abs, rel }: Tolerance) {
  let mismatches = 0;
  let worst: Scored | undefined;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue; // also equal infinities, and +0 against -0
    const finite = Number.isFinite(x) && Number.isFinite(y);
    // An infinity or NaN against anything else is never within tolerance, however wide.
    const allowed = finite ? abs + rel * Math.abs(y) : undefined;
    const diff = Math.abs(x - y);
    const beyond = allowed === undefined || !(diff <= allowed);
    if (beyond) mismatches++;
    const score = allowed === undefined || allowed === 0 ? Infinity : diff / allowed;
    const element: Scored = { tensor: name, index: i, claimed: x, computed: y, beyond, score, allowed };
    if (outranks(element, worst)) worst = element;
  }
  return { mismatches, worst };
}

/** Whether `s` is a worse difference than `than`: beyond the policy first, then by share of allowance. */
function outranks(s: Scored, than: Scored | undefined): boolean {
  if (than === undefined) return true;
  if (s.beyond !== than.beyond) return s.beyond;
  return s.score > than.score;
}

function compareBits(name: string, a: DecodedTensor, b: DecodedTensor): { mismatches: number; worst?: Scored } {
  // Plain byte loops, no Buffer: the SDK runs this in browsers too (test/browser/sdk.ts).
  const x = bytesOf(a);
  const y = bytesOf(b);
  const size = y.length / Math.max(b.data.length, 1);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < b.data.length; i++) {
    for (let k = i * size; k < (i + 1) * size; k++) {
      if (x[k] !== y[k]) {
        mismatches++;
        if (first < 0) first = i;
        break;
      }
    }
  }
  if (first < 0) return { mismatches: 0 };
  return { mismatches, worst: { tensor: name, index: first, claimed: Number(a.data[first]), computed: Number(b.data[first]), beyond: true, score: Infinity } };
}

function bytesOf(t: DecodedTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function describe(w: Scored): string {
  const at = `tensor ${JSON.stringify(w.tensor)}[${w.index}]: claimed ${w.claimed}, computed ${w.computed}`;
  if (w.allowed === undefined) return Number.isFinite(w.claimed) && Number.isFinite(w.computed) ? `${at} (compared bit for bit)` : at;
  return `${at}, |difference| ${Math.abs(w.claimed - w.computed)} > allowed ${w.allowed}`;
}
