/**
 * Finding 6 of issue 10, "admin takes every token in one block" (docs/THREATS.md): with
 * AccessControl, the admin of the StakeManager and the PaymentVault could `grantRole(PROTOCOL_ROLE,
 * self)` and then, in the same block, slash every node's stake to itself, credit itself the vault's
 * escrow and claim it. Governance v2 has no roles to grant: the only callers of the StakeManager's
 * and the PaymentVault's value-moving functions are the JobRegistry and the DisputeManager, wired
 * once by the deployer, and governance is a separate, immutable address that only reaches the
 * bounded setters.
 *
 * The attackers are both privileged accounts of the deployment: `governance` (every contract's
 * GOVERNANCE) and `deployer` (every contract's DEPLOYER, who wired them). Each test names the guard
 * it pins; remove that guard and the attacker's call succeeds, so the test fails:
 *   - StakeManager `onlyProtocol` (contracts/StakeManager.sol, on unlock, slash, slashLocked,
 *     lockSeat),
 *   - PaymentVault `onlyProtocol` (contracts/PaymentVault.sol, on payFee, credit, distribute,
 *     rewardVoters, settleSlash),
 *   - the `AlreadyWired` checks of StakeManager.wire, PaymentVault.wire, DisputeManager.setHub and
 *     QuorumManager.setHub (with `onlyDeployer` in front of them for governance).
 * The re-wiring attempts point the StakeManager at a window source the attacker deployed (a
 * ProtocolStub, a real contract): with the AlreadyWired check gone the call would then succeed,
 * where an EOA hub would still revert on reading its windows and hide the missing guard.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { ProtocolStub__factory } from "../../packages/node/src/typechain";
import { deployWorld, requestJob, Role, TOKEN } from "../fixtures/protocol";

/**
 * A live deployment: 3 executors and 4 verifiers staked (200 each), one OPTIMISTIC job requested
 * (its fee escrowed in the vault, its executor's collateral locked). `governance` is a signer of
 * its own, `deployer` (the fixtures' admin) deployed and wired everything; `lure` is a window
 * source the attacker deployed to re-wire to.
 */
async function theftFixture() {
  const signers = await ethers.getSigners();
  const governance = signers[signers.length - 1];
  const world = await deployWorld({ executors: 3, verifiers: 4, governance: governance.address });
  const { jobId, assigned } = await requestJob(world);
  const lure = await new ProtocolStub__factory(governance).deploy();
  return { ...world, deployer: world.admin, governance, jobId, assigned, lure };
}

type Fixture = Awaited<ReturnType<typeof theftFixture>>;

/** Every node's stake account, the contracts' token balances and the attackers' balances and credits. */
async function snapshot(f: Fixture) {
  const nodes = [...f.executors, ...f.verifiers];
  const accounts: string[] = [];
  for (const n of nodes) {
    for (const role of [Role.EXECUTOR, Role.VERIFIER]) {
      const a = await f.stakes.accountOf(n.address, role);
      accounts.push(`${n.address}:${role}:${a.active}:${a.locked}:${a.unbonding}:${a.jailed}`);
    }
  }
  const attackers = [];
  for (const a of [f.governance, f.deployer]) {
    attackers.push(`${a.address}:${await f.token.balanceOf(a.address)}:${await f.vault.creditOf(a.address)}`);
  }
  return {
    accounts,
    attackers,
    staked: await f.stakes.totalStaked(),
    stakesBalance: await f.token.balanceOf(f.stakes),
    vaultBalance: await f.token.balanceOf(f.vault),
    pools: [String(await f.vault.auditPotOf(1n)), String(await f.vault.treasuryAccrued())],
  };
}

function attackersOf(f: Fixture): [string, HardhatEthersSigner][] {
  return [
    ["governance", f.governance],
    ["deployer", f.deployer],
  ];
}

