/**
 * contracts/libraries/OneStepOps.sol against the referee's reference interpreter
 * (packages/node/src/referee/interpreter.ts): tiny programs of each operator run by `runProgram`,
 * then random output elements recomputed on-chain from their operand bytes (assembled here in the
 * committed layout of docs/REFEREE.md) must equal the interpreter's. Then the dot product's
 * boundaries (the largest |acc|, lengths around 32-byte words, a dirty tail), every revert by name,
 * and the gas of a 1,024- and a 4,096-long dot product.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";
import { OneStepOpsHarness__factory } from "../../packages/node/src/typechain";
import type { OneStepOps, OneStepOpsHarness } from "../../packages/node/src/typechain/contracts/test/OneStepOpsHarness";
import { f32, float32Bits, runProgram, QUANT_RANGE, type Program, type ProgramOp, type QuantDType, type ConstantDecl, type TensorDecl } from "../../packages/node/src";
import { seededRandom } from "../../packages/testkit/src/fixtures";

/** Pinned so that a failure reproduces (fast-check prints the counterexample and its path). */
const SEED = 1515;
/** Runs of each differential property; scripts/coverage.sh runs fewer (instrumented code is slower, and a few runs reach every line). */
const RUNS = Number(process.env.ONESTEP_RUNS ?? 40);
const COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;

async function deployOneStepOpsFixture() {
  const [deployer] = await ethers.getSigners();
  const harness = await new OneStepOpsHarness__factory(deployer).deploy();
  return { harness };
}

type Harness = Awaited<ReturnType<typeof deployOneStepOpsFixture>>["harness"];
type MatMulCase = OneStepOpsHarness.MatMulCaseStruct;
type AddParams = OneStepOps.AddParamsStruct;

const DTYPES: readonly QuantDType[] = ["uint8", "int8"];
const isSigned = (t: QuantDType) => t === "int8";
/** Elements in the committed layout: one byte each, int8 in two's complement. */
const bytesOf = (values: ArrayLike<number>) => Uint8Array.from(Array.from(values), (v) => v & 0xff);
const naiveDot = (a: readonly number[], aZp: number, b: readonly number[], bZp: number) => a.reduce((s, x, i) => s + (x - aZp) * (b[i] - bZp), 0);

/** Random values of a type from a seeded generator, the type's extremes one time in four. */
function valuesOf(next: () => number, n: number, t: QuantDType): number[] {
  const { min, max } = QUANT_RANGE[t];
  return Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.125) return min;
    if (r < 0.25) return max;
    return min + Math.floor(next() * (max - min + 1));
  });
}
const valueOf = (next: () => number, t: QuantDType) => valuesOf(next, 1, t)[0];
/** A float32 scale between 2^-lo and 2^-hi, as its bits. */
const scaleBits = (next: () => number, lo: number, hi: number) => float32Bits(f32(2 ** -(hi + next() * (lo - hi))));
const pick = (list: readonly number[], c: number) => (list.length === 1 ? list[0] : list[c]);

function program(tensors: TensorDecl[], constants: Program["constants"], op: ProgramOp, input: string[]): Program {
  return { version: 1, inputs: input, outputs: [op.output], tensors, constants, ops: [op] };
}

const typeArb = fc.constantFrom<QuantDType>(...DTYPES);

