import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { GlassboxToken__factory, PaymentVault__factory } from "../../packages/node/src/typechain";
import type { GlassboxToken, PaymentVault } from "../../packages/node/src/typechain";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { TOKEN } from "../fixtures/protocol";

const BPS = 10_000n;
const SHARES = { verifierBps: 1000, modelOwnerBps: 1000, treasuryBps: 500 };

/**
 * A vault over the devnet token, deployed by `admin` (also its governance) and wired to two test
 * signers: `protocol` as the hub (it also holds the tokens it funds the vault with) and `disputer`
 * as the dispute manager, the only two accounts that may move value inside it.
 */
async function vaultFixture() {
  const [admin, protocol, treasury, alice, bob, carol, owner, stranger, disputer] = await ethers.getSigners();
  const token = await new GlassboxToken__factory(admin).deploy(admin.address);
  const vault = await new PaymentVault__factory(admin).deploy(token, admin.address, treasury.address);
  await vault.wire(protocol.address, disputer.address);
  await token.mint(protocol.address, 1_000_000n * TOKEN);
  return { token, vault, admin, protocol, treasury, alice, bob, carol, owner, stranger, disputer };
}

/** Sends `amount` tokens into the vault, standing for escrow, a bond or a slash that arrived. */
async function fund(token: GlassboxToken, vault: PaymentVault, protocol: HardhatEthersSigner, amount: bigint) {
  if (amount > 0n) await token.connect(protocol).transfer(vault, amount);
}

/**
 * Unclaimed credits of every account. The vault keeps no running total (it was dropped to save gas),
 * so the tests add up the credits of every signer: in these tests only signers are ever credited.
 */
async function totalCredits(vault: PaymentVault): Promise<bigint> {
  let sum = 0n;
  for (const s of await ethers.getSigners()) sum += await vault.creditOf(s.address);
  return sum;
}

/** The models whose audit pots these tests fill. */
const MODELS = [1n, 2n, 3n];

/** What every model's audit pot holds. */
async function auditPots(vault: PaymentVault): Promise<bigint> {
  let sum = 0n;
  for (const m of MODELS) sum += await vault.auditPotOf(m);
  return sum;
}

async function expectSolvent(token: GlassboxToken, vault: PaymentVault) {
  expect(await token.balanceOf(vault)).to.equal((await totalCredits(vault)) + (await auditPots(vault)) + (await vault.treasuryAccrued()));
}

