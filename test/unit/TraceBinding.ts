/**
 * contracts/libraries/TraceBinding.sol: the root of a job's canonical input or output in the trace's
 * layout (issue 15, "anyone can bind the input and output roots to the job's canonical bytes"),
 * against the node's own commitment (packages/node/src/referee/commit.ts encodeActivation and
 * MerkleTree): a differential property over dtypes, ranks and sizes across leaf boundaries, the
 * channels-last permutation, every refusal by name, and the gas of binding a 16 KiB tensor.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";
import { TraceBindingHarness__factory } from "../../packages/node/src/typechain";
import { encodeActivation, encodeTensors, MerkleTree, type CommitDType } from "../../packages/node/src";

/** Pinned so that a failure reproduces. */
const SEED = 1517;
const RUNS = Number(process.env.TRACE_BINDING_RUNS ?? 25);
const MAX_BOUND_BYTES = 16 * 1024;
const DTYPE_CODE: Record<CommitDType, number> = { int32: 3, uint8: 6, int8: 7 };
const SIZE: Record<CommitDType, number> = { uint8: 1, int8: 1, int32: 4 };
const RANGE: Record<CommitDType, [number, number]> = { uint8: [0, 255], int8: [-128, 127], int32: [-(2 ** 31), 2 ** 31 - 1] };

async function deployTraceBindingFixture() {
  const [deployer] = await ethers.getSigners();
  return { harness: await new TraceBindingHarness__factory(deployer).deploy() };
}

