/**
 * Staking rules as properties: random sequences of stake, requestUnstake, withdraw, slash,
 * slashLocked, drawAndLock, unlock, unjail, minimum-stake changes, pokes and time passing over one
 * StakeManager (wired to a ProtocolStub as its hub and to the `protocol` signer as its dispute
 * manager), after each of which
 *   - every (node, role) holds active + unbonding == deposits - withdrawals - slashes,
 *   - a slash takes exactly min(amount, (active - locked) + unbonding): never more than the node
 *     has, and never locked collateral (the lock is unchanged),
 *   - slashLocked and unlock move exactly `amount` out of the lock, or revert LockUnderflow when
 *     it is more than is locked,
 *   - a jailed node has no weight until it calls unjail after its term,
 *   - locked <= active, and the token balance == totalStaked == the sum of every account,
 *   - drawAndLock locks exactly the collateral on each node it returns, and only on nodes that
 *     could serve (eligible, with that much free stake), never the same node twice,
 *   - a draw never returns a node that is jailed or below its role's minimum (stale tree weights
 *     after a raised minimum included), nor the same node twice.
 * RUNS x ACTIONS defaults to 8 x 50 (STAKING_RUNS, STAKING_ACTIONS; PROPERTY_SEED as in accounting.ts).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { GlassboxToken__factory, ProtocolStub__factory, StakeManager__factory } from "../../typechain-types";
import type { GlassboxToken, StakeManager } from "../../typechain-types";
import { Role, TOKEN } from "../fixtures/protocol";

const RUNS = Number(process.env.STAKING_RUNS ?? 8);
const ACTIONS = Number(process.env.STAKING_ACTIONS ?? 50);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261124);
const UNBONDING = 3600;
const ROLES = [Role.EXECUTOR, Role.VERIFIER];

interface Action {
  kind: number;
  node: number;
  role: number;
  x: number;
}

// 0 stake, 1 requestUnstake, 2 withdraw, 3 slash, 4 drawAndLock, 5 unlock, 6 setMinStake, 7 poke, 8 time,
// 9 slashLocked, 10 unjail.
const WEIGHTS = [6, 4, 3, 5, 2, 2, 1, 2, 3, 2, 2];
const KINDS = WEIGHTS.flatMap((n, k) => Array<number>(n).fill(k));

const actionArb: fc.Arbitrary<Action> = fc.record({
  // noBias: the default bias towards small integers would skew the mix of actions and amounts.
  kind: fc.noBias(fc.integer({ min: 0, max: KINDS.length - 1 })).map((i) => KINDS[i]),
  node: fc.noBias(fc.nat({ max: 5 })),
  role: fc.noBias(fc.nat({ max: 1 })),
  x: fc.noBias(fc.nat({ max: 1_000_000 })),
});

async function stakingFixture() {
  const [admin, protocol, recipient, ...rest] = await ethers.getSigners();
  const nodes = rest.slice(0, 6);
  const token = await new GlassboxToken__factory(admin).deploy(admin.address);
  const stakes = await new StakeManager__factory(admin).deploy(token, admin.address, 100n * TOKEN, 50n * TOKEN, UNBONDING, 3600);
  await stakes.wire(await new ProtocolStub__factory(admin).deploy(), protocol.address);
  for (const n of nodes) {
    await token.mint(n.address, 100_000n * TOKEN);
    await token.connect(n).approve(stakes, ethers.MaxUint256);
  }
  return { token, stakes, admin, protocol, recipient, nodes };
}

/** The ledger the model keeps for each (node, role): what went in and what came out. */
class Ledger {
  private readonly books = new Map<string, { deposits: bigint; withdrawals: bigint; slashes: bigint }>();
  slashes = 0;
  capped = 0;
  lockedSlashes = 0;
  unlocks = 0;
  underflows = 0;
  unjails = 0;
  drawsChecked = 0;
  staleWeights = 0;
  locks = 0;

  book(node: string, role: number) {
    const key = `${node}:${role}`;
    if (!this.books.has(key)) this.books.set(key, { deposits: 0n, withdrawals: 0n, slashes: 0n });
    return this.books.get(key)!;
  }
}

class StakingHarness {
  readonly ledger = new Ledger();
  reverted = 0;

  constructor(
    readonly token: GlassboxToken,
    readonly stakes: StakeManager,
    readonly admin: HardhatEthersSigner,
    readonly protocol: HardhatEthersSigner,
    readonly recipient: HardhatEthersSigner,
    readonly nodes: HardhatEthersSigner[],
  ) {}

  async run(action: Action): Promise<void> {
    try {
      await this.step(action);
    } catch (err) {
      // A revert is a legal outcome of a random action; anything else is a harness bug.
      const message = err instanceof Error ? err.message : String(err);
      if (!/revert/i.test(message)) throw err;
      this.reverted++;
    }
  }

