/**
 * contracts/libraries/Requantize.sol against the referee's TypeScript arithmetic
 * (packages/node/src/referee/arith.ts): the hand-built boundary cases of
 * packages/node/test/referee.arith.ts, a batched fast-check differential property, every revert
 * path by name, and the gas of one requantization.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";
import { RequantizeHarness__factory } from "../../packages/node/src/typechain";
import { float32Bits, requantize, type QuantDType } from "../../packages/node/src";

/** Pinned so that a failure reproduces. */
const SEED = 1515;
/** Batches of the differential property; scripts/coverage.sh runs fewer (instrumented code is ~10x slower, and a few batches reach every line). */
const RUNS = Number(process.env.REQUANTIZE_RUNS ?? 200);
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

async function deployRequantizeFixture() {
  const [deployer] = await ethers.getSigners();
  const harness = await new RequantizeHarness__factory(deployer).deploy();
  return { harness };
}

type Harness = Awaited<ReturnType<typeof deployRequantizeFixture>>["harness"];

interface Case {
  acc: number;
  bias: number;
  scaleBits: number;
  zeroPoint: number;
  dtype: QuantDType;
}

const toSol = (c: Case) => ({ acc: c.acc, bias: c.bias, scaleBits: c.scaleBits, zeroPoint: c.zeroPoint, signedOut: c.dtype === "int8" });
const show = (c: Case) => `requantize(${c.acc}, ${c.bias}, 0x${c.scaleBits.toString(16)}, ${c.zeroPoint}, ${c.dtype})`;

async function solidity(harness: Harness, c: Case): Promise<number> {
  return Number(await harness.requantize(c.acc, c.bias, c.scaleBits, c.zeroPoint, c.dtype === "int8"));
}

/** Asserts that Solidity, arith.ts and the literal `want` all agree. */
async function expectAll(harness: Harness, acc: number, bias: number, scaleBits: number, zeroPoint: number, dtype: QuantDType, want: number) {
  const c = { acc, bias, scaleBits, zeroPoint, dtype };
  expect(requantize(acc, bias, scaleBits, zeroPoint, dtype), `arith.ts ${show(c)}`).to.equal(want);
  expect(await solidity(harness, c), `Solidity ${show(c)}`).to.equal(want);
}

const bits = (x: number) => float32Bits(x);
const ONE = bits(1);
const HALF = bits(0.5);
/** 5 * 2^-25, exactly a float32: (2^24 + 1) * s = 2.5 + 5 * 2^-25. */
const FIVE_2M25 = bits(5 * 2 ** -25);

describe("Requantize: ties round half to even before the zero point", function () {
  it("2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -3.5 -> -4, and zp 3 gives 2 + 3 not round(5.5)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 5, 0, HALF, 0, "uint8", 2);
    await expectAll(harness, 7, 0, HALF, 0, "uint8", 4);
    await expectAll(harness, -5, 0, HALF, 0, "int8", -2);
    await expectAll(harness, -7, 0, HALF, 0, "int8", -4);
    await expectAll(harness, 5, 0, HALF, 3, "uint8", 5);
    await expectAll(harness, 1, 0, HALF, 0, "uint8", 0); // 0.5 -> 0
    await expectAll(harness, 3, 0, HALF, 0, "int8", 2); // 1.5 -> 2
    await expectAll(harness, -1, 0, HALF, 0, "int8", 0); // -0.5 -> -0 -> 0
  });
});

describe("Requantize: accumulators above 2^24 are rounded to float32 first", function () {
  it("2^24 + 1 -> 2^24 -> 2.5 -> 2 (exact-real rounding would say 3)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 2 ** 24 + 1, 0, FIVE_2M25, 0, "uint8", 2);
    await expectAll(harness, -(2 ** 24) - 1, 0, FIVE_2M25, 0, "int8", -2);
    // 2^24 + 3 -> 2^24 + 4 (a tie at the conversion, to even): 2.5 + 20 * 2^-25 -> 3.
    await expectAll(harness, 2 ** 24 + 3, 0, FIVE_2M25, 0, "uint8", 3);
  });

  it("adds the bias in integers before the conversion: 2^24 + 1 + 1 -> 2^24 + 2 -> 3, and (2^24, 1) = (2^24 + 1, 0)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 2 ** 24 + 1, 1, FIVE_2M25, 0, "uint8", 3);
    await expectAll(harness, 2 ** 24, 1, FIVE_2M25, 0, "uint8", 2);
    await expectAll(harness, 1, 2 ** 24, FIVE_2M25, 0, "uint8", 2);
  });

  it("rounds a conversion that carries into a new binade: 2^25 - 1 -> 2^25", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    // f32(2^25 - 1) = 2^25 (a carry out of the 24-bit significand); times 2^-18 = 128 exactly.
    await expectAll(harness, 2 ** 25 - 1, 0, bits(2 ** -18), 0, "uint8", 128);
  });
});

