import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { PaymentVault__factory, ReentrantToken__factory, StakeManager__factory } from "../../packages/node/src/typechain";
import type { PaymentVault } from "../../packages/node/src/typechain";
import { Role, TOKEN } from "../fixtures/protocol";

const UNBONDING = 3600;

/** Unclaimed credits of every account that can hold any here: the signers and the token contract. */
async function totalCredits(vault: PaymentVault, tokenAddress: string): Promise<bigint> {
  let sum = await vault.creditOf(tokenAddress);
  for (const s of await ethers.getSigners()) sum += await vault.creditOf(s.address);
  return sum;
}

/**
 * A PaymentVault and a StakeManager over a ReentrantToken: a token that, once armed, calls a
 * target with a payload from its own address on every transfer. The token contract itself can
 * also send transactions (impersonated), so the outer call and the re-entering call come from
 * the same account: the attack a payout's transfer hook would mount.
 */
async function hostileTokenFixture() {
  const [admin, protocol, treasury, alice, bob, disputer] = await ethers.getSigners();
  const token = await new ReentrantToken__factory(admin).deploy();
  const vault = await new PaymentVault__factory(admin).deploy(token, admin.address, treasury.address);
  await vault.wire(protocol.address, disputer.address); // two signers play the hub and the dispute manager
  const stakes = await new StakeManager__factory(admin).deploy(token, admin.address, 100n * TOKEN, 100n * TOKEN, UNBONDING, 3600);

  const tokenAddress = await token.getAddress();
  await impersonateAccount(tokenAddress);
  await setBalance(tokenAddress, 10n ** 20n);
  const tokenAsAccount = await ethers.getSigner(tokenAddress);

  for (const s of [protocol, alice, bob]) await token.mint(s.address, 10_000n * TOKEN);
  await token.mint(tokenAddress, 10_000n * TOKEN);
  for (const s of [alice, bob, tokenAsAccount]) await token.connect(s).approve(stakes, ethers.MaxUint256);

  // The vault holds exactly what it credits: 300 for alice, 500 for the token contract.
  await token.connect(protocol).transfer(vault, 800n * TOKEN);
  await vault.connect(protocol).credit(alice.address, 1, 300n * TOKEN);
  await vault.connect(protocol).credit(tokenAddress, 1, 500n * TOKEN);

  return { token, vault, stakes, admin, protocol, treasury, alice, bob, tokenAddress, tokenAsAccount };
}

