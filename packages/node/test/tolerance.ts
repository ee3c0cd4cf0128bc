import { expect } from "chai";
import fc from "fast-check";
import { DTYPES, encodeTensors, invalidClaim, type DType, type Tensor, type TensorMap } from "../src/codec/tensor";
import { compareOutputs, TOLERANCE_SCALE, type TolerancePolicy } from "../src/verify/tolerance";

/** Pinned so that a failure reproduces; fast-check prints the seed and the shrunk counterexample. */
const RUNS = { seed: 7, numRuns: 200 } as const;
const SCALE = Number(TOLERANCE_SCALE);
const UINT64_MAX = (1n << 64n) - 1n;

/** The widest policy the chain can store: anything finite is within it, unless compared exactly. */
const WIDEST: TolerancePolicy = { exact: false, absTolerance: UINT64_MAX, relTolerance: UINT64_MAX };
const NO_TOLERANCE: TolerancePolicy = { exact: false, absTolerance: 0n, relTolerance: 0n };

const FLOATS = ["float32", "float64"] as const;
const INTEGERS = ["int32", "int64", "uint8", "int8", "bool"] as const;
const ALL_DTYPES = Object.keys(DTYPES) as DType[];

const nameArb = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

function valueArb(dtype: DType): fc.Arbitrary<number | bigint | boolean> {
  switch (dtype) {
    case "float32":
      return fc.float(); // includes NaN, both infinities and -0
    case "float64":
      return fc.double();
    case "int32":
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case "int64":
      return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case "uint8":
      return fc.integer({ min: 0, max: 255 });
    case "int8":
      return fc.integer({ min: -128, max: 127 });
    case "bool":
      return fc.boolean();
  }
}

function tensorArb(dtypes: readonly DType[] = ALL_DTYPES): fc.Arbitrary<Tensor> {
  return fc.record({ dtype: fc.constantFrom(...dtypes), shape: shapeArb }).chain(({ dtype, shape }) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return fc.array(valueArb(dtype), { minLength: n, maxLength: n }).map((data) => ({ dtype, shape, data }));
  });
}

const mapArb = fc.dictionary(nameArb, tensorArb(), { minKeys: 1, maxKeys: 4, noNullPrototype: true });

const policyArb: fc.Arbitrary<TolerancePolicy> = fc.record({
  exact: fc.boolean(),
  absTolerance: fc.bigInt({ min: 0n, max: UINT64_MAX }),
  relTolerance: fc.bigInt({ min: 0n, max: UINT64_MAX }),
});

function policy(abs: number, rel: number, exact = false): TolerancePolicy {
  return { exact, absTolerance: BigInt(Math.round(abs * SCALE)), relTolerance: BigInt(Math.round(rel * SCALE)) };
}

function vector(dtype: DType, data: (number | bigint | boolean)[]): Uint8Array {
  return encodeTensors({ y: { dtype, shape: [data.length], data } });
}

function zeros(dtype: DType, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return { dtype, shape, data: new Array<number | bigint>(n).fill(dtype === "int64" ? 0n : 0) };
}

/** The float32 or float64 one unit in the last place away from `x` (away from zero, or up from +0). */
function nextUlp(dtype: "float32" | "float64", x: number): number {
  if (dtype === "float32") {
    const bits = new Uint32Array(Float32Array.of(x).buffer);
    bits[0] += 1;
    return new Float32Array(bits.buffer)[0];
  }
  const bits = new BigUint64Array(Float64Array.of(x).buffer);
  bits[0] += 1n;
  return new Float64Array(bits.buffer)[0];
}

describe("compareOutputs: identity", function () {
  it("finds every tensor map equal to itself under any policy, NaN and infinities included", function () {
    fc.assert(
      fc.property(mapArb, policyArb, (map, p) => {
        const bytes = encodeTensors(map);
        const result = compareOutputs(bytes, bytes.slice(), p);
        expect(result.equal, result.reason).to.equal(true);
        expect(result.worst).to.equal(undefined);
      }),
      RUNS,
    );
  });
});

