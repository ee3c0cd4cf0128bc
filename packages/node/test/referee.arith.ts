/**
 * The referee's exact arithmetic (src/referee/arith.ts): hand-built boundary cases that random
 * inputs almost never hit (exact ties, accumulators above 2^24, values where exact-real rounding
 * and onnxruntime's two float32 roundings differ, clamping), and a property against a slow
 * reference written differently: exact dyadic rationals in BigInt, decoded from the float32 bits.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  ArithmeticDomainError,
  dequantizeValue,
  f32,
  float32Bits,
  float32FromBits,
  quantizeValue,
  requantize,
  roundHalfEven,
  type QuantDType,
} from "../src/referee/arith";

/** Pinned so that a failure reproduces. */
const RUNS = { seed: 15, numRuns: 100 } as const;

// ---- the slow reference: values are m * 2^e with m a BigInt, every rounding done on the bits ----

interface Dyadic {
  m: bigint;
  e: number;
}

const bitLength = (m: bigint): number => (m === 0n ? 0 : m.toString(2).length);

/** Rounds m * 2^e to a multiple of 2^t, ties to even. */
function roundAt(x: Dyadic, t: number): Dyadic {
  if (t <= x.e || x.m === 0n) return x;
  const shift = BigInt(t - x.e);
  const neg = x.m < 0n;
  const mag = neg ? -x.m : x.m;
  let q = mag >> shift;
  const rem = mag - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  return { m: neg ? -q : q, e: t };
}

/** Rounds to the nearest float32 (24-bit significand, subnormals from 2^-149); no overflow in our ranges. */
function toF32(x: Dyadic): Dyadic {
  if (x.m === 0n) return x;
  const top = bitLength(x.m < 0n ? -x.m : x.m) + x.e; // |x| < 2^top
  return roundAt(x, Math.max(top - 24, -149));
}

/** A positive finite float32's exact value, from its bits. */
function decodeF32(bits: number): Dyadic {
  const exp = (bits >>> 23) & 0xff;
  const frac = BigInt(bits & 0x7fffff);
  if (exp === 0) return { m: frac, e: -149 };
  return { m: frac | (1n << 23n), e: exp - 150 };
}

function referenceRequantize(acc: number, bias: number, scaleBits: number, zeroPoint: number, dtype: QuantDType): number {
  const sum = toF32({ m: BigInt(acc) + BigInt(bias), e: 0 });
  const s = decodeF32(scaleBits);
  const product = toF32({ m: sum.m * s.m, e: sum.e + s.e });
  const r = roundAt(product, 0);
  const q = Number(r.m << BigInt(r.e)) + zeroPoint;
  const [lo, hi] = dtype === "uint8" ? [0, 255] : [-128, 127];
  return Math.min(hi, Math.max(lo, q));
}

/** Exact-real requantization, with no float32 rounding at all: what an implementer might "expect". */
function exactRealRequantize(acc: number, bias: number, scaleBits: number): number {
  const s = decodeF32(scaleBits);
  const r = roundAt({ m: (BigInt(acc) + BigInt(bias)) * s.m, e: s.e }, 0);
  return Number(r.m << BigInt(r.e));
}

const bits = (x: number) => float32Bits(x);

describe("referee arith: roundHalfEven", function () {
  it("rounds exact .5 ties to the even neighbour, positive and negative, where Math.round rounds up", function () {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [-0.5, 0],
      [-1.5, -2],
      [-2.5, -2],
      [-3.5, -4],
      [254.5, 254],
      [255.5, 256],
      [2 ** 23 + 0.5, 2 ** 23],
    ];
    for (const [x, want] of cases) expect(roundHalfEven(x), `roundHalfEven(${x})`).to.equal(want);
    // Why roundHalfEven exists: Math.round sends ties towards +infinity.
    expect([Math.round(0.5), Math.round(2.5), Math.round(-1.5), Math.round(-3.5)]).to.deep.equal([1, 3, -1, -3]);
  });

  it("rounds non-ties to the nearest integer, including the doubles just beside a tie", function () {
    expect(roundHalfEven(2.4999999999999996)).to.equal(2);
    expect(roundHalfEven(2.5000000000000004)).to.equal(3);
    expect(roundHalfEven(-2.5000000000000004)).to.equal(-3);
    expect(roundHalfEven(0.49999999999999994)).to.equal(0);
    expect(Object.is(roundHalfEven(-0.4), 0)).to.equal(true); // +0, never -0
  });

  it("refuses NaN and infinities", function () {
    expect(() => roundHalfEven(NaN)).to.throw(ArithmeticDomainError);
    expect(() => roundHalfEven(Infinity)).to.throw(ArithmeticDomainError);
  });
});

describe("referee arith: float32 bits", function () {
  it("turns floats into their float32 bit patterns and back", function () {
    expect(float32Bits(1)).to.equal(0x3f800000);
    expect(float32Bits(0.5)).to.equal(0x3f000000);
    expect(float32Bits(-2)).to.equal(0xc0000000);
    expect(float32FromBits(0x3f800000)).to.equal(1);
    expect(float32FromBits(1)).to.equal(2 ** -149); // the smallest subnormal
    expect(float32FromBits(float32Bits(0.1))).to.equal(f32(0.1));
    expect(() => float32FromBits(2 ** 32)).to.throw(ArithmeticDomainError);
  });
});

