/**
 * Threat 1 of docs/THREATS.md, the slash path: a token whose transfer hook re-enters the
 * StakeManager while `slash` sends the slashed stake to its recipient. The protection is the
 * `nonReentrant` modifier of `slash`, contracts/StakeManager.sol
 * (`) external onlyProtocol nonReentrant returns (uint256 slashed) {`), together with
 * `nonReentrant` on `withdraw`. Remove it from `slash` and the re-entering slash below
 * succeeds (`hookSucceeded` turns true, the node loses twice the amount and the recipient is paid
 * twice), so the first test fails; the control test shows the same armed call does succeed
 * outside a slash, so the failure inside is the guard's and not the caller check's.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { ProtocolStub__factory, ReentrantToken__factory, StakeManager__factory } from "../../packages/node/src/typechain";
import { Role, TOKEN } from "../fixtures/protocol";

const UNBONDING = 3600;

/**
 * A StakeManager over a ReentrantToken, wired to a ProtocolStub as its hub (`hub`, a pass-through
 * anyone can call through) and to the `protocol` signer as its dispute manager. The token's
 * transfer hook is armed to call the stub, so it plays a protocol contract reached from inside a
 * slash, the strongest re-entry there is. Alice is staked 100 as an executor; the token contract
 * (sending its own transactions, impersonated) has 100 unbonding and released.
 */
async function reentrantSlashFixture() {
  const [admin, protocol, recipient, alice] = await ethers.getSigners();
  const token = await new ReentrantToken__factory(admin).deploy();
  const stakes = await new StakeManager__factory(admin).deploy(token, admin.address, 10n * TOKEN, 10n * TOKEN, UNBONDING, 3600);
  const tokenAddress = await token.getAddress();
  const hub = await new ProtocolStub__factory(admin).deploy();
  await hub.setForwardTo(stakes);
  await stakes.wire(hub, protocol.address);
  await impersonateAccount(tokenAddress);
  await setBalance(tokenAddress, 10n ** 20n);
  const tokenAsAccount = await ethers.getSigner(tokenAddress);

  for (const s of [alice, tokenAsAccount]) {
    await token.mint(s.address, 1_000n * TOKEN);
    await token.connect(s).approve(stakes, ethers.MaxUint256);
    await stakes.connect(s).stake(Role.EXECUTOR, 100n * TOKEN);
  }
  await stakes.connect(tokenAsAccount).requestUnstake(Role.EXECUTOR, 100n * TOKEN);
  await time.increase(UNBONDING + 1);
  return { token, stakes, hub, protocol, recipient, alice, tokenAddress, tokenAsAccount };
}

describe("Reentrancy on payouts and slashes", function () {
  it("slashes once when the transfer to the recipient re-enters slash() for the same node", async function () {
    const { token, stakes, hub, protocol, recipient, alice } = await loadFixture(reentrantSlashFixture);
    // The hook calls the wired hub, which forwards the slash to the StakeManager as itself.
    await token.arm(await hub.getAddress(), stakes.interface.encodeFunctionData("slash", [alice.address, Role.EXECUTOR, 30n * TOKEN, recipient.address]));

    await expect(stakes.connect(protocol).slash(alice.address, Role.EXECUTOR, 30n * TOKEN, recipient.address))
      .to.emit(stakes, "NodeSlashed")
      .withArgs(alice.address, Role.EXECUTOR, 30n * TOKEN, 0n, recipient.address);

    expect(await token.hookAttempts()).to.equal(1n);
    expect(await token.hookSucceeded()).to.equal(false);
    expect((await stakes.accountOf(alice.address, Role.EXECUTOR)).active).to.equal(70n * TOKEN);
    expect(await token.balanceOf(recipient.address)).to.equal(30n * TOKEN);
    expect(await token.balanceOf(stakes)).to.equal(await stakes.totalStaked());
  });

  it("lets the same armed slash succeed outside a slash, so the failure above was the guard", async function () {
    const { token, stakes, hub, recipient, alice, tokenAsAccount } = await loadFixture(reentrantSlashFixture);
    const payload = stakes.interface.encodeFunctionData("slash", [alice.address, Role.EXECUTOR, 30n * TOKEN, recipient.address]);
    await tokenAsAccount.sendTransaction({ to: await hub.getAddress(), data: payload });
    expect((await stakes.accountOf(alice.address, Role.EXECUTOR)).active).to.equal(70n * TOKEN);
    expect(await token.hookSucceeded()).to.equal(false); // not armed: no hook ran
  });

  it("stops a withdraw() re-entered by the slashed node while its unbonding stake is being sent away", async function () {
    const { token, stakes, protocol, recipient, tokenAddress, tokenAsAccount } = await loadFixture(reentrantSlashFixture);
    await token.arm(await stakes.getAddress(), stakes.interface.encodeFunctionData("withdraw", [Role.EXECUTOR]));

    await expect(stakes.connect(protocol).slash(tokenAddress, Role.EXECUTOR, 40n * TOKEN, recipient.address))
      .to.emit(stakes, "NodeSlashed")
      .withArgs(tokenAddress, Role.EXECUTOR, 40n * TOKEN, 40n * TOKEN, recipient.address);

    expect(await token.hookAttempts()).to.equal(1n);
    expect(await token.hookSucceeded()).to.equal(false);
    expect((await stakes.accountOf(tokenAddress, Role.EXECUTOR)).unbonding).to.equal(60n * TOKEN);
    // What the slash left is withdrawn once, outside the slash, and the books still balance.
    await token.arm(ethers.ZeroAddress, "0x");
    await expect(stakes.connect(tokenAsAccount).withdraw(Role.EXECUTOR)).to.emit(stakes, "Withdrawn").withArgs(tokenAddress, Role.EXECUTOR, 60n * TOKEN);
    expect(await token.balanceOf(stakes)).to.equal(await stakes.totalStaked());
    expect(await stakes.totalStaked()).to.equal(100n * TOKEN);
  });
});
