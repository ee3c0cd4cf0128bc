/**
 * contracts/libraries/TraceMerkle.sol against the referee's TypeScript commitments
 * (packages/node/src/referee/commit.ts, docs/REFEREE.md "Trees" and "Range proofs"): a batched
 * differential property (the chain accepts exactly the TypeScript proofs and computes the same
 * roots, leaf hashes, depths and trace roots), every refusal by name, and the gas of a range check.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";
import { TraceMerkleHarness__factory } from "../../packages/node/src/typechain";
import { depthFor, leafHash, MerkleTree, nodeHash, traceRoot, verifyRange } from "../../packages/node/src";

/** Pinned so that a failure reproduces. */
const SEED = 1516;
const RUNS = Number(process.env.TRACE_MERKLE_RUNS ?? 30);
const ZERO = ethers.ZeroHash;

async function deployTraceMerkleFixture() {
  const [deployer] = await ethers.getSigners();
  const harness = await new TraceMerkleHarness__factory(deployer).deploy();
  return { harness };
}

/** `n` bytes of a pattern that depends on `salt`. */
const pattern = (n: number, salt: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + (i >> 9)) & 0xff);
const hex = (b: Uint8Array): string => ethers.hexlify(b);

/** A tree of `leaves` whole leaves (a depth-3 tree needs more than 256). */
const treeOf = (leaves: number, salt = 1) => MerkleTree.fromBytes(pattern(leaves * 1024, salt));

describe("TraceMerkle: the same hashes as commit.ts", function () {
  it("leafHash, nodeHash, traceRoot and depthFor agree", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    for (const salt of [0, 1, 2]) {
      const leaf = pattern(1024, salt);
      expect(await harness.leafHash(leaf)).to.equal(hex(leafHash(leaf)));
    }
    const children = Array.from({ length: 16 }, (_, i) => ethers.sha256(Uint8Array.of(i)));
    children[9] = ZERO;
    expect(await harness.nodeHash(children)).to.equal(hex(nodeHash(children.map((c) => ethers.getBytes(c)))));
    for (const n of [0, 1, 2, 7]) {
      const roots = Array.from({ length: n }, (_, i) => ethers.sha256(Uint8Array.of(i, n)));
      expect(await harness.traceRoot(roots), `${n} roots`).to.equal(traceRoot(roots));
    }
    for (const bytes of [0, 1, 1024, 1025, 16 * 1024, 16 * 1024 + 1, 256 * 1024, 256 * 1024 + 1, 3_000_000, 2 ** 40, 2 ** 50])
      expect(Number(await harness.depthFor(bytes)), `${bytes} bytes`).to.equal(depthFor(bytes));
    expect(await harness.depthFor(ethers.MaxUint256)).to.equal(62n);
  });

  it("leafHash refuses a leaf that is not 1,024 bytes", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    for (const n of [0, 1023, 1025, 2048])
      await expect(harness.leafHash(new Uint8Array(n)), `${n} bytes`).to.be.revertedWithCustomError(harness, "LeafNotWhole").withArgs(n);
  });
});

describe("TraceMerkle: differential property against commit.ts", function () {
  it(`accepts exactly the TypeScript proofs of ${RUNS} random tensors (1 B to 70 KiB) and ranges`, async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 * 1024 }), fc.nat(), fc.integer({ min: 1, max: 64 }), fc.nat(), async (n, at, want, pick) => {
        const tree = MerkleTree.fromBytes(pattern(n, n & 0xff));
        const first = at % tree.leafCount;
        const count = Math.min(want, tree.leafCount - first);
        const { leaves, siblings } = tree.rangeProof(first, count);
        const depth = depthFor(n);
        expect(Number(await harness.depthFor(n))).to.equal(depth);
        expect(await harness.computeRoot(depth, first, leaves, siblings), `${n} B, leaves ${first} + ${count}`).to.equal(tree.root);
        await harness.requireRange(tree.root, depth, first, leaves, siblings); // does not revert
        const i = pick % count;
        expect(await harness.leafHash(leaves.subarray(i * 1024, (i + 1) * 1024))).to.equal(hex(leafHash(tree.leaf(first + i))));
        // One tampered byte: both verifiers refuse, the chain with the root it computed.
        const bad = Uint8Array.from(leaves);
        bad[(pick * 7) % bad.length] ^= 0x80;
        expect(verifyRange(tree.root, depth, first, bad, siblings)).to.equal(false);
        const computed = await harness.computeRoot(depth, first, bad, siblings);
        await expect(harness.requireRange(tree.root, depth, first, bad, siblings))
          .to.be.revertedWithCustomError(harness, "RootMismatch")
          .withArgs(tree.root, computed);
        // One wrong sibling, when the proof has any: both refuse.
        if (siblings.length > 0) {
          const wrong = [...siblings];
          wrong[pick % wrong.length] = ethers.sha256(ethers.toBeHex(pick, 32));
          expect(verifyRange(tree.root, depth, first, leaves, wrong)).to.equal(false);
          await expect(harness.requireRange(tree.root, depth, first, leaves, wrong)).to.be.revertedWithCustomError(harness, "RootMismatch");
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("agrees in depth-3 trees, at the edges of each level's parents", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    const tree = treeOf(300);
    expect(tree.depth).to.equal(3);
    for (const [first, count] of [
      [0, 1],
      [15, 2],
      [255, 2],
      [240, 60],
      [299, 1],
      [236, 64],
      [192, 64],
    ]) {
      const { leaves, siblings } = tree.rangeProof(first, count);
      expect(await harness.computeRoot(3, first, leaves, siblings), `${first} + ${count}`).to.equal(tree.root);
    }
  });
});