describe("PaymentVault", function () {
  describe("constructor", function () {
    it("reverts when the treasury is zero", async function () {
      const { token, admin } = await loadFixture(vaultFixture);
      const factory = new PaymentVault__factory(admin);
      await expect(factory.deploy(token, admin.address, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("treasury");
    });

    it("reverts when governance is zero", async function () {
      const { token, admin, treasury } = await loadFixture(vaultFixture);
      const factory = new PaymentVault__factory(admin);
      await expect(factory.deploy(token, ethers.ZeroAddress, treasury.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("governance");
    });

    it("sets the token, the treasury, governance and the deployer", async function () {
      const { token, admin, treasury, stranger } = await loadFixture(vaultFixture);
      const vault = await new PaymentVault__factory(stranger).deploy(token, admin.address, treasury.address);
      expect(await vault.TOKEN()).to.equal(await token.getAddress());
      expect(await vault.treasury()).to.equal(treasury.address);
      expect(await vault.GOVERNANCE()).to.equal(admin.address);
      expect(await vault.DEPLOYER()).to.equal(stranger.address);
      expect(await vault.hub()).to.equal(ethers.ZeroAddress);
      expect(await vault.disputeManager()).to.equal(ethers.ZeroAddress);
    });
  });

  describe("wire", function () {
    it("wires the hub and the dispute manager once and emits Wired", async function () {
      const { token, admin, treasury, protocol, disputer } = await loadFixture(vaultFixture);
      const vault = await new PaymentVault__factory(admin).deploy(token, admin.address, treasury.address);
      await expect(vault.wire(protocol.address, disputer.address)).to.emit(vault, "Wired").withArgs(protocol.address, disputer.address);
      expect(await vault.hub()).to.equal(protocol.address);
      expect(await vault.disputeManager()).to.equal(disputer.address);
    });

    it("reverts with AlreadyWired when wired a second time, to anything", async function () {
      const { vault, admin, protocol, disputer } = await loadFixture(vaultFixture);
      await expect(vault.wire(protocol.address, disputer.address)).to.be.revertedWithCustomError(vault, "AlreadyWired");
      await expect(vault.wire(admin.address, admin.address)).to.be.revertedWithCustomError(vault, "AlreadyWired");
      expect(await vault.hub()).to.equal(protocol.address);
      expect(await vault.disputeManager()).to.equal(disputer.address);
    });

    it("reverts with the name of a zero address", async function () {
      const { token, admin, treasury, protocol, disputer } = await loadFixture(vaultFixture);
      const vault = await new PaymentVault__factory(admin).deploy(token, admin.address, treasury.address);
      await expect(vault.wire(ethers.ZeroAddress, disputer.address)).to.be.revertedWithCustomError(vault, "ZeroAddress").withArgs("hub");
      await expect(vault.wire(protocol.address, ethers.ZeroAddress)).to.be.revertedWithCustomError(vault, "ZeroAddress").withArgs("disputes");
    });

    it("reverts when the caller is not the deployer, governance included", async function () {
      const { token, admin, treasury, protocol, disputer, stranger } = await loadFixture(vaultFixture);
      // Deployed by `admin` with `stranger` as governance: governance may not wire.
      const vault = await new PaymentVault__factory(admin).deploy(token, stranger.address, treasury.address);
      for (const caller of [stranger, protocol]) {
        await expect(vault.connect(caller).wire(protocol.address, disputer.address))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });
  });

  describe("access control", function () {
    it("reverts every protocol-only function for an account that is neither wired contract", async function () {
      const { vault, stranger, alice, admin } = await loadFixture(vaultFixture);
      for (const caller of [stranger, admin]) {
        const v = vault.connect(caller);
        await expect(v.payFee(1, 1, 1000, SHARES, [alice.address], alice.address))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
        await expect(v.credit(alice.address, 1, 1000))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
        await expect(v.distribute(1, 1000, 5000, [alice.address]))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
        await expect(v.rewardVoters(1, 1, 1000, [alice.address]))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
        await expect(v.settleSlash(1, 1000, alice.address, 100))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });

    it("lets the dispute manager move value as well as the hub", async function () {
      const { token, vault, protocol, disputer, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 1000n);
      await expect(vault.connect(disputer).credit(alice.address, 1, 400n)).to.emit(vault, "Credited").withArgs(alice.address, 1, 400n);
      await vault.connect(protocol).credit(alice.address, 2, 600n);
      expect(await vault.creditOf(alice.address)).to.equal(1000n);
      await expectSolvent(token, vault);
    });
  });

  describe("payFee", function () {
    it("splits the fee into parts that add up to it, equal executor shares and the dust to the treasury", async function () {
      const { token, vault, protocol, alice, bob, carol, owner } = await loadFixture(vaultFixture);
      const fee = 10_007n;
      await fund(token, vault, protocol, fee);
      // verifiers 1000, owner 1000, treasury 500 (rounded down from 500.35), executors 7507 = 3 x 2502 + 1 dust.
      await expect(vault.connect(protocol).payFee(9, 2, fee, SHARES, [alice.address, bob.address, carol.address], owner.address))
        .to.emit(vault, "FeePaid")
        .withArgs(9, 7506n, 1000n, 1000n, 501n);
      for (const e of [alice, bob, carol]) expect(await vault.creditOf(e.address)).to.equal(2502n);
      expect(await vault.creditOf(owner.address)).to.equal(1000n);
      // The verifiers' part goes to the audit pot of the job's model, and only that one.
      const pool = await vault.auditPotOf(2);
      const treasuryAccrued = await vault.treasuryAccrued();
      expect(pool).to.equal(1000n);
      expect(await vault.auditPotOf(1)).to.equal(0n);
      expect(treasuryAccrued).to.equal(501n);
      expect(await totalCredits(vault)).to.equal(3n * 2502n + 1000n);
      expect((await totalCredits(vault)) + pool + treasuryAccrued).to.equal(fee);
      await expectSolvent(token, vault);
    });

    it("pays a single executor the whole executor part", async function () {
      const { token, vault, protocol, alice, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, TOKEN);
      await expect(vault.connect(protocol).payFee(1, 1, TOKEN, SHARES, [alice.address], owner.address))
        .to.emit(vault, "FeePaid")
        .withArgs(1, (TOKEN * 7500n) / BPS, TOKEN / 10n, TOKEN / 10n, TOKEN / 20n);
      expect(await vault.creditOf(alice.address)).to.equal((TOKEN * 7500n) / BPS);
      await expectSolvent(token, vault);
    });

    it("sends the executor part to the treasury when there is no executor", async function () {
      const { token, vault, protocol, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 10_000n);
      await expect(vault.connect(protocol).payFee(1, 1, 10_000n, SHARES, [], owner.address))
        .to.emit(vault, "FeePaid")
        .withArgs(1, 0n, 1000n, 1000n, 8000n);
      expect(await totalCredits(vault)).to.equal(1000n);
      await expectSolvent(token, vault);
    });
  });

  describe("credit", function () {
    it("credits an account and adds to what it can claim", async function () {
      const { token, vault, protocol, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 700n);
      await expect(vault.connect(protocol).credit(alice.address, 4, 500n)).to.emit(vault, "Credited").withArgs(alice.address, 4, 500n);
      await vault.connect(protocol).credit(alice.address, 5, 200n);
      expect(await vault.creditOf(alice.address)).to.equal(700n);
      expect(await totalCredits(vault)).to.equal(700n);
      await expectSolvent(token, vault);
    });

    it("does nothing for a zero amount", async function () {
      const { vault, protocol, alice } = await loadFixture(vaultFixture);
      await expect(vault.connect(protocol).credit(alice.address, 4, 0n)).to.not.emit(vault, "Credited");
      expect(await totalCredits(vault)).to.equal(0n);
    });
  });

  describe("distribute", function () {
    it("pays winnerShareBps of the pot equally to the winners and the rest, dust included, to the treasury", async function () {
      const { token, vault, protocol, alice, bob, carol } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 100n);
      // 50% of 100 = 50 = 3 x 16 + 2; the treasury gets 50 + 2.
      const tx = vault.connect(protocol).distribute(3, 100n, 5000, [alice.address, bob.address, carol.address]);
      await expect(tx).to.emit(vault, "TreasuryAccrued").withArgs(3, 52n);
      await expect(tx).to.emit(vault, "Credited").withArgs(bob.address, 3, 16n);
      for (const w of [alice, bob, carol]) expect(await vault.creditOf(w.address)).to.equal(16n);
      expect(await auditPots(vault)).to.equal(0n);
      expect(await vault.treasuryAccrued()).to.equal(52n);
      expect(await totalCredits(vault)).to.equal(48n);
      await expectSolvent(token, vault);
    });

    it("sends the whole pot to the treasury with no winners or a zero share", async function () {
      const { token, vault, protocol, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 300n);
      await vault.connect(protocol).distribute(1, 100n, 5000, []);
      await vault.connect(protocol).distribute(2, 200n, 0, [alice.address]);
      expect(await vault.creditOf(alice.address)).to.equal(0n);
      expect((await vault.treasuryAccrued())).to.equal(300n);
      await expectSolvent(token, vault);
    });

    it("pays the whole pot to the winners at 100%", async function () {
      const { token, vault, protocol, alice, bob } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 101n);
      await vault.connect(protocol).distribute(1, 101n, 10_000, [alice.address, bob.address]);
      expect(await vault.creditOf(alice.address)).to.equal(50n);
      expect(await vault.creditOf(bob.address)).to.equal(50n);
      expect((await vault.treasuryAccrued())).to.equal(1n);
      await expectSolvent(token, vault);
    });

    it("does nothing for a zero pot", async function () {
      const { vault, protocol, alice } = await loadFixture(vaultFixture);
      await expect(vault.connect(protocol).distribute(1, 0n, 5000, [alice.address]))
        .to.not.emit(vault, "TreasuryAccrued")
        .and.to.not.emit(vault, "Credited");
      expect(await totalCredits(vault)).to.equal(0n);
      expect((await vault.treasuryAccrued())).to.equal(0n);
    });
  });

  describe("rewardVoters", function () {
    it("pays each voter the reward from the audit pot of the model", async function () {
      const { token, vault, protocol, alice, bob, carol, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 10_000n);
      await vault.connect(protocol).payFee(1, 1, 10_000n, SHARES, [carol.address], owner.address); // pot of model 1: 1000
      await vault.connect(protocol).rewardVoters(2, 1, 300n, [alice.address, bob.address]);
      expect(await vault.creditOf(alice.address)).to.equal(300n);
      expect(await vault.creditOf(bob.address)).to.equal(300n);
      expect(await vault.auditPotOf(1)).to.equal(400n);
      await expectSolvent(token, vault);
    });

    it("never pays from another model's audit pot", async function () {
      const { token, vault, protocol, alice, carol, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 10_000n);
      await vault.connect(protocol).payFee(1, 1, 10_000n, SHARES, [carol.address], owner.address); // pot of model 1: 1000
      await expect(vault.connect(protocol).rewardVoters(2, 2, 300n, [alice.address])).to.not.emit(vault, "Credited");
      expect(await vault.creditOf(alice.address)).to.equal(0n);
      expect(await vault.auditPotOf(1)).to.equal(1000n);
      expect(await vault.auditPotOf(2)).to.equal(0n);
      await expectSolvent(token, vault);
    });

    it("caps the rewards at what the pot holds", async function () {
      const { token, vault, protocol, alice, bob, carol, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 10_000n);
      await vault.connect(protocol).payFee(1, 3, 10_000n, SHARES, [owner.address], owner.address); // pot of model 3: 1000
      const tx = vault.connect(protocol).rewardVoters(2, 3, 400n, [alice.address, bob.address, carol.address]);
      await expect(tx).to.emit(vault, "Credited").withArgs(carol.address, 2, 200n);
      expect(await vault.creditOf(alice.address)).to.equal(400n);
      expect(await vault.creditOf(bob.address)).to.equal(400n);
      expect(await vault.creditOf(carol.address)).to.equal(200n);
      expect(await vault.auditPotOf(3)).to.equal(0n);
      await expectSolvent(token, vault);
    });

    it("pays nothing from an empty pot", async function () {
      const { vault, protocol, alice } = await loadFixture(vaultFixture);
      await expect(vault.connect(protocol).rewardVoters(2, 1, 400n, [alice.address])).to.not.emit(vault, "Credited");
      expect(await vault.creditOf(alice.address)).to.equal(0n);
    });
  });

  describe("settleSlash", function () {
    it("pays the beneficiary at most the bounty and the rest to the treasury", async function () {
      const { token, vault, protocol, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 22_000n);
      const tx = vault.connect(protocol).settleSlash(7, 22_000n, alice.address, 2_000n);
      await expect(tx).to.emit(vault, "Credited").withArgs(alice.address, 7, 2_000n);
      await expect(tx).to.emit(vault, "TreasuryAccrued").withArgs(7, 20_000n);
      expect(await vault.creditOf(alice.address)).to.equal(2_000n);
      expect(await vault.treasuryAccrued()).to.equal(20_000n);
      await expectSolvent(token, vault);
    });

    it("pays the beneficiary the whole slash when it is below the bounty", async function () {
      const { token, vault, protocol, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 500n);
      await vault.connect(protocol).settleSlash(7, 500n, alice.address, 2_000n);
      expect(await vault.creditOf(alice.address)).to.equal(500n);
      expect(await vault.treasuryAccrued()).to.equal(0n);
      await expectSolvent(token, vault);
    });

    it("sends everything to the treasury without a beneficiary (timeouts, audits)", async function () {
      const { token, vault, protocol, disputer } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 3_000n);
      await expect(vault.connect(protocol).settleSlash(7, 1_000n, ethers.ZeroAddress, 2_000n)).to.not.emit(vault, "Credited");
      await vault.connect(disputer).settleSlash(8, 2_000n, ethers.ZeroAddress, 0n);
      expect(await vault.treasuryAccrued()).to.equal(3_000n);
      expect(await totalCredits(vault)).to.equal(0n);
      await expectSolvent(token, vault);
    });
  });

  describe("claim", function () {
    it("reverts when there is nothing to claim", async function () {
      const { vault, stranger } = await loadFixture(vaultFixture);
      await expect(vault.connect(stranger).claim()).to.be.revertedWithCustomError(vault, "NothingToClaim").withArgs(stranger.address);
    });

    it("transfers the credit, zeroes it and lowers the total of credits", async function () {
      const { token, vault, protocol, alice, bob } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 1000n);
      await vault.connect(protocol).credit(alice.address, 1, 600n);
      await vault.connect(protocol).credit(bob.address, 1, 400n);
      await expect(vault.connect(alice).claim()).to.changeTokenBalances(token, [alice, vault], [600n, -600n]);
      expect(await vault.creditOf(alice.address)).to.equal(0n);
      expect(await totalCredits(vault)).to.equal(400n);
      await expectSolvent(token, vault);
      await expect(vault.connect(alice).claim()).to.be.revertedWithCustomError(vault, "NothingToClaim").withArgs(alice.address);
    });

    it("emits Claimed", async function () {
      const { token, vault, protocol, alice } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 600n);
      await vault.connect(protocol).credit(alice.address, 1, 600n);
      await expect(vault.connect(alice).claim()).to.emit(vault, "Claimed").withArgs(alice.address, 600n);
    });
  });

  describe("claimTreasury", function () {
    it("reverts when the treasury has nothing accrued", async function () {
      const { vault, stranger, treasury } = await loadFixture(vaultFixture);
      await expect(vault.connect(stranger).claimTreasury()).to.be.revertedWithCustomError(vault, "NothingToClaim").withArgs(treasury.address);
    });

    it("pays the treasury its accrued share, whoever calls", async function () {
      const { token, vault, protocol, treasury, stranger, alice, owner } = await loadFixture(vaultFixture);
      await fund(token, vault, protocol, 10_000n + 90n);
      await vault.connect(protocol).payFee(1, 1, 10_000n, SHARES, [alice.address], owner.address); // treasury 500
      await vault.connect(protocol).distribute(2, 90n, 0, []); // treasury 590
      const tx = vault.connect(stranger).claimTreasury();
      await expect(tx).to.emit(vault, "TreasuryClaimed").withArgs(treasury.address, 590n);
      await expect(tx).to.changeTokenBalances(token, [treasury, vault, stranger], [590n, -590n, 0n]);
      expect((await vault.treasuryAccrued())).to.equal(0n);
      await expectSolvent(token, vault);
    });
  });

  describe("setTreasury", function () {
    it("reverts when the caller is not governance", async function () {
      const { vault, stranger, protocol } = await loadFixture(vaultFixture);
      for (const caller of [stranger, protocol]) {
        await expect(vault.connect(caller).setTreasury(caller.address))
          .to.be.revertedWithCustomError(vault, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });

    it("reverts when the treasury is zero", async function () {
      const { vault, admin } = await loadFixture(vaultFixture);
      await expect(vault.connect(admin).setTreasury(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(vault, "ZeroAddress")
        .withArgs("treasury");
    });

    it("sends later treasury claims to the new address", async function () {
      const { token, vault, admin, protocol, treasury, bob } = await loadFixture(vaultFixture);
      await expect(vault.connect(admin).setTreasury(bob.address)).to.emit(vault, "TreasurySet").withArgs(bob.address);
      expect(await vault.treasury()).to.equal(bob.address);
      await fund(token, vault, protocol, 50n);
      await vault.connect(protocol).distribute(1, 50n, 0, []);
      await expect(vault.claimTreasury()).to.changeTokenBalances(token, [bob, treasury], [50n, 0n]);
    });
  });

  describe("solvency", function () {
    it("keeps the token balance equal to credits + audit pots + treasury over a seeded sequence of calls", async function () {
      const { token, vault, protocol, alice, bob, carol, owner, treasury } = await loadFixture(vaultFixture);
      const seed = 0x5eed_c0de;
      let state = seed;
      const next = (n: number): number => {
        // xorshift32: deterministic for the pinned seed.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        return state % n;
      };
      const accounts = [alice, bob, carol, owner];
      const pick = (): HardhatEthersSigner => accounts[next(accounts.length)];
      const p = vault.connect(protocol);
      let paidOut = 0n;
      let treasuryPaid = 0n;
      let funded = 0n;
      const ran = new Set<number>();
      for (let step = 0; step < 40; step++) {
        const op = next(7);
        ran.add(op);
        const amount = BigInt(next(1_000_000) + 1) * 10n ** 9n + BigInt(next(97));
        try {
          if (op === 0) {
            await fund(token, vault, protocol, amount);
            funded += amount;
            const executors = accounts.slice(0, next(4));
            await p.payFee(step, MODELS[next(MODELS.length)], amount, SHARES, executors.map((e) => e.address), pick().address);
          } else if (op === 1) {
            await fund(token, vault, protocol, amount);
            funded += amount;
            await p.credit(pick().address, step, amount);
          } else if (op === 2) {
            await fund(token, vault, protocol, amount);
            funded += amount;
            const winners = accounts.slice(0, next(5)).map((a) => a.address);
            await p.distribute(step, amount, next(10_001), winners);
          } else if (op === 3) {
            await p.rewardVoters(step, MODELS[next(MODELS.length)], amount / 3n, [pick().address, pick().address]);
          } else if (op === 4) {
            const who = pick();
            const owed = await vault.creditOf(who.address);
            if (owed > 0n) {
              await vault.connect(who).claim();
              paidOut += owed;
            }
          } else if (op === 6) {
            await fund(token, vault, protocol, amount);
            funded += amount;
            const beneficiary = next(2) === 0 ? ethers.ZeroAddress : pick().address;
            await p.settleSlash(step, amount, beneficiary, amount / BigInt(next(4) + 1));
          } else {
            const accrued = await vault.treasuryAccrued();
            if (accrued > 0n) {
              await vault.claimTreasury();
              paidOut += accrued;
              treasuryPaid += accrued;
            }
          }
          await expectSolvent(token, vault);
        } catch (err) {
          console.error(`solvency sequence failed at step ${step} (op ${op}) with seed ${seed}`);
          throw err;
        }
      }
      expect(funded - paidOut).to.equal((await totalCredits(vault)) + (await auditPots(vault)) + (await vault.treasuryAccrued()));
      expect(await token.balanceOf(treasury)).to.equal(treasuryPaid);
      expect(ran.size, `seed ${seed} did not exercise every call`).to.equal(7);
    });
  });
});