describe("Requantize: the two float32 roundings, not the exact real product", function () {
  it("3 * f32 0x400aaaab is 6.50000024 exactly but 6.5 in float32, so 6 (exact-real says 7)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 3, 0, 0x400aaaab, 0, "uint8", 6);
    await expectAll(harness, 9, 0, 0x40038e39, 0, "uint8", 18);
    await expectAll(harness, 17, 0, 0x4001e1e2, 0, "uint8", 34);
    await expectAll(harness, -3, 0, 0x400aaaab, 0, "int8", -6);
  });

  it("5 * f32 0x40133333 is 11.49999976 exactly but rounds up to 11.5 in float32, so 12 (exact-real says 11)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 5, 0, 0x40133333, 0, "uint8", 12);
    await expectAll(harness, 13, 0, 0x40076276, 0, "uint8", 28);
    await expectAll(harness, 19, 0, 0x40050d79, 0, "uint8", 40);
    await expectAll(harness, -5, 0, 0x40133333, 0, "int8", -12);
  });
});

describe("Requantize: clamps to the output type at both ends", function () {
  it("uint8 to [0, 255] and int8 to [-128, 127], after the zero point", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, 1000, 0, ONE, 0, "uint8", 255);
    await expectAll(harness, -1000, 0, ONE, 0, "uint8", 0);
    await expectAll(harness, 255, 1, ONE, 0, "uint8", 255);
    await expectAll(harness, -1, 0, ONE, 1, "uint8", 0);
    await expectAll(harness, -2, 0, ONE, 1, "uint8", 0);
    await expectAll(harness, 127, 1, ONE, 0, "int8", 127);
    await expectAll(harness, -128, -1, ONE, 0, "int8", -128);
    await expectAll(harness, -1, 0, HALF, 0, "uint8", 0); // -0.5 -> -0 -> 0
    await expectAll(harness, 511, 0, HALF, 0, "uint8", 255); // 255.5 -> 256 -> 255
    await expectAll(harness, 254, 0, ONE, 1, "uint8", 255);
    await expectAll(harness, 253, 0, ONE, 1, "uint8", 254);
    await expectAll(harness, 126, 0, ONE, 1, "int8", 127);
    await expectAll(harness, -129, 0, ONE, 1, "int8", -128);
  });

  it("int32 extremes and float32 extremes of the scale saturate (a product that overflows float32 too)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expectAll(harness, INT32_MAX, 0, ONE, -128, "int8", 127);
    await expectAll(harness, INT32_MIN, 0, ONE, 127, "int8", -128);
    await expectAll(harness, INT32_MAX, 0, ONE, 0, "uint8", 255);
    await expectAll(harness, INT32_MIN, 0, ONE, 255, "uint8", 0);
    await expectAll(harness, INT32_MAX, INT32_MIN, ONE, 0, "int8", -1);
    // The largest finite scale: 2^31 * 3.4e38 overflows float32 to +-infinity in arith.ts.
    await expectAll(harness, INT32_MAX, 0, 0x7f7fffff, 0, "uint8", 255);
    await expectAll(harness, INT32_MIN, 0, 0x7f7fffff, 0, "int8", -128);
    await expectAll(harness, 1, 0, 0x7f7fffff, 0, "uint8", 255);
    // The smallest subnormal scale: every product rounds to 0, then + zp.
    await expectAll(harness, INT32_MAX, 0, 1, 7, "uint8", 7);
    await expectAll(harness, INT32_MIN, 0, 1, -3, "int8", -3);
    // 2^-149 * 2^31 is 2^-118, still 0; the largest subnormal times 2^31 is about 2.5e-7, 0 too.
    await expectAll(harness, INT32_MAX, 0, 0x007fffff, 0, "int8", 0);
    await expectAll(harness, 0, 0, 0x7f7fffff, 9, "uint8", 9);
  });
});