  private async step({ kind, node, role, x }: Action): Promise<void> {
    const n = this.nodes[node];
    const s = this.stakes;
    const acct = await s.accountOf(n.address, role);
    switch (kind) {
      case 0: {
        const amount = BigInt((x % 150) + 1) * TOKEN;
        await s.connect(n).stake(role, amount);
        this.ledger.book(n.address, role).deposits += amount;
        return;
      }
      case 1: {
        const free = acct.active - acct.locked;
        await s.connect(n).requestUnstake(role, (free * BigInt(x % 101)) / 100n);
        return;
      }
      case 2: {
        const receipt = await (await s.connect(n).withdraw(role)).wait();
        for (const e of receipt!.logs.map((l) => s.interface.parseLog(l))) {
          if (e?.name === "Withdrawn") this.ledger.book(n.address, role).withdrawals += e.args.amount as bigint;
        }
        return;
      }
      case 3: {
        // A plain slash reaches free active stake and unbonding stake, never a job's collateral.
        const held = acct.active - acct.locked + acct.unbonding;
        const amount = BigInt(x % 160) * TOKEN + BigInt(x % 7);
        const receipt = await (await s.connect(this.protocol).slash(n.address, role, amount, this.recipient.address)).wait();
        const event = receipt!.logs.map((l) => s.interface.parseLog(l)).find((e) => e?.name === "NodeSlashed");
        const slashed = event!.args.amount as bigint;
        const expected = amount < held ? amount : held;
        expect(slashed, "a slash takes min(amount, active - locked + unbonding)").to.equal(expected);
        expect(slashed).to.be.at.most(held);
        expect((await s.accountOf(n.address, role)).locked, "a plain slash leaves the lock whole").to.equal(acct.locked);
        this.ledger.book(n.address, role).slashes += slashed;
        this.ledger.slashes++;
        if (amount > held) this.ledger.capped++;
        return;
      }
      case 4: {
        const seats = (x % 3) + 1;
        const collateral = BigInt(x % 120) * TOKEN;
        const seed = ethers.id(`lock-${x}`);
        const before = new Map<string, { locked: bigint; canServe: boolean }>();
        for (const m of this.nodes) {
          const a = await s.accountOf(m.address, role);
          const canServe = (await s.isEligible(m.address, role)) && a.active - a.locked >= collateral;
          before.set(m.address, { locked: a.locked, canServe });
        }
        const chosen = await s.connect(this.protocol).drawAndLock.staticCall(role, seed, seats, [], collateral);
        await s.connect(this.protocol).drawAndLock(role, seed, seats, [], collateral);
        expect(new Set(chosen).size, "drawAndLock never repeats a node").to.equal(chosen.length);
        for (const m of this.nodes) {
          const b = before.get(m.address)!;
          const picked = chosen.includes(m.address);
          if (picked) expect(b.canServe, `drawAndLock chose ${m.address}, which could not serve`).to.equal(true);
          const locked = (await s.accountOf(m.address, role)).locked;
          expect(locked, `drawAndLock locks exactly the collateral on ${m.address}`).to.equal(b.locked + (picked ? collateral : 0n));
        }
        this.ledger.locks += chosen.length;
        return;
      }
      case 5: {
        // One in eight asks for one more than is locked: that must revert LockUnderflow.
        const amount = x % 8 === 0 ? acct.locked + 1n : (acct.locked * BigInt(x % 101)) / 100n;
        if (amount > acct.locked) {
          await expect(s.connect(this.protocol).unlock(n.address, role, amount))
            .to.be.revertedWithCustomError(s, "LockUnderflow")
            .withArgs(acct.locked, amount);
          this.ledger.underflows++;
          return;
        }
        await s.connect(this.protocol).unlock(n.address, role, amount);
        expect((await s.accountOf(n.address, role)).locked, "unlock releases exactly the amount").to.equal(acct.locked - amount);
        this.ledger.unlocks++;
        return;
      }
      case 6: {
        await s.connect(this.admin).setMinStake(role, BigInt((x % 300) + 1) * TOKEN);
        return;
      }
      case 7: {
        await s.poke(n.address, role);
        return;
      }
      case 9: {
        const amount = x % 8 === 0 ? acct.locked + 1n : (acct.locked * BigInt(x % 101)) / 100n;
        if (amount > acct.locked) {
          await expect(s.connect(this.protocol).slashLocked(n.address, role, amount, this.recipient.address))
            .to.be.revertedWithCustomError(s, "LockUnderflow")
            .withArgs(acct.locked, amount);
          this.ledger.underflows++;
          return;
        }
        await s.connect(this.protocol).slashLocked(n.address, role, amount, this.recipient.address);
        const after = await s.accountOf(n.address, role);
        expect([after.active, after.locked], "slashLocked takes exactly the amount from the lock and the stake").to.deep.equal([
          acct.active - amount,
          acct.locked - amount,
        ]);
        this.ledger.book(n.address, role).slashes += amount;
        this.ledger.lockedSlashes++;
        return;
      }
      case 10: {
        await s.connect(n).unjail(role);
        expect(acct.jailed, "only a jailed node can unjail").to.equal(true);
        expect(BigInt(await time.latest()), "unjail only after the jail term").to.be.at.least(acct.jailedUntil);
        this.ledger.unjails++;
        return;
      }
      default: {
        await time.increase([60, 600, UNBONDING / 2, UNBONDING + 1][x % 4]);
      }
    }
  }