describe("Reentrancy with a hostile token", function () {
  describe("PaymentVault.claim", function () {
    it("pays an account its credit once when the transfer re-enters claim() for the same account", async function () {
      const { token, vault, tokenAddress, tokenAsAccount } = await loadFixture(hostileTokenFixture);
      const claimData = vault.interface.encodeFunctionData("claim");
      await token.arm(await vault.getAddress(), claimData);
      const vaultBefore = await token.balanceOf(vault);
      const tokenBefore = await token.balanceOf(tokenAddress);
      const totalBefore = await totalCredits(vault, tokenAddress);

      await expect(vault.connect(tokenAsAccount).claim()).to.emit(vault, "Claimed").withArgs(tokenAddress, 500n * TOKEN);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect(vaultBefore - (await token.balanceOf(vault))).to.equal(500n * TOKEN);
      expect((await token.balanceOf(tokenAddress)) - tokenBefore).to.equal(500n * TOKEN);
      expect(await vault.creditOf(tokenAddress)).to.equal(0n);
      expect(totalBefore - (await totalCredits(vault, tokenAddress))).to.equal(500n * TOKEN);
      expect(await token.balanceOf(vault)).to.equal(await totalCredits(vault, tokenAddress));
    });

    it("stops a re-entering claim() by a credited account during another account's claim", async function () {
      const { token, vault, alice, tokenAddress } = await loadFixture(hostileTokenFixture);
      await token.arm(await vault.getAddress(), vault.interface.encodeFunctionData("claim"));
      const vaultBefore = await token.balanceOf(vault);
      const tokenBefore = await token.balanceOf(tokenAddress);

      await expect(vault.connect(alice).claim()).to.changeTokenBalances(token, [alice, vault], [300n * TOKEN, -300n * TOKEN]);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      // The token contract's credit is untouched: the re-entry paid nothing.
      expect(await vault.creditOf(tokenAddress)).to.equal(500n * TOKEN);
      expect(await token.balanceOf(tokenAddress)).to.equal(tokenBefore);
      expect(vaultBefore - (await token.balanceOf(vault))).to.equal(300n * TOKEN);
      expect(await totalCredits(vault, tokenAddress)).to.equal(500n * TOKEN);
      expect(await token.balanceOf(vault)).to.equal(await totalCredits(vault, tokenAddress));
    });

    it("lets the same armed payload succeed outside a claim, so the failure above was the guard", async function () {
      const { token, vault, alice, bob, tokenAddress } = await loadFixture(hostileTokenFixture);
      await token.arm(await vault.getAddress(), vault.interface.encodeFunctionData("claim"));
      // A plain transfer between two accounts runs the hook outside any vault call.
      await token.connect(alice).transfer(bob.address, 1n);
      expect(await token.hookSucceeded()).to.equal(true);
      expect(await vault.creditOf(tokenAddress)).to.equal(0n);
      expect(await totalCredits(vault, tokenAddress)).to.equal(300n * TOKEN);
      expect(await token.balanceOf(vault)).to.equal(300n * TOKEN);
    });
  });

  describe("PaymentVault.claimTreasury", function () {
    it("pays the treasury once when the transfer re-enters claimTreasury()", async function () {
      const { token, vault, admin, protocol, alice, tokenAddress } = await loadFixture(hostileTokenFixture);
      await vault.connect(admin).setTreasury(tokenAddress);
      await token.connect(protocol).transfer(vault, 40n * TOKEN);
      await vault.connect(protocol).distribute(7, 40n * TOKEN, 0, []);
      await token.arm(await vault.getAddress(), vault.interface.encodeFunctionData("claimTreasury"));

      await expect(vault.connect(alice).claimTreasury()).to.changeTokenBalances(
        token,
        [tokenAddress, await vault.getAddress()],
        [40n * TOKEN, -40n * TOKEN],
      );
      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect(await vault.treasuryAccrued()).to.equal(0n);
      expect(await token.balanceOf(vault)).to.equal(await totalCredits(vault, tokenAddress));
    });
  });

  describe("StakeManager.withdraw", function () {
    async function unbondedTokenContract() {
      const f = await loadFixture(hostileTokenFixture);
      await f.stakes.connect(f.tokenAsAccount).stake(Role.VERIFIER, 150n * TOKEN);
      await f.stakes.connect(f.tokenAsAccount).requestUnstake(Role.VERIFIER, 150n * TOKEN);
      await f.stakes.connect(f.alice).stake(Role.VERIFIER, 120n * TOKEN);
      await f.stakes.connect(f.alice).requestUnstake(Role.VERIFIER, 120n * TOKEN);
      await time.increase(UNBONDING);
      return f;
    }

    it("pays the unbonded stake once when the transfer re-enters withdraw() for the same account", async function () {
      const { token, stakes, tokenAddress, tokenAsAccount } = await unbondedTokenContract();
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("withdraw", [Role.VERIFIER]));
      const tokenBefore = await token.balanceOf(tokenAddress);

      await expect(stakes.connect(tokenAsAccount).withdraw(Role.VERIFIER))
        .to.emit(stakes, "Withdrawn")
        .withArgs(tokenAddress, Role.VERIFIER, 150n * TOKEN);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect((await token.balanceOf(tokenAddress)) - tokenBefore).to.equal(150n * TOKEN);
      expect((await stakes.accountOf(tokenAddress, Role.VERIFIER)).unbonding).to.equal(0n);
      expect(await stakes.totalStaked()).to.equal(120n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(120n * TOKEN);
    });

    it("stops a re-entering withdraw() by another unbonded account during a withdrawal", async function () {
      const { token, stakes, alice, tokenAddress } = await unbondedTokenContract();
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("withdraw", [Role.VERIFIER]));
      const tokenBefore = await token.balanceOf(tokenAddress);

      await expect(stakes.connect(alice).withdraw(Role.VERIFIER)).to.changeTokenBalances(
        token,
        [alice.address, await stakes.getAddress()],
        [120n * TOKEN, -120n * TOKEN],
      );

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect(await token.balanceOf(tokenAddress)).to.equal(tokenBefore);
      expect((await stakes.accountOf(tokenAddress, Role.VERIFIER)).unbonding).to.equal(150n * TOKEN);
      expect(await stakes.totalStaked()).to.equal(150n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(150n * TOKEN);
    });

    it("stops a stake() re-entered during a withdrawal from crediting stake", async function () {
      const { token, stakes, tokenAddress, tokenAsAccount } = await unbondedTokenContract();
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("stake", [Role.VERIFIER, 100n * TOKEN]));
      const tokenBefore = await token.balanceOf(tokenAddress);

      await stakes.connect(tokenAsAccount).withdraw(Role.VERIFIER);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      const account = await stakes.accountOf(tokenAddress, Role.VERIFIER);
      expect(account.active).to.equal(0n);
      expect(account.unbonding).to.equal(0n);
      expect((await token.balanceOf(tokenAddress)) - tokenBefore).to.equal(150n * TOKEN);
      expect(await stakes.totalStaked()).to.equal(120n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(120n * TOKEN);
    });

    it("lets the same armed withdraw() succeed outside a withdrawal, so the failures above were the guard", async function () {
      const { token, stakes, alice, bob, tokenAddress } = await unbondedTokenContract();
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("withdraw", [Role.VERIFIER]));
      const tokenBefore = await token.balanceOf(tokenAddress);
      await token.connect(alice).transfer(bob.address, 1n);
      expect(await token.hookSucceeded()).to.equal(true);
      expect((await token.balanceOf(tokenAddress)) - tokenBefore).to.equal(150n * TOKEN);
      expect((await stakes.accountOf(tokenAddress, Role.VERIFIER)).unbonding).to.equal(0n);
    });
  });

  describe("StakeManager.stake", function () {
    it("records the stake once when transferFrom re-enters stake() for the same account", async function () {
      const { token, stakes, tokenAddress, tokenAsAccount } = await loadFixture(hostileTokenFixture);
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("stake", [Role.VERIFIER, 100n * TOKEN]));
      const tokenBefore = await token.balanceOf(tokenAddress);

      await expect(stakes.connect(tokenAsAccount).stake(Role.VERIFIER, 150n * TOKEN))
        .to.emit(stakes, "Staked")
        .withArgs(tokenAddress, Role.VERIFIER, 150n * TOKEN, 150n * TOKEN);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect((await stakes.accountOf(tokenAddress, Role.VERIFIER)).active).to.equal(150n * TOKEN);
      expect(await stakes.weightOf(tokenAddress, Role.VERIFIER, 0n)).to.equal(150n * TOKEN);
      expect(await stakes.totalStaked()).to.equal(150n * TOKEN);
      expect(tokenBefore - (await token.balanceOf(tokenAddress))).to.equal(150n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(150n * TOKEN);
    });

    it("stops a stake() by another account re-entered during a stake", async function () {
      const { token, stakes, alice, tokenAddress } = await loadFixture(hostileTokenFixture);
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("stake", [Role.EXECUTOR, 100n * TOKEN]));

      await stakes.connect(alice).stake(Role.EXECUTOR, 130n * TOKEN);

      expect(await token.hookAttempts()).to.equal(1n);
      expect(await token.hookSucceeded()).to.equal(false);
      expect((await stakes.accountOf(alice.address, Role.EXECUTOR)).active).to.equal(130n * TOKEN);
      expect((await stakes.accountOf(tokenAddress, Role.EXECUTOR)).active).to.equal(0n);
      expect(await stakes.totalStaked()).to.equal(130n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(130n * TOKEN);
    });

    it("lets the same armed stake() succeed outside a stake, so the failures above were the guard", async function () {
      const { token, stakes, alice, bob, tokenAddress } = await loadFixture(hostileTokenFixture);
      await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("stake", [Role.EXECUTOR, 100n * TOKEN]));
      await token.connect(alice).transfer(bob.address, 1n);
      expect(await token.hookSucceeded()).to.equal(true);
      expect((await stakes.accountOf(tokenAddress, Role.EXECUTOR)).active).to.equal(100n * TOKEN);
      expect(await token.balanceOf(stakes)).to.equal(100n * TOKEN);
    });
  });
});
