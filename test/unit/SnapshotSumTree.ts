import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { SnapshotSumTreeHarness__factory } from "../../packages/node/src/typechain";
import type { SnapshotSumTreeHarness } from "../../packages/node/src/typechain";

const [A, B, C, D] = Array.from({ length: 4 }, (_, i) => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x1000 + i), 20)));
const MAX_UINT96 = 2n ** 96n - 1n;
const MAX_UINT112 = 2n ** 112n - 1n;

async function deploySnapshotSumTreeFixture() {
  const [deployer] = await ethers.getSigners();
  const tree = await new SnapshotSumTreeHarness__factory(deployer).deploy();
  return { tree };
}

/** `drawAt(s, p)` for every point p below the snapshot's total, as node addresses. */
async function drawAll(tree: SnapshotSumTreeHarness, s: number): Promise<string[]> {
  const [ok, sum] = await tree.totalAt(s);
  expect(ok, `totalAt(${s}) ok`).to.equal(true);
  const out: string[] = [];
  for (let p = 0n; p < sum; p++) {
    const [drawOk, node] = await tree.drawAt(s, p);
    expect(drawOk, `drawAt(${s}, ${p}) ok`).to.equal(true);
    out.push(node);
  }
  return out;
}

describe("SnapshotSumTree", function () {
  describe("set and the live view", function () {
    it("gives a node a leaf the first time its weight is non-zero and keeps it at zero", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 0n, 1);
      expect(await tree.size()).to.equal(0n);
      await tree.set(A, 5n, 1);
      await tree.set(B, 7n, 1);
      await tree.set(A, 0n, 2);
      expect(await tree.size()).to.equal(2n);
      expect(await tree.weightOf(A)).to.equal(0n);
      expect(await tree.weightOf(B)).to.equal(7n);
      expect(await tree.total()).to.equal(7n);
      await tree.set(A, 3n, 2);
      expect(await tree.size()).to.equal(2n);
      expect(await tree.total()).to.equal(10n);
    });
  });

  describe("writes within the snapshot epoch", function () {
    it("do not change the start-of-epoch values, however many there are", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 10);
      await tree.set(A, 7n, 10);
      await tree.set(B, 3n, 10);
      expect(await tree.totalAt(10)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(A, 10)).to.deep.equal([true, 0n]);
      // Epoch 11 starts with everything written in epoch 10.
      expect(await tree.totalAt(11)).to.deep.equal([true, 10n]);
      expect(await tree.weightAt(A, 11)).to.deep.equal([true, 7n]);
      expect(await tree.weightAt(B, 11)).to.deep.equal([true, 3n]);
      await tree.set(A, 1n, 11);
      await tree.set(A, 2n, 11);
      expect(await tree.totalAt(11)).to.deep.equal([true, 10n]);
      expect(await tree.weightAt(A, 11)).to.deep.equal([true, 7n]);
      expect(await drawAll(tree, 11)).to.deep.equal([...Array(7).fill(A), ...Array(3).fill(B)]);
    });
  });

  describe("writes in later epochs", function () {
    it("keep the start of the previous epoch and of the current one", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 10);
      await tree.set(A, 8n, 11);
      await tree.set(A, 2n, 11);
      expect(await tree.weightAt(A, 10)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(A, 11)).to.deep.equal([true, 5n]);
      expect(await tree.weightAt(A, 12)).to.deep.equal([true, 2n]);
      await tree.set(A, 9n, 12);
      expect(await tree.weightAt(A, 11)).to.deep.equal([true, 5n]);
      expect(await tree.weightAt(A, 12)).to.deep.equal([true, 2n]);
      expect(await tree.totalAt(11)).to.deep.equal([true, 5n]);
      expect(await tree.totalAt(12)).to.deep.equal([true, 2n]);
    });

    it("answer the epoch before a write that follows a quiet gap", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 10);
      await tree.set(B, 4n, 10);
      await tree.set(A, 9n, 15);
      // Nothing was written in 11..14: the start of 14 equals the start of 15.
      expect(await tree.weightAt(A, 14)).to.deep.equal([true, 5n]);
      expect(await tree.totalAt(14)).to.deep.equal([true, 9n]);
      expect(await drawAll(tree, 14)).to.deep.equal([...Array(5).fill(A), ...Array(4).fill(B)]);
      expect(await tree.weightAt(A, 15)).to.deep.equal([true, 5n]);
      expect(await tree.weightAt(A, 16)).to.deep.equal([true, 9n]);
    });

    it("answer from the live values for epochs after the latest write", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 3);
      expect(await tree.weightAt(A, 4)).to.deep.equal([true, 5n]);
      expect(await tree.weightAt(A, 400)).to.deep.equal([true, 5n]);
      expect(await tree.totalAt(400)).to.deep.equal([true, 5n]);
    });

    it("start from zero at epoch 0", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 0);
      await tree.set(A, 6n, 1);
      expect(await tree.totalAt(0)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(A, 0)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(A, 1)).to.deep.equal([true, 5n]);
      expect(await tree.weightAt(A, 2)).to.deep.equal([true, 6n]);
    });
  });

  describe("nodes appended mid-epoch", function () {
    it("weigh nothing in the snapshot of their epoch and are drawn only from the next", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 3n, 5);
      await tree.set(B, 4n, 6);
      await tree.set(C, 5n, 6);
      await tree.set(B, 1n, 6);
      await tree.set(D, 2n, 6); // leaf 4: its Fenwick node covers leaves 1..4
      expect(await tree.weightAt(B, 6)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(D, 6)).to.deep.equal([true, 0n]);
      expect(await tree.totalAt(6)).to.deep.equal([true, 3n]);
      expect(await drawAll(tree, 6)).to.deep.equal([A, A, A]);
      expect(await drawAll(tree, 7)).to.deep.equal([A, A, A, B, C, C, C, C, C, D, D]);
      // And one epoch later still, after more appends and changes.
      await tree.set(A, 0n, 7);
      await tree.set(D, 0n, 7);
      await tree.set(B, 2n, 7);
      expect(await drawAll(tree, 6)).to.deep.equal([A, A, A]);
      expect(await drawAll(tree, 7)).to.deep.equal([A, A, A, B, C, C, C, C, C, D, D]);
      expect(await drawAll(tree, 8)).to.deep.equal([B, B, C, C, C, C, C]);
    });
    it("are left out of an older snapshot's descent even when their Fenwick node spans changed leaves", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 1);
      await tree.set(B, 5n, 1);
      await tree.set(C, 5n, 1);
      await tree.set(A, 1n, 2);
      // Leaf 4 appended in epoch 3: its Fenwick node covers leaves 1..4 and holds their start-of-3
      // sum (11), not the start-of-2 sum (15); the draw at 2 must not read it (size at 2 is 3).
      await tree.set(D, 1n, 3);
      expect(await drawAll(tree, 2)).to.deep.equal([...Array(5).fill(A), ...Array(5).fill(B), ...Array(5).fill(C)]);
      expect(await drawAll(tree, 3)).to.deep.equal([A, ...Array(5).fill(B), ...Array(5).fill(C)]);
    });
  });

  describe("weight set to zero", function () {
    it("keeps the old weight in the snapshot and drops the node from later draws", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 2n, 1);
      await tree.set(B, 3n, 1);
      await tree.set(A, 0n, 2);
      expect(await tree.weightAt(A, 2)).to.deep.equal([true, 2n]);
      expect(await tree.weightAt(A, 3)).to.deep.equal([true, 0n]);
      expect(await drawAll(tree, 2)).to.deep.equal([A, A, B, B, B]);
      expect(await drawAll(tree, 3)).to.deep.equal([B, B, B]);
      await tree.set(B, 0n, 3);
      expect(await tree.totalAt(4)).to.deep.equal([true, 0n]);
      expect(await tree.weightOf(B)).to.equal(0n);
    });
  });

  describe("epochs", function () {
    it("reverts by name when a set goes back an epoch, even one that changes nothing", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 7);
      await expect(tree.set(A, 6n, 6)).to.be.revertedWithCustomError(tree, "EpochWentBack").withArgs(6, 7);
      await expect(tree.set(A, 5n, 6)).to.be.revertedWithCustomError(tree, "EpochWentBack").withArgs(6, 7);
      await expect(tree.set(B, 1n, 0)).to.be.revertedWithCustomError(tree, "EpochWentBack").withArgs(0, 7);
      await tree.set(A, 6n, 7);
      expect(await tree.latestEpoch()).to.equal(7n);
    });
  });

  describe("bounds", function () {
    it("takes weights up to the uint96 maximum", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, MAX_UINT96, 1);
      await tree.set(B, MAX_UINT96, 1);
      await tree.set(A, MAX_UINT96 - 1n, 2);
      expect(await tree.totalAt(2)).to.deep.equal([true, 2n * MAX_UINT96]);
      expect(await tree.drawAt(2, MAX_UINT96 - 1n)).to.deep.equal([true, A]);
      expect(await tree.drawAt(2, MAX_UINT96)).to.deep.equal([true, B]);
    });

    it("reverts by name when the total would pass 2^112 - 1, on a change and on an append", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 1n, 1);
      await tree.forceLiveTotal(MAX_UINT112 - 1n); // as if 65,536 maximal leaves were staked
      await expect(tree.set(A, 3n, 1))
        .to.be.revertedWithCustomError(tree, "TotalOverflow")
        .withArgs(MAX_UINT112 + 1n, MAX_UINT112);
      await expect(tree.set(B, 2n, 1))
        .to.be.revertedWithCustomError(tree, "TotalOverflow")
        .withArgs(MAX_UINT112 + 1n, MAX_UINT112);
      await tree.set(A, 2n, 1); // exactly the maximum is fine
      expect(await tree.total()).to.equal(MAX_UINT112);
    });

    it("reverts by name when a draw point is not below the snapshot total", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 1);
      await expect(tree.drawAt(1, 0)).to.be.revertedWithCustomError(tree, "PointOutOfRange").withArgs(0, 0);
      await expect(tree.drawAt(2, 5)).to.be.revertedWithCustomError(tree, "PointOutOfRange").withArgs(5, 5);
    });
  });

  describe("lost snapshots", function () {
    it("answer ok = false, never a value, once the tree changed after epoch s + 1", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 10);
      await tree.set(B, 4n, 10);
      await tree.set(B, 6n, 11);
      // Still within epoch s + 1 = 11: the snapshot of 10 answers.
      expect(await tree.totalAt(10)).to.deep.equal([true, 0n]);
      await tree.set(B, 1n, 12);
      expect(await tree.totalAt(10)).to.deep.equal([false, 0n]);
      expect(await tree.totalAt(11)).to.deep.equal([true, 9n]);
      expect(await tree.drawAt(10, 0)).to.deep.equal([false, ethers.ZeroAddress]);
      // Node A's weight has not changed since epoch 10, so its own history still answers.
      expect(await tree.weightAt(A, 10)).to.deep.equal([true, 0n]);
      expect(await tree.weightAt(B, 10)).to.deep.equal([false, 0n]);
      // A node that never had a leaf weighed nothing at any epoch.
      expect(await tree.weightAt(C, 10)).to.deep.equal([true, 0n]);
    });

    it("are lost even after a quiet gap once the tree changes two epochs later", async function () {
      const { tree } = await loadFixture(deploySnapshotSumTreeFixture);
      await tree.set(A, 5n, 10);
      await tree.set(A, 9n, 15);
      expect(await tree.totalAt(14)).to.deep.equal([true, 5n]);
      expect(await tree.totalAt(13)).to.deep.equal([false, 0n]); // true value 5, but not kept
    });
  });
});
