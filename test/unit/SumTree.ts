import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { SumTreeHarness__factory } from "../../packages/node/src/typechain";

const SEED = 42;
/** Distinct node addresses; the last two are never given a weight by the property. */
const NODES = Array.from({ length: 42 }, (_, i) => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x1000 + i), 20)));
const SET_NODES = 40;

async function deploySumTreeFixture() {
  const [deployer] = await ethers.getSigners();
  const tree = await new SumTreeHarness__factory(deployer).deploy();
  return { tree };
}

/** Plain model of the tree: leaves in the order nodes first got a non-zero weight. */
class ReferenceTree {
  readonly leaves: Array<{ node: string; weight: bigint }> = [];

  set(node: string, weight: bigint) {
    const leaf = this.leaves.find((l) => l.node === node);
    if (leaf) leaf.weight = weight;
    else if (weight !== 0n) this.leaves.push({ node, weight });
  }

  weightOf(node: string): bigint {
    return this.leaves.find((l) => l.node === node)?.weight ?? 0n;
  }

  total(): bigint {
    return this.leaves.reduce((s, l) => s + l.weight, 0n);
  }

  /** The weights that remain after `exclude`, leaf by leaf. */
  effective(exclude: string[]): Array<{ node: string; weight: bigint }> {
    return this.leaves.map((l) => ({ node: l.node, weight: exclude.includes(l.node) ? 0n : l.weight }));
  }

  /** The leaf whose cumulative range [sum before, sum before + weight) holds `point`. */
  search(point: bigint, exclude: string[]): string {
    let before = 0n;
    for (const l of this.effective(exclude)) {
      if (point < before + l.weight) return l.node;
      before += l.weight;
    }
    throw new Error(`point ${point} is past the effective total ${before}`);
  }
}

const weightArb = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 100n }),
  fc.bigInt({ min: 1n, max: 2n ** 96n - 1n }), // weights are uint96 (stakes)
);
const opsArb = fc.array(fc.record({ node: fc.integer({ min: 0, max: SET_NODES - 1 }), weight: weightArb }), {
  minLength: 1,
  maxLength: 60,
});
const excludeArb = fc.subarray(NODES, { maxLength: 6 });
const pointsArb = fc.array(fc.bigInt({ min: 0n, max: 2n ** 128n }), { minLength: 3, maxLength: 3 });

describe("SumTree", function () {
  describe("set", function () {
    it("gives a node a leaf the first time its weight is non-zero", async function () {
      const { tree } = await loadFixture(deploySumTreeFixture);
      await tree.set(NODES[0], 0n);
      expect(await tree.size()).to.equal(0n);
      await tree.set(NODES[0], 5n);
      await tree.set(NODES[1], 7n);
      expect(await tree.size()).to.equal(2n);
      expect(await tree.weightOf(NODES[0])).to.equal(5n);
      expect(await tree.weightOf(NODES[1])).to.equal(7n);
      expect(await tree.total()).to.equal(12n);
    });

    it("updates weights up and down and keeps a zero-weight node's leaf", async function () {
      const { tree } = await loadFixture(deploySumTreeFixture);
      await tree.set(NODES[0], 5n);
      await tree.set(NODES[1], 7n);
      await tree.set(NODES[0], 50n);
      expect(await tree.total()).to.equal(57n);
      await tree.set(NODES[1], 0n);
      expect(await tree.weightOf(NODES[1])).to.equal(0n);
      expect(await tree.total()).to.equal(50n);
      expect(await tree.size()).to.equal(2n);
      await tree.set(NODES[1], 3n);
      expect(await tree.size()).to.equal(2n);
      expect(await tree.total()).to.equal(53n);
    });
  });

  describe("weightOf", function () {
    it("is zero for a node that never had a weight", async function () {
      const { tree } = await loadFixture(deploySumTreeFixture);
      await tree.set(NODES[0], 5n);
      expect(await tree.weightOf(NODES[41])).to.equal(0n);
    });
  });

  describe("search", function () {
    it("maps each point to the leaf whose cumulative range holds it", async function () {
      const { tree } = await loadFixture(deploySumTreeFixture);
      for (const [i, w] of [3n, 0n, 5n, 2n].entries()) await tree.set(NODES[i], w);
      await tree.set(NODES[4], 4n); // node 1 has no leaf: leaves are 0 [0,3), 2 [3,8), 3 [8,10), 4 [10,14)
      const want = [0, 0, 0, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 4];
      for (let p = 0; p < want.length; p++) expect(await tree.search(p, []), `point ${p}`).to.equal(NODES[want[p]]);
    });

    it("skips excluded leaves as if their weight were zero", async function () {
      const { tree } = await loadFixture(deploySumTreeFixture);
      for (const [i, w] of [3n, 5n, 2n].entries()) await tree.set(NODES[i], w);
      // Without node 1: 0 [0,3), 2 [3,5).
      const want = [0, 0, 0, 2, 2];
      for (let p = 0; p < want.length; p++) expect(await tree.search(p, [NODES[1]]), `point ${p}`).to.equal(NODES[want[p]]);
    });

    it("matches a cumulative-range reference for random weights, points and exclusions (property)", async function () {
      this.timeout(120_000);
      await fc.assert(
        fc.asyncProperty(opsArb, excludeArb, pointsArb, async (ops, exclude, points) => {
          const { tree } = await loadFixture(deploySumTreeFixture);
          const ref = new ReferenceTree();
          for (const op of ops) {
            await tree.set(NODES[op.node], op.weight);
            ref.set(NODES[op.node], op.weight);
          }
          expect(await tree.size()).to.equal(BigInt(ref.leaves.length));
          expect(await tree.total()).to.equal(ref.total());
          for (const node of NODES) expect(await tree.weightOf(node)).to.equal(ref.weightOf(node));

          for (const ex of [[], exclude]) {
            const effective = ref.effective(ex);
            const remaining = effective.reduce((s, l) => s + l.weight, 0n);
            if (remaining === 0n) continue;
            // Random points, 0, the last point, and both sides of every leaf boundary.
            const probes = new Set<bigint>([0n, remaining - 1n, ...points.map((p) => p % remaining)]);
            let before = 0n;
            for (const l of effective) {
              before += l.weight;
              if (l.weight !== 0n && before < remaining) [before - 1n, before].forEach((p) => probes.add(p));
            }
            for (const p of probes) {
              expect(await tree.search(p, ex), `point ${p} excluding [${ex.join(", ")}]`).to.equal(ref.search(p, ex));
            }
          }
        }),
        { seed: SEED, numRuns: 60 },
      );
    });
  });
});
