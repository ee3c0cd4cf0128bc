import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";
import { GlassboxToken__factory, type GlassboxToken } from "../../packages/node/src/typechain";
import { signPermit } from "../fixtures/permit";

const TOKEN = 10n ** 18n;

async function deployGlassboxTokenFixture() {
  const [owner, holder, spender, other] = await ethers.getSigners();
  const token = await new GlassboxToken__factory(owner).deploy(owner.address);
  await token.mint(holder.address, 1000n * TOKEN);
  return { token, owner, holder, spender, other };
}

describe("GlassboxToken", function () {
  describe("constructor", function () {
    it("sets the name, symbol, decimals, owner and EIP-712 domain", async function () {
      const { token, owner } = await loadFixture(deployGlassboxTokenFixture);
      expect(await token.name()).to.equal("Glassbox");
      expect(await token.symbol()).to.equal("GLASS");
      expect(await token.decimals()).to.equal(18n);
      expect(await token.owner()).to.equal(owner.address);
      const domain = await token.eip712Domain();
      expect([domain.name, domain.version, domain.verifyingContract]).to.deep.equal(["Glassbox", "1", await token.getAddress()]);
    });
  });

  describe("mint", function () {
    it("mints to any address when called by the owner", async function () {
      const { token, other } = await loadFixture(deployGlassboxTokenFixture);
      const supply = await token.totalSupply();
      await expect(token.mint(other.address, 5n * TOKEN))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, other.address, 5n * TOKEN);
      expect(await token.balanceOf(other.address)).to.equal(5n * TOKEN);
      expect(await token.totalSupply()).to.equal(supply + 5n * TOKEN);
    });

    it("reverts when the caller is not the owner", async function () {
      const { token, other } = await loadFixture(deployGlassboxTokenFixture);
      await expect(token.connect(other).mint(other.address, 1n))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("permit", function () {
    it("sets the allowance from a signature and consumes the nonce", async function () {
      const { token, holder, spender, other } = await loadFixture(deployGlassboxTokenFixture);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(token, holder, spender.address, 100n * TOKEN, deadline);
      await expect(token.connect(other).permit(holder.address, spender.address, 100n * TOKEN, deadline, sig.v, sig.r, sig.s))
        .to.emit(token, "Approval")
        .withArgs(holder.address, spender.address, 100n * TOKEN);
      expect(await token.allowance(holder.address, spender.address)).to.equal(100n * TOKEN);
      expect(await token.nonces(holder.address)).to.equal(1n);
      await token.connect(spender).transferFrom(holder.address, other.address, 100n * TOKEN);
      expect(await token.balanceOf(other.address)).to.equal(100n * TOKEN);
    });

    it("reverts when the signature is replayed", async function () {
      const { token, holder, spender } = await loadFixture(deployGlassboxTokenFixture);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(token, holder, spender.address, TOKEN, deadline);
      await token.permit(holder.address, spender.address, TOKEN, deadline, sig.v, sig.r, sig.s);
      // With the nonce used, the same signature recovers to some other address.
      await expect(token.permit(holder.address, spender.address, TOKEN, deadline, sig.v, sig.r, sig.s)).to.be.revertedWithCustomError(
        token,
        "ERC2612InvalidSigner",
      );
    });

    it("reverts when the signer is not the owner of the tokens", async function () {
      const { token, holder, spender, other } = await loadFixture(deployGlassboxTokenFixture);
      const deadline = BigInt(await time.latest()) + 3600n;
      const forged = await signPermit(token, other, spender.address, TOKEN, deadline, holder.address);
      await expect(token.permit(holder.address, spender.address, TOKEN, deadline, forged.v, forged.r, forged.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(other.address, holder.address);
    });

    it("reverts when the deadline has passed", async function () {
      const { token, holder, spender } = await loadFixture(deployGlassboxTokenFixture);
      const deadline = BigInt(await time.latest()) - 1n;
      const sig = await signPermit(token, holder, spender.address, TOKEN, deadline);
      await expect(token.permit(holder.address, spender.address, TOKEN, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });
  });

  describe("transferOwnership", function () {
    it("nominates a pending owner without moving ownership", async function () {
      const { token, owner, other } = await loadFixture(deployGlassboxTokenFixture);
      await expect(token.transferOwnership(other.address))
        .to.emit(token, "OwnershipTransferStarted")
        .withArgs(owner.address, other.address);
      expect(await token.owner()).to.equal(owner.address);
      expect(await token.pendingOwner()).to.equal(other.address);
      await expect(token.connect(other).mint(other.address, 1n))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });

    it("reverts when the caller is not the owner", async function () {
      const { token, other } = await loadFixture(deployGlassboxTokenFixture);
      await expect(token.connect(other).transferOwnership(other.address))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
    });
  });

  describe("acceptOwnership", function () {
    it("moves ownership to the pending owner, who may then mint", async function () {
      const { token, owner, other } = await loadFixture(deployGlassboxTokenFixture);
      await token.transferOwnership(other.address);
      await expect(token.connect(other).acceptOwnership()).to.emit(token, "OwnershipTransferred").withArgs(owner.address, other.address);
      expect(await token.owner()).to.equal(other.address);
      expect(await token.pendingOwner()).to.equal(ethers.ZeroAddress);
      await token.connect(other).mint(other.address, 7n);
      expect(await token.balanceOf(other.address)).to.equal(7n);
      await expect(token.connect(owner).mint(owner.address, 1n))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
    });

    it("reverts when the caller is not the pending owner", async function () {
      const { token, other, spender } = await loadFixture(deployGlassboxTokenFixture);
      await token.transferOwnership(other.address);
      await expect(token.connect(spender).acceptOwnership())
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(spender.address);
    });
  });
});