  async checkInvariants(seed: string): Promise<void> {
    const s = this.stakes;
    let sum = 0n;
    for (const n of this.nodes) {
      for (const role of ROLES) {
        const a = await s.accountOf(n.address, role);
        const b = this.ledger.book(n.address, role);
        expect(a.active + a.unbonding, `${n.address} role ${role}: active + unbonding == deposits - withdrawals - slashes`).to.equal(
          b.deposits - b.withdrawals - b.slashes,
        );
        expect(a.locked, "locked <= active").to.be.at.most(a.active);
        if (a.jailed) expect(await s.weightOf(n.address, role), "a jailed node has no weight").to.equal(0n);
        sum += a.active + a.unbonding;
      }
    }
    expect(await s.totalStaked(), "totalStaked == sum of accounts").to.equal(sum);
    expect(await this.token.balanceOf(s), "token balance == totalStaked").to.equal(sum);
    for (const role of ROLES) {
      const min = await s.minStake(role);
      for (const n of this.nodes) {
        // A node whose tree weight outlived its eligibility (a raised minimum before a poke).
        if ((await s.weightOf(n.address, role)) > 0n && !(await s.isEligible(n.address, role))) this.ledger.staleWeights++;
      }
      const drawn = await s.draw(role, seed, 4, []);
      expect(new Set(drawn).size, "a draw never repeats a node").to.equal(drawn.length);
      for (const d of drawn) {
        const a = await s.accountOf(d, role);
        expect(a.jailed, `drawn ${d} is jailed`).to.equal(false);
        expect(a.active, `drawn ${d} is below the minimum`).to.be.at.least(min);
        this.ledger.drawsChecked++;
      }
    }
  }
}

describe("Staking properties", function () {
  it(`holds over ${RUNS} random runs of ${ACTIONS} actions (seed ${SEED})`, async function () {
    const totals = {
      actions: 0,
      reverted: 0,
      slashes: 0,
      capped: 0,
      drawsChecked: 0,
      staleWeights: 0,
      locks: 0,
      lockedSlashes: 0,
      unlocks: 0,
      underflows: 0,
      unjails: 0,
    };
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: ACTIONS, maxLength: ACTIONS }), fc.noBias(fc.nat()), async (actions, drawSeed) => {
        const f = await loadFixture(stakingFixture);
        const h = new StakingHarness(f.token, f.stakes, f.admin, f.protocol, f.recipient, f.nodes);
        for (let i = 0; i < actions.length; i++) {
          await h.run(actions[i]);
          await h.checkInvariants(ethers.id(`draw-${drawSeed}-${i}`));
        }
        totals.actions += actions.length;
        totals.reverted += h.reverted;
        totals.slashes += h.ledger.slashes;
        totals.capped += h.ledger.capped;
        totals.drawsChecked += h.ledger.drawsChecked;
        totals.staleWeights += h.ledger.staleWeights;
        totals.locks += h.ledger.locks;
        totals.lockedSlashes += h.ledger.lockedSlashes;
        totals.unlocks += h.ledger.unlocks;
        totals.underflows += h.ledger.underflows;
        totals.unjails += h.ledger.unjails;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify(totals)}`);
    expect(totals.actions).to.equal(RUNS * ACTIONS);
    // The runs must reach the interesting cases, or the property proves little.
    expect(totals.slashes, "slashes").to.be.greaterThan(0);
    expect(totals.capped, "slashes capped by what the node held").to.be.greaterThan(0);
    expect(totals.drawsChecked, "drawn nodes checked").to.be.greaterThan(0);
    expect(totals.locks, "collateral locked by drawAndLock").to.be.greaterThan(0);
    expect(totals.lockedSlashes, "locked collateral slashed").to.be.greaterThan(0);
    expect(totals.unlocks, "exact releases").to.be.greaterThan(0);
    expect(totals.underflows, "LockUnderflow reverts").to.be.greaterThan(0);
    expect(totals.staleWeights, "draws made while a node below the minimum kept its weight").to.be.greaterThan(0);
  });
});
