/**
 * The bit-exact arithmetic of a refereed program (issue 15): float32 rounding, round-half-to-even
 * and requantization. Every function here is pure, uses only IEEE-754 double arithmetic whose
 * results are provably the same as onnxruntime's float32 kernels, and runs unchanged in Node and
 * in a browser. The reference interpreter (interpreter.ts) calls nothing else for arithmetic, and
 * a later Solidity one-step must reproduce exactly these functions.
 *
 * Why doubles give float32-exact results: an int32 (or a sum of two) is exact in a double, so
 * `f32(acc + bias)` is a single correctly rounded conversion, as x86's `cvtdq2ps` does. The product
 * of two float32 values is exact in a double (24 + 24 bits < 53), so `f32(a * b)` is one correctly
 * rounded float32 multiply, as `mulps` does. A float32 quotient computed in double and then
 * rounded to float32 equals the correctly rounded float32 quotient (53 >= 2 * 24 + 2, so double
 * rounding is innocuous), which is what `divps` gives.
 */

/** The quantized element types a program's integer tensors may have. */
export type QuantDType = "uint8" | "int8";

/** The range each quantized type clamps to. */
export const QUANT_RANGE: Readonly<Record<QuantDType, { readonly min: number; readonly max: number }>> = {
  uint8: { min: 0, max: 255 },
  int8: { min: -128, max: 127 },
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Thrown when an argument is outside the domain the rules are defined on (not an int32, not a float32 bit pattern...). */
export class ArithmeticDomainError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "ArithmeticDomainError";
  }
}

/** Rounds a double to the nearest float32 (ties to even), the rounding of every float32 operation. */
export function f32(x: number): number {
  return Math.fround(x);
}

/**
 * Rounds to the nearest integer, ties to the even neighbour: what x86's `cvtps2dq` does under the
 * default MXCSR rounding mode (onnxruntime's MLAS requantize and QuantizeLinear kernels) and what
 * `std::nearbyint` does in their scalar tails. `Math.round` rounds ties towards +infinity
 * (2.5 -> 3, -2.5 -> -2), which is wrong for half the ties. Returns +0 rather than -0.
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) throw new ArithmeticDomainError(`cannot round ${x} to an integer`);
  const r = Math.round(x); // nearest, ties up; exact for every double
  // r - x is computed exactly (both are within 1 of each other, or x is already an integer).
  if (r - x === 0.5 && r % 2 !== 0) return r - 1 + 0;
  return r + 0;
}

/** Whether `n` is an integer in int32's range. */
export function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

/** Clamps an integer to a quantized type's range (onnxruntime saturates the same way, never wraps). */
export function clampTo(n: number, dtype: QuantDType): number {
  const { min, max } = QUANT_RANGE[dtype];
  return n < min ? min : n > max ? max : n;
}

const bitsView = new DataView(new ArrayBuffer(4));

/** The uint32 bit pattern of `x` rounded to float32 (what a program stores for a scale). */
export function float32Bits(x: number): number {
  bitsView.setFloat32(0, x);
  return bitsView.getUint32(0);
}

/** The float32 value whose bit pattern is `bits` (a uint32). */
export function float32FromBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) throw new ArithmeticDomainError(`${bits} is not a uint32 bit pattern`);
  bitsView.setUint32(0, bits);
  return bitsView.getFloat32(0);
}

/**
 * Whether `bits` is a scale a program may store: a positive, finite float32 (normal or
 * subnormal). onnxruntime does not check its scales; the program does, so that zero, negative,
 * infinite and NaN scales never reach the interpreter.
 */
export function isValidScaleBits(bits: number): boolean {
  if (!Number.isInteger(bits) || bits <= 0 || bits > 0xffffffff) return false;
  const s = float32FromBits(bits);
  return s > 0 && Number.isFinite(s);
}

/**
 * Requantizes an int32 accumulator: `clamp(roundHalfEven(f32(f32(acc + bias) * s)) + zeroPoint)`,
 * exactly as onnxruntime's MLAS `MlasRequantizeOutput` does it on x86:
 * - `acc + bias` is an int32 addition (onnxruntime adds the bias before converting; the sum must
 *   fit int32 here, where onnxruntime would silently wrap), then ONE conversion to float32
 *   (`cvtdq2ps`, nearest-even): above 2^24 this drops low bits, so `f32(acc) + bias` would differ;
 * - one float32 multiply by the stored scale `s` (for QLinearMatMul/QLinearConv onnxruntime
 *   computes `s = f32(f32(x_scale * w_scale[c]) / y_scale)`; the program stores that value's bits);
 * - rounding to an integer with ties to even (`cvtps2dq`);
 * - adding the output zero point and clamping to the type's range. MLAS clamps the float to
 *   [min - zp, max - zp] before rounding; since both bounds are integers and rounding is monotone,
 *   that is the same as clamping after.
 */
export function requantize(acc: number, bias: number, scaleBits: number, zeroPoint: number, dtype: QuantDType): number {
  if (!isInt32(acc)) throw new ArithmeticDomainError(`accumulator ${acc} is not an int32`);
  if (!isInt32(bias)) throw new ArithmeticDomainError(`bias ${bias} is not an int32`);
  const sum = acc + bias; // exact in a double
  if (!isInt32(sum)) throw new ArithmeticDomainError(`accumulator + bias = ${sum} overflows int32`);
  if (!isValidScaleBits(scaleBits)) throw new ArithmeticDomainError(`scale bits 0x${scaleBits.toString(16)} are not a positive finite float32`);
  const { min, max } = QUANT_RANGE[dtype];
  if (!Number.isInteger(zeroPoint) || zeroPoint < min || zeroPoint > max) throw new ArithmeticDomainError(`zero point ${zeroPoint} is not a ${dtype}`);
  const scaled = f32(f32(sum) * float32FromBits(scaleBits));
  // Clamp in float first, as MLAS does: a product that overflowed float32 to +-infinity (huge
  // scales) then saturates instead of failing to round.
  const clamped = Math.min(Math.max(scaled, min - zeroPoint), max - zeroPoint);
  return clampTo(roundHalfEven(clamped) + zeroPoint, dtype);
}

/**
 * QuantizeLinear on one float32 value: `clamp(roundHalfEven(f32(x / s)) + zeroPoint)`, as MLAS
 * `MlasQuantizeLinear` does it (a float32 division, not a multiply by the reciprocal; nearest-even;
 * saturation). NaN is rejected: onnxruntime's result for it depends on the code path.
 */
export function quantizeValue(x: number, scaleBits: number, zeroPoint: number, dtype: QuantDType): number {
  if (Number.isNaN(x)) throw new ArithmeticDomainError("cannot quantize NaN");
  const q = f32(f32(x) / float32FromBits(scaleBits));
  const { min, max } = QUANT_RANGE[dtype];
  // Clamp in float first (as MLAS does): infinities and huge quotients become the bounds.
  const clamped = Math.min(Math.max(q, min - zeroPoint), max - zeroPoint);
  return clampTo(roundHalfEven(clamped) + zeroPoint, dtype);
}

/** DequantizeLinear on one value: `f32((q - zeroPoint) * s)`, one float32 multiply as onnxruntime does. */
export function dequantizeValue(q: number, scaleBits: number, zeroPoint: number): number {
  return f32((q - zeroPoint) * float32FromBits(scaleBits));
}