describe("OneStepOps.matMulElement: equals the interpreter's QLinearMatMul element", function () {
  const caseArb = fc.record({
    m: fc.integer({ min: 1, max: 3 }),
    k: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 200, max: 300 })),
    n: fc.integer({ min: 1, max: 4 }),
    aType: typeArb,
    bType: typeArb,
    yType: typeArb,
    perColumn: fc.boolean(),
    withBias: fc.boolean(),
    seed: fc.integer(),
  });

  it(`agrees on every element of ${RUNS} random programs (uint8/int8 mixes, per-column scales and zero points, bias)`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const next = seededRandom(c.seed);
        const cols = c.perColumn ? c.n : 1;
        const aZp = valueOf(next, c.aType);
        const bZps = valuesOf(next, cols, c.bType);
        const scales = Array.from({ length: cols }, () => scaleBits(next, 16, 6));
        const yZp = valueOf(next, c.yType);
        const a = valuesOf(next, c.m * c.k, c.aType);
        const b = valuesOf(next, c.k * c.n, c.bType);
        const bias = Array.from({ length: c.n }, () => Math.floor((next() - 0.5) * 2 ** 21));
        const op: ProgramOp = { op: "QLinearMatMul", a: "a", b: "b", bias: c.withBias ? "bias" : undefined, output: "y", aZeroPoint: aZp, bZeroPoints: bZps, scaleBits: scales, outZeroPoint: yZp };
        const constants: ConstantDecl[] = [{ name: "b", dtype: c.bType, shape: [c.k, c.n], data: b }];
        if (c.withBias) constants.push({ name: "bias", dtype: "int32", shape: [c.n], data: bias });
        const p = program([{ name: "a", dtype: c.aType, shape: [c.m, c.k] }, { name: "y", dtype: c.yType, shape: [c.m, c.n] }], constants, op, ["a"]);
        const want = Array.from(runProgram(p, { a }).outputs.get("y")!.data);

        const cases: MatMulCase[] = [];
        for (let i = 0; i < c.m; i++)
          for (let j = 0; j < c.n; j++)
            cases.push({
              row: bytesOf(a.slice(i * c.k, (i + 1) * c.k)),
              rowSigned: isSigned(c.aType),
              rowZeroPoint: aZp,
              column: bytesOf(Array.from({ length: c.k }, (_, t) => b[t * c.n + j])),
              columnSigned: isSigned(c.bType),
              channel: { bias: c.withBias ? bias[j] : 0, scaleBits: pick(scales, j), weightZeroPoint: pick(bZps, j) },
              outZeroPoint: yZp,
              outSigned: isSigned(c.yType),
            });
        const got = (await harness.matMulElements(cases)).map(Number);
        expect(got).to.deep.equal(want);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("OneStepOps.convElement: equals the interpreter's QLinearConv element (padding, strides)", function () {
  const caseArb = fc
    .record({
      c: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
      m: fc.integer({ min: 1, max: 3 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      xType: typeArb,
      wType: typeArb,
      yType: typeArb,
      perChannel: fc.boolean(),
      withBias: fc.boolean(),
      seed: fc.integer(),
    })
    .map((c) => ({ ...c, oh: Math.floor((c.h + c.pads[0] + c.pads[2] - c.kh) / c.strides[0]) + 1, ow: Math.floor((c.w + c.pads[1] + c.pads[3] - c.kw) / c.strides[1]) + 1 }))
    .filter((c) => c.oh > 0 && c.ow > 0);

  it(`agrees on every element of ${RUNS} random programs, the window assembled in (i, j, c) order with pads at xZp`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const next = seededRandom(c.seed);
        const chans = c.perChannel ? c.m : 1;
        const xZp = valueOf(next, c.xType);
        const wZps = valuesOf(next, chans, c.wType);
        const scales = Array.from({ length: chans }, () => scaleBits(next, 12, 4));
        const yZp = valueOf(next, c.yType);
        const x = valuesOf(next, c.c * c.h * c.w, c.xType);
        const w = valuesOf(next, c.m * c.c * c.kh * c.kw, c.wType);
        const bias = Array.from({ length: c.m }, () => Math.floor((next() - 0.5) * 2 ** 14));
        const op: ProgramOp = { op: "QLinearConv", x: "x", w: "w", bias: c.withBias ? "bias" : undefined, output: "y", xZeroPoint: xZp, wZeroPoints: wZps, scaleBits: scales, outZeroPoint: yZp, strides: c.strides, pads: c.pads };
        const constants: ConstantDecl[] = [{ name: "w", dtype: c.wType, shape: [c.m, c.c, c.kh, c.kw], data: w }];
        if (c.withBias) constants.push({ name: "bias", dtype: "int32", shape: [c.m], data: bias });
        const p = program([{ name: "x", dtype: c.xType, shape: [1, c.c, c.h, c.w] }, { name: "y", dtype: c.yType, shape: [1, c.m, c.oh, c.ow] }], constants, op, ["x"]);
        const want = Array.from(runProgram(p, { x }).outputs.get("y")!.data);

        const cases: MatMulCase[] = [];
        for (let oc = 0; oc < c.m; oc++) {
          const filter: number[] = [];
          for (let i = 0; i < c.kh; i++) for (let j = 0; j < c.kw; j++) for (let ch = 0; ch < c.c; ch++) filter.push(w[((oc * c.c + ch) * c.kh + i) * c.kw + j]);
          for (let oy = 0; oy < c.oh; oy++)
            for (let ox = 0; ox < c.ow; ox++) {
              const window: number[] = [];
              for (let i = 0; i < c.kh; i++)
                for (let j = 0; j < c.kw; j++)
                  for (let ch = 0; ch < c.c; ch++) {
                    const iy = oy * c.strides[0] - c.pads[0] + i;
                    const ix = ox * c.strides[1] - c.pads[1] + j;
                    const inside = iy >= 0 && iy < c.h && ix >= 0 && ix < c.w;
                    window.push(inside ? x[(ch * c.h + iy) * c.w + ix] : xZp);
                  }
              cases.push({
                row: bytesOf(window),
                rowSigned: isSigned(c.xType),
                rowZeroPoint: xZp,
                column: bytesOf(filter),
                columnSigned: isSigned(c.wType),
                channel: { bias: c.withBias ? bias[oc] : 0, scaleBits: pick(scales, oc), weightZeroPoint: pick(wZps, oc) },
                outZeroPoint: yZp,
                outSigned: isSigned(c.yType),
              });
            }
        }
        // Output elements in NCHW order, as the interpreter's array holds them (oc, oy, ox).
        const got = (await harness.convElements(cases)).map(Number);
        expect(got).to.deep.equal(want);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("OneStepOps.reluElement: equals the interpreter's Relu element", function () {
  it("agrees on every value of both types for random zero points", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(typeArb, fc.integer(), async (t, seed) => {
        const next = seededRandom(seed);
        const zp = valueOf(next, t);
        const x = valuesOf(next, 8, t);
        const p = program([{ name: "x", dtype: t, shape: [8] }, { name: "y", dtype: t, shape: [8] }], [], { op: "Relu", input: "x", output: "y", zeroPoint: zp }, ["x"]);
        const want = Array.from(runProgram(p, { x }).outputs.get("y")!.data);
        for (let i = 0; i < x.length; i++) expect(Number(await harness.reluElement(x[i], zp, isSigned(t))), `relu(${x[i]}, ${zp})`).to.equal(want[i]);
      }),
      { seed: SEED, numRuns: Math.max(2, Math.ceil(RUNS / 4)) },
    );
  });
});

describe("OneStepOps.maxPoolElement: equals the interpreter's MaxPool element (padded positions left out)", function () {
  const caseArb = fc
    .record({
      c: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      t: typeArb,
      seed: fc.integer(),
    })
    .map((c) => ({
      ...c,
      pads: [Math.min(c.pads[0], c.kh - 1), Math.min(c.pads[1], c.kw - 1), Math.min(c.pads[2], c.kh - 1), Math.min(c.pads[3], c.kw - 1)] as [number, number, number, number],
    }))
    .map((c) => ({ ...c, oh: Math.floor((c.h + c.pads[0] + c.pads[2] - c.kh) / c.strides[0]) + 1, ow: Math.floor((c.w + c.pads[1] + c.pads[3] - c.kw) / c.strides[1]) + 1 }))
    .filter((c) => c.oh > 0 && c.ow > 0);

  it(`agrees on every element of ${RUNS} random programs`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const x = valuesOf(seededRandom(c.seed), c.c * c.h * c.w, c.t);
        const op: ProgramOp = { op: "MaxPool", input: "x", output: "y", kernel: [c.kh, c.kw], strides: c.strides, pads: c.pads };
        const p = program([{ name: "x", dtype: c.t, shape: [1, c.c, c.h, c.w] }, { name: "y", dtype: c.t, shape: [1, c.c, c.oh, c.ow] }], [], op, ["x"]);
        const want = Array.from(runProgram(p, { x }).outputs.get("y")!.data);
        const windows: Uint8Array[] = [];
        for (let ch = 0; ch < c.c; ch++)
          for (let oy = 0; oy < c.oh; oy++)
            for (let ox = 0; ox < c.ow; ox++) {
              const window: number[] = [];
              for (let i = 0; i < c.kh; i++)
                for (let j = 0; j < c.kw; j++) {
                  const iy = oy * c.strides[0] - c.pads[0] + i;
                  const ix = ox * c.strides[1] - c.pads[1] + j;
                  if (iy >= 0 && iy < c.h && ix >= 0 && ix < c.w) window.push(x[(ch * c.h + iy) * c.w + ix]);
                }
              windows.push(bytesOf(window));
            }
        expect((await harness.maxPoolElements(windows, isSigned(c.t))).map(Number)).to.deep.equal(want);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("OneStepOps.addElement: equals the interpreter's QLinearAdd element", function () {
  const multiplierArb = fc.oneof(fc.integer({ min: -(2 ** 22) + 1, max: 2 ** 22 - 1 }), fc.integer({ min: -300, max: 300 }), fc.constantFrom(2 ** 22 - 1, -(2 ** 22) + 1, 0));
  const caseArb = fc.record({ aType: typeArb, bType: typeArb, yType: typeArb, aMul: multiplierArb, bMul: multiplierArb, seed: fc.integer() });

  it(`agrees on 16 elements of each of ${RUNS} random programs (multipliers up to 2^22 - 1)`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const next = seededRandom(c.seed);
        const n = 16;
        const a = valuesOf(next, n, c.aType);
        const b = valuesOf(next, n, c.bType);
        const big = Math.max(Math.abs(c.aMul), Math.abs(c.bMul), 1);
        const params = {
          aZeroPoint: valueOf(next, c.aType),
          bZeroPoint: valueOf(next, c.bType),
          aMultiplier: c.aMul,
          bMultiplier: c.bMul,
          scaleBits: float32Bits(f32((0.05 + next() * 2) / big)),
          outZeroPoint: valueOf(next, c.yType),
        };
        const op: ProgramOp = { op: "QLinearAdd", a: "a", b: "b", output: "y", ...params };
        const p = program(
          [
            { name: "a", dtype: c.aType, shape: [n] },
            { name: "b", dtype: c.bType, shape: [n] },
            { name: "y", dtype: c.yType, shape: [n] },
          ],
          [],
          op,
          ["a", "b"],
        );
        const want = Array.from(runProgram(p, { a, b }).outputs.get("y")!.data);
        const sol: AddParams = { ...params, aSigned: isSigned(c.aType), bSigned: isSigned(c.bType), outSigned: isSigned(c.yType) };
        expect((await harness.addElements(a, b, sol)).map(Number)).to.deep.equal(want);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("OneStepOps.tableElement: equals the interpreter's Table element (int8 entries as two's complement bytes)", function () {
  it(`agrees on 12 inputs, the type's extremes among them, of ${Math.max(2, Math.ceil(RUNS / 4))} random tables per type pair`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(typeArb, typeArb, fc.integer(), async (inType, outType, seed) => {
        const next = seededRandom(seed);
        const table = valuesOf(next, 256, outType);
        const { min, max } = QUANT_RANGE[inType];
        const x = [min, max, min + 1, max - 1, ...valuesOf(next, 8, inType)];
        const op: ProgramOp = { op: "Table", input: "x", output: "y", table };
        const p = program([{ name: "x", dtype: inType, shape: [x.length] }, { name: "y", dtype: outType, shape: [x.length] }], [], op, ["x"]);
        const want = Array.from(runProgram(p, { x }).outputs.get("y")!.data);
        const tableBytes = bytesOf(table);
        for (let i = 0; i < x.length; i++) expect(Number(await harness.tableElement(tableBytes, x[i], isSigned(inType), isSigned(outType))), `table[${x[i]}]`).to.equal(want[i]);
      }),
      { seed: SEED, numRuns: Math.max(2, Math.ceil(RUNS / 4)) },
    );
  });
});

describe("OneStepOps.readElement: one byte, int8 as two's complement", function () {
  it("reads 0, 127, 128, 255 as uint8 and as int8", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const data = Uint8Array.from([0, 127, 128, 255]);
    const got = await Promise.all([0, 1, 2, 3].flatMap((i) => [harness.readElement(data, i, false), harness.readElement(data, i, true)]));
    expect(got.map(Number)).to.deep.equal([0, 0, 127, 127, 128, -128, 255, -1]);
  });
});

describe("OneStepOps.dot: the extremes at K = 4096 (the largest |acc|)", function () {
  const K = 4096;
  const fill = (v: number) => bytesOf(new Array<number>(K).fill(v));
  const cases: [string, number, boolean, number, number, boolean, number][] = [
    ["uint8 255 - 0 times int8 -128 - 127", 255, false, 0, -128, true, 127],
    ["uint8 0 - 255 times uint8 255 - 0", 0, false, 255, 255, false, 0],
    ["int8 -128 - 127 times int8 -128 - 127", -128, true, 127, -128, true, 127],
    ["int8 127 - -128 times uint8 255 - 0", 127, true, -128, 255, false, 0],
    ["int8 -128 - 127 times uint8 255 - 0", -128, true, 127, 255, false, 0],
    ["uint8 255 - 255 (zero differences)", 255, false, 255, 255, false, 255],
  ];
  for (const [name, a, aS, aZp, b, bS, bZp] of cases) {
    it(`${name}: ${K * (a - aZp) * (b - bZp)}`, async function () {
      const { harness } = await loadFixture(deployOneStepOpsFixture);
      expect(Number(await harness.dot(fill(a), aS, aZp, fill(b), bS, bZp))).to.equal(K * (a - aZp) * (b - bZp));
    });
  }
});

describe("OneStepOps.dot: lengths around 32-byte words and the tail", function () {
  const LENGTHS = [0, 1, 2, 31, 32, 33, 63, 64, 65, 95, 1000, 4064, 4065, 4095, 4096];

  it(`agrees with the naive sum at K = ${LENGTHS.join(", ")}, every signed/unsigned mix`, async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const next = seededRandom(7);
    for (const k of LENGTHS)
      for (const aType of DTYPES)
        for (const bType of DTYPES) {
          const a = valuesOf(next, k, aType);
          const b = valuesOf(next, k, bType);
          const aZp = valueOf(next, aType);
          const bZp = valueOf(next, bType);
          const got = Number(await harness.dot(bytesOf(a), isSigned(aType), aZp, bytesOf(b), isSigned(bType), bZp));
          expect(got, `K=${k} ${aType} x ${bType}`).to.equal(naiveDot(a, aZp, b, bZp));
        }
  });

  it("ignores whatever lies past each operand's end (the last word's dirty bytes are masked, after the int8 flip)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const next = seededRandom(8);
    for (const k of [1, 5, 31, 33, 63, 100, 4095])
      for (const aType of DTYPES)
        for (const bType of DTYPES) {
          // Buffers a word longer than k, the bytes after k chosen to hurt: 0xff, 0x80 and 0x7f.
          const a = valuesOf(next, k, aType);
          const b = valuesOf(next, k, bType);
          const dirty = (v: number[], byte: number) => Uint8Array.from([...bytesOf(v), ...new Array<number>(40).fill(byte)]);
          for (const byte of [0xff, 0x80, 0x7f]) {
            const got = Number(await harness.dotPrefix(dirty(a, byte), isSigned(aType), 0, dirty(b, byte ^ 0x7f), isSigned(bType), 0, k));
            expect(got, `K=${k} ${aType} x ${bType}, tail 0x${byte.toString(16)}`).to.equal(naiveDot(a, 0, b, 0));
          }
        }
  });

  it("agrees with the naive sum on random lengths, values and zero points", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4096 }), typeArb, typeArb, fc.integer(), async (k, aType, bType, seed) => {
        const next = seededRandom(seed);
        const [a, b] = [valuesOf(next, k, aType), valuesOf(next, k, bType)];
        const [aZp, bZp] = [valueOf(next, aType), valueOf(next, bType)];
        expect(Number(await harness.dot(bytesOf(a), isSigned(aType), aZp, bytesOf(b), isSigned(bType), bZp))).to.equal(naiveDot(a, aZp, b, bZp));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("OneStepOps: reverts on every input the interpreter is not defined on", function () {
  const ONE = float32Bits(1);
  const channel = { bias: 0, scaleBits: ONE, weightZeroPoint: 0 };
  const mm = (row: Uint8Array, column: Uint8Array): MatMulCase => ({ row, rowSigned: false, rowZeroPoint: 0, column, columnSigned: true, channel, outZeroPoint: 0, outSigned: false });
  const addParams: AddParams = { aSigned: false, aZeroPoint: 0, bSigned: true, bZeroPoint: 0, aMultiplier: 1, bMultiplier: 1, scaleBits: ONE, outZeroPoint: 0, outSigned: false };

  it("LengthMismatch: operands of different lengths, either way round (dot and matMulElement)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await expect(harness.dot(new Uint8Array(3), false, 0, new Uint8Array(4), false, 0)).to.be.revertedWithCustomError(harness, "LengthMismatch").withArgs(3, 4);
    await expect(harness.dot(new Uint8Array(33), false, 0, new Uint8Array(32), false, 0)).to.be.revertedWithCustomError(harness, "LengthMismatch").withArgs(33, 32);
    await expect(harness.matMulElement(mm(new Uint8Array(64), new Uint8Array(32)))).to.be.revertedWithCustomError(harness, "LengthMismatch").withArgs(64, 32);
  });

  it("never answers for a column shorter than its row: the missing products would be read from whatever follows the column in memory", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    // A 33-element row against a 32-element column whose memory neighbour (the next ABI-decoded
    // argument) is all 0xff: without the length guard the 33rd product would be taken from there.
    const row = bytesOf(new Array<number>(33).fill(200));
    const column = bytesOf(new Array<number>(32).fill(3));
    const neighbour = new Uint8Array(64).fill(0xff);
    await expect(harness.dotPrefix(row, false, 0, column, false, 0, 32)).to.not.be.reverted;
    await expect(harness.matMulElements([mm(row, column), mm(neighbour, neighbour)])).to.be.reverted;
    await expect(harness.dot(row, false, 0, column, false, 0)).to.be.reverted;
  });

  it("DotTooLong: 4,097 products and more (the game bisects them)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await expect(harness.dot(new Uint8Array(4097), false, 0, new Uint8Array(4097), false, 0)).to.be.revertedWithCustomError(harness, "DotTooLong").withArgs(4097, 4096);
    await expect(harness.matMulElement(mm(new Uint8Array(5000), new Uint8Array(5000)))).to.be.revertedWithCustomError(harness, "DotTooLong").withArgs(5000, 4096);
  });

  it("InputZeroPointOutOfRange: an input zero point outside its type (dot, reluElement, addElement)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const one = new Uint8Array(1);
    for (const [zp, s] of [
      [-1, false],
      [256, false],
      [-129, true],
      [128, true],
    ] as const) {
      await expect(harness.dot(one, s, zp, one, false, 0)).to.be.revertedWithCustomError(harness, "InputZeroPointOutOfRange").withArgs(zp, s);
      await expect(harness.dot(one, false, 0, one, s, zp)).to.be.revertedWithCustomError(harness, "InputZeroPointOutOfRange").withArgs(zp, s);
      await expect(harness.reluElement(0, zp, s)).to.be.revertedWithCustomError(harness, "InputZeroPointOutOfRange").withArgs(zp, s);
      await expect(harness.addElement(0, 0, { ...addParams, aSigned: s, aZeroPoint: zp })).to.be.revertedWithCustomError(harness, "InputZeroPointOutOfRange").withArgs(zp, s);
      await expect(harness.addElement(0, 0, { ...addParams, bSigned: s, bZeroPoint: zp })).to.be.revertedWithCustomError(harness, "InputZeroPointOutOfRange").withArgs(zp, s);
    }
  });

  it("ValueOutOfRange: an element outside its type (reluElement, addElement, tableElement)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await expect(harness.reluElement(256, 0, false)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(256, false);
    await expect(harness.reluElement(-129, 0, true)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(-129, true);
    await expect(harness.addElement(-1, 0, addParams)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(-1, false);
    await expect(harness.addElement(0, 128, addParams)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(128, true);
    await expect(harness.tableElement(new Uint8Array(256), 128, true, false)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(128, true);
    await expect(harness.tableElement(new Uint8Array(256), -1, false, false)).to.be.revertedWithCustomError(harness, "ValueOutOfRange").withArgs(-1, false);
  });

  it("MultiplierOutOfRange: a QLinearAdd multiplier of 2^22 or more in magnitude", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await expect(harness.addElement(0, 0, { ...addParams, aMultiplier: 2 ** 22 })).to.be.revertedWithCustomError(harness, "MultiplierOutOfRange").withArgs(2 ** 22);
    await expect(harness.addElement(0, 0, { ...addParams, bMultiplier: -(2 ** 22) })).to.be.revertedWithCustomError(harness, "MultiplierOutOfRange").withArgs(-(2 ** 22));
    expect(Number(await harness.addElement(1, 1, { ...addParams, aMultiplier: 2 ** 22 - 1, bMultiplier: -(2 ** 22) + 1 }))).to.equal(0);
  });

  it("IndexOutOfRange, EmptyWindow and BadTableLength", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    await expect(harness.readElement(new Uint8Array(3), 3, false)).to.be.revertedWithCustomError(harness, "IndexOutOfRange").withArgs(3, 3);
    await expect(harness.maxPoolElement(new Uint8Array(0), true)).to.be.revertedWithCustomError(harness, "EmptyWindow");
    await expect(harness.tableElement(new Uint8Array(255), 0, false, false)).to.be.revertedWithCustomError(harness, "BadTableLength").withArgs(255);
    await expect(harness.tableElement(new Uint8Array(257), 0, false, false)).to.be.revertedWithCustomError(harness, "BadTableLength").withArgs(257);
  });

  it("Requantize's own errors reach through matMulElement (scale, bias, output zero point)", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const one = new Uint8Array(1);
    await expect(harness.matMulElement({ ...mm(one, one), channel: { ...channel, scaleBits: 0 } })).to.be.revertedWithCustomError(harness, "ZeroScale").withArgs(0);
    await expect(harness.matMulElement({ ...mm(one, one), channel: { ...channel, bias: 2 ** 31 } })).to.be.revertedWithCustomError(harness, "BiasNotInt32").withArgs(2 ** 31);
    await expect(harness.matMulElement({ ...mm(one, one), outZeroPoint: 256 })).to.be.revertedWithCustomError(harness, "ZeroPointOutOfRange").withArgs(256, false);
  });
});

describe("OneStepOps.dot: gas", function () {
  it("prints the gas of K = 1024 and K = 4096 and keeps K = 4096 under its budget", async function () {
    const { harness } = await loadFixture(deployOneStepOpsFixture);
    const next = seededRandom(9);
    const gas: Record<number, number[]> = { 1024: [], 4096: [] };
    for (const k of [1024, 4096])
      for (const [aType, bType] of [
        ["uint8", "int8"],
        ["int8", "int8"],
        ["uint8", "uint8"],
      ] as const) {
        const [a, b] = [valuesOf(next, k, aType), valuesOf(next, k, bType)];
        const [aZp, bZp] = [valueOf(next, aType), valueOf(next, bType)];
        const [acc, used] = await harness.dotGas(bytesOf(a), isSigned(aType), aZp, bytesOf(b), isSigned(bType), bZp);
        expect(Number(acc)).to.equal(naiveDot(a, aZp, b, bZp));
        gas[k].push(Number(used));
      }
    console.log(`      OneStepOps.dot gas (library call, gasleft difference): K=1024 ${gas[1024].join(", ")}; K=4096 ${gas[4096].join(", ")}`);
    // Under solidity-coverage the library is instrumented: its gas means nothing there (the results are still checked).
    if (!COVERAGE) {
      expect(Math.max(...gas[4096])).to.be.below(60_000);
      expect(Math.max(...gas[1024])).to.be.below(16_000);
    }
  });
});