describe("Requantize: reverts on every input arith.ts refuses", function () {
  it("accumulator, bias and sum outside int32", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await expect(harness.requantize(2 ** 31, 0, ONE, 0, false))
      .to.be.revertedWithCustomError(harness, "AccumulatorNotInt32")
      .withArgs(2 ** 31);
    await expect(harness.requantize(INT32_MIN - 1, 0, ONE, 0, false))
      .to.be.revertedWithCustomError(harness, "AccumulatorNotInt32")
      .withArgs(INT32_MIN - 1);
    await expect(harness.requantize(0, 2 ** 31, ONE, 0, false)).to.be.revertedWithCustomError(harness, "BiasNotInt32").withArgs(2 ** 31);
    await expect(harness.requantize(0, INT32_MIN - 1, ONE, 0, true))
      .to.be.revertedWithCustomError(harness, "BiasNotInt32")
      .withArgs(INT32_MIN - 1);
    await expect(harness.requantize(INT32_MAX, 1, ONE, 0, false))
      .to.be.revertedWithCustomError(harness, "SumOverflowsInt32")
      .withArgs(2 ** 31);
    await expect(harness.requantize(INT32_MIN, -1, ONE, 0, false))
      .to.be.revertedWithCustomError(harness, "SumOverflowsInt32")
      .withArgs(INT32_MIN - 1);
    expect(() => requantize(2 ** 31, 0, ONE, 0, "uint8")).to.throw(/not an int32/);
    expect(() => requantize(INT32_MAX, 1, ONE, 0, "uint8")).to.throw(/overflows int32/);
  });

  it("zero, negative, infinite and NaN scales, by name; subnormal scales are valid", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    const refused: [number, string][] = [
      [0, "ZeroScale"],
      [0x80000000, "ZeroScale"],
      [bits(-1), "NegativeScale"],
      [0x80000001, "NegativeScale"], // the negative smallest subnormal
      [0xff7fffff, "NegativeScale"],
      [0x7f800000, "InfiniteScale"],
      [0xff800000, "InfiniteScale"],
      [0x7fc00000, "ScaleNotANumber"],
      [0x7f800001, "ScaleNotANumber"],
      [0xffffffff, "ScaleNotANumber"],
    ];
    for (const [scaleBits, name] of refused) {
      expect(() => requantize(1, 0, scaleBits, 0, "uint8"), `arith.ts 0x${scaleBits.toString(16)}`).to.throw(/scale bits/);
      await expect(harness.requantize(1, 0, scaleBits, 0, false), name).to.be.revertedWithCustomError(harness, name).withArgs(scaleBits);
    }
    for (const scaleBits of [1, 0x007fffff, 0x00800000, 0x7f7fffff]) {
      expect(await solidity(harness, { acc: 1, bias: 0, scaleBits, zeroPoint: 0, dtype: "uint8" })).to.equal(
        requantize(1, 0, scaleBits, 0, "uint8"),
      );
    }
  });

  it("zero points outside the output type", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    for (const [zp, signedOut] of [
      [-1, false],
      [256, false],
      [128, true],
      [-129, true],
    ] as const) {
      expect(() => requantize(1, 0, ONE, zp, signedOut ? "int8" : "uint8")).to.throw(/zero point/);
      await expect(harness.requantize(1, 0, ONE, zp, signedOut))
        .to.be.revertedWithCustomError(harness, "ZeroPointOutOfRange")
        .withArgs(zp, signedOut);
    }
  });
});