/** `count` values of `dtype` from a pattern that reaches both ends of its range. */
function values(dtype: CommitDType, count: number, salt: number): number[] {
  const [lo, hi] = RANGE[dtype];
  return Array.from({ length: count }, (_, i) => {
    const k = (i * 2654435761 + salt * 40503) >>> 0;
    if (i % 7 === 0) return i % 14 === 0 ? lo : hi;
    return lo + (k % (hi - lo + 1));
  });
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The root the node commits for this tensor. */
function expectedRoot(dtype: CommitDType, shape: number[], data: number[]): string {
  return MerkleTree.fromBytes(encodeActivation(dtype, shape, data)).root;
}

/** The canonical map of one tensor named `name`. */
function canonical(dtype: CommitDType, shape: number[], data: number[], name = "x"): string {
  return ethers.hexlify(encodeTensors({ [name]: { dtype, shape, data } }));
}

describe("TraceBinding.ioRoot: the root a trace must hold for a job's canonical bytes", function () {
  it("equals the node's commitment for uint8, int8 and int32 tensors of ranks 1 to 4, across leaf boundaries", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const shapes: number[][] = [[1], [1, 10], [1, 1024], [1, 1025], [2, 1024], [1, 16384], [1, 1, 28, 28], [4, 3, 5], [1, 1, 1, 1]];
    for (const dtype of ["uint8", "int8", "int32"] as const) {
      for (const shape of shapes) {
        if (count(shape) * SIZE[dtype] > MAX_BOUND_BYTES) continue;
        const data = values(dtype, count(shape), shape.length);
        const [root, code, dims] = await harness.ioRoot(canonical(dtype, shape, data));
        expect(root, `${dtype} [${shape}]`).to.equal(expectedRoot(dtype, shape, data));
        expect(code).to.equal(BigInt(DTYPE_CODE[dtype]));
        expect(dims.map(Number)).to.deep.equal(shape);
      }
    }
  });

  it("commits a rank-4 [N, C, H, W] tensor channels-last, so its root differs from its row-major bytes' root", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    for (const shape of [
      [1, 3, 8, 8],
      [2, 4, 3, 5],
      [1, 16, 1, 1],
      [1, 1, 7, 9],
    ]) {
      const data = values("int8", count(shape), 3);
      const [root] = await harness.ioRoot(canonical("int8", shape, data));
      expect(root, `[${shape}]`).to.equal(expectedRoot("int8", shape, data));
      const rowMajor = MerkleTree.fromBytes(Uint8Array.from(data.map((v) => v & 0xff))).root;
      // Only a tensor with more than one channel and more than one pixel is permuted.
      const permuted = shape[1] > 1 && shape[2] * shape[3] > 1;
      expect(root === rowMajor, `[${shape}] permuted`).to.equal(!permuted);
    }
  });

  it("equals the node's commitment on random tensors (property)", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const tensor = fc
      .record({
        dtype: fc.constantFrom<CommitDType>("uint8", "int8", "int32"),
        shape: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        salt: fc.integer({ min: 0, max: 1_000 }),
      })
      .filter(({ dtype, shape }) => count(shape) * SIZE[dtype] <= MAX_BOUND_BYTES);
    await fc.assert(
      fc.asyncProperty(tensor, async ({ dtype, shape, salt }) => {
        const data = values(dtype, count(shape), salt);
        const [root] = await harness.ioRoot(canonical(dtype, shape, data));
        expect(root).to.equal(expectedRoot(dtype, shape, data));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("depends on every element: one changed value changes the root", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const shape = [1, 2048];
    const data = values("uint8", 2048, 9);
    const [root] = await harness.ioRoot(canonical("uint8", shape, data));
    for (const at of [0, 1023, 1024, 2047]) {
      const changed = [...data];
      changed[at] = (changed[at] + 1) % 256;
      const [other] = await harness.ioRoot(canonical("uint8", shape, changed));
      expect(other, `element ${at}`).to.not.equal(root);
    }
  });

  it("reverts with NotOneTensor for a map of two tensors or of none", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const two = ethers.hexlify(encodeTensors({ a: { dtype: "uint8", shape: [1], data: [1] }, b: { dtype: "uint8", shape: [1], data: [2] } }));
    await expect(harness.ioRoot(two)).to.be.revertedWithCustomError(harness, "NotOneTensor").withArgs(2n);
    await expect(harness.ioRoot("0x0100")).to.be.revertedWithCustomError(harness, "NotOneTensor").withArgs(0n);
  });

  it("reverts with NotCommittable for float32, float64, int64 and bool tensors", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const cases: [string, number][] = [
      [ethers.hexlify(encodeTensors({ x: { dtype: "float32", shape: [2], data: [0.5, 1] } })), 1],
      [ethers.hexlify(encodeTensors({ x: { dtype: "float64", shape: [1], data: [0.5] } })), 2],
      [ethers.hexlify(encodeTensors({ x: { dtype: "int64", shape: [1], data: [5n] } })), 4],
      [ethers.hexlify(encodeTensors({ x: { dtype: "bool", shape: [1], data: [1] } })), 5],
    ];
    for (const [bytes, code] of cases) await expect(harness.ioRoot(bytes)).to.be.revertedWithCustomError(harness, "NotCommittable").withArgs(code);
  });

  it("reverts with TooLargeToBind past 16 KiB of committed bytes, and binds exactly 16 KiB", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    await expect(harness.ioRoot(canonical("uint8", [1, MAX_BOUND_BYTES + 1], values("uint8", MAX_BOUND_BYTES + 1, 1))))
      .to.be.revertedWithCustomError(harness, "TooLargeToBind")
      .withArgs(BigInt(MAX_BOUND_BYTES + 1), BigInt(MAX_BOUND_BYTES));
    await expect(harness.ioRoot(canonical("int32", [1, 4097], values("int32", 4097, 1))))
      .to.be.revertedWithCustomError(harness, "TooLargeToBind")
      .withArgs(4097n * 4n, BigInt(MAX_BOUND_BYTES));
    await expect(harness.rootOf(ethers.hexlify(new Uint8Array(MAX_BOUND_BYTES + 1))))
      .to.be.revertedWithCustomError(harness, "TooLargeToBind")
      .withArgs(BigInt(MAX_BOUND_BYTES + 1), BigInt(MAX_BOUND_BYTES));
    const full = values("uint8", MAX_BOUND_BYTES, 2);
    expect((await harness.ioRoot(canonical("uint8", [1, MAX_BOUND_BYTES], full)))[0]).to.equal(expectedRoot("uint8", [1, MAX_BOUND_BYTES], full));
  });

  it("reverts with the codec's MalformedTensor for bytes that are not a canonical map, an invalid-input claim included", async function () {
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const good = canonical("uint8", [1, 4], [1, 2, 3, 4]);
    for (const bad of ["0x0003", good + "00", good.slice(0, -2), "0x02010178060101000000"]) {
      await expect(harness.ioRoot(bad), bad).to.be.revertedWithCustomError(harness, "MalformedTensor");
    }
  });

  it("costs at most 60,000 gas for 16 KiB of uint8 kept in place, 150,000 for 4,096 int32, 1,800,000 for a 16 KiB multi-channel image", async function () {
    if ((hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) this.skip(); // instrumented code costs more
    const { harness } = await loadFixture(deployTraceBindingFixture);
    const flat = await harness.ioRootGas(canonical("uint8", [1, MAX_BOUND_BYTES], values("uint8", MAX_BOUND_BYTES, 4)));
    const wide = await harness.ioRootGas(canonical("int32", [1, 4096], values("int32", 4096, 4)));
    // The channels-last permutation moves one element at a time: the dearest binding there is.
    const image = await harness.ioRootGas(canonical("uint8", [1, 4, 64, 64], values("uint8", MAX_BOUND_BYTES, 4)));
    console.log(`      TraceBinding.ioRoot gas: uint8 [1, 16384] ${flat}, int32 [1, 4096] ${wide}, uint8 [1, 4, 64, 64] ${image}`);
    expect(flat).to.be.at.most(60_000n);
    expect(wide).to.be.at.most(150_000n);
    expect(image).to.be.at.most(1_800_000n);
  });
});