describe("TraceMerkle: requireRange refuses each malformed or false proof by name", function () {
  /** 40 leaves (the last partial), depth 2; the proof opens leaves 14..16. `other` is another tree. */
  const other = treeOf(39, 5);
  const partial = MerkleTree.fromBytes(pattern(39 * 1024 + 100, 5));
  const proof = partial.rangeProof(14, 3);
  const root = partial.root;

  it("passes the honest proof", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    await harness.requireRange(root, 2, 14, proof.leaves, proof.siblings);
  });

  it("RootMismatch: a tampered leaf byte, a wrong sibling, a first shifted right, another tree's root", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    const leaves = Uint8Array.from(proof.leaves);
    leaves[2047] ^= 1;
    const siblings = [...proof.siblings];
    siblings[20] = ethers.sha256("0x01");
    for (const [label, r, first, l, s] of [
      ["leaf byte", root, 14, leaves, proof.siblings],
      ["sibling", root, 14, proof.leaves, siblings],
      ["first + 1", root, 15, proof.leaves, proof.siblings],
      ["root", other.root, 14, proof.leaves, proof.siblings],
    ] as const) {
      const computed = await harness.computeRoot(2, first, l, s);
      expect(computed, label).to.not.equal(r);
      await expect(harness.requireRange(r, 2, first, l, s), label).to.be.revertedWithCustomError(harness, "RootMismatch").withArgs(r, computed);
    }
  });

  it("RootMismatch: a zero leaf at a position past the data (a zero child has no preimage)", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    // Position 40 of a 40-leaf tree: the honest hashes around it, a zero leaf in the zero child's place.
    const n = (p: number) => hex(nodeHash(Array.from({ length: 16 }, (_, j) => (16 * p + j < 40 ? leafHash(partial.leaf(16 * p + j)) : new Uint8Array(32)))));
    const siblings = [
      ...Array.from({ length: 8 }, (_, j) => hex(leafHash(partial.leaf(32 + j)))),
      ...Array<string>(7).fill(ZERO),
      n(0),
      n(1),
      ...Array<string>(13).fill(ZERO),
    ];
    expect(verifyRange(root, 2, 40, new Uint8Array(1024), siblings)).to.equal(false);
    await expect(harness.requireRange(root, 2, 40, new Uint8Array(1024), siblings)).to.be.revertedWithCustomError(harness, "RootMismatch");
  });

  it("SiblingsLeft: an extra sibling after an honest proof, however innocent (zero, or a copy)", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    await expect(harness.requireRange(root, 2, 14, proof.leaves, [...proof.siblings, ZERO]))
      .to.be.revertedWithCustomError(harness, "SiblingsLeft")
      .withArgs(1);
    await expect(harness.requireRange(root, 2, 14, proof.leaves, [...proof.siblings, ...proof.siblings.slice(0, 3)]))
      .to.be.revertedWithCustomError(harness, "SiblingsLeft")
      .withArgs(3);
    // A first shifted left puts leaves 13..15 under one parent: 15 of the siblings are then spare.
    await expect(harness.requireRange(root, 2, 13, proof.leaves, proof.siblings))
      .to.be.revertedWithCustomError(harness, "SiblingsLeft")
      .withArgs(15);
    // A single-leaf tree takes no sibling at all.
    const one = MerkleTree.fromBytes(pattern(10, 1));
    await expect(harness.requireRange(one.root, 0, 0, one.leaf(0), [ZERO]))
      .to.be.revertedWithCustomError(harness, "SiblingsLeft")
      .withArgs(1);
  });

  it("SiblingsMissing: a proof one sibling short, or with none", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    const short = proof.siblings.slice(0, -1);
    await expect(harness.requireRange(root, 2, 14, proof.leaves, short))
      .to.be.revertedWithCustomError(harness, "SiblingsMissing")
      .withArgs(short.length);
    await expect(harness.requireRange(root, 2, 14, proof.leaves, [])).to.be.revertedWithCustomError(harness, "SiblingsMissing").withArgs(0);
  });

  it("RangePastDepth: leaves beyond the 16^depth positions (a claimed shallower tree)", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    // The honest proof replayed 16^depth further on: every parent sees the same offsets, so without the
    // bound it would compute the honest root for leaves that do not exist.
    await expect(harness.requireRange(root, 2, 14 + 256, proof.leaves, proof.siblings))
      .to.be.revertedWithCustomError(harness, "RangePastDepth")
      .withArgs(14 + 256, 3, 2);
    await expect(harness.requireRange(root, 2, 256, proof.leaves.subarray(0, 1024), proof.siblings))
      .to.be.revertedWithCustomError(harness, "RangePastDepth")
      .withArgs(256, 1, 2);
    await expect(harness.requireRange(root, 1, 14, proof.leaves, proof.siblings))
      .to.be.revertedWithCustomError(harness, "RangePastDepth")
      .withArgs(14, 3, 1);
    await expect(harness.requireRange(root, 0, 1, proof.leaves.subarray(0, 1024), []))
      .to.be.revertedWithCustomError(harness, "RangePastDepth")
      .withArgs(1, 1, 0);
    await expect(harness.requireRange(root, 2, ethers.MaxUint256, proof.leaves, proof.siblings))
      .to.be.revertedWithCustomError(harness, "RangePastDepth")
      .withArgs(ethers.MaxUint256, 3, 2);
  });

  it("a short last leaf is zero-extended: leaving out its trailing zeros proves the same leaves, leaving out anything else does not", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    const tree = MerkleTree.fromBytes(Uint8Array.from({ length: 2500 }, (_, i) => 1 + (i % 200))); // the third leaf holds 452 bytes, then zeros
    const p = tree.rangeProof(1, 2);
    await harness.requireRange(tree.root, tree.depth, 1, p.leaves.subarray(0, 1024 + 452), p.siblings);
    await expect(harness.requireRange(tree.root, tree.depth, 1, p.leaves.subarray(0, 1024 + 451), p.siblings)).to.be.revertedWithCustomError(harness, "RootMismatch");
    expect(verifyRange(tree.root, tree.depth, 1, p.leaves.subarray(0, 1024 + 452), p.siblings)).to.equal(true);
    expect(verifyRange(tree.root, tree.depth, 1, p.leaves.subarray(0, 1024 + 451), p.siblings)).to.equal(false);
  });

  it("EmptyRange, TooManyLeaves and DepthTooLarge: the shape and the bounds", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    await expect(harness.requireRange(root, 2, 14, "0x", proof.siblings)).to.be.revertedWithCustomError(harness, "EmptyRange");
    const big = treeOf(70, 2);
    const p65 = big.rangeProof(0, 65);
    await expect(harness.requireRange(big.root, 2, 0, p65.leaves, p65.siblings))
      .to.be.revertedWithCustomError(harness, "TooManyLeaves")
      .withArgs(65, 64);
    const p64 = big.rangeProof(0, 64);
    await harness.requireRange(big.root, 2, 0, p64.leaves, p64.siblings); // 64 is allowed
    await expect(harness.requireRange(root, 9, 14, proof.leaves, proof.siblings))
      .to.be.revertedWithCustomError(harness, "DepthTooLarge")
      .withArgs(9, 8);
  });
});