describe("compareOutputs: float tolerance", function () {
  const caseArb = fc.record({
    dtype: fc.constantFrom(...FLOATS),
    values: fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 8 }),
    pick: fc.nat(),
    sign: fc.constantFrom(-1, 1),
  });

  it("accepts one element moved by at most the absolute tolerance", function () {
    fc.assert(
      fc.property(
        caseArb,
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.integer({ min: 1e9, max: 1e12 }),
        fc.integer({ min: 0, max: 1e11 }),
        ({ dtype, values, pick, sign }, fraction, absScaled, relScaled) => {
          const i = pick % values.length;
          const abs = absScaled / SCALE;
          const claimed = values.slice();
          // The 10% margin (>= 1e-4) covers float32 rounding of the moved value: |value| < 1024, so half an ulp <= 3.1e-5.
          claimed[i] = values[i] + sign * fraction * abs;
          const p = { exact: false, absTolerance: BigInt(absScaled), relTolerance: BigInt(relScaled) };
          const result = compareOutputs(vector(dtype, claimed), vector(dtype, values), p);
          expect(result.equal, result.reason).to.equal(true);
        },
      ),
      RUNS,
    );
  });

  it("rejects one element moved beyond abs + rel * |computed|, and names it as the worst", function () {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 1e11 }), ({ dtype, values, pick, sign }, absScaled, relScaled) => {
        const i = pick % values.length;
        const computed = dtype === "float32" ? values.map(Math.fround) : values;
        const allowed = absScaled / SCALE + (relScaled / SCALE) * Math.abs(computed[i]);
        const claimed = computed.slice();
        claimed[i] = computed[i] + sign * (1.5 * allowed + 1e-3);
        const p = { exact: false, absTolerance: BigInt(absScaled), relTolerance: BigInt(relScaled) };
        const result = compareOutputs(vector(dtype, claimed), vector(dtype, computed), p);
        expect(result.equal).to.equal(false);
        expect(result.reason).to.match(/beyond the policy/);
        expect(result.worst).to.include({ tensor: "y", index: i, computed: computed[i] });
      }),
      RUNS,
    );
  });

  it("scales the relative tolerance by the verifier's value, not the claimed one", function () {
    const p = policy(0, 0.5);
    expect(compareOutputs(vector("float64", [140]), vector("float64", [100]), p).equal).to.equal(true);
    // |180 - 100| = 80 <= 0.5 * 180 would pass if the claimed value set the scale; 80 > 0.5 * 100 does not.
    expect(compareOutputs(vector("float64", [180]), vector("float64", [100]), p).equal).to.equal(false);
  });

  it("reports the element that used the largest share of its allowance when all are within it", function () {
    const result = compareOutputs(vector("float64", [1.1, 2.5, 3]), vector("float64", [1, 2, 3]), policy(1, 0));
    expect(result.equal).to.equal(true);
    expect(result.worst).to.deep.equal({ tensor: "y", index: 1, claimed: 2.5, computed: 2 });
  });

  it("treats +0 and -0 as equal within a zero tolerance", function () {
    expect(compareOutputs(vector("float32", [-0]), vector("float32", [0]), NO_TOLERANCE).equal).to.equal(true);
  });
});

describe("compareOutputs: exact policy", function () {
  it("rejects a 1-ulp change that a tolerance of 1e-12 + 1e-6 * |computed| accepts", function () {
    const arb = fc.oneof(
      fc.record({ dtype: fc.constant("float32" as const), x: fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }) }),
      fc.record({ dtype: fc.constant("float64" as const), x: fc.double({ min: -1e300, max: 1e300, noNaN: true }) }),
    );
    fc.assert(
      fc.property(arb, ({ dtype, x }) => {
        const claimed = vector(dtype, [nextUlp(dtype, x)]);
        const computed = vector(dtype, [x]);
        const exact = compareOutputs(claimed, computed, policy(1e-12, 1e-6, true));
        expect(exact.equal).to.equal(false);
        expect(exact.worst).to.include({ tensor: "y", index: 0 });
        expect(compareOutputs(claimed, computed, policy(1e-12, 1e-6)).equal).to.equal(true);
      }),
      RUNS,
    );
  });

  it("tells NaNs with different payloads apart, which a tolerance policy does not", function () {
    const canonical = vector("float32", [NaN]);
    const payload = canonical.slice();
    payload[payload.length - 4] ^= 1; // lowest mantissa bit of the only value: still a NaN
    expect(compareOutputs(payload, canonical, { ...NO_TOLERANCE, exact: true }).equal).to.equal(false);
    expect(compareOutputs(payload, canonical, NO_TOLERANCE).equal).to.equal(true);
  });
});

