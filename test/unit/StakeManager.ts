import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";
import { ProtocolStub__factory, StakeManager__factory, type GlassboxToken, type StakeManager } from "../../packages/node/src/typechain";
import { DEVNET_PARAMS, type ProtocolParams } from "../../deploy/protocol";
import { deployWorld, nextEpoch, Role, TOKEN } from "../fixtures/protocol";
import { signPermit } from "../fixtures/permit";

const HOUR = 3600;
const DAY = 24 * HOUR;
const MIN_STAKE = 100n * TOKEN;
const UNBONDING = 7 * DAY;
const MIN_UNBONDING = HOUR;
const MAX_UNBONDING = 365 * DAY;
const MAX_MIN_STAKE = 10n ** 27n;

/**
 * DEVNET parameters with a two-day challenge window, so that the JobRegistry's longest slashable
 * window (execution + challenge + the dispute's commit and reveal) is well above MIN_UNBONDING.
 */
const PARAMS: ProtocolParams = { ...DEVNET_PARAMS, jobs: { ...DEVNET_PARAMS.jobs, challengeWindow: 2 * DAY } };
const LONGEST_WINDOW = 600 + 2 * DAY + 600 + 600;

/**
 * The executors' model pool the tests read: the fixture opts every node in to it (the StakeManager
 * does not check models, so no registry entry is needed). Verifiers have one pool: their model
 * argument is ignored, and the tests pass 0.
 */
const MODEL = 1n;
const MAX_MODELS_PER_EXECUTOR = 8;

/** The pool argument of `weightOf`, `totalWeight` and `drawSeats` for `role`: MODEL, or 0 for verifiers. */
function poolOf(role: number): bigint {
  return role === Role.EXECUTOR ? MODEL : 0n;
}

/**
 * The whole protocol with nobody staked (its StakeManager, wired to the JobRegistry and the
 * DisputeManager, is `deployedStakes`), plus the StakeManager under test, `stakes`: governed and
 * deployed by the admin, wired to a ProtocolStub `source` (a pass-through: `viaHub` calls the
 * StakeManager through it) and to the test signer `protocol` as its dispute manager, so that signer may lock seats,
 * unlock and slash. Also a bare StakeManager (unwired, one-hour unbonding). No node has opted in to
 * any model.
 */
async function deployNoOptInFixture() {
  const world = await deployWorld({ executors: 0, verifiers: 0, params: PARAMS });
  const [protocol, recipient, outsider, ...nodes] = world.others;
  const factory = new StakeManager__factory(world.admin);
  const source = await new ProtocolStub__factory(world.admin).deploy();
  const stakes = await factory.deploy(world.token, world.admin.address, MIN_STAKE, MIN_STAKE, UNBONDING, 3600);
  await source.setForwardTo(stakes);
  await stakes.wire(source, protocol.address);
  const viaHub = StakeManager__factory.connect(await source.getAddress(), world.admin);
  for (const s of world.others) await world.token.connect(s).approve(stakes, ethers.MaxUint256);
  const bare = await factory.deploy(world.token, world.admin.address, MIN_STAKE, MIN_STAKE, MIN_UNBONDING, 3600);
  return { ...world, deployedStakes: world.stakes, stakes, source, viaHub, protocol, recipient, outsider, nodes, bare };
}

/**
 * The same, with every node opted in to MODEL on `stakes` and on `deployedStakes` before staking
 * anything (an opt-in with no stake writes no weight): an executor's stake then weighs in MODEL's
 * pool exactly as it did in the single executor pool before executors opted in per model.
 */
async function deployStakeManagerFixture() {
  const f = await deployNoOptInFixture();
  for (const node of f.nodes) {
    await f.stakes.connect(node).optIn(MODEL);
    await f.deployedStakes.connect(node).optIn(MODEL);
  }
  return f;
}

type Fixture = Awaited<ReturnType<typeof deployStakeManagerFixture>>;

async function stakeAll(stakes: StakeManager, nodes: HardhatEthersSigner[], amounts: bigint[], role: number = Role.EXECUTOR) {
  for (let i = 0; i < amounts.length; i++) await stakes.connect(nodes[i]).stake(role, amounts[i]);
}

/**
 * Locks `amount` of `node`'s stake the way the protocol does, with a `lockSeat` by the wired
 * `protocol` signer (it holds the dispute manager's place); asserts the lock was taken.
 */
async function lockStake(f: Fixture, node: HardhatEthersSigner, amount: bigint, role: number = Role.EXECUTOR) {
  const before = (await f.stakes.accountOf(node.address, role)).locked;
  expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, role, amount), "lockStake: lockSeat accepts the node").to.equal(true);
  await f.stakes.connect(f.protocol).lockSeat(node.address, role, amount);
  expect((await f.stakes.accountOf(node.address, role)).locked, "lockStake locks exactly the amount").to.equal(before + amount);
}

/**
 * The executor seats `stakes` draws for `model` from the snapshot of `epoch` (by default the
 * current one), which must answer.
 */
async function executorSeats(stakes: StakeManager, model: bigint, randomness: string, seats: number, epoch?: bigint): Promise<string[]> {
  const [ok, holders] = await stakes.drawSeats(Role.EXECUTOR, model, epoch ?? (await stakes.currentEpoch()), randomness, seats, []);
  expect(ok, "the snapshot answers").to.equal(true);
  return [...holders];
}

/** Deterministic seeds for draws. */
function seed(i: number): string {
  return ethers.id(`glassbox-draw-${i}`);
}

async function account(stakes: StakeManager, node: HardhatEthersSigner, role: number = Role.EXECUTOR) {
  const a = await stakes.accountOf(node.address, role);
  return { active: a.active, locked: a.locked, jailed: a.jailed, unbonding: a.unbonding, releaseAt: a.releaseAt };
}

/** Every token the stake manager holds is someone's active or unbonding stake. */
async function expectSolvent(f: Fixture, token: GlassboxToken = f.token) {
  let sum = 0n;
  for (const node of f.nodes) {
    for (const role of [Role.EXECUTOR, Role.VERIFIER]) {
      const a = await f.stakes.accountOf(node.address, role);
      sum += a.active + a.unbonding;
    }
  }
  const total = await f.stakes.totalStaked();
  expect(total).to.equal(sum);
  expect(await token.balanceOf(f.stakes)).to.equal(total);
}