describe("Requantize: differential property against arith.ts", function () {
  const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
  /** Accumulators: any int32, small ones, and ones next to 2^24..2^31 where the conversion rounds. */
  const accArb = fc.oneof(
    int32,
    fc.integer({ min: -4096, max: 4096 }),
    fc
      .tuple(fc.integer({ min: 24, max: 30 }), fc.integer({ min: -8, max: 8 }), fc.boolean())
      .map(([p, d, neg]) => (neg ? -1 : 1) * (2 ** p + d)),
  );
  const biasArb = fc.oneof(int32, fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.constant(0));
  /** Positive finite float32 bit patterns across every exponent, typical scales and tie-making dyadic ones. */
  const scaleArb = fc.oneof(
    fc.integer({ min: 1, max: 0x7f7fffff }),
    fc.tuple(fc.integer({ min: 0, max: 254 }), fc.integer({ min: 0, max: 0x7fffff })).map(([e, f]) => e * 2 ** 23 + f || 1),
    fc.float({ min: Math.fround(1e-9), max: Math.fround(1), noNaN: true, noDefaultInfinity: true }).map(bits).filter((b) => b > 0),
    fc.tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 40 })).map(([k, j]) => bits(k * 2 ** -j)),
  );
  const caseArb: fc.Arbitrary<Case> = fc
    .tuple(accArb, biasArb, scaleArb, fc.constantFrom<QuantDType>("uint8", "int8"), fc.integer({ min: 0, max: 255 }))
    .map(([acc, bias0, scaleBits, dtype, zpRaw]) => {
      const sum = acc + bias0;
      const bias = sum < INT32_MIN || sum > INT32_MAX ? 0 : bias0;
      return { acc, bias, scaleBits, zeroPoint: dtype === "uint8" ? zpRaw : zpRaw - 128, dtype };
    });
  /**
   * Scales a few ulps from (k + 0.5) / acc for the case's own accumulator (split into acc + bias):
   * the float32 product then often is, or rounds to, an exact .5, where a wrong rounding of the
   * product or of the final integer shows. Random scales almost never get there.
   */
  const nearTieArb: fc.Arbitrary<Case> = fc
    .tuple(
      fc.integer({ min: 1, max: 4000 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 250 }),
      fc.integer({ min: -4, max: 4 }),
      fc.integer({ min: -100, max: 100 }),
      fc.constantFrom<QuantDType>("uint8", "int8"),
    )
    .map(([mag, neg, k, d, bias, dtype]) => {
      const sum = neg ? -mag : mag;
      return { acc: sum - bias, bias, scaleBits: bits((k + 0.5) / mag) + d, zeroPoint: dtype === "uint8" ? (neg ? 255 : 0) : 0, dtype };
    });
  const BATCH = 16;

  it(`agrees for ${RUNS} batches of ${BATCH} random cases (one eth_call per batch)`, async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(caseArb, nearTieArb), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        const got = await harness.requantizeMany(cases.map(toSol));
        cases.forEach((c, i) => expect(Number(got[i]), show(c)).to.equal(requantize(c.acc, c.bias, c.scaleBits, c.zeroPoint, c.dtype)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("agrees on accumulators next to powers of two times tie-making scales (the arith.ts grid)", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    const accs = [2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 25 + 3, -(2 ** 24) - 1, 2 ** 30 + 65];
    const scales = [bits(0.5), FIVE_2M25, bits(2 ** -24), bits(3 * 2 ** -26), bits(0.1), 1];
    const cases: Case[] = [];
    for (const acc of accs)
      for (const scaleBits of scales)
        for (const [zeroPoint, dtype] of [
          [0, "uint8"],
          [7, "uint8"],
          [0, "int8"],
          [-3, "int8"],
        ] as const)
          cases.push({ acc, bias: 0, scaleBits, zeroPoint, dtype });
    const got = await harness.requantizeMany(cases.map(toSol));
    cases.forEach((c, i) => expect(Number(got[i]), show(c)).to.equal(requantize(c.acc, c.bias, c.scaleBits, c.zeroPoint, c.dtype)));
  });
});

describe("Requantize: gas", function () {
  it("costs a few thousand gas at most per requantization", async function () {
    const { harness } = await loadFixture(deployRequantizeFixture);
    const cases: Case[] = [
      { acc: 5, bias: 0, scaleBits: HALF, zeroPoint: 3, dtype: "uint8" }, // small, exact conversion
      { acc: 12345, bias: -678, scaleBits: bits(0.0123), zeroPoint: -5, dtype: "int8" }, // typical
      { acc: 2 ** 24 + 1, bias: 1, scaleBits: FIVE_2M25, zeroPoint: 0, dtype: "uint8" }, // conversion rounds
      { acc: INT32_MIN, bias: 0, scaleBits: 0x7f7fffff, zeroPoint: 127, dtype: "int8" }, // saturates
      { acc: INT32_MAX, bias: 0, scaleBits: 1, zeroPoint: 0, dtype: "uint8" }, // subnormal scale
      { acc: 0, bias: 0, scaleBits: ONE, zeroPoint: 0, dtype: "uint8" }, // zero
    ];
    const [out, gasUsed] = await harness.gasOfMany(cases.map(toSol));
    const gas = gasUsed.map(Number);
    cases.forEach((c, i) => expect(Number(out[i])).to.equal(requantize(c.acc, c.bias, c.scaleBits, c.zeroPoint, c.dtype)));
    const single = await harness.requantize.estimateGas(12345, -678, bits(0.0123), -5, true);
    console.log(
      `      Requantize.requantize gas (library call, gasleft difference): ${gas.join(", ")} ` +
        `(min ${Math.min(...gas)}, max ${Math.max(...gas)}); a whole eth_call to the harness: ${single}`,
    );
    // Under solidity-coverage the library is instrumented (a counter write per statement): its gas
    // means nothing there, and the results above are still checked.
    if (!(hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) expect(Math.max(...gas)).to.be.lessThan(3000);
  });
});