describe("compareOutputs: NaN and infinities", function () {
  const specials = [NaN, Infinity, -Infinity];

  it("equals NaN only to NaN, +Inf only to +Inf and -Inf only to -Inf, however wide the tolerance", function () {
    for (const dtype of FLOATS) {
      for (const a of specials) {
        for (const b of specials) {
          const result = compareOutputs(vector(dtype, [a]), vector(dtype, [b]), WIDEST);
          expect(result.equal, `${dtype} ${a} vs ${b}`).to.equal(Object.is(a, b));
        }
      }
    }
  });

  it("never equals a special value to a finite one, in either direction", function () {
    fc.assert(
      fc.property(fc.constantFrom(...FLOATS), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...specials), (dtype, x, s) => {
        fc.pre(Number.isFinite(dtype === "float32" ? Math.fround(x) : x)); // x must not overflow float32
        const finite = vector(dtype, [x]);
        const special = vector(dtype, [s]);
        expect(compareOutputs(special, finite, WIDEST).equal).to.equal(false);
        expect(compareOutputs(finite, special, WIDEST).equal).to.equal(false);
      }),
      RUNS,
    );
  });
});

describe("compareOutputs: integer and bool tensors", function () {
  it("compares them exactly whatever the tolerance", function () {
    const arb = fc
      .record({ dtype: fc.constantFrom(...INTEGERS), n: fc.integer({ min: 1, max: 6 }), pick: fc.nat() })
      .chain(({ dtype, n, pick }) => fc.record({ dtype: fc.constant(dtype), data: fc.array(valueArb(dtype), { minLength: n, maxLength: n }), pick: fc.constant(pick % n) }));
    fc.assert(
      fc.property(arb, policyArb, ({ dtype, data, pick }, p) => {
        const changed = data.slice();
        const v = data[pick];
        if (typeof v === "boolean") changed[pick] = !v;
        else if (typeof v === "bigint") changed[pick] = v === (1n << 63n) - 1n ? v - 1n : v + 1n;
        else changed[pick] = v === { int32: 2 ** 31 - 1, uint8: 255, int8: 127 }[dtype as "int32" | "uint8" | "int8"] ? v - 1 : v + 1;
        const result = compareOutputs(vector(dtype, changed), vector(dtype, data), { ...p, exact: false });
        expect(result.equal).to.equal(false);
        expect(result.worst).to.include({ tensor: "y", index: pick });
        expect(compareOutputs(vector(dtype, data), vector(dtype, data), p).equal).to.equal(true);
      }),
      RUNS,
    );
  });
});