describe("StakeManager", function () {
  describe("stake", function () {
    it("adds to active stake, totalStaked and the draw weight, and pulls the tokens", async function () {
      const { stakes, token, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      const tx = stakes.connect(node).stake(Role.EXECUTOR, 150n * TOKEN);
      await expect(tx)
        .to.emit(stakes, "Staked")
        .withArgs(node.address, Role.EXECUTOR, 150n * TOKEN, 150n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [node, stakes], [-150n * TOKEN, 150n * TOKEN]);
      await expect(stakes.connect(node).stake(Role.EXECUTOR, 50n * TOKEN))
        .to.emit(stakes, "Staked")
        .withArgs(node.address, Role.EXECUTOR, 50n * TOKEN, 200n * TOKEN);
      expect((await account(stakes, node)).active).to.equal(200n * TOKEN);
      expect(await stakes.totalStaked()).to.equal(200n * TOKEN);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(200n * TOKEN);
      expect(await stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(200n * TOKEN);
    });

    it("keeps each role's account and weight separate", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 100n * TOKEN);
      await stakes.connect(node).stake(Role.VERIFIER, 300n * TOKEN);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(100n * TOKEN);
      expect(await stakes.weightOf(node.address, Role.VERIFIER, 0n)).to.equal(300n * TOKEN);
      expect(await stakes.totalWeight(Role.VERIFIER, 0n)).to.equal(300n * TOKEN);
      expect(await stakes.totalStaked()).to.equal(400n * TOKEN);
    });

    it("reverts when the amount is zero", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.connect(nodes[0]).stake(Role.EXECUTOR, 0n)).to.be.revertedWithCustomError(stakes, "InvalidAmount").withArgs(0n);
    });

    it("reverts with InvalidAmount when the amount does not fit 96 bits", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const tooBig = 2n ** 96n;
      await expect(stakes.connect(nodes[0]).stake(Role.EXECUTOR, tooBig))
        .to.be.revertedWithCustomError(stakes, "InvalidAmount")
        .withArgs(tooBig);
    });

    it("reverts when the stake manager may not pull the tokens", async function () {
      const { stakes, token, nodes } = await loadFixture(deployStakeManagerFixture);
      await token.connect(nodes[0]).approve(stakes, 0n);
      await expect(stakes.connect(nodes[0]).stake(Role.EXECUTOR, TOKEN))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await stakes.getAddress(), 0n, TOKEN);
    });
  });

  describe("stakeWithPermit", function () {
    async function permitFor(f: Fixture, node: HardhatEthersSigner, amount: bigint, deadline: bigint) {
      return signPermit(f.token, node, await f.stakes.getAddress(), amount, deadline);
    }

    it("stakes with a signed EIP-2612 permit and no prior approval", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.token.connect(node).approve(f.stakes, 0n);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFor(f, node, 120n * TOKEN, deadline);
      const tx = f.stakes.connect(node).stakeWithPermit(Role.VERIFIER, 120n * TOKEN, deadline, sig.v, sig.r, sig.s);
      await expect(tx)
        .to.emit(f.stakes, "Staked")
        .withArgs(node.address, Role.VERIFIER, 120n * TOKEN, 120n * TOKEN);
      await expect(tx).to.changeTokenBalances(f.token, [node, f.stakes], [-120n * TOKEN, 120n * TOKEN]);
      expect(await f.token.nonces(node.address)).to.equal(1n);
      expect(await f.token.allowance(node.address, f.stakes)).to.equal(0n);
      expect(await f.stakes.weightOf(node.address, Role.VERIFIER, 0n)).to.equal(120n * TOKEN);
    });

    it("still stakes when someone else submitted the permit first", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.token.connect(node).approve(f.stakes, 0n);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFor(f, node, 100n * TOKEN, deadline);
      await f.token.connect(f.outsider).permit(node.address, f.stakes, 100n * TOKEN, deadline, sig.v, sig.r, sig.s);
      await expect(f.stakes.connect(node).stakeWithPermit(Role.EXECUTOR, 100n * TOKEN, deadline, sig.v, sig.r, sig.s))
        .to.emit(f.stakes, "Staked")
        .withArgs(node.address, Role.EXECUTOR, 100n * TOKEN, 100n * TOKEN);
    });

    it("reverts when the permit is invalid and there is no allowance", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node, forger] = f.nodes;
      await f.token.connect(node).approve(f.stakes, 0n);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFor(f, forger, 100n * TOKEN, deadline);
      await expect(f.stakes.connect(node).stakeWithPermit(Role.EXECUTOR, 100n * TOKEN, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(await f.stakes.getAddress(), 0n, 100n * TOKEN);
    });
  });

  describe("requestUnstake", function () {
    it("moves stake from active to unbonding until now + the unbonding period", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(stakes.connect(node).requestUnstake(Role.EXECUTOR, 60n * TOKEN))
        .to.emit(stakes, "UnstakeRequested")
        .withArgs(node.address, Role.EXECUTOR, 60n * TOKEN, BigInt(at + UNBONDING));
      expect(await account(stakes, node)).to.deep.equal({
        active: 140n * TOKEN,
        locked: 0n,
        jailed: false,
        unbonding: 60n * TOKEN,
        releaseAt: BigInt(at + UNBONDING),
      });
      expect(await stakes.totalStaked()).to.equal(200n * TOKEN);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(140n * TOKEN);
    });

    it("keeps the release time of stake already unbonding: a second request joins a later tranche (issue 10, finding 10)", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      const firstRelease = BigInt((await time.latest()) + UNBONDING);
      const later = (await time.latest()) + DAY;
      await time.setNextBlockTimestamp(later);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      const a = await account(stakes, node);
      expect(a.unbonding).to.equal(30n * TOKEN);
      // Before the fix the second request moved the first one's release to later + UNBONDING.
      expect(a.releaseAt).to.equal(firstRelease);
      const tranche = await stakes.laterTrancheOf(node.address, Role.EXECUTOR);
      expect(tranche.amount).to.equal(20n * TOKEN);
      expect(tranche.releaseAt).to.equal(BigInt(later + UNBONDING));
    });

    it("re-times only the later tranche on a third request", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      const firstRelease = BigInt((await time.latest()) + UNBONDING);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      const third = (await time.latest()) + DAY;
      await time.setNextBlockTimestamp(third);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 5n * TOKEN);
      expect((await account(stakes, node)).releaseAt).to.equal(firstRelease);
      const tranche = await stakes.laterTrancheOf(node.address, Role.EXECUTOR);
      expect(tranche.amount).to.equal(25n * TOKEN);
      expect(tranche.releaseAt).to.equal(BigInt(third + UNBONDING));
    });

    it("reverts when the amount is zero", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      await stakes.connect(nodes[0]).stake(Role.EXECUTOR, 200n * TOKEN);
      await expect(stakes.connect(nodes[0]).requestUnstake(Role.EXECUTOR, 0n))
        .to.be.revertedWithCustomError(stakes, "InvalidAmount")
        .withArgs(0n);
    });

    it("reverts when the amount exceeds the active stake not locked by jobs", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const { stakes, nodes } = f;
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 150n * TOKEN);
      await expect(stakes.connect(node).requestUnstake(Role.EXECUTOR, 60n * TOKEN))
        .to.be.revertedWithCustomError(stakes, "InsufficientFreeStake")
        .withArgs(60n * TOKEN, 50n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 50n * TOKEN);
      expect((await account(stakes, node)).active).to.equal(150n * TOKEN);
    });

    it("reverts when the node has no stake in the role", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      await stakes.connect(nodes[0]).stake(Role.VERIFIER, 200n * TOKEN);
      await expect(stakes.connect(nodes[0]).requestUnstake(Role.EXECUTOR, 1n))
        .to.be.revertedWithCustomError(stakes, "InsufficientFreeStake")
        .withArgs(1n, 0n);
    });
  });

  describe("withdraw", function () {
    it("pays the earlier tranche when it is due and keeps the later one unbonding, which becomes the earlier", async function () {
      const { stakes, token, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      const firstRelease = (await time.latest()) + UNBONDING;
      await time.setNextBlockTimestamp(firstRelease - 100);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      const secondRelease = firstRelease - 100 + UNBONDING;
      await time.setNextBlockTimestamp(firstRelease);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR)).to.changeTokenBalance(token, node, 10n * TOKEN);
      const a = await account(stakes, node);
      expect(a.unbonding).to.equal(20n * TOKEN);
      expect(a.releaseAt).to.equal(BigInt(secondRelease));
      expect((await stakes.laterTrancheOf(node.address, Role.EXECUTOR)).amount).to.equal(0n);
      await time.setNextBlockTimestamp(firstRelease + 1);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR))
        .to.be.revertedWithCustomError(stakes, "StillUnbonding")
        .withArgs(secondRelease, firstRelease + 1);
      await time.setNextBlockTimestamp(secondRelease);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR)).to.changeTokenBalance(token, node, 20n * TOKEN);
    });

    it("pays both tranches at once when both are due", async function () {
      const { stakes, token, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      await time.increase(UNBONDING + 10);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR)).to.changeTokenBalance(token, node, 30n * TOKEN);
      expect((await account(stakes, node)).unbonding).to.equal(0n);
    });

    it("reverts when there is nothing to withdraw", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      await stakes.connect(nodes[0]).stake(Role.EXECUTOR, 200n * TOKEN);
      await expect(stakes.connect(nodes[0]).withdraw(Role.EXECUTOR)).to.be.revertedWithCustomError(stakes, "NothingToWithdraw");
    });

    it("reverts while the stake is still unbonding", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 50n * TOKEN);
      const { releaseAt } = await account(stakes, node);
      await time.setNextBlockTimestamp(releaseAt - 1n);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR))
        .to.be.revertedWithCustomError(stakes, "StillUnbonding")
        .withArgs(releaseAt, releaseAt - 1n);
    });

    it("pays out all unbonding stake once the unbonding period has passed", async function () {
      const { stakes, token, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 50n * TOKEN);
      const { releaseAt } = await account(stakes, node);
      await time.setNextBlockTimestamp(releaseAt);
      const tx = stakes.connect(node).withdraw(Role.EXECUTOR);
      await expect(tx)
        .to.emit(stakes, "Withdrawn")
        .withArgs(node.address, Role.EXECUTOR, 50n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [node, stakes], [50n * TOKEN, -50n * TOKEN]);
      const a = await account(stakes, node);
      expect([a.active, a.unbonding]).to.deep.equal([150n * TOKEN, 0n]);
      expect(await stakes.totalStaked()).to.equal(150n * TOKEN);
      await expect(stakes.connect(node).withdraw(Role.EXECUTOR)).to.be.revertedWithCustomError(stakes, "NothingToWithdraw");
    });
  });

  describe("poke", function () {
    it("recomputes a node's weight after the minimum stake changes", async function () {
      const { stakes, nodes, outsider } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 150n * TOKEN);
      await stakes.setMinStake(Role.EXECUTOR, 200n * TOKEN);
      expect(await stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(false);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(150n * TOKEN);
      await stakes.connect(outsider).poke(node.address, Role.EXECUTOR);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(0n);
      expect(await stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(0n);
      await stakes.setMinStake(Role.EXECUTOR, 150n * TOKEN);
      await stakes.connect(outsider).poke(node.address, Role.EXECUTOR);
      expect(await stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(150n * TOKEN);
      expect(await stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(true);
    });
  });

  describe("unlock", function () {
    it("releases locked collateral", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const { stakes, nodes, protocol } = f;
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 80n * TOKEN);
      await expect(stakes.connect(protocol).unlock(node.address, Role.EXECUTOR, 30n * TOKEN))
        .to.emit(stakes, "StakeUnlocked")
        .withArgs(node.address, Role.EXECUTOR, 30n * TOKEN);
      expect((await account(stakes, node)).locked).to.equal(50n * TOKEN);
    });

    it("releases the whole lock after a plain slash, which never shrinks it", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const { stakes, nodes, protocol, recipient } = f;
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 150n * TOKEN);
      // Only the 50 free tokens can be slashed; the lock stays whole.
      await expect(stakes.connect(protocol).slash(node.address, Role.EXECUTOR, 100n * TOKEN, recipient.address))
        .to.emit(stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 50n * TOKEN, 0n, recipient.address);
      expect((await account(stakes, node)).locked).to.equal(150n * TOKEN);
      await expect(stakes.connect(protocol).unlock(node.address, Role.EXECUTOR, 150n * TOKEN))
        .to.emit(stakes, "StakeUnlocked")
        .withArgs(node.address, Role.EXECUTOR, 150n * TOKEN);
      expect((await account(stakes, node)).locked).to.equal(0n);
    });

    it("reverts with LockUnderflow when more than the locked collateral is released", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const { stakes, nodes, protocol } = f;
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 80n * TOKEN);
      await expect(stakes.connect(protocol).unlock(node.address, Role.EXECUTOR, 80n * TOKEN + 1n))
        .to.be.revertedWithCustomError(stakes, "LockUnderflow")
        .withArgs(80n * TOKEN, 80n * TOKEN + 1n);
      expect((await account(stakes, node)).locked).to.equal(80n * TOKEN);
    });

    it("reverts when the caller is neither wired protocol contract", async function () {
      const { stakes, nodes, outsider } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.connect(outsider).unlock(nodes[0].address, Role.EXECUTOR, 1n))
        .to.be.revertedWithCustomError(stakes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });
  });

  describe("slash", function () {
    it("takes unbonding stake from the later tranche first", async function () {
      const { stakes, protocol, recipient, nodes } = await loadFixture(deployStakeManagerFixture);
      const [node] = nodes;
      await stakes.connect(node).stake(Role.EXECUTOR, 130n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      await stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      // 100 active + 15 of the later tranche.
      await stakes.connect(protocol).slash(node.address, Role.EXECUTOR, 115n * TOKEN, recipient.address);
      expect((await account(stakes, node)).unbonding).to.equal(15n * TOKEN);
      expect((await stakes.laterTrancheOf(node.address, Role.EXECUTOR)).amount).to.equal(5n * TOKEN);
    });

    it("takes active stake first and sends it to the recipient", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 50n * TOKEN);
      expect(await f.stakes.connect(f.protocol).slash.staticCall(node.address, Role.EXECUTOR, 40n * TOKEN, f.recipient.address)).to.equal(
        40n * TOKEN,
      );
      const tx = f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 40n * TOKEN, f.recipient.address);
      await expect(tx)
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 40n * TOKEN, 0n, f.recipient.address);
      await expect(tx).to.changeTokenBalances(f.token, [f.recipient, f.stakes], [40n * TOKEN, -40n * TOKEN]);
      const a = await account(f.stakes, node);
      expect([a.active, a.unbonding, a.jailed]).to.deep.equal([110n * TOKEN, 50n * TOKEN, false]);
      expect(await f.stakes.totalStaked()).to.equal(160n * TOKEN);
      await expectSolvent(f);
    });

    it("reaches unbonding stake once the active stake is gone", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 150n * TOKEN);
      const tx = f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 120n * TOKEN, f.recipient.address);
      await expect(tx)
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 120n * TOKEN, 70n * TOKEN, f.recipient.address);
      await expect(tx).to.changeTokenBalance(f.token, f.recipient, 120n * TOKEN);
      const a = await account(f.stakes, node);
      expect([a.active, a.unbonding]).to.deep.equal([0n, 80n * TOKEN]);
      await expectSolvent(f);
    });

    it("reaches unbonding stake even after its release time, until it is withdrawn", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 100n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 100n * TOKEN);
      await time.increase(UNBONDING + 1);
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 30n * TOKEN, f.recipient.address))
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 30n * TOKEN, 30n * TOKEN, f.recipient.address);
      await expect(f.stakes.connect(node).withdraw(Role.EXECUTOR))
        .to.emit(f.stakes, "Withdrawn")
        .withArgs(node.address, Role.EXECUTOR, 70n * TOKEN);
      await expectSolvent(f);
    });

    it("takes no more than the node has and returns what it took", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 20n * TOKEN);
      expect(await f.stakes.connect(f.protocol).slash.staticCall(node.address, Role.EXECUTOR, 1000n * TOKEN, f.recipient.address)).to.equal(
        200n * TOKEN,
      );
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 1000n * TOKEN, f.recipient.address))
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 200n * TOKEN, 20n * TOKEN, f.recipient.address);
      const a = await account(f.stakes, node);
      expect([a.active, a.unbonding]).to.deep.equal([0n, 0n]);
      expect(await f.stakes.totalStaked()).to.equal(0n);
      await expectSolvent(f);
    });

    it("never reaches locked stake: takes free active stake, then unbonding stake, and no more", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 180n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 10n * TOKEN);
      expect(await f.stakes.connect(f.protocol).slash.staticCall(node.address, Role.EXECUTOR, 50n * TOKEN, f.recipient.address)).to.equal(
        20n * TOKEN,
      );
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 50n * TOKEN, f.recipient.address))
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 20n * TOKEN, 10n * TOKEN, f.recipient.address);
      const a = await account(f.stakes, node);
      expect([a.active, a.locked, a.unbonding]).to.deep.equal([180n * TOKEN, 180n * TOKEN, 0n]);
      await expectSolvent(f);
    });

    it("jails a node left below the minimum, once, and removes its weight", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node, other] = f.nodes;
      await stakeAll(f.stakes, [node, other], [150n * TOKEN, 100n * TOKEN]);
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 60n * TOKEN, f.recipient.address))
        .to.emit(f.stakes, "NodeJailed")
        .withArgs(node.address, Role.EXECUTOR);
      expect((await account(f.stakes, node)).jailed).to.equal(true);
      expect(await f.stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(false);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(0n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(100n * TOKEN);
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 10n * TOKEN, f.recipient.address)).to.not.emit(
        f.stakes,
        "NodeJailed",
      );
    });

    it("does not jail a node that stays at or above the minimum", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 150n * TOKEN);
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 50n * TOKEN, f.recipient.address)).to.not.emit(
        f.stakes,
        "NodeJailed",
      );
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(100n * TOKEN);
    });

    it("reverts when the caller is neither wired protocol contract", async function () {
      const { stakes, nodes, outsider } = await loadFixture(deployStakeManagerFixture);
      await stakes.connect(nodes[0]).stake(Role.EXECUTOR, 200n * TOKEN);
      await expect(stakes.connect(outsider).slash(nodes[0].address, Role.EXECUTOR, 1n, outsider.address))
        .to.be.revertedWithCustomError(stakes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });
  });

  describe("slashLocked", function () {
    it("takes locked collateral: the lock and the stake shrink by the same amount, sent to the recipient", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 80n * TOKEN);
      expect(
        await f.stakes.connect(f.protocol).slashLocked.staticCall(node.address, Role.EXECUTOR, 30n * TOKEN, f.recipient.address),
      ).to.equal(30n * TOKEN);
      const tx = f.stakes.connect(f.protocol).slashLocked(node.address, Role.EXECUTOR, 30n * TOKEN, f.recipient.address);
      await expect(tx)
        .to.emit(f.stakes, "NodeSlashed")
        .withArgs(node.address, Role.EXECUTOR, 30n * TOKEN, 0n, f.recipient.address);
      await expect(tx).to.changeTokenBalances(f.token, [f.recipient, f.stakes], [30n * TOKEN, -30n * TOKEN]);
      const a = await account(f.stakes, node);
      expect([a.active, a.locked, a.jailed]).to.deep.equal([170n * TOKEN, 50n * TOKEN, false]);
      expect(await f.stakes.totalStaked()).to.equal(170n * TOKEN);
      await expectSolvent(f);
    });

    it("reverts with LockUnderflow when more than the locked collateral is slashed", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 80n * TOKEN);
      await expect(f.stakes.connect(f.protocol).slashLocked(node.address, Role.EXECUTOR, 81n * TOKEN, f.recipient.address))
        .to.be.revertedWithCustomError(f.stakes, "LockUnderflow")
        .withArgs(80n * TOKEN, 81n * TOKEN);
    });

    it("jails a node left below the minimum for one unbonding period", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 120n * TOKEN);
      await lockStake(f, node, 50n * TOKEN);
      const tx = await f.stakes.connect(f.protocol).slashLocked(node.address, Role.EXECUTOR, 50n * TOKEN, f.recipient.address);
      await expect(tx).to.emit(f.stakes, "NodeJailed").withArgs(node.address, Role.EXECUTOR);
      const ts = (await tx.getBlock())!.timestamp;
      const a = await f.stakes.accountOf(node.address, Role.EXECUTOR);
      expect([a.active, a.locked, a.jailed, a.jailedUntil]).to.deep.equal([70n * TOKEN, 0n, true, BigInt(ts + UNBONDING)]);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(0n);
    });

    it("reverts when the caller is neither wired protocol contract", async function () {
      const { stakes, nodes, outsider } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.connect(outsider).slashLocked(nodes[0].address, Role.EXECUTOR, 1n, outsider.address))
        .to.be.revertedWithCustomError(stakes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });
  });

  describe("jailing", function () {
    it("topping up to the minimum no longer unjails: only unjail, after the jail term, does", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 120n * TOKEN);
      const slashTx = await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 40n * TOKEN, f.recipient.address);
      const jailedUntil = BigInt((await slashTx.getBlock())!.timestamp + UNBONDING);
      expect((await f.stakes.accountOf(node.address, Role.EXECUTOR)).jailedUntil).to.equal(jailedUntil);
      await expect(f.stakes.connect(node).stake(Role.EXECUTOR, 10n * TOKEN)).to.not.emit(f.stakes, "NodeUnjailed");
      await expect(f.stakes.connect(node).stake(Role.EXECUTOR, 10n * TOKEN)).to.not.emit(f.stakes, "NodeUnjailed");
      // Back at the minimum, and still jailed: no weight, not drawable.
      expect((await account(f.stakes, node)).active).to.equal(100n * TOKEN);
      expect((await account(f.stakes, node)).jailed).to.equal(true);
      expect(await f.stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(false);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(0n);
      await expect(f.stakes.connect(node).unjail(Role.EXECUTOR))
        .to.be.revertedWithCustomError(f.stakes, "StillJailed")
        .withArgs(jailedUntil, 100n * TOKEN, MIN_STAKE);
      await time.setNextBlockTimestamp(jailedUntil);
      await expect(f.stakes.connect(node).unjail(Role.EXECUTOR))
        .to.emit(f.stakes, "NodeUnjailed")
        .withArgs(node.address, Role.EXECUTOR);
      expect((await account(f.stakes, node)).jailed).to.equal(false);
      expect(await f.stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(true);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(100n * TOKEN);
    });

    it("unjail reverts after the term while the stake is below the minimum, and for a node that is not jailed", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node, free] = f.nodes;
      await stakeAll(f.stakes, [node, free], [120n * TOKEN, 150n * TOKEN]);
      const slashTx = await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 40n * TOKEN, f.recipient.address);
      const jailedUntil = BigInt((await slashTx.getBlock())!.timestamp + UNBONDING);
      await time.increaseTo(jailedUntil + 1n);
      await expect(f.stakes.connect(node).unjail(Role.EXECUTOR))
        .to.be.revertedWithCustomError(f.stakes, "StillJailed")
        .withArgs(jailedUntil, 80n * TOKEN, MIN_STAKE);
      await expect(f.stakes.connect(free).unjail(Role.EXECUTOR))
        .to.be.revertedWithCustomError(f.stakes, "StillJailed")
        .withArgs(0n, 150n * TOKEN, MIN_STAKE);
    });
  });

  describe("issue 10 finding 8: a slash never takes another job's collateral", function () {
    it("slash before unlock keeps the other job's collateral locked, and a second release reverts LockUnderflow", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 90n * TOKEN); // job A
      await lockStake(f, node, 90n * TOKEN); // job B
      expect((await account(f.stakes, node)).locked).to.equal(180n * TOKEN);
      // A plain slash (a voter's, say) reaches only the 20 free tokens: both jobs' collateral stays.
      await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 50n * TOKEN, f.recipient.address);
      expect(await account(f.stakes, node)).to.include({ active: 180n * TOKEN, locked: 180n * TOKEN });
      // Job A is slashed before anything is unlocked: only its own collateral goes.
      await f.stakes.connect(f.protocol).slashLocked(node.address, Role.EXECUTOR, 90n * TOKEN, f.recipient.address);
      expect(await account(f.stakes, node)).to.include({ active: 90n * TOKEN, locked: 90n * TOKEN });
      // Job B ends and releases its collateral; a second release (job A's, twice) finds nothing.
      await f.stakes.connect(f.protocol).unlock(node.address, Role.EXECUTOR, 90n * TOKEN);
      await expect(f.stakes.connect(f.protocol).unlock(node.address, Role.EXECUTOR, 90n * TOKEN))
        .to.be.revertedWithCustomError(f.stakes, "LockUnderflow")
        .withArgs(0n, 90n * TOKEN);
      await expectSolvent(f);
    });
  });

  describe("weightOf and totalWeight", function () {
    it("follow eligibility through staking, unstaking, slashing and topping up", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [a, b] = f.nodes;
      const weights = async () => [
        await f.stakes.weightOf(a.address, Role.EXECUTOR, MODEL),
        await f.stakes.weightOf(b.address, Role.EXECUTOR, MODEL),
        await f.stakes.totalWeight(Role.EXECUTOR, MODEL),
      ];
      await f.stakes.connect(a).stake(Role.EXECUTOR, 99n * TOKEN); // below the minimum
      expect(await f.stakes.isEligible(a.address, Role.EXECUTOR)).to.equal(false);
      expect(await weights()).to.deep.equal([0n, 0n, 0n]);
      await f.stakes.connect(a).stake(Role.EXECUTOR, 1n * TOKEN); // at the minimum
      await f.stakes.connect(b).stake(Role.EXECUTOR, 300n * TOKEN);
      expect(await weights()).to.deep.equal([100n * TOKEN, 300n * TOKEN, 400n * TOKEN]);
      await f.stakes.connect(b).requestUnstake(Role.EXECUTOR, 150n * TOKEN);
      expect(await weights()).to.deep.equal([100n * TOKEN, 150n * TOKEN, 250n * TOKEN]);
      await f.stakes.connect(b).requestUnstake(Role.EXECUTOR, 60n * TOKEN); // below the minimum
      expect(await weights()).to.deep.equal([100n * TOKEN, 0n, 100n * TOKEN]);
      await f.stakes.connect(f.protocol).slash(a.address, Role.EXECUTOR, 1n, f.recipient.address); // jailed
      expect(await weights()).to.deep.equal([0n, 0n, 0n]);
      await f.stakes.connect(a).stake(Role.EXECUTOR, 1n); // back to the minimum: still jailed
      await f.stakes.connect(b).stake(Role.EXECUTOR, 10n * TOKEN);
      expect(await weights()).to.deep.equal([0n, 100n * TOKEN, 100n * TOKEN]);
      await time.increase(UNBONDING);
      await f.stakes.connect(a).unjail(Role.EXECUTOR); // the jail term is over
      expect(await weights()).to.deep.equal([100n * TOKEN, 100n * TOKEN, 200n * TOKEN]);
    });
  });

  describe("optIn", function () {
    it("puts a staked executor in the model's pool at its eligible stake, emits ModelOptedIn, and touches no other pool", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(node).stake(Role.VERIFIER, 150n * TOKEN);
      // Staked but in no model: no executor pool holds it.
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(0n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(0n);
      await expect(f.stakes.connect(node).optIn(2n)).to.emit(f.stakes, "ModelOptedIn").withArgs(node.address, 2n);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(200n * TOKEN);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(200n * TOKEN);
      expect(await f.stakes.modelsOf(node.address)).to.deep.equal([2n]);
      // Another model's pool and the verifiers' pool are unchanged.
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 3n)).to.equal(0n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 3n)).to.equal(0n);
      expect(await f.stakes.weightOf(node.address, Role.VERIFIER, 0n)).to.equal(150n * TOKEN);
      expect(await f.stakes.totalWeight(Role.VERIFIER, 0n)).to.equal(150n * TOKEN);
      // Opting in moves no stake.
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN, locked: 0n });
    });

    it("may come before the stake: the opt-in holds no weight, and the first stake writes it in the pool", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node] = f.nodes;
      await expect(f.stakes.connect(node).optIn(2n)).to.emit(f.stakes, "ModelOptedIn").withArgs(node.address, 2n);
      expect(await f.stakes.modelsOf(node.address)).to.deep.equal([2n]);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(0n);
      await f.stakes.connect(node).stake(Role.EXECUTOR, 120n * TOKEN);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(120n * TOKEN);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(120n * TOKEN);
    });

    it("puts weight 0 for an executor that is jailed or below the minimum, and the weight follows once it may serve again", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [jailed, under] = f.nodes;
      await f.stakes.connect(jailed).stake(Role.EXECUTOR, 150n * TOKEN);
      await f.stakes.connect(f.protocol).slash(jailed.address, Role.EXECUTOR, 60n * TOKEN, f.recipient.address); // 90 left: jailed
      await f.stakes.connect(jailed).stake(Role.EXECUTOR, 30n * TOKEN); // 120: above the minimum, still jailed
      await f.stakes.connect(under).stake(Role.EXECUTOR, MIN_STAKE - 1n);
      expect(await account(f.stakes, jailed)).to.include({ active: 120n * TOKEN, jailed: true });
      for (const node of [jailed, under]) {
        await expect(f.stakes.connect(node).optIn(2n)).to.emit(f.stakes, "ModelOptedIn").withArgs(node.address, 2n);
        expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n), node.address).to.equal(0n);
        expect(await f.stakes.modelsOf(node.address)).to.deep.equal([2n]);
      }
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(0n);
      // In the pool with no weight: the unjail and the top-up write their weight there.
      await time.increase(UNBONDING);
      await f.stakes.connect(jailed).unjail(Role.EXECUTOR);
      await f.stakes.connect(under).stake(Role.EXECUTOR, 1n);
      expect(await f.stakes.weightOf(jailed.address, Role.EXECUTOR, 2n)).to.equal(120n * TOKEN);
      expect(await f.stakes.weightOf(under.address, Role.EXECUTOR, 2n)).to.equal(MIN_STAKE);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(120n * TOKEN + MIN_STAKE);
    });

    it("reverts with AlreadyOptedIn when the executor is already in the model", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(node).optIn(2n);
      await expect(f.stakes.connect(node).optIn(2n))
        .to.be.revertedWithCustomError(f.stakes, "AlreadyOptedIn")
        .withArgs(node.address, 2n);
      expect(await f.stakes.modelsOf(node.address)).to.deep.equal([2n]);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(200n * TOKEN);
    });

    it("reverts with TooManyModels(MAX_MODELS_PER_EXECUTOR) on the ninth model, and takes it once the executor left one", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node] = f.nodes;
      expect(await f.stakes.MAX_MODELS_PER_EXECUTOR()).to.equal(BigInt(MAX_MODELS_PER_EXECUTOR));
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      for (let m = 1; m <= MAX_MODELS_PER_EXECUTOR; m++) await f.stakes.connect(node).optIn(BigInt(m));
      const ninth = BigInt(MAX_MODELS_PER_EXECUTOR + 1);
      await expect(f.stakes.connect(node).optIn(ninth))
        .to.be.revertedWithCustomError(f.stakes, "TooManyModels")
        .withArgs(BigInt(MAX_MODELS_PER_EXECUTOR));
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, ninth)).to.equal(0n);
      // A model the executor is already in is refused as such, even at the cap.
      await expect(f.stakes.connect(node).optIn(1n)).to.be.revertedWithCustomError(f.stakes, "AlreadyOptedIn").withArgs(node.address, 1n);
      await f.stakes.connect(node).optOut(3n);
      await expect(f.stakes.connect(node).optIn(ninth)).to.emit(f.stakes, "ModelOptedIn").withArgs(node.address, ninth);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, ninth)).to.equal(200n * TOKEN);
      expect((await f.stakes.modelsOf(node.address)).length).to.equal(MAX_MODELS_PER_EXECUTOR);
      // The cap is per executor: another one still opts in to the ninth model.
      await f.stakes.connect(f.nodes[1]).optIn(ninth);
    });
  });

  describe("optOut", function () {
    it("takes the executor out of the model's pool, emits ModelOptedOut, and leaves its other pools as they were", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node, other] = f.nodes;
      await stakeAll(f.stakes, [node, other], [200n * TOKEN, 300n * TOKEN]);
      for (const m of [2n, 3n]) {
        await f.stakes.connect(node).optIn(m);
        await f.stakes.connect(other).optIn(m);
      }
      await expect(f.stakes.connect(node).optOut(2n)).to.emit(f.stakes, "ModelOptedOut").withArgs(node.address, 2n);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(0n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(300n * TOKEN);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 3n)).to.equal(200n * TOKEN);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 3n)).to.equal(500n * TOKEN);
      expect(await f.stakes.modelsOf(node.address)).to.deep.equal([3n]);
      // Opting out moves no stake; the executor's stake no longer reaches the pool it left.
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN });
      await f.stakes.connect(node).stake(Role.EXECUTOR, 50n * TOKEN);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(0n);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 3n)).to.equal(250n * TOKEN);
      // It may opt in again, at its stake of now.
      await expect(f.stakes.connect(node).optIn(2n)).to.emit(f.stakes, "ModelOptedIn").withArgs(node.address, 2n);
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, 2n)).to.equal(250n * TOKEN);
    });

    it("reverts with NotOptedIn for a model the executor never opted in to, and for one it already left", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await expect(f.stakes.connect(node).optOut(2n)).to.be.revertedWithCustomError(f.stakes, "NotOptedIn").withArgs(node.address, 2n);
      await f.stakes.connect(node).optIn(2n);
      await expect(f.stakes.connect(node).optOut(3n)).to.be.revertedWithCustomError(f.stakes, "NotOptedIn").withArgs(node.address, 3n);
      await f.stakes.connect(node).optOut(2n);
      await expect(f.stakes.connect(node).optOut(2n)).to.be.revertedWithCustomError(f.stakes, "NotOptedIn").withArgs(node.address, 2n);
      // One executor's opt-in is not another's.
      await f.stakes.connect(node).optIn(2n);
      await expect(f.stakes.connect(f.nodes[1]).optOut(2n))
        .to.be.revertedWithCustomError(f.stakes, "NotOptedIn")
        .withArgs(f.nodes[1].address, 2n);
    });
  });

  describe("modelsOf", function () {
    it("lists the models an executor is in, in no particular order: opt-ins added, opt-outs removed, nothing for anyone else", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [node, other] = f.nodes;
      const sorted = async (n: HardhatEthersSigner) => [...(await f.stakes.modelsOf(n.address))].sort((a, b) => Number(a - b));
      expect(await f.stakes.modelsOf(node.address)).to.deep.equal([]);
      for (const m of [5n, 1n, 7n, 2n]) await f.stakes.connect(node).optIn(m);
      expect(await sorted(node)).to.deep.equal([1n, 2n, 5n, 7n]);
      await f.stakes.connect(node).optOut(1n); // from the middle of the list
      expect(await sorted(node)).to.deep.equal([2n, 5n, 7n]);
      await f.stakes.connect(node).optOut(2n); // the last entry
      await f.stakes.connect(node).optIn(9n);
      expect(await sorted(node)).to.deep.equal([5n, 7n, 9n]);
      // Staking, in either role, opts in to nothing.
      await f.stakes.connect(other).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(other).stake(Role.VERIFIER, 200n * TOKEN);
      expect(await f.stakes.modelsOf(other.address)).to.deep.equal([]);
    });
  });

  describe("model pools", function () {
    it("give an executor that did not opt in to a model weight 0 there: it is never drawn for it, and a pool nobody is in draws nobody", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [inModel, outside] = f.nodes;
      await stakeAll(f.stakes, [inModel, outside], [100n * TOKEN, 9_000n * TOKEN]);
      await f.stakes.connect(inModel).optIn(2n);
      await nextEpoch({ stakes: f.stakes });
      expect(await f.stakes.weightOf(outside.address, Role.EXECUTOR, 2n)).to.equal(0n);
      for (let i = 0; i < 20; i++) {
        expect(await executorSeats(f.stakes, 2n, seed(i), 4)).to.deep.equal(Array(4).fill(inModel.address));
        expect(await executorSeats(f.stakes, 3n, seed(i), 4)).to.deep.equal([]);
      }
    });

    it("ignore the model for verifiers: one pool, whatever model is asked", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [a, b] = f.nodes;
      await stakeAll(f.stakes, [a, b], [100n * TOKEN, 300n * TOKEN], Role.VERIFIER);
      await nextEpoch({ stakes: f.stakes });
      const epoch = await f.stakes.currentEpoch();
      for (const m of [1n, 2n, 2n ** 256n - 1n]) {
        expect(await f.stakes.weightOf(b.address, Role.VERIFIER, m)).to.equal(300n * TOKEN);
        expect(await f.stakes.totalWeight(Role.VERIFIER, m)).to.equal(400n * TOKEN);
        for (let i = 0; i < 5; i++) {
          expect(await f.stakes.drawSeats(Role.VERIFIER, m, epoch, seed(i), 4, [])).to.deep.equal(
            await f.stakes.drawSeats(Role.VERIFIER, 0n, epoch, seed(i), 4, []),
          );
        }
      }
    });
  });

  describe("an opt-in and an opt-out wait for the next stake epoch", function () {
    it("an opt-in is not seen by the current epoch's snapshot, and is by the next one's", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [early, late] = f.nodes;
      await stakeAll(f.stakes, [early, late], [100n * TOKEN, 9_900n * TOKEN]);
      await f.stakes.connect(early).optIn(2n);
      await nextEpoch({ stakes: f.stakes });
      const opted = await f.stakes.currentEpoch();
      await expect(f.stakes.connect(late).optIn(2n)).to.emit(f.stakes, "ModelOptedIn").withArgs(late.address, 2n);
      // Live, `late` holds 99% of the pool; the snapshot of this epoch does not hold it at all.
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(10_000n * TOKEN);
      for (let i = 0; i < 20; i++) {
        expect(await executorSeats(f.stakes, 2n, seed(i), 3)).to.deep.equal([early.address, early.address, early.address]);
      }
      await nextEpoch({ stakes: f.stakes });
      let lateSeats = 0;
      for (let i = 0; i < 20; i++) {
        // The epoch of the opt-in still draws as it stood; the next one holds both executors.
        expect(await executorSeats(f.stakes, 2n, seed(i), 3, opted)).to.deep.equal([early.address, early.address, early.address]);
        const holders = await executorSeats(f.stakes, 2n, seed(i), 3);
        for (const h of holders) expect([early.address, late.address]).to.include(h);
        lateSeats += holders.filter((h) => h === late.address).length;
      }
      expect(lateSeats, "seats of the executor that opted in, from the next epoch on").to.be.greaterThan(50);
    });

    it("an opt-out is not seen by the current epoch's snapshot, and is by the next one's", async function () {
      const f = await loadFixture(deployNoOptInFixture);
      const [stays, leaves] = f.nodes;
      await stakeAll(f.stakes, [stays, leaves], [100n * TOKEN, 9_900n * TOKEN]);
      for (const n of [stays, leaves]) await f.stakes.connect(n).optIn(2n);
      await nextEpoch({ stakes: f.stakes });
      const before = [];
      for (let i = 0; i < 20; i++) before.push(await executorSeats(f.stakes, 2n, seed(i), 3));
      expect(before.flat().filter((h) => h === leaves.address).length, "the leaver's seats before it leaves").to.be.greaterThan(50);
      const left = await f.stakes.currentEpoch();
      await expect(f.stakes.connect(leaves).optOut(2n)).to.emit(f.stakes, "ModelOptedOut").withArgs(leaves.address, 2n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(100n * TOKEN);
      // This epoch's draws are the ones the snapshot gave before the opt-out, seat for seat.
      for (let i = 0; i < 20; i++) expect(await executorSeats(f.stakes, 2n, seed(i), 3)).to.deep.equal(before[i]);
      await nextEpoch({ stakes: f.stakes });
      for (let i = 0; i < 20; i++) {
        expect(await executorSeats(f.stakes, 2n, seed(i), 3, left)).to.deep.equal(before[i]);
        expect(await executorSeats(f.stakes, 2n, seed(i), 3)).to.deep.equal([stays.address, stays.address, stays.address]);
      }
    });
  });

  describe("stake changes rewrite the weight in every pool the executor is in", function () {
    /** `node`'s executor weight in models 1..4 (it opts in to 1..3 below; 4 is a pool it is not in). */
    async function weights(f: Fixture, node: HardhatEthersSigner): Promise<bigint[]> {
      const out: bigint[] = [];
      for (const m of [1n, 2n, 3n, 4n]) out.push(await f.stakes.weightOf(node.address, Role.EXECUTOR, m));
      return out;
    }

    /** Executor `node` in models 1..3, and `other` (100 staked) in model 2 only, so pool 2's total counts both. */
    async function threePools() {
      const f = await loadFixture(deployNoOptInFixture);
      const [node, other] = f.nodes;
      for (const m of [1n, 2n, 3n]) await f.stakes.connect(node).optIn(m);
      await f.stakes.connect(other).optIn(2n);
      await stakeAll(f.stakes, [node, other], [200n * TOKEN, 100n * TOKEN]);
      return { f, node, other };
    }

    it("stake and requestUnstake", async function () {
      const { f, node } = await threePools();
      expect(await weights(f, node)).to.deep.equal([200n * TOKEN, 200n * TOKEN, 200n * TOKEN, 0n]);
      await f.stakes.connect(node).stake(Role.EXECUTOR, 50n * TOKEN);
      expect(await weights(f, node)).to.deep.equal([250n * TOKEN, 250n * TOKEN, 250n * TOKEN, 0n]);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 120n * TOKEN);
      expect(await weights(f, node)).to.deep.equal([130n * TOKEN, 130n * TOKEN, 130n * TOKEN, 0n]);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(230n * TOKEN);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 4n)).to.equal(0n);
    });

    it("slash and slashLocked", async function () {
      const { f, node } = await threePools();
      await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 30n * TOKEN, f.recipient.address);
      expect(await weights(f, node)).to.deep.equal([170n * TOKEN, 170n * TOKEN, 170n * TOKEN, 0n]);
      await lockStake(f, node, 40n * TOKEN);
      await f.stakes.connect(f.protocol).slashLocked(node.address, Role.EXECUTOR, 40n * TOKEN, f.recipient.address);
      expect(await weights(f, node)).to.deep.equal([130n * TOKEN, 130n * TOKEN, 130n * TOKEN, 0n]);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 1n)).to.equal(130n * TOKEN);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(230n * TOKEN);
    });

    it("a jail zeroes it in every pool, and an unjail restores it in every pool", async function () {
      const { f, node, other } = await threePools();
      await expect(f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 110n * TOKEN, f.recipient.address))
        .to.emit(f.stakes, "NodeJailed")
        .withArgs(node.address, Role.EXECUTOR);
      expect(await weights(f, node)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(100n * TOKEN);
      // Topped up while jailed: still nothing anywhere.
      await f.stakes.connect(node).stake(Role.EXECUTOR, 30n * TOKEN);
      expect(await weights(f, node)).to.deep.equal([0n, 0n, 0n, 0n]);
      await time.increase(UNBONDING);
      await f.stakes.connect(node).unjail(Role.EXECUTOR);
      expect(await weights(f, node)).to.deep.equal([120n * TOKEN, 120n * TOKEN, 120n * TOKEN, 0n]);
      expect(await f.stakes.weightOf(other.address, Role.EXECUTOR, 2n)).to.equal(100n * TOKEN);
    });

    it("poke after a minimum-stake change", async function () {
      const { f, node, other } = await threePools();
      await f.stakes.setMinStake(Role.EXECUTOR, 150n * TOKEN);
      await expect(f.stakes.connect(f.outsider).poke(other.address, Role.EXECUTOR))
        .to.emit(f.stakes, "WeightRefreshed")
        .withArgs(other.address, Role.EXECUTOR, 0n);
      expect(await f.stakes.weightOf(other.address, Role.EXECUTOR, 2n)).to.equal(0n);
      await f.stakes.setMinStake(Role.EXECUTOR, 250n * TOKEN);
      expect(await weights(f, node)).to.deep.equal([200n * TOKEN, 200n * TOKEN, 200n * TOKEN, 0n]); // stale until poked
      await f.stakes.connect(f.outsider).poke(node.address, Role.EXECUTOR);
      expect(await weights(f, node)).to.deep.equal([0n, 0n, 0n, 0n]);
      for (const m of [1n, 2n, 3n]) expect(await f.stakes.totalWeight(Role.EXECUTOR, m)).to.equal(0n);
    });

    it("a pool the executor left is no longer written", async function () {
      const { f, node } = await threePools();
      await f.stakes.connect(node).optOut(2n);
      await f.stakes.connect(node).stake(Role.EXECUTOR, 100n * TOKEN);
      await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 10n * TOKEN, f.recipient.address);
      expect(await weights(f, node)).to.deep.equal([290n * TOKEN, 0n, 290n * TOKEN, 0n]);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, 2n)).to.equal(100n * TOKEN);
    });
  });

  describe("lockSeat", function () {
    it("locks exactly the collateral of an eligible node with that much free stake, returns true and emits StakeLocked", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 80n * TOKEN)).to.equal(true);
      await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 80n * TOKEN))
        .to.emit(f.stakes, "StakeLocked")
        .withArgs(node.address, Role.EXECUTOR, 80n * TOKEN);
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN, locked: 80n * TOKEN });
      // Exactly the rest of the free stake may be locked too: the bound is inclusive.
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 120n * TOKEN)).to.equal(true);
      await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 120n * TOKEN))
        .to.emit(f.stakes, "StakeLocked")
        .withArgs(node.address, Role.EXECUTOR, 120n * TOKEN);
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN, locked: 200n * TOKEN });
      // Locked collateral still counts in the draw: the weight is the active stake.
      expect(await f.stakes.weightOf(node.address, Role.EXECUTOR, MODEL)).to.equal(200n * TOKEN);
      await expectSolvent(f);
    });

    it("returns false and locks nothing for a jailed node, even one topped back up with the collateral free", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 150n * TOKEN);
      await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 60n * TOKEN, f.recipient.address); // 90 left: jailed
      await f.stakes.connect(node).stake(Role.EXECUTOR, 110n * TOKEN); // 200: above the minimum, all of it free
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN, locked: 0n, jailed: true });
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 20n * TOKEN)).to.equal(false);
      await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 20n * TOKEN)).to.not.emit(f.stakes, "StakeLocked");
      expect((await account(f.stakes, node)).locked).to.equal(0n);
      // The jail was the only obstacle: once it is lifted the same lock is taken.
      await time.increase(UNBONDING);
      await f.stakes.connect(node).unjail(Role.EXECUTOR);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 20n * TOKEN)).to.equal(true);
      await f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 20n * TOKEN);
      expect((await account(f.stakes, node)).locked).to.equal(20n * TOKEN);
    });

    it("returns false and locks nothing for a node under the role's minimum, a raised minimum included before any poke", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [under, stale, unstaked, verifier] = f.nodes;
      await f.stakes.connect(under).stake(Role.EXECUTOR, MIN_STAKE - 1n);
      await f.stakes.connect(stale).stake(Role.EXECUTOR, 150n * TOKEN);
      await f.stakes.connect(verifier).stake(Role.VERIFIER, 200n * TOKEN);
      await f.stakes.setMinStake(Role.EXECUTOR, 200n * TOKEN);
      expect(await f.stakes.weightOf(stale.address, Role.EXECUTOR, MODEL)).to.equal(150n * TOKEN); // stale until poked
      // Under the minimum, not jailed, free stake enough: even a zero collateral is refused. A
      // node's stake in the other role does not count for this one.
      for (const [node, collateral] of [
        [under, 0n],
        [under, TOKEN],
        [stale, 0n],
        [stale, 150n * TOKEN],
        [unstaked, 0n],
        [verifier, 0n],
      ] as const) {
        expect((await account(f.stakes, node)).jailed).to.equal(false);
        expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, collateral), node.address).to.equal(false);
        await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, collateral)).to.not.emit(f.stakes, "StakeLocked");
        expect((await account(f.stakes, node)).locked).to.equal(0n);
      }
      // At the minimum again, the stale node serves (no poke needed), and the verifier serves in its role.
      await f.stakes.setMinStake(Role.EXECUTOR, 150n * TOKEN);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(stale.address, Role.EXECUTOR, 150n * TOKEN)).to.equal(true);
      await expect(f.stakes.connect(f.protocol).lockSeat(verifier.address, Role.VERIFIER, 50n * TOKEN))
        .to.emit(f.stakes, "StakeLocked")
        .withArgs(verifier.address, Role.VERIFIER, 50n * TOKEN);
      expect((await account(f.stakes, verifier, Role.VERIFIER)).locked).to.equal(50n * TOKEN);
    });

    it("returns false and locks nothing when the free stake (active minus locked; unbonding excluded) is short of the collateral", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 300n * TOKEN);
      await f.stakes.connect(node).requestUnstake(Role.EXECUTOR, 100n * TOKEN); // 200 active, 100 unbonding
      await lockStake(f, node, 150n * TOKEN); // 50 free
      expect(await f.stakes.isEligible(node.address, Role.EXECUTOR)).to.equal(true);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 50n * TOKEN + 1n)).to.equal(false);
      await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 50n * TOKEN + 1n)).to.not.emit(f.stakes, "StakeLocked");
      expect(await account(f.stakes, node)).to.include({ active: 200n * TOKEN, locked: 150n * TOKEN, unbonding: 100n * TOKEN });
      await expect(f.stakes.connect(f.protocol).lockSeat(node.address, Role.EXECUTOR, 50n * TOKEN))
        .to.emit(f.stakes, "StakeLocked")
        .withArgs(node.address, Role.EXECUTOR, 50n * TOKEN);
      expect((await account(f.stakes, node)).locked).to.equal(200n * TOKEN);
      // Nothing is free now: any collateral is refused, a zero one is not.
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 1n)).to.equal(false);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 0n)).to.equal(true);
    });

    it("may be called by the two wired contracts only: reverts with UnauthorizedCaller for anyone else, governance and the node included", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      for (const caller of [f.outsider, f.admin, node]) {
        await expect(f.stakes.connect(caller).lockSeat(node.address, Role.EXECUTOR, 10n * TOKEN))
          .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
      expect((await account(f.stakes, node)).locked).to.equal(0n);
      await expect(f.viaHub.lockSeat(node.address, Role.EXECUTOR, 10n * TOKEN)) // the hub (the stub)
        .to.emit(f.stakes, "StakeLocked")
        .withArgs(node.address, Role.EXECUTOR, 10n * TOKEN);
      await lockStake(f, node, 5n * TOKEN); // the dispute manager (the `protocol` signer)
      expect((await account(f.stakes, node)).locked).to.equal(15n * TOKEN);
    });
  });

  describe("setMinStake", function () {
    it("sets a role's minimum and emits MinStakeSet", async function () {
      const { stakes } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.setMinStake(Role.VERIFIER, 250n * TOKEN))
        .to.emit(stakes, "MinStakeSet")
        .withArgs(Role.VERIFIER, 250n * TOKEN);
      expect(await stakes.minStake(Role.VERIFIER)).to.equal(250n * TOKEN);
      expect(await stakes.minStake(Role.EXECUTOR)).to.equal(MIN_STAKE);
      await stakes.setMinStake(Role.VERIFIER, MAX_MIN_STAKE);
      await stakes.setMinStake(Role.VERIFIER, 1n);
      expect(await stakes.minStake(Role.VERIFIER)).to.equal(1n);
    });

    it("reverts when the minimum is zero or above MAX_MIN_STAKE", async function () {
      const { stakes } = await loadFixture(deployStakeManagerFixture);
      for (const value of [0n, MAX_MIN_STAKE + 1n]) {
        await expect(stakes.setMinStake(Role.EXECUTOR, value))
          .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
          .withArgs("minStake", value, 1n, MAX_MIN_STAKE);
      }
    });

    it("reverts when the caller is not governance", async function () {
      const { stakes, outsider } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.connect(outsider).setMinStake(Role.EXECUTOR, TOKEN))
        .to.be.revertedWithCustomError(stakes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });
  });

  describe("setUnbondingPeriod", function () {
    it("sets the period for later requests and emits UnbondingPeriodSet", async function () {
      const { stakes, nodes } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.setUnbondingPeriod(10 * DAY))
        .to.emit(stakes, "UnbondingPeriodSet")
        .withArgs(10 * DAY);
      expect(await stakes.unbondingPeriod()).to.equal(BigInt(10 * DAY));
      await stakes.connect(nodes[0]).stake(Role.EXECUTOR, 200n * TOKEN);
      const at = (await time.latest()) + 5;
      await time.setNextBlockTimestamp(at);
      await stakes.connect(nodes[0]).requestUnstake(Role.EXECUTOR, TOKEN);
      expect((await stakes.accountOf(nodes[0].address, Role.EXECUTOR)).releaseAt).to.equal(BigInt(at + 10 * DAY));
    });

    it("never shortens (the hub and the DisputeManager fitted their windows in half of it): reverts below the current period", async function () {
      const { stakes } = await loadFixture(deployStakeManagerFixture);
      const current = BigInt(UNBONDING);
      await expect(stakes.setUnbondingPeriod(current - 1n))
        .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
        .withArgs("unbondingPeriod", current - 1n, current, BigInt(MAX_UNBONDING));
      await expect(stakes.setUnbondingPeriod(MIN_UNBONDING))
        .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
        .withArgs("unbondingPeriod", BigInt(MIN_UNBONDING), current, BigInt(MAX_UNBONDING));
      await stakes.setUnbondingPeriod(current);
      await stakes.setUnbondingPeriod(current + 1n);
      expect(await stakes.unbondingPeriod()).to.equal(current + 1n);
    });

    it("leaves the windows to the contracts that set them: a JobRegistry window over half the unbonding period is refused there", async function () {
      const { deployedStakes: stakes, jobs, admin } = await loadFixture(deployStakeManagerFixture);
      const half = (await stakes.unbondingPeriod()) / 2n;
      const execution = BigInt(PARAMS.jobs.executionWindow);
      const challenge = half - execution + 1n;
      await expect(jobs.connect(admin).setParams({ ...PARAMS.jobs, challengeWindow: challenge }))
        .to.be.revertedWithCustomError(jobs, "ParameterOutOfBounds")
        .withArgs("window", execution + challenge, 0n, half);
      await jobs.connect(admin).setParams({ ...PARAMS.jobs, challengeWindow: challenge - 1n });
    });

    it("reverts above MAX_UNBONDING", async function () {
      const { stakes } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.setUnbondingPeriod(MAX_UNBONDING + 1))
        .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
        .withArgs("unbondingPeriod", BigInt(MAX_UNBONDING + 1), BigInt(UNBONDING), BigInt(MAX_UNBONDING));
      await stakes.setUnbondingPeriod(MAX_UNBONDING);
      expect(await stakes.unbondingPeriod()).to.equal(BigInt(MAX_UNBONDING));
    });

    it("reverts below the current period on a fresh StakeManager too", async function () {
      const { bare } = await loadFixture(deployStakeManagerFixture);
      await expect(bare.setUnbondingPeriod(MIN_UNBONDING - 1))
        .to.be.revertedWithCustomError(bare, "ParameterOutOfBounds")
        .withArgs("unbondingPeriod", BigInt(MIN_UNBONDING - 1), BigInt(MIN_UNBONDING), BigInt(MAX_UNBONDING));
      await bare.setUnbondingPeriod(MIN_UNBONDING);
      expect(await bare.unbondingPeriod()).to.equal(BigInt(MIN_UNBONDING));
    });

    it("reverts when the caller is not governance", async function () {
      const { stakes, outsider } = await loadFixture(deployStakeManagerFixture);
      await expect(stakes.connect(outsider).setUnbondingPeriod(10 * DAY))
        .to.be.revertedWithCustomError(stakes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });
  });

  describe("drawSeats", function () {
    /** Seats drawn from `role`'s snapshot of the current epoch, which must answer. */
    async function seatsNow(stakes: StakeManager, role: number, randomness: string, seats: number, exclude: string[] = []) {
      const [ok, holders] = await stakes.drawSeats(role, poolOf(role), await stakes.currentEpoch(), randomness, seats, exclude);
      expect(ok, "the current epoch's snapshot answers").to.equal(true);
      return [...holders];
    }

    for (const [name, role] of Object.entries(Role)) {
      it(`${name}: answers a snapshot only while its epoch or the next is current (ok = false for an older or a future epoch)`, async function () {
        const { deployedStakes: stakes, others } = await loadFixture(deployStakeManagerFixture);
        await stakes.connect(others[3]).stake(role, 200n * TOKEN);
        const length = Number(await stakes.EPOCH_LENGTH());
        await time.increase(length);
        const epoch = await stakes.currentEpoch();
        const r = ethers.id("randomness");
        expect(await stakes.drawSeats(role, poolOf(role), epoch, r, 3, [])).to.deep.equal([true, [others[3].address, others[3].address, others[3].address]]);
        expect((await stakes.drawSeats(role, poolOf(role), epoch + 1n, r, 3, []))[0]).to.equal(false);
        await time.increase(length);
        expect((await stakes.drawSeats(role, poolOf(role), epoch, r, 3, []))[0]).to.equal(true);
        await time.increase(length);
        const [ok, holders] = await stakes.drawSeats(role, poolOf(role), epoch, r, 3, []);
        expect([ok, holders.length]).to.deep.equal([false, 0]);
      });

      it(`${name}: reverts with TooManySeats above MAX_SEATS (32) and TooManyExcluded above MAX_EXCLUDED (8)`, async function () {
        const f = await loadFixture(deployStakeManagerFixture);
        await f.stakes.connect(f.nodes[0]).stake(role, 200n * TOKEN);
        await nextEpoch({ stakes: f.stakes });
        const epoch = await f.stakes.currentEpoch();
        const excluded = f.nodes.slice(1, 10).map((n) => n.address);
        expect(await f.stakes.MAX_SEATS()).to.equal(32n);
        expect(await f.stakes.MAX_EXCLUDED()).to.equal(8n);
        await expect(f.stakes.drawSeats(role, poolOf(role), epoch, seed(0), 33, []))
          .to.be.revertedWithCustomError(f.stakes, "TooManySeats")
          .withArgs(33n, 32n);
        await expect(f.stakes.drawSeats(role, poolOf(role), epoch, seed(0), 1, excluded))
          .to.be.revertedWithCustomError(f.stakes, "TooManyExcluded")
          .withArgs(9n, 8n);
        // The bounds are checked before the clock: an expired epoch reverts the same way.
        await expect(f.stakes.drawSeats(role, poolOf(role), epoch - 5n, seed(0), 33, []))
          .to.be.revertedWithCustomError(f.stakes, "TooManySeats")
          .withArgs(33n, 32n);
        // At the bounds the draw answers.
        expect((await seatsNow(f.stakes, role, seed(0), 32, excluded.slice(0, 8))).length).to.equal(32);
      });
    }

    it("draws executors from the stake as it stood when the epoch began: stake made, added or removed since waits for the next epoch", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [a, b] = f.nodes;
      await nextEpoch({ stakes: f.stakes });
      await f.stakes.connect(a).stake(Role.EXECUTOR, 200n * TOKEN);
      // The live weight counts at once; the snapshot of this epoch holds nobody.
      expect(await f.stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(200n * TOKEN);
      expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(0), 3)).to.deep.equal([]);
      await nextEpoch({ stakes: f.stakes });
      expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(0), 3)).to.deep.equal([a.address, a.address, a.address]);
      // b stakes 25x a's stake and a leaves in this epoch: neither changes this epoch's draws.
      await f.stakes.connect(b).stake(Role.EXECUTOR, 5_000n * TOKEN);
      await f.stakes.connect(a).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
      expect(await f.stakes.weightOf(a.address, Role.EXECUTOR, MODEL)).to.equal(0n);
      expect(await f.stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(5_000n * TOKEN);
      for (let i = 0; i < 20; i++) {
        expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 3)).to.deep.equal([a.address, a.address, a.address]);
      }
      await nextEpoch({ stakes: f.stakes });
      for (let i = 0; i < 20; i++) {
        expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 3)).to.deep.equal([b.address, b.address, b.address]);
      }
    });

    it("keeps drawing a node jailed after its epoch began (its snapshot weight stands); lockSeat is what refuses it", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 150n * TOKEN);
      await nextEpoch({ stakes: f.stakes });
      await f.stakes.connect(f.protocol).slash(node.address, Role.EXECUTOR, 60n * TOKEN, f.recipient.address);
      expect(await account(f.stakes, node)).to.include({ active: 90n * TOKEN, jailed: true });
      expect(await f.stakes.totalWeight(Role.EXECUTOR, MODEL)).to.equal(0n);
      expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(3), 2)).to.deep.equal([node.address, node.address]);
      expect(await f.stakes.connect(f.protocol).lockSeat.staticCall(node.address, Role.EXECUTOR, 0n)).to.equal(false);
      await nextEpoch({ stakes: f.stakes });
      expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(3), 2)).to.deep.equal([]);
    });

    it("draws each role from its own snapshot", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [executor, verifier] = f.nodes;
      await f.stakes.connect(executor).stake(Role.EXECUTOR, 200n * TOKEN);
      await f.stakes.connect(verifier).stake(Role.VERIFIER, 200n * TOKEN);
      await nextEpoch({ stakes: f.stakes });
      for (let i = 0; i < 10; i++) {
        expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 2)).to.deep.equal([executor.address, executor.address]);
        expect(await seatsNow(f.stakes, Role.VERIFIER, seed(i), 2)).to.deep.equal([verifier.address, verifier.address]);
      }
    });

    it("draws executor seats with replacement: every seat is filled, so four seats among three nodes always repeat one", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const nodes = f.nodes.slice(0, 3);
      await stakeAll(f.stakes, nodes, [200n * TOKEN, 200n * TOKEN, 200n * TOKEN]);
      await nextEpoch({ stakes: f.stakes });
      const staked = nodes.map((n) => n.address);
      for (let i = 0; i < 20; i++) {
        const holders = await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 4);
        expect(holders).to.have.length(4);
        expect(new Set(holders).size).to.be.lessThan(4);
        for (const h of holders) expect(staked).to.include(h);
      }
    });

    it("gives a node seats in proportion to its stake: 3x the stake, about 3x the seats (300 seeds x 4 seats)", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [big, ...small] = f.nodes.slice(0, 4);
      await stakeAll(f.stakes, [big, ...small], [300n * TOKEN, 100n * TOKEN, 100n * TOKEN, 100n * TOKEN]);
      await nextEpoch({ stakes: f.stakes });
      const counts = new Map<string, number>();
      const runs = 300;
      for (let i = 0; i < runs; i++) {
        for (const h of await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 4)) counts.set(h, (counts.get(h) ?? 0) + 1);
      }
      const bigCount = counts.get(big.address) ?? 0;
      const smallCounts = small.map((s) => counts.get(s.address) ?? 0);
      expect(bigCount + smallCounts.reduce((s, c) => s + c, 0)).to.equal(runs * 4);
      // Expected 600 vs 200 each; the sds are ~17 and ~13, so these bounds are > 5 sd wide.
      expect(bigCount).to.be.within(510, 690);
      for (const c of smallCounts) expect(c).to.be.within(130, 270);
      const ratio = bigCount / (smallCounts.reduce((s, c) => s + c, 0) / smallCounts.length);
      expect(ratio).to.be.within(2.2, 4);
    });

    it("never draws an excluded executor, and leaves a seat empty once all its draws landed on excluded nodes", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const nodes = f.nodes.slice(0, 8);
      await stakeAll(
        f.stakes,
        nodes,
        nodes.map((_, i) => BigInt(100 + 100 * i) * TOKEN),
      );
      await nextEpoch({ stakes: f.stakes });
      const excluded = [nodes[7].address, nodes[6].address, nodes[0].address, f.outsider.address];
      const allowed = nodes.slice(1, 6).map((n) => n.address);
      let filled = 0;
      for (let i = 0; i < 30; i++) {
        const holders = await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 4, excluded);
        expect(holders.length).to.be.at.most(4);
        for (const h of holders) expect(allowed).to.include(h);
        filled += holders.length;
      }
      // A seat is empty only if all 8 of its draws hit the excluded 16/36 of the stake (p ~ 0.0015).
      expect(filled).to.be.at.least(118);
      // With every staked node excluded no seat can be filled: the draw still answers, with nobody.
      for (let i = 0; i < 5; i++) {
        expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 4, nodes.map((n) => n.address))).to.deep.equal([]);
      }
    });

    it("redraws a seat that lands on an excluded node from the next derived point, up to MAX_SEAT_TRIES (8) times", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [heavy, light] = f.nodes;
      // Leaf order is the order of the first stake: heavy's range is [0, 9900), light's [9900, 10000).
      await stakeAll(f.stakes, [heavy, light], [9_900n * TOKEN, 100n * TOKEN]);
      await nextEpoch({ stakes: f.stakes });
      expect(await f.stakes.MAX_SEAT_TRIES()).to.equal(8n);
      const total = 10_000n * TOKEN;
      const coder = ethers.AbiCoder.defaultAbiCoder();
      let retried = 0;
      let empty = 0;
      for (let i = 0; i < 40; i++) {
        // The draw documented in StakeManager: seat s's t-th point is keccak(randomness, s, t) mod total.
        const expected: string[] = [];
        for (let s = 0; s < 4; s++) {
          for (let t = 0; t < 8; t++) {
            const point = BigInt(ethers.keccak256(coder.encode(["bytes32", "uint256", "uint256"], [seed(i), s, t]))) % total;
            if (point >= 9_900n * TOKEN) {
              expected.push(light.address);
              if (t > 0) retried++;
              break;
            }
            if (t === 7) empty++;
          }
        }
        expect(await seatsNow(f.stakes, Role.EXECUTOR, seed(i), 4, [heavy.address])).to.deep.equal(expected);
      }
      // Both outcomes occurred: seats filled by a retry, and seats left empty after eight misses.
      expect(retried, "seats filled on a retry").to.be.greaterThan(0);
      expect(empty, "seats left empty").to.be.greaterThan(0);
    });
  });

  describe("wire", function () {
    it("is wired to the JobRegistry and the DisputeManager by the deployment", async function () {
      const { deployedStakes, jobs, disputes } = await loadFixture(deployStakeManagerFixture);
      expect(await deployedStakes.hub()).to.equal(await jobs.getAddress());
      expect(await deployedStakes.disputeManager()).to.equal(await disputes.getAddress());
    });

    it("wires the hub and the dispute manager once and emits Wired; it reads nothing from them", async function () {
      const { bare, jobs, disputes } = await loadFixture(deployStakeManagerFixture);
      await expect(bare.wire(jobs, disputes))
        .to.emit(bare, "Wired")
        .withArgs(await jobs.getAddress(), await disputes.getAddress());
      expect(await bare.hub()).to.equal(await jobs.getAddress());
      expect(await bare.disputeManager()).to.equal(await disputes.getAddress());
      // The unbonding period of the bare manager (one hour) is shorter than the hub's windows:
      // wiring does not ask the hub, and the hub refuses its own windows when they do not fit.
      expect(await bare.unbondingPeriod()).to.equal(BigInt(MIN_UNBONDING));
    });

    it("lets exactly the two wired addresses call the protocol functions", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [node] = f.nodes;
      await f.stakes.connect(node).stake(Role.EXECUTOR, 200n * TOKEN);
      await lockStake(f, node, 50n * TOKEN); // the dispute manager (the `protocol` signer)
      await expect(f.viaHub.unlock(node.address, Role.EXECUTOR, 20n * TOKEN)) // the hub (the stub)
        .to.emit(f.stakes, "StakeUnlocked")
        .withArgs(node.address, Role.EXECUTOR, 20n * TOKEN);
      await expect(f.stakes.connect(f.protocol).unlock(node.address, Role.EXECUTOR, 10n * TOKEN))
        .to.emit(f.stakes, "StakeUnlocked")
        .withArgs(node.address, Role.EXECUTOR, 10n * TOKEN);
      for (const caller of [f.admin, f.outsider]) {
        await expect(f.stakes.connect(caller).unlock(node.address, Role.EXECUTOR, 1n))
          .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });

    it("reverts with AlreadyWired when wired a second time, to anything", async function () {
      const { deployedStakes, stakes, jobs, disputes, source, admin } = await loadFixture(deployStakeManagerFixture);
      await expect(deployedStakes.wire(jobs, disputes)).to.be.revertedWithCustomError(deployedStakes, "AlreadyWired");
      await expect(deployedStakes.wire(source, admin.address)).to.be.revertedWithCustomError(deployedStakes, "AlreadyWired");
      await expect(stakes.wire(source, admin.address)).to.be.revertedWithCustomError(stakes, "AlreadyWired");
      expect(await deployedStakes.hub()).to.equal(await jobs.getAddress());
      expect(await deployedStakes.disputeManager()).to.equal(await disputes.getAddress());
    });

    it("reverts with the name of a zero address", async function () {
      const { bare, jobs, disputes } = await loadFixture(deployStakeManagerFixture);
      await expect(bare.wire(ethers.ZeroAddress, disputes)).to.be.revertedWithCustomError(bare, "ZeroAddress").withArgs("hub");
      await expect(bare.wire(jobs, ethers.ZeroAddress)).to.be.revertedWithCustomError(bare, "ZeroAddress").withArgs("disputes");
    });

    it("reverts when the caller is not the deployer, governance included", async function () {
      const { token, admin, jobs, disputes, outsider } = await loadFixture(deployStakeManagerFixture);
      // Deployed by `admin` with `outsider` as governance: governance may not wire.
      const governed = await new StakeManager__factory(admin).deploy(token, outsider.address, MIN_STAKE, MIN_STAKE, LONGEST_WINDOW, 3600);
      expect(await governed.GOVERNANCE()).to.equal(outsider.address);
      expect(await governed.DEPLOYER()).to.equal(admin.address);
      await expect(governed.connect(outsider).wire(jobs, disputes))
        .to.be.revertedWithCustomError(governed, "UnauthorizedCaller")
        .withArgs(outsider.address);
      await governed.connect(admin).wire(jobs, disputes);
      expect(await governed.hub()).to.equal(await jobs.getAddress());
    });
  });

  describe("constructor", function () {
    it("reverts when the unbonding period or a minimum stake is out of bounds", async function () {
      const { token, admin, stakes } = await loadFixture(deployStakeManagerFixture);
      const factory = new StakeManager__factory(admin);
      await expect(factory.deploy(token, admin.address, MIN_STAKE, MIN_STAKE, MIN_UNBONDING - 1, 3600))
        .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
        .withArgs("unbondingPeriod", BigInt(MIN_UNBONDING - 1), BigInt(MIN_UNBONDING), BigInt(MAX_UNBONDING));
      await expect(factory.deploy(token, admin.address, 0n, MIN_STAKE, UNBONDING, 3600))
        .to.be.revertedWithCustomError(stakes, "ParameterOutOfBounds")
        .withArgs("minStake", 0n, 1n, MAX_MIN_STAKE);
    });

    it("fixes governance and the deployer, and reverts when governance is zero", async function () {
      const { token, admin, outsider, stakes } = await loadFixture(deployStakeManagerFixture);
      const factory = new StakeManager__factory(outsider);
      const deployed = await factory.deploy(token, admin.address, MIN_STAKE, MIN_STAKE, UNBONDING, 3600);
      expect(await deployed.GOVERNANCE()).to.equal(admin.address);
      expect(await deployed.DEPLOYER()).to.equal(outsider.address);
      await expect(factory.deploy(token, ethers.ZeroAddress, MIN_STAKE, MIN_STAKE, UNBONDING, 3600))
        .to.be.revertedWithCustomError(stakes, "ZeroAddress")
        .withArgs("governance");
    });
  });

  describe("totalStaked", function () {
    it("equals the tokens held and the sum of active and unbonding stake through every operation", async function () {
      const f = await loadFixture(deployStakeManagerFixture);
      const [a, b, c] = f.nodes;
      await expectSolvent(f);
      await f.stakes.connect(a).stake(Role.EXECUTOR, 300n * TOKEN);
      await f.stakes.connect(b).stake(Role.VERIFIER, 250n * TOKEN);
      await f.stakes.connect(c).stake(Role.EXECUTOR, 120n * TOKEN);
      await f.stakes.connect(c).stake(Role.VERIFIER, 130n * TOKEN);
      expect(await f.stakes.totalStaked()).to.equal(800n * TOKEN);
      await expectSolvent(f);
      await f.stakes.connect(a).requestUnstake(Role.EXECUTOR, 100n * TOKEN);
      expect(await f.stakes.totalStaked()).to.equal(800n * TOKEN);
      await expectSolvent(f);
      // The protocol locks only executors' collateral (lockSeat for a drawn executor seat); a
      // committee seat locks nothing.
      await lockStake(f, c, 50n * TOKEN, Role.EXECUTOR);
      await expectSolvent(f);
      await f.stakes.connect(f.protocol).slash(b.address, Role.VERIFIER, 70n * TOKEN, f.recipient.address);
      await f.stakes.connect(f.protocol).slash(a.address, Role.EXECUTOR, 250n * TOKEN, f.recipient.address);
      expect(await f.stakes.totalStaked()).to.equal(480n * TOKEN);
      await expectSolvent(f);
      await time.increase(UNBONDING);
      await f.stakes.connect(a).withdraw(Role.EXECUTOR);
      expect(await f.stakes.totalStaked()).to.equal(430n * TOKEN);
      await expectSolvent(f);
      await f.stakes.connect(f.protocol).slash(c.address, Role.VERIFIER, 1000n * TOKEN, f.recipient.address);
      expect(await f.stakes.totalStaked()).to.equal(300n * TOKEN);
      expect(await f.token.balanceOf(f.recipient.address)).to.equal(10_000n * TOKEN + 450n * TOKEN);
      // The verifier slash left c's executor stake, and its lock, whole.
      expect(await account(f.stakes, c)).to.include({ active: 120n * TOKEN, locked: 50n * TOKEN });
      await expectSolvent(f);
    });
  });
});
