import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { FeeSplitHarness__factory } from "../../packages/node/src/typechain";

const BPS = 10_000n;
const FEE_MAX = 2n ** 96n - 1n;
const SEED = 42;

async function deployFeeSplitFixture() {
  const [deployer] = await ethers.getSigners();
  const harness = await new FeeSplitHarness__factory(deployer).deploy();
  return { harness };
}

/** Three basis-point shares that sum to at most 10,000, in every order. */
const sharesArb = fc
  .integer({ min: 0, max: 10_000 })
  .chain((a) => fc.integer({ min: 0, max: 10_000 - a }).chain((b) => fc.integer({ min: 0, max: 10_000 - a - b }).map((c) => [a, b, c])))
  .chain((shares) => fc.shuffledSubarray(shares, { minLength: 3, maxLength: 3 }))
  .map(([verifierBps, modelOwnerBps, treasuryBps]) => ({ verifierBps, modelOwnerBps, treasuryBps }));

/** Fees below 2^96, biased toward the edges (0, 1, small, 2^96 - 1). */
const feeArb = fc.oneof(
  fc.bigInt({ min: 0n, max: FEE_MAX }),
  fc.constantFrom(0n, 1n, 9_999n, 10_001n, FEE_MAX),
  fc.bigInt({ min: 0n, max: 100_000n }),
);

describe("FeeSplit", function () {
  describe("split", function () {
    it("the four parts always add up to the fee exactly (property)", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      await fc.assert(
        fc.asyncProperty(feeArb, sharesArb, async (fee, s) => {
          const parts = await harness.split(fee, s.verifierBps, s.modelOwnerBps, s.treasuryBps);
          expect(parts.executor + parts.verifiers + parts.modelOwner + parts.treasury).to.equal(fee);
          expect(parts.verifiers).to.equal((fee * BigInt(s.verifierBps)) / BPS);
          expect(parts.modelOwner).to.equal((fee * BigInt(s.modelOwnerBps)) / BPS);
          expect(parts.treasury).to.equal((fee * BigInt(s.treasuryBps)) / BPS);
          // The executor keeps its own share plus the rounding dust, which is at most 3 units (four fractional parts summing to an integer below 4).
          const executorShare = (fee * (BPS - BigInt(s.verifierBps + s.modelOwnerBps + s.treasuryBps))) / BPS;
          expect(parts.executor >= executorShare && parts.executor - executorShare <= 3n).to.equal(true);
        }),
        { seed: SEED, numRuns: 300 },
      );
    });

    it("gives the executor everything when the other shares are zero", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      const parts = await harness.split(FEE_MAX, 0, 0, 0);
      expect(parts.executor).to.equal(FEE_MAX);
      expect(parts.verifiers + parts.modelOwner + parts.treasury).to.equal(0n);
    });

    it("gives the executor only the rounding dust when the other shares take 100%", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      const parts = await harness.split(10n, 3333, 3333, 3334);
      expect([parts.executor, parts.verifiers, parts.modelOwner, parts.treasury]).to.deep.equal([1n, 3n, 3n, 3n]);
    });

    it("reverts (arithmetic underflow) when the shares exceed 100%", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      await expect(harness.split(10_000n, 5000, 5000, 1)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("equalShares", function () {
    it("each * count + remainder == amount with remainder < count (property)", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      const amountArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 0n, max: 1000n }));
      const countArb = fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 1n, max: 40n }));
      await fc.assert(
        fc.asyncProperty(amountArb, countArb, async (amount, count) => {
          const [each, remainder] = await harness.equalShares(amount, count);
          expect(each * count + remainder).to.equal(amount);
          expect(remainder < count).to.equal(true);
          expect(each).to.equal(amount / count);
        }),
        { seed: SEED, numRuns: 300 },
      );
    });

    it("returns the whole amount as remainder when there is nobody to share with", async function () {
      const { harness } = await loadFixture(deployFeeSplitFixture);
      const [each, remainder] = await harness.equalShares(12345n, 0n);
      expect(each).to.equal(0n);
      expect(remainder).to.equal(12345n);
    });
  });
});
