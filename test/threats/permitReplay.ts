/**
 * Threat 7 of docs/THREATS.md: an EIP-2612 permit signed for one chain or one token is replayed on
 * another. The protection is the EIP-712 domain of OpenZeppelin's ERC20Permit, inherited by
 * contracts/GlassboxToken.sol line 13 (`ERC20Permit("Glassbox")`): the digest a permit signs is
 * built by node_modules/@openzeppelin/contracts/utils/cryptography/EIP712.sol line 91
 * (`keccak256(abi.encode(TYPE_HASH, _hashedName, _hashedVersion, block.chainid, address(this)))`,
 * cached at lines 74-76 and re-checked at line 83) and checked by
 * node_modules/@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol lines 57-61. Drop the
 * chain id or the contract address from that domain and the replays below recover the holder's
 * address: the `ERC2612InvalidSigner` expectations fail.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HDNodeWallet } from "ethers";
import { GlassboxToken__factory } from "../../packages/node/src/typechain";
import type { GlassboxToken } from "../../packages/node/src/typechain";
import { deployWorld, requestParams, Role, TOKEN } from "../fixtures/protocol";
import { PERMIT_TYPES } from "../fixtures/permit";


/** A permit by `holder` for `token`'s nonce, signed under the domain of `chainId` and `verifyingContract`. */
async function signFor(
  token: GlassboxToken,
  holder: HDNodeWallet,
  spender: string,
  value: bigint,
  deadline: bigint,
  chainId: bigint,
  verifyingContract: string,
) {
  const signature = await holder.signTypedData(
    { name: "Glassbox", version: "1", chainId, verifyingContract },
    PERMIT_TYPES,
    { owner: holder.address, spender, value, nonce: await token.nonces(holder.address), deadline },
  );
  return ethers.Signature.from(signature);
}

/** The protocol, a holder with 1,000 tokens and no allowance at all, and a second token of the same name. */
async function permitReplayFixture() {
  const world = await deployWorld({ executors: 3, verifiers: 0 });
  const holder = ethers.Wallet.createRandom().connect(ethers.provider);
  await setBalance(holder.address, 10n ** 20n);
  await world.token.mint(holder.address, 1_000n * TOKEN);
  // Same name, version and owner: only the address in the domain tells the two tokens apart.
  const twin = await new GlassboxToken__factory(world.admin).deploy(world.admin.address);
  const { chainId } = await ethers.provider.getNetwork();
  const deadline = BigInt(await time.latest()) + 3600n;
  return { ...world, holder, twin, chainId, otherChainId: chainId + 1n, deadline };
}

describe("EIP-712 replay across chains or contracts", function () {
  it("rejects a permit signed for this token's address on another chain id, and accepts the same permit for this chain", async function () {
    const { token, stakes, holder, chainId, otherChainId, deadline } = await loadFixture(permitReplayFixture);
    const spender = await stakes.getAddress();
    const tokenAddress = await token.getAddress();
    const replayed = await signFor(token, holder, spender, 100n * TOKEN, deadline, otherChainId, tokenAddress);
    await expect(token.permit(holder.address, spender, 100n * TOKEN, deadline, replayed.v, replayed.r, replayed.s)).to.be.revertedWithCustomError(
      token,
      "ERC2612InvalidSigner",
    );
    expect(await token.allowance(holder.address, spender)).to.equal(0n);
    expect(await token.nonces(holder.address)).to.equal(0n);

    // The control: the very same message under this chain's domain is accepted, so only the chain id differed.
    const genuine = await signFor(token, holder, spender, 100n * TOKEN, deadline, chainId, tokenAddress);
    await token.permit(holder.address, spender, 100n * TOKEN, deadline, genuine.v, genuine.r, genuine.s);
    expect(await token.allowance(holder.address, spender)).to.equal(100n * TOKEN);
  });

  it("rejects a permit signed for another token with the same name and version on this chain", async function () {
    const { token, twin, stakes, holder, chainId, deadline } = await loadFixture(permitReplayFixture);
    const spender = await stakes.getAddress();
    const forTwin = await signFor(token, holder, spender, 100n * TOKEN, deadline, chainId, await twin.getAddress());
    await expect(token.permit(holder.address, spender, 100n * TOKEN, deadline, forTwin.v, forTwin.r, forTwin.s)).to.be.revertedWithCustomError(
      token,
      "ERC2612InvalidSigner",
    );
    expect(await token.allowance(holder.address, spender)).to.equal(0n);
  });

  it("stakes nothing through stakeWithPermit with a permit from another chain: the ignored permit leaves no allowance", async function () {
    const { token, stakes, holder, otherChainId, deadline } = await loadFixture(permitReplayFixture);
    const spender = await stakes.getAddress();
    const replayed = await signFor(token, holder, spender, 150n * TOKEN, deadline, otherChainId, await token.getAddress());
    await expect(stakes.connect(holder).stakeWithPermit(Role.EXECUTOR, 150n * TOKEN, deadline, replayed.v, replayed.r, replayed.s))
      .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
      .withArgs(spender, 0n, 150n * TOKEN);
    expect((await stakes.accountOf(holder.address, Role.EXECUTOR)).active).to.equal(0n);
    expect(await token.balanceOf(holder.address)).to.equal(1_000n * TOKEN);
  });

  it("requests nothing through requestInferenceWithPermit with a permit for another token: the fee is never pulled", async function () {
    const { token, twin, jobs, holder, chainId, deadline } = await loadFixture(permitReplayFixture);
    const spender = await jobs.getAddress();
    const p = await requestParams({ fee: TOKEN });
    const forTwin = await signFor(token, holder, spender, TOKEN, deadline, chainId, await twin.getAddress());
    await expect(jobs.connect(holder).requestInferenceWithPermit(p, deadline, forTwin.v, forTwin.r, forTwin.s))
      .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
      .withArgs(spender, 0n, TOKEN);
    expect(await token.balanceOf(holder.address)).to.equal(1_000n * TOKEN);
  });
});