describe("referee arith: requantize ties", function () {
  const half = bits(0.5);
  it("rounds .5 ties to even before adding the zero point (uint8 and int8)", function () {
    expect(requantize(5, 0, half, 0, "uint8")).to.equal(2); // 2.5 -> 2
    expect(requantize(7, 0, half, 0, "uint8")).to.equal(4); // 3.5 -> 4
    expect(requantize(-5, 0, half, 0, "int8")).to.equal(-2); // -2.5 -> -2
    expect(requantize(-7, 0, half, 0, "int8")).to.equal(-4); // -3.5 -> -4
    // The zero point is added after rounding: with zp 3, 2.5 -> 2 -> 5, not round(5.5) = 6.
    expect(requantize(5, 0, half, 3, "uint8")).to.equal(5);
    // Math.round differs on these: 2.5 -> 3, -3.5 -> -3.
    expect(Math.round(2.5) + 3).to.equal(6);
    expect(Math.round(-3.5)).to.equal(-3);
  });
});

describe("referee arith: requantize above 2^24", function () {
  // 5 * 2^-25 is exactly a float32; (2^24 + 1) * 5 * 2^-25 = 2.5 + 5 * 2^-25 exactly.
  const s = bits(5 * 2 ** -25);
  it("converts acc + bias to float32 first, dropping the low bit: 2^24 + 1 -> 2^24 -> 2.5 -> 2", function () {
    expect(f32(2 ** 24 + 1)).to.equal(2 ** 24);
    expect(requantize(2 ** 24 + 1, 0, s, 0, "uint8")).to.equal(2);
    // Exact-real rounding and Math.round on the exact value both say 3.
    expect(exactRealRequantize(2 ** 24 + 1, 0, s)).to.equal(3);
    expect(Math.round((2 ** 24 + 1) * 5 * 2 ** -25)).to.equal(3);
  });

  it("adds the bias in integers before the conversion, not after it", function () {
    // f32(2^24 + 1 + 1) = 2^24 + 2 -> 2.5000003 -> 3; f32(f32(2^24 + 1) + 1) = 2^24 -> 2.5 -> 2.
    expect(requantize(2 ** 24 + 1, 1, s, 0, "uint8")).to.equal(3);
    expect(roundHalfEven(f32(f32(f32(2 ** 24 + 1) + 1) * float32FromBits(s)))).to.equal(2);
    expect(requantize(2 ** 24, 1, s, 0, "uint8")).to.equal(requantize(2 ** 24 + 1, 0, s, 0, "uint8"));
  });
});

describe("referee arith: requantize where exact rounding and the float32 product disagree", function () {
  // Found by search: small accumulators and scales next to tie-making ones, where the float32
  // product f32(acc * s) lands exactly on a .5 (or crosses it) but the exact real product does not.
  const found: { acc: number; scaleBits: number; f32Path: number; exact: number }[] = [];
  before(function () {
    for (let acc = 3; acc < 5000 && found.length < 3; acc += 2) {
      const k = 2 * (acc % 50); // an even integer: ties k + 0.5 round down, so going past them shows
      const centre = bits((k + 0.5) / acc); // acc * s near the tie k + 0.5
      for (let d = -4; d <= 4; d++) {
        const scaleBits = centre + d;
        const f32Path = requantize(acc, 0, scaleBits, 0, "uint8");
        const exact = exactRealRequantize(acc, 0, scaleBits);
        if (f32Path !== exact && exact <= 255) found.push({ acc, scaleBits, f32Path, exact });
      }
    }
  });

  it("finds such cases and keeps the two-roundings value, as onnxruntime computes it", function () {
    expect(found.length).to.be.greaterThan(0);
    for (const c of found) {
      const s = float32FromBits(c.scaleBits);
      const product = f32(c.acc * s);
      // The float32 product is a tie (or past it) while the exact product is not.
      expect(product - Math.floor(product)).to.equal(0.5);
      expect(c.f32Path).to.equal(roundHalfEven(product));
      expect(c.f32Path).to.equal(referenceRequantize(c.acc, 0, c.scaleBits, 0, "uint8"));
      expect(Math.abs(c.f32Path - c.exact)).to.equal(1);
    }
  });
});

