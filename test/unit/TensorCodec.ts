import { expect } from "chai";
import { readFileSync } from "node:fs";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { TensorCodecHarness__factory } from "../../packages/node/src/typechain";
import {
  decodeTensors,
  DTYPES,
  encodeTensors,
  invalidClaim,
  isInvalidClaim,
  TensorCodecError,
  type DType,
} from "../../packages/node/src/sdk";
import { generateGoldenVectors, GOLDEN_PATH, toTensorMap, type GoldenFile, type JsonTensor } from "../fixtures/unit-a-golden-tensors";

const ONE = 10n ** 18n;
const golden = JSON.parse(readFileSync(GOLDEN_PATH, "utf8")) as GoldenFile;

async function deployTensorCodecFixture() {
  const [deployer] = await ethers.getSigners();
  const harness = await new TensorCodecHarness__factory(deployer).deploy();
  return { harness };
}

function bytesOf(hex: string): Uint8Array {
  return ethers.getBytes(hex);
}

function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Bytewise comparison of the UTF-8 encodings, the order of the canonical encoding. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The value a float dtype stores for `v`. */
function stored(dtype: DType, v: number): number {
  return dtype === "float32" ? Math.fround(v) : v;
}

/**
 * The exact 1e18 fixed-point value of a finite double, truncated toward zero: an independent
 * reference for TensorCodec.readFixed (every float32 is exactly a double).
 */
function exactFixed(d: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const e = exponent === 0 ? -1074 : exponent - 1075;
  const magnitude = e >= 0 ? (mantissa * ONE) << BigInt(e) : (mantissa * ONE) >> BigInt(-e);
  return negative ? -magnitude : magnitude;
}

/** The fixed-point value the Solidity decoder must give one JSON element. */
function expectedFixed(dtype: DType, v: number | string | boolean): bigint {
  if (dtype === "float32" || dtype === "float64") return exactFixed(stored(dtype, Number(v)));
  if (typeof v === "boolean") return v ? ONE : 0n;
  return BigInt(v) * ONE;
}