describe("Governance theft (finding 6: admin takes every token in one block)", function () {
  it("governance and the deployer cannot slash, unlock or lock any stake (pins StakeManager.onlyProtocol)", async function () {
    const f = await loadFixture(theftFixture);
    const before = await snapshot(f);
    expect(before.staked).to.equal(7n * 200n * TOKEN);
    for (const [who, attacker] of attackersOf(f)) {
      const stakes = f.stakes.connect(attacker);
      for (const node of f.executors) {
        await expect(stakes.slash(node.address, Role.EXECUTOR, 200n * TOKEN, attacker.address), `${who} slash`)
          .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
          .withArgs(attacker.address);
      }
      for (const node of f.verifiers) {
        await expect(stakes.slash(node.address, Role.VERIFIER, 200n * TOKEN, attacker.address), `${who} slash`)
          .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
          .withArgs(attacker.address);
      }
      await expect(stakes.unlock(f.assigned[0], Role.EXECUTOR, 20n * TOKEN), `${who} unlock`)
        .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
        .withArgs(attacker.address);
      await expect(stakes.slashLocked(f.assigned[0], Role.EXECUTOR, 20n * TOKEN, attacker.address), `${who} slashLocked`)
        .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
        .withArgs(attacker.address);
      await expect(stakes.lockSeat(f.assigned[0], Role.EXECUTOR, 180n * TOKEN), `${who} lockSeat`)
        .to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller")
        .withArgs(attacker.address);
    }
    expect(await snapshot(f)).to.deep.equal(before);
  });

  it("governance and the deployer cannot move value in the vault and have nothing to claim (pins PaymentVault.onlyProtocol)", async function () {
    const f = await loadFixture(theftFixture);
    const before = await snapshot(f);
    expect(before.vaultBalance).to.be.greaterThan(0n); // the escrowed fee is there to take
    const shares = { verifierBps: 0, modelOwnerBps: 0, treasuryBps: 0 };
    for (const [who, attacker] of attackersOf(f)) {
      const vault = f.vault.connect(attacker);
      const self = [attacker.address];
      const calls: [string, () => Promise<ContractTransactionResponse>][] = [
        ["credit", () => vault.credit(attacker.address, f.jobId, before.vaultBalance)],
        ["payFee", () => vault.payFee(f.jobId, 1n, before.vaultBalance, shares, self, attacker.address)],
        ["distribute", () => vault.distribute(f.jobId, before.vaultBalance, 10_000, self)],
        ["rewardVoters", () => vault.rewardVoters(f.jobId, 1n, before.vaultBalance, self)],
        ["settleSlash", () => vault.settleSlash(f.jobId, before.vaultBalance, attacker.address, before.vaultBalance)],
      ];
      for (const [name, call] of calls) {
        await expect(call(), `${who} ${name}`).to.be.revertedWithCustomError(f.vault, "UnauthorizedCaller").withArgs(attacker.address);
      }
      await expect(vault.claim(), `${who} claim`).to.be.revertedWithCustomError(f.vault, "NothingToClaim").withArgs(attacker.address);
    }
    expect(await snapshot(f)).to.deep.equal(before);
  });

  it("neither can re-wire the StakeManager, the PaymentVault, the DisputeManager or the QuorumManager to itself (pins the AlreadyWired checks)", async function () {
    const f = await loadFixture(theftFixture);
    const wiring = async () => [
      await f.stakes.hub(),
      await f.stakes.disputeManager(),
      await f.vault.hub(),
      await f.vault.disputeManager(),
      await f.disputes.hub(),
      await f.quorum.hub(),
    ];
    const jobs = await f.jobs.getAddress();
    const disputes = await f.disputes.getAddress();
    expect(await wiring()).to.deep.equal([jobs, disputes, jobs, disputes, jobs, jobs]);
    const d = f.deployer;
    // The deployer passes onlyDeployer: only AlreadyWired stands between it and the wiring.
    await expect(f.stakes.connect(d).wire(f.lure, d.address)).to.be.revertedWithCustomError(f.stakes, "AlreadyWired");
    await expect(f.vault.connect(d).wire(d.address, d.address)).to.be.revertedWithCustomError(f.vault, "AlreadyWired");
    await expect(f.disputes.connect(d).setHub(d.address)).to.be.revertedWithCustomError(f.disputes, "AlreadyWired");
    await expect(f.quorum.connect(d).setHub(d.address)).to.be.revertedWithCustomError(f.quorum, "AlreadyWired");
    // Governance is not the deployer: it is refused before the wiring is even looked at.
    const g = f.governance;
    await expect(f.stakes.connect(g).wire(f.lure, g.address)).to.be.revertedWithCustomError(f.stakes, "UnauthorizedCaller").withArgs(g.address);
    await expect(f.vault.connect(g).wire(g.address, g.address)).to.be.revertedWithCustomError(f.vault, "UnauthorizedCaller").withArgs(g.address);
    await expect(f.disputes.connect(g).setHub(g.address)).to.be.revertedWithCustomError(f.disputes, "UnauthorizedCaller").withArgs(g.address);
    await expect(f.quorum.connect(g).setHub(g.address)).to.be.revertedWithCustomError(f.quorum, "UnauthorizedCaller").withArgs(g.address);
    expect(await wiring()).to.deep.equal([jobs, disputes, jobs, disputes, jobs, jobs]);
  });

  it("the old one-block attack (re-wire, slash everyone to self, credit self, claim) mines as reverts and moves no token", async function () {
    const f = await loadFixture(theftFixture);
    const before = await snapshot(f);
    const sent: ContractTransactionResponse[] = [];
    await network.provider.send("evm_setAutomine", [false]);
    try {
      // Fixed gas limits: estimating a call that reverts would throw before it is sent.
      const gas = { gasLimit: 1_000_000 };
      for (const attacker of [f.governance, f.deployer]) {
        sent.push(await f.stakes.connect(attacker).wire(f.lure, attacker.address, gas));
        sent.push(await f.vault.connect(attacker).wire(attacker.address, attacker.address, gas));
        for (const node of [...f.executors, ...f.verifiers]) {
          const role = f.executors.includes(node) ? Role.EXECUTOR : Role.VERIFIER;
          sent.push(await f.stakes.connect(attacker).slash(node.address, role, 200n * TOKEN, attacker.address, gas));
        }
        sent.push(await f.vault.connect(attacker).credit(attacker.address, f.jobId, before.vaultBalance, gas));
        sent.push(await f.vault.connect(attacker).claim(gas));
      }
      await mine(1);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    const blocks = new Set<number>();
    for (const tx of sent) {
      const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
      expect(receipt, `${tx.hash} was mined`).to.not.equal(null);
      blocks.add(receipt!.blockNumber);
      expect(receipt!.status, `${tx.data.slice(0, 10)} from ${tx.from} reverted`).to.equal(0);
    }
    expect(blocks.size).to.equal(1);
    expect(await snapshot(f)).to.deep.equal(before);
  });
});