describe("referee arith: requantize clamps", function () {
  const one = bits(1);
  it("clamps uint8 to [0, 255] and int8 to [-128, 127], after adding the zero point", function () {
    expect(requantize(1000, 0, one, 0, "uint8")).to.equal(255);
    expect(requantize(-1000, 0, one, 0, "uint8")).to.equal(0);
    expect(requantize(255, 1, one, 0, "uint8")).to.equal(255);
    expect(requantize(-1, 0, one, 1, "uint8")).to.equal(0);
    expect(requantize(-2, 0, one, 1, "uint8")).to.equal(0);
    expect(requantize(127, 1, one, 0, "int8")).to.equal(127);
    expect(requantize(-128, -1, one, 0, "int8")).to.equal(-128);
    expect(requantize(2 ** 31 - 1, 0, one, -128, "int8")).to.equal(127);
    expect(requantize(-(2 ** 31), 0, one, 127, "int8")).to.equal(-128);
    // -0.5 + zp 0 -> -0 -> 0 for uint8; 255.5 -> 256 -> 255.
    expect(requantize(-1, 0, bits(0.5), 0, "uint8")).to.equal(0);
    expect(requantize(511, 0, bits(0.5), 0, "uint8")).to.equal(255);
  });

  it("refuses accumulators and sums outside int32, and scales that are not positive finite float32s", function () {
    expect(() => requantize(2 ** 31, 0, one, 0, "uint8")).to.throw(ArithmeticDomainError);
    expect(() => requantize(2 ** 31 - 1, 1, one, 0, "uint8")).to.throw(ArithmeticDomainError, /overflows/);
    expect(() => requantize(1.5, 0, one, 0, "uint8")).to.throw(ArithmeticDomainError);
    for (const badScale of [0, 0x80000000, bits(-1), 0x7f800000, 0x7fc00000]) {
      expect(() => requantize(1, 0, badScale, 0, "uint8"), `0x${badScale.toString(16)}`).to.throw(ArithmeticDomainError);
    }
    expect(() => requantize(1, 0, one, 128, "int8")).to.throw(ArithmeticDomainError);
  });
});

describe("referee arith: requantize against an exact BigInt reference", function () {
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  /** Positive finite float32 bit patterns, weighted towards the scales quantized models use. */
  const scaleBits = fc.oneof(
    fc.integer({ min: 1, max: 0x7f7fffff }),
    fc.float({ min: Math.fround(1e-9), max: Math.fround(1), noNaN: true }).map(float32Bits),
  );
  it("agrees for random accumulators, biases, scales and zero points", function () {
    fc.assert(
      fc.property(
        fc.oneof(int32, fc.integer({ min: -(2 ** 26), max: 2 ** 26 })),
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        scaleBits,
        fc.constantFrom<QuantDType>("uint8", "int8"),
        fc.integer({ min: 0, max: 255 }),
        (acc, bias, s, dtype, zpRaw) => {
          const zp = dtype === "uint8" ? zpRaw : zpRaw - 128;
          const sum = acc + bias;
          fc.pre(sum >= -(2 ** 31) && sum <= 2 ** 31 - 1);
          expect(requantize(acc, bias, s, zp, dtype)).to.equal(referenceRequantize(acc, bias, s, zp, dtype));
        },
      ),
      RUNS,
    );
  });

  it("agrees on accumulators next to powers of two and on exact ties", function () {
    const accs = [2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 25 + 3, -(2 ** 24) - 1, 2 ** 30 + 65];
    const scales = [bits(0.5), bits(5 * 2 ** -25), bits(2 ** -24), bits(3 * 2 ** -26), bits(f32(0.1)), 1];
    for (const acc of accs) {
      for (const s of scales) {
        for (const [zp, dtype] of [[0, "uint8"], [7, "uint8"], [0, "int8"], [-3, "int8"]] as const) {
          expect(requantize(acc, 0, s, zp, dtype), `${acc} ${s}`).to.equal(referenceRequantize(acc, 0, s, zp, dtype));
        }
      }
    }
  });
});

describe("referee arith: QuantizeLinear and DequantizeLinear values", function () {
  it("quantizes with a float32 division, ties to even, then the zero point, then saturation", function () {
    const half = bits(0.5);
    expect(quantizeValue(1.25, half, 0, "uint8")).to.equal(2); // 2.5 -> 2
    expect(quantizeValue(1.75, half, 0, "uint8")).to.equal(4); // 3.5 -> 4
    expect(quantizeValue(-1.25, half, 0, "int8")).to.equal(-2);
    expect(quantizeValue(-1.75, half, 10, "int8")).to.equal(6); // -3.5 -> -4 -> 6
    expect(quantizeValue(1e30, half, 0, "int8")).to.equal(127);
    expect(quantizeValue(-Infinity, half, 0, "uint8")).to.equal(0);
    expect(quantizeValue(Infinity, half, 200, "uint8")).to.equal(255);
    expect(() => quantizeValue(NaN, half, 0, "uint8")).to.throw(ArithmeticDomainError);
    // Division, not multiplication by the reciprocal: with s = f32(0.1), 0.3 / s and 0.3 * f32(1 / s) may differ;
    // what matters is that the division is a single float32 rounding of the exact quotient.
    const s = f32(0.1);
    expect(quantizeValue(f32(0.35), bits(s), 0, "uint8")).to.equal(roundHalfEven(f32(f32(0.35) / s)));
  });

  it("dequantizes with one float32 multiply", function () {
    expect(dequantizeValue(130, bits(0.5), 128)).to.equal(1);
    expect(dequantizeValue(-128, bits(f32(0.1)), 0)).to.equal(f32(-128 * f32(0.1)));
  });
});