/** The value the TypeScript decoder must give back for one JSON element. */
function expectedDecoded(dtype: DType, v: number | string | boolean): number | bigint {
  if (dtype === "int64") return BigInt(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return stored(dtype, Number(v));
}

function expectCloseTo(fixed: bigint, value: number, label: string) {
  const got = Number(fixed) / 1e18;
  const bound = 1e-6 * Math.abs(value) + 1e-18;
  expect(Math.abs(got - value), `${label}: ${got} vs ${value}`).to.be.at.most(bound);
}

function expectTsRejects(hex: string) {
  expect(() => decodeTensors(bytesOf(hex))).to.throw(TensorCodecError);
}

describe("TensorCodec", function () {
  describe("golden vectors", function () {
    it("are exactly what the generator produces (the committed JSON is current)", function () {
      expect(generateGoldenVectors()).to.deep.equal(golden);
    });

    it("cover every dtype, a scalar, an empty dimension and several sorted tensors", function () {
      const tensors: JsonTensor[] = golden.cases.flatMap((c) => Object.values(c.tensors));
      const dtypes = new Set(tensors.map((t) => t.dtype));
      expect([...dtypes].sort()).to.deep.equal((Object.keys(DTYPES) as DType[]).sort());
      expect(tensors.some((t) => t.shape.length === 0)).to.equal(true);
      expect(tensors.some((t) => t.shape.includes(0))).to.equal(true);
      expect(golden.cases.some((c) => Object.keys(c.tensors).length >= 5)).to.equal(true);
    });

    it("agree with a hand-computed encoding of a float32 scalar", function () {
      // version 1, one tensor, name "score" (5 bytes), float32 (1), rank 0, 42.5 = 0x422a0000 LE
      const scalar = golden.cases.find((c) => c.name === "float32 scalar (rank 0)");
      expect(scalar?.hex).to.equal("0x0101" + "05" + "73636f7265" + "01" + "00" + "00002a42");
    });

    for (const c of golden.cases) {
      describe(c.name, function () {
        const names = Object.keys(c.tensors).sort(compareNames);

        it("encodeTensors gives exactly the golden bytes", function () {
          expect(ethers.hexlify(encodeTensors(toTensorMap(c.tensors)))).to.equal(c.hex);
        });

        it("decodeTensors round-trips the golden bytes", function () {
          const decoded = decodeTensors(bytesOf(c.hex));
          expect(Object.keys(decoded).sort(compareNames)).to.deep.equal(names);
          for (const name of names) {
            const want = c.tensors[name];
            const got = decoded[name];
            expect(got.dtype, name).to.equal(want.dtype);
            expect(got.shape, name).to.deep.equal(want.shape);
            expect(Array.from(got.data as ArrayLike<number | bigint>), name).to.deep.equal(
              want.data.map((v) => expectedDecoded(want.dtype, v)),
            );
          }
          expect(ethers.hexlify(encodeTensors(decoded))).to.equal(c.hex);
        });

        it("the Solidity decoder reads the same names, dtypes, shapes and values", async function () {
          const { harness } = await loadFixture(deployTensorCodecFixture);
          const decoded = await harness.decode(c.hex);
          expect(decoded.map((t) => ethers.toUtf8String(t.name))).to.deep.equal(names);
          decoded.forEach((t, i) => {
            const want = c.tensors[names[i]];
            expect(t.dtype, names[i]).to.equal(BigInt(DTYPES[want.dtype]));
            expect(t.shape.map(Number), names[i]).to.deep.equal(want.shape);
            expect(t.count, names[i]).to.equal(BigInt(want.data.length));
            expect(t.fixedValues.length, names[i]).to.equal(want.data.length);
            want.data.forEach((v, j) => {
              const label = `${names[i]}[${j}]`;
              expect(t.fixedValues[j], label).to.equal(expectedFixed(want.dtype, v));
              if (want.dtype === "float32" || want.dtype === "float64") expectCloseTo(t.fixedValues[j], Number(v), label);
            });
          });
        });
      });
    }
  });

  describe("malformed maps", function () {
    for (const m of golden.malformed) {
      it(`both sides reject: ${m.name} (${m.error})`, async function () {
        const { harness } = await loadFixture(deployTensorCodecFixture);
        await expect(harness.decode(m.hex))
          .to.be.revertedWithCustomError(harness, m.error)
          .withArgs(...m.args.map(BigInt));
        expectTsRejects(m.hex);
      });
    }

    it("the TypeScript encoder refuses what it could not encode canonically", function () {
      const bad: Array<() => Uint8Array> = [
        () => encodeTensors({ "": { dtype: "int8", shape: [1], data: [1] } }),
        () => encodeTensors({ ["n".repeat(65)]: { dtype: "int8", shape: [1], data: [1] } }),
        () => encodeTensors({ x: { dtype: "int8", shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: [1] } }),
        () => encodeTensors({ x: { dtype: "bool", shape: [1], data: [2] } }),
        () => encodeTensors({ x: { dtype: "int8", shape: [2], data: [1] } }),
        () => encodeTensors({ x: { dtype: "int8", shape: [1], data: [128] } }),
        () => encodeTensors({ x: { dtype: "int32", shape: [1], data: [0.5] } }),
        () => encodeTensors({ x: { dtype: "int64", shape: [1], data: [2n ** 63n] } }),
      ];
      for (const f of bad) expect(f).to.throw(TensorCodecError);
    });
  });

  describe("elementSize", function () {
    it("gives the width of every dtype", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const widths: Record<DType, bigint> = { float32: 4n, float64: 8n, int32: 4n, int64: 8n, bool: 1n, uint8: 1n, int8: 1n };
      for (const dtype of Object.keys(DTYPES) as DType[]) {
        expect(await harness.elementSize(DTYPES[dtype]), dtype).to.equal(widths[dtype]);
      }
    });

    it("reverts when the dtype is unknown", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      await expect(harness.elementSize(0)).to.be.revertedWithCustomError(harness, "UnknownDtype").withArgs(0);
      await expect(harness.elementSize(8)).to.be.revertedWithCustomError(harness, "UnknownDtype").withArgs(8);
    });
  });

  describe("readInt", function () {
    const map = encodeTensors({
      a32: { dtype: "int32", shape: [3], data: [-2147483648, -7, 2147483647] },
      b64: { dtype: "int64", shape: [3], data: [-(2n ** 63n), -7n, 2n ** 63n - 1n] },
      c8: { dtype: "int8", shape: [2], data: [-128, 127] },
      d: { dtype: "uint8", shape: [1], data: [255] },
      e: { dtype: "bool", shape: [1], data: [true] },
      f: { dtype: "float32", shape: [1], data: [1] },
    });

    it("sign-extends negative int32 values", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      expect(await harness.readInt(map, 0, 0)).to.equal(-2147483648n);
      expect(await harness.readInt(map, 0, 1)).to.equal(-7n);
      expect(await harness.readInt(map, 0, 2)).to.equal(2147483647n);
    });

    it("sign-extends negative int64 values", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      expect(await harness.readInt(map, 1, 0)).to.equal(-(2n ** 63n));
      expect(await harness.readInt(map, 1, 1)).to.equal(-7n);
      expect(await harness.readInt(map, 1, 2)).to.equal(2n ** 63n - 1n);
    });

    it("reads int8, uint8 and bool values", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      expect(await harness.readInt(map, 2, 0)).to.equal(-128n);
      expect(await harness.readInt(map, 2, 1)).to.equal(127n);
      expect(await harness.readInt(map, 3, 0)).to.equal(255n);
      expect(await harness.readInt(map, 4, 0)).to.equal(1n);
    });

    it("reverts when the tensor is a float", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      await expect(harness.readInt(map, 5, 0))
        .to.be.revertedWithCustomError(harness, "UnknownDtype")
        .withArgs(DTYPES.float32);
    });

    it("reverts when the index is past the element count", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      await expect(harness.readInt(map, 0, 3))
        .to.be.revertedWithCustomError(harness, "IndexOutOfRange")
        .withArgs(3, 3);
    });
  });

  describe("argmax", function () {
    it("gives the index of the largest float32 logit", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({ logits: { dtype: "float32", shape: [1, 4], data: [-3.5, 0.1, 0.7, 0.2] } });
      expect(await harness.argmax(map, ethers.toUtf8Bytes("logits"))).to.equal(2n);
    });

    it("handles all-negative values and picks the first on ties", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({
        f: { dtype: "float64", shape: [4], data: [-5, -0.25, -0.25, -1] },
        i: { dtype: "int64", shape: [3], data: [-9n, -2n, -2n] },
      });
      expect(await harness.argmax(map, ethers.toUtf8Bytes("f"))).to.equal(1n);
      expect(await harness.argmax(map, ethers.toUtf8Bytes("i"))).to.equal(1n);
    });

    it("reverts when no tensor has the name", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({ y: { dtype: "int8", shape: [1], data: [1] } });
      const name = ethers.toUtf8Bytes("z");
      await expect(harness.argmax(map, name)).to.be.revertedWithCustomError(harness, "TensorNotFound").withArgs(ethers.hexlify(name));
    });

    it("reverts when the tensor is empty", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({ y: { dtype: "int8", shape: [0], data: [] } });
      await expect(harness.argmax(map, ethers.toUtf8Bytes("y")))
        .to.be.revertedWithCustomError(harness, "IndexOutOfRange")
        .withArgs(0, 0);
    });
  });

  describe("isInvalidClaim", function () {
    it("is true exactly for the two-byte 0x00 reason claim, on both sides", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const claim = invalidClaim("inputDoesNotFitModel");
      expect(ethers.hexlify(claim)).to.equal("0x0002");
      const cases: Array<[Uint8Array, boolean]> = [
        [claim, true],
        [Uint8Array.of(0, 0), true],
        [Uint8Array.of(1, 0), false], // the empty tensor map
        [Uint8Array.of(0), false],
        [Uint8Array.of(0, 1, 2), false],
        [new Uint8Array(0), false],
      ];
      for (const [bytes, want] of cases) {
        expect(await harness.isInvalidClaim(bytes), ethers.hexlify(bytes)).to.equal(want);
        expect(isInvalidClaim(bytes), ethers.hexlify(bytes)).to.equal(want);
      }
    });
  });

  describe("readFixed", function () {
    it("reverts with NotRepresentable on a float32 NaN, naming the element", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({ x: { dtype: "float32", shape: [2], data: [1, NaN] } });
      await expect(harness.decode(map)).to.be.revertedWithCustomError(harness, "NotRepresentable").withArgs(1);
    });

    it("reverts with NotRepresentable on float32 and float64 infinities", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const cases: Array<[DType, number]> = [
        ["float32", Infinity],
        ["float32", -Infinity],
        ["float64", Infinity],
        ["float64", -Infinity],
        ["float64", NaN],
      ];
      for (const [dtype, v] of cases) {
        const map = encodeTensors({ x: { dtype, shape: [3], data: [0, 0.5, v] } });
        await expect(harness.decode(map), `${dtype} ${v}`).to.be.revertedWithCustomError(harness, "NotRepresentable").withArgs(2);
      }
    });

    it("reads float64 values up to the int256 limit of 1e18 fixed point (just under 5.79e58)", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      // 1.2e58 < 2^193 and 2e58, 5e58 > 2^193: all three times 1e18 are below 2^255 - 1.
      const data = [1.2e58, 2e58, 5e58, -5e58];
      const [t] = await harness.decode(encodeTensors({ x: { dtype: "float64", shape: [4], data } }));
      expect(t.fixedValues).to.deep.equal(data.map(exactFixed));
    });

    it("reverts with NotRepresentable when a float64 is too large for 1e18 fixed point", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const tooBig = encodeTensors({ x: { dtype: "float64", shape: [3], data: [0, 6e58, 1e300] } });
      await expect(harness.decode(tooBig)).to.be.revertedWithCustomError(harness, "NotRepresentable").withArgs(1);
    });

    it("reads subnormals and negative zero as zero", async function () {
      const { harness } = await loadFixture(deployTensorCodecFixture);
      const map = encodeTensors({ x: { dtype: "float64", shape: [3], data: [5e-324, -0, -1e-310] } });
      const [t] = await harness.decode(map);
      expect(t.fixedValues).to.deep.equal([0n, 0n, 0n]);
    });
  });
});