describe("TraceMerkle: gas", function () {
  it("checks a 1-leaf range of a depth-3 tree in under 15,000 gas and a 4-leaf range in under 25,000", async function () {
    const { harness } = await loadFixture(deployTraceMerkleFixture);
    const tree = treeOf(300);
    const measure = async (first: number, count: number) => {
      const { leaves, siblings } = tree.rangeProof(first, count);
      const used = Number(await harness.gasOfRequireRange(tree.root, 3, first, leaves, siblings));
      const call = Number(await harness.requireRange.estimateGas(tree.root, 3, first, leaves, siblings));
      return { used, call, siblings: siblings.length };
    };
    const one = await measure(100, 1);
    const four = await measure(14, 4); // across two level-0 parents: the costliest 4-leaf shape
    const fourAligned = await measure(64, 4);
    console.log(
      `      TraceMerkle.requireRange gas in a depth-3 tree (library call, gasleft difference): ` +
        `1 leaf ${one.used} (${one.siblings} siblings), 4 leaves ${four.used} across two parents (${four.siblings} siblings), ` +
        `${fourAligned.used} in one (${fourAligned.siblings} siblings); whole transactions with calldata: ${one.call}, ${four.call}, ${fourAligned.call}`,
    );
    // Under solidity-coverage the library is instrumented (a counter write per statement): its gas
    // means nothing there, and the proofs above are still checked.
    if (!(hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) {
      expect(one.used).to.be.below(15_000);
      expect(Math.max(four.used, fourAligned.used)).to.be.below(25_000);
    }
  });
});
