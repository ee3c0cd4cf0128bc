/**
 * Threat 5 of docs/THREATS.md, the draw's bound: when drawn nodes cannot serve (here: their
 * collateral is locked), `StakeManager._select` passes over at most MAX_SKIPS of them and then
 * gives up, even though an eligible node is still in the tree. The protection is the loop bound
 * of contracts/StakeManager.sol line 300
 * (`for (uint256 round = 0; filled < seats && skips <= MAX_SKIPS; ++round) {`), which with line 303
 * (`_canServe`) caps a draw at `seats + MAX_SKIPS` rounds. Remove `skips <= MAX_SKIPS` and the draw
 * keeps going until it reaches the free node: the first test then gets that node instead of an
 * empty list and fails (checked by swapping in a StakeManager compiled without it). The second
 * test pins the boundary: it fails if the bound were tightened to `skips < MAX_SKIPS`.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { GlassboxToken__factory, ProtocolStub__factory, StakeManager__factory } from "../../typechain-types";
import { Role, TOKEN } from "../fixtures/protocol";

const COLLATERAL = 20n * TOKEN;

/**
 * A StakeManager with MAX_SKIPS + 2 executors of equal stake (100, the minimum): the first
 * MAX_SKIPS + 1 have all of it locked (by one drawAndLock that excludes the free node and fills
 * every other seat), the last is free. The StakeManager is wired to a ProtocolStub as its hub and
 * to `admin` as its dispute manager, so `admin` may draw and lock. A seed's draw order is read from the
 * `draw` view with no collateral (every node can serve there); `drawAndLock` with COLLATERAL
 * draws the same leaves in the same order and skips the locked ones.
 */
async function maxSkipsFixture() {
  const [admin, ...signers] = await ethers.getSigners();
  const token = await new GlassboxToken__factory(admin).deploy(admin.address);
  const stakes = await new StakeManager__factory(admin).deploy(token, admin.address, 100n * TOKEN, 100n * TOKEN, 3600, 3600);
  await stakes.wire(await new ProtocolStub__factory(admin).deploy(), admin.address);
  const maxSkips = Number(await stakes.MAX_SKIPS());
  const nodes = signers.slice(0, maxSkips + 2);
  for (const n of nodes) {
    await token.mint(n.address, 100n * TOKEN);
    await token.connect(n).approve(stakes, ethers.MaxUint256);
    await stakes.connect(n).stake(Role.EXECUTOR, 100n * TOKEN);
  }
  const locked = nodes.slice(0, maxSkips + 1);
  const free = nodes[maxSkips + 1];
  const lockSeed = ethers.id("max-skips-lock");
  const drawn = await stakes.drawAndLock.staticCall(Role.EXECUTOR, lockSeed, locked.length, [free.address], 100n * TOKEN);
  expect([...drawn].sort()).to.deep.equal(locked.map((n) => n.address).sort());
  await stakes.drawAndLock(Role.EXECUTOR, lockSeed, locked.length, [free.address], 100n * TOKEN);
  for (const n of locked) expect((await stakes.accountOf(n.address, Role.EXECUTOR)).locked).to.equal(100n * TOKEN);

  /** The first seed whose full draw order puts the free node at `position` (0-based). */
  async function seedPlacingFreeAt(position: number): Promise<string> {
    for (let i = 0; i < 2000; i++) {
      const seed = ethers.id(`max-skips-${i}`);
      const order = await stakes.draw(Role.EXECUTOR, seed, nodes.length, []);
      if (order.indexOf(free.address) === position) return seed;
    }
    throw new Error(`no seed puts the free node at position ${position}`);
  }
  return { stakes, maxSkips, nodes, locked, free, seedPlacingFreeAt };
}

describe("Unbounded loops and dust jobs (griefing)", function () {
  it("gives up after MAX_SKIPS + 1 nodes that cannot serve, although a free node is still in the tree", async function () {
    const { stakes, maxSkips, free, seedPlacingFreeAt } = await loadFixture(maxSkipsFixture);
    // The free node is drawn only after every locked node: MAX_SKIPS + 1 skips come first.
    const seed = await seedPlacingFreeAt(maxSkips + 1);
    expect(await stakes.isEligible(free.address, Role.EXECUTOR)).to.equal(true);
    expect(await stakes.drawAndLock.staticCall(Role.EXECUTOR, seed, 1, [], COLLATERAL)).to.deep.equal([]);
    // Nothing was locked by the failed draw.
    await stakes.drawAndLock(Role.EXECUTOR, seed, 1, [], COLLATERAL);
    expect((await stakes.accountOf(free.address, Role.EXECUTOR)).locked).to.equal(0n);
  });

  it("still finds the free node after exactly MAX_SKIPS skips", async function () {
    const { stakes, maxSkips, free, seedPlacingFreeAt } = await loadFixture(maxSkipsFixture);
    const seed = await seedPlacingFreeAt(maxSkips);
    expect(await stakes.drawAndLock.staticCall(Role.EXECUTOR, seed, 1, [], COLLATERAL)).to.deep.equal([free.address]);
    await expect(stakes.drawAndLock(Role.EXECUTOR, seed, 1, [], COLLATERAL))
      .to.emit(stakes, "StakeLocked")
      .withArgs(free.address, Role.EXECUTOR, COLLATERAL);
  });
});