describe("compareOutputs: structure", function () {
  type Mutation = "rename" | "dtype" | "reshape" | "drop" | "add";

  /** Two maps that differ only by `mutation` applied to the tensor `victim` (or by one added tensor). */
  function mutate(map: TensorMap, victim: string, mutation: Mutation, other: DType): { a: TensorMap; b: TensorMap } {
    const a = { ...map };
    const b = { ...map };
    const t = map[victim];
    switch (mutation) {
      case "rename": {
        delete b[victim];
        b[`${victim}_r`] = t;
        break;
      }
      case "dtype": {
        const to = other === t.dtype ? ALL_DTYPES[(ALL_DTYPES.indexOf(other) + 1) % ALL_DTYPES.length] : other;
        a[victim] = zeros(t.dtype, t.shape);
        b[victim] = zeros(to, t.shape);
        break;
      }
      case "reshape":
        b[victim] = { ...t, shape: [...t.shape, 1] }; // same values, one more dimension
        break;
      case "drop":
        delete b[victim];
        break;
      case "add":
        b[`${victim}_r`] = zeros(other, [1]);
        break;
    }
    return { a, b };
  }

  it("never equals maps whose names, dtypes or shapes differ, in either direction, however wide the tolerance", function () {
    fc.assert(
      fc.property(mapArb, fc.nat(), fc.constantFrom<Mutation>("rename", "dtype", "reshape", "drop", "add"), fc.constantFrom(...ALL_DTYPES), (map, pick, mutation, other) => {
        const names = Object.keys(map);
        const victim = names[pick % names.length];
        fc.pre(!(`${victim}_r` in map));
        const { a, b } = mutate(map, victim, mutation, other);
        const [x, y] = [encodeTensors(a), encodeTensors(b)];
        for (const [claimed, computed] of [[x, y], [y, x]]) {
          const result = compareOutputs(claimed, computed, WIDEST);
          expect(result.equal, mutation).to.equal(false);
          expect(result.reason).to.be.a("string").and.not.match(/beyond the policy/);
        }
      }),
      RUNS,
    );
  });

  it("names the tensor and both shapes when the shapes differ", function () {
    const claimed = encodeTensors({ y: { dtype: "float32", shape: [2, 1], data: [1, 2] } });
    const computed = encodeTensors({ y: { dtype: "float32", shape: [2], data: [1, 2] } });
    expect(compareOutputs(claimed, computed, WIDEST).reason).to.equal('tensor "y": claimed shape [2, 1], computed [2]');
  });
});

describe("compareOutputs: invalid-input claims and undecodable outputs", function () {
  const output = vector("float32", [1, 2]);

  it("equals an invalid-input claim only to the same claim", function () {
    expect(compareOutputs(invalidClaim("inputDoesNotFitModel"), invalidClaim("inputDoesNotFitModel"), WIDEST).equal).to.equal(true);
    expect(compareOutputs(invalidClaim("undecodableInput"), invalidClaim("inputDoesNotFitModel"), WIDEST)).to.deep.equal({
      equal: false,
      reason: "the claimed invalid-input reason is 1, the verifier's is 2",
    });
  });

  it("never equals an invalid-input claim to a tensor map, in either direction", function () {
    expect(compareOutputs(invalidClaim("modelFailed"), output, WIDEST).equal).to.equal(false);
    expect(compareOutputs(output, invalidClaim("modelFailed"), WIDEST).equal).to.equal(false);
  });

  it("finds a claimed output that does not decode not equal, with the decoder's complaint", function () {
    const truncated = output.subarray(0, output.length - 1);
    const result = compareOutputs(truncated, output, WIDEST);
    expect(result.equal).to.equal(false);
    expect(result.reason).to.match(/not a canonical tensor map \(tensor "y" values are truncated\)/);
  });

  it("finds a claimed tensor named __proto__ not equal instead of losing it in decoding", function () {
    const y = { dtype: "float32" as const, shape: [1], data: [1] };
    const withProto: TensorMap = { y };
    Object.defineProperty(withProto, "__proto__", { value: y, enumerable: true });
    const result = compareOutputs(encodeTensors(withProto), encodeTensors({ y }), WIDEST);
    expect(result.equal).to.equal(false);
  });

  it("throws, rather than votes, when the verifier's own output does not decode", function () {
    expect(() => compareOutputs(output, Uint8Array.of(1, 1, 9), WIDEST)).to.throw(/verifier's own output .* do not vote/);
  });

  it("throws on a policy value that is not a uint64", function () {
    expect(() => compareOutputs(output, output, { ...NO_TOLERANCE, absTolerance: -1n })).to.throw(RangeError, /absTolerance/);
    expect(() => compareOutputs(output, output, { ...NO_TOLERANCE, relTolerance: UINT64_MAX + 1n })).to.throw(RangeError, /relTolerance/);
  });
});
