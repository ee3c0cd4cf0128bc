/**
 * Staking rules as properties: random sequences of stake, requestUnstake, withdraw, slash,
 * slashLocked, lockSeat, unlock, unjail, minimum-stake changes, pokes, executors opting in to and
 * out of models, and time passing over one StakeManager (wired to a ProtocolStub as its hub and to
 * the `protocol` signer as its dispute manager), after each of which
 *   - every (node, role) holds active + unbonding == deposits - withdrawals - slashes,
 *   - a slash takes exactly min(amount, (active - locked) + unbonding): never more than the node
 *     has, and never locked collateral (the lock is unchanged),
 *   - slashLocked and unlock move exactly `amount` out of the lock, or revert LockUnderflow when
 *     it is more than is locked,
 *   - lockSeat returns true, locks exactly the collateral and emits StakeLocked exactly when the
 *     node may serve (not jailed, active >= the role's minimum, active - locked >= collateral);
 *     otherwise it returns false and no account's lock moves,
 *   - a jailed node has no weight, in any pool, until it calls unjail after its term,
 *   - every draw pool (each model's executors, the verifiers) holds exactly the weights a model of
 *     the pools gives: an executor weighs only in the models it opted in to (modelsOf lists them),
 *     at its eligible stake as of its opt-in or its latest stake change, slash, jail, unjail or poke
 *     (each rewrites every pool it is in), and 0 when it opted in jailed or under the minimum;
 *     optIn reverts AlreadyOptedIn and optOut NotOptedIn exactly when the model says so,
 *   - locked <= active, and the token balance == totalStaked == the sum of every account,
 *   - drawSeats answers, for every pool and for the current and the previous epoch, exactly the
 *     stake-weighted seats of the pool's weights as they stood when that epoch began (a model
 *     replays every weight change, opt-ins and opt-outs included, with its epoch; nothing written
 *     since moves a seat), and ok = false with no seat for any other epoch; a drawn node that
 *     cannot serve now (jailed, or under a minimum raised since) is still drawn, and lockSeat is
 *     what refuses it.
 * Each node starts opted in to one model (node i to MODELS[i % 2]), so executor pools fill from
 * the first stakes on.
 * RUNS x ACTIONS defaults to 8 x 50 (STAKING_RUNS, STAKING_ACTIONS; PROPERTY_SEED as in accounting.ts).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { GlassboxToken__factory, ProtocolStub__factory, StakeManager__factory } from "../../packages/node/src/typechain";
import type { GlassboxToken, StakeManager } from "../../packages/node/src/typechain";
import { Role, TOKEN } from "../fixtures/protocol";

const RUNS = Number(process.env.STAKING_RUNS ?? 8);
const ACTIONS = Number(process.env.STAKING_ACTIONS ?? 50);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261124);
const UNBONDING = 3600;
// Short stake epochs, so that every run crosses several (the time steps below are 60 s to an hour).
const EPOCH = 600;
const ROLES = [Role.EXECUTOR, Role.VERIFIER];
/** The models the executors opt in to and out of (the StakeManager does not check model ids). */
const MODELS = [1n, 2n];

/** A draw pool: one model's executors, or the verifiers (whose model argument is ignored: 0). */
interface Pool {
  role: number;
  model: bigint;
  name: string;
}
const POOLS: Pool[] = [
  ...MODELS.map((model) => ({ role: Role.EXECUTOR, model, name: `executors of model ${model}` })),
  { role: Role.VERIFIER, model: 0n, name: "verifiers" },
];
const poolOfModel = (model: bigint): Pool => POOLS.find((p) => p.role === Role.EXECUTOR && p.model === model)!;

interface Action {
  kind: number;
  node: number;
  role: number;
  x: number;
}

// 0 stake, 1 requestUnstake, 2 withdraw, 3 slash, 4 lockSeat, 5 unlock, 6 setMinStake, 7 poke, 8 time,
// 9 slashLocked, 10 unjail, 11 optIn (model MODELS[x % 2]; role ignored), 12 optOut (likewise).
const WEIGHTS = [6, 4, 3, 5, 4, 2, 1, 2, 3, 2, 2, 2, 1];
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
  const stakes = await new StakeManager__factory(admin).deploy(token, admin.address, 100n * TOKEN, 50n * TOKEN, UNBONDING, EPOCH);
  await stakes.wire(await new ProtocolStub__factory(admin).deploy(), protocol.address);
  for (const [i, n] of nodes.entries()) {
    await token.mint(n.address, 100_000n * TOKEN);
    await token.connect(n).approve(stakes, ethers.MaxUint256);
    await stakes.connect(n).optIn(MODELS[i % MODELS.length]);
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
  refusedJailed = 0;
  refusedUnderMinimum = 0;
  refusedShort = 0;
  drawnCannotServe = 0;
  /** Opt-ins with weight, and opt-ins of an executor jailed or under the minimum (weight 0). */
  optIns = 0;
  optInsWithoutWeight = 0;
  optOuts = 0;
  alreadyOptedIn = 0;
  notOptedIn = 0;
  drawnAfterOptOut = 0;
  /** Per pool: drawn seats checked. */
  readonly poolDraws = new Map<string, number>(POOLS.map((p) => [p.name, 0]));

  book(node: string, role: number) {
    const key = `${node}:${role}`;
    if (!this.books.has(key)) this.books.set(key, { deposits: 0n, withdrawals: 0n, slashes: 0n });
    return this.books.get(key)!;
  }
}

/** The live weights of every node in one role, after some action. */
type Weights = Map<string, bigint>;

/**
 * The seats drawSeats must answer with no exclusion: seat i lands on
 * keccak256(abi.encode(randomness, i, 0)) mod total in the cumulative weights, taken in leaf
 * order (the order in which nodes first had a weight).
 */
function modelSeats(order: string[], weights: Weights, randomness: string, seats: number): string[] {
  const total = order.reduce((sum, n) => sum + (weights.get(n) ?? 0n), 0n);
  if (total === 0n) return [];
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const out: string[] = [];
  for (let seat = 0; seat < seats; seat++) {
    const point = BigInt(ethers.keccak256(coder.encode(["bytes32", "uint256", "uint256"], [randomness, seat, 0]))) % total;
    let cumulative = 0n;
    for (const n of order) {
      cumulative += weights.get(n) ?? 0n;
      if (point < cumulative) {
        out.push(n);
        break;
      }
    }
  }
  return out;
}

class StakingHarness {
  readonly ledger = new Ledger();
  reverted = 0;
  /** Per pool: the order in which nodes got their tree leaf (their first non-zero weight there). */
  private readonly order = new Map<string, string[]>(POOLS.map((p) => [p.name, []]));
  /** Per pool: the model's live weights after each action, tagged with the epoch of the chain's head. */
  private readonly history = new Map<string, { epoch: bigint; weights: Weights }[]>(POOLS.map((p) => [p.name, []]));
  /** Per pool: the model's live weight of each member (a node absent from an executor pool weighs 0 there). */
  private readonly weights = new Map<string, Weights>(POOLS.map((p) => [p.name, new Map()]));
  /** The models each node opted in to. */
  private readonly models = new Map<string, Set<bigint>>();
  private epochLength = 0n;

  constructor(
    readonly token: GlassboxToken,
    readonly stakes: StakeManager,
    readonly admin: HardhatEthersSigner,
    readonly protocol: HardhatEthersSigner,
    readonly recipient: HardhatEthersSigner,
    readonly nodes: HardhatEthersSigner[],
  ) {
    // The fixture's opt-ins, made before any stake: in the pool, with no weight yet.
    nodes.forEach((n, i) => this.modelsOf(n.address).add(MODELS[i % MODELS.length]));
  }

  private modelsOf(node: string): Set<bigint> {
    if (!this.models.has(node)) this.models.set(node, new Set());
    return this.models.get(node)!;
  }

  /** The pools `node` is in for `role`: the verifiers' always, the executor pools of the models it opted in to. */
  private poolsOf(node: string, role: number): Pool[] {
    if (role === Role.VERIFIER) return POOLS.filter((p) => p.role === Role.VERIFIER);
    return [...this.modelsOf(node)].map(poolOfModel);
  }

  /** The weight a refresh writes now: the active stake if the node is not jailed and at the role's minimum, else 0. */
  private async eligibleWeight(node: string, role: number): Promise<bigint> {
    const a = await this.stakes.accountOf(node, role);
    return !a.jailed && a.active >= (await this.stakes.minStake(role)) ? a.active : 0n;
  }

  /** A stake change, slash, jail, unjail or poke of `node` in `role`: every pool it is in gets its weight of now. */
  private async refresh(node: string, role: number): Promise<void> {
    const weight = await this.eligibleWeight(node, role);
    for (const pool of this.poolsOf(node, role)) this.weights.get(pool.name)!.set(node, weight);
  }

  async run(action: Action): Promise<void> {
    try {
      await this.step(action);
    } catch (err) {
      // A revert is a legal outcome of a random action; anything else is a harness bug.
      const message = err instanceof Error ? err.message : String(err);
      if (!/revert/i.test(message)) throw err;
      this.reverted++;
    }
    await this.record();
  }

  /** The epoch of the chain's head (every action mines at most one block, so the epoch its writes were made in). */
  private async headEpoch(): Promise<bigint> {
    if (this.epochLength === 0n) this.epochLength = await this.stakes.EPOCH_LENGTH();
    return BigInt(await time.latest()) / this.epochLength;
  }

  /** Records the model's weights per pool after an action, and gives new weights their leaf. */
  private async record(): Promise<void> {
    const epoch = await this.headEpoch();
    for (const pool of POOLS) {
      const weights: Weights = new Map(this.weights.get(pool.name)!);
      const order = this.order.get(pool.name)!;
      for (const [n, w] of weights) if (w > 0n && !order.includes(n)) order.push(n);
      this.history.get(pool.name)!.push({ epoch, weights });
    }
  }

  /** A pool's weights at the start of `epoch`: after the last action whose block was in an earlier epoch. */
  private snapshot(pool: Pool, epoch: bigint): Weights {
    let found: Weights = new Map();
    for (const r of this.history.get(pool.name)!) if (r.epoch < epoch) found = r.weights;
    return found;
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
        await this.refresh(n.address, role);
        return;
      }
      case 1: {
        const free = acct.active - acct.locked;
        await s.connect(n).requestUnstake(role, (free * BigInt(x % 101)) / 100n);
        await this.refresh(n.address, role);
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
        await this.refresh(n.address, role);
        return;
      }
      case 4: {
        // lockSeat on one node: it locks exactly when the node may serve, and nothing otherwise. Two
        // times in three the node is one that is eligible now, if any is (most random nodes are
        // not); the collateral is a random amount, or at the free stake's edge (all of it, or one
        // wei more).
        const eligible: HardhatEthersSigner[] = [];
        for (const m of this.nodes) if (await s.isEligible(m.address, role)) eligible.push(m);
        const target = x % 3 !== 0 && eligible.length > 0 ? eligible[x % eligible.length] : n;
        const a = await s.accountOf(target.address, role);
        const min = await s.minStake(role);
        const free = a.active - a.locked;
        const collateral = [BigInt(x % 120) * TOKEN, (free * BigInt(x % 101)) / 100n, free, free + 1n][x % 4];
        const canServe = !a.jailed && a.active >= min && free >= collateral;
        expect(canServe, "the eligibility lockSeat checks").to.equal((await s.isEligible(target.address, role)) && free >= collateral);
        const before = await this.locks();
        expect(await s.connect(this.protocol).lockSeat.staticCall(target.address, role, collateral), "lockSeat's answer").to.equal(canServe);
        const receipt = await (await s.connect(this.protocol).lockSeat(target.address, role, collateral)).wait();
        const events = receipt!.logs.map((l) => s.interface.parseLog(l)).filter((e) => e?.name === "StakeLocked");
        expect(events.length, "StakeLocked is emitted only when the seat is locked").to.equal(canServe ? 1 : 0);
        if (canServe) expect([...events[0]!.args]).to.deep.equal([target.address, BigInt(role), collateral]);
        const after = await this.locks();
        for (const [key, locked] of before) {
          const expected = key === `${target.address}:${role}` && canServe ? locked + collateral : locked;
          expect(after.get(key), `lockSeat moves only ${target.address}'s lock, by exactly the collateral (${key})`).to.equal(expected);
        }
        if (canServe) this.ledger.locks++;
        else if (a.jailed) this.ledger.refusedJailed++;
        else if (a.active < min) this.ledger.refusedUnderMinimum++;
        else this.ledger.refusedShort++;
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
        await this.refresh(n.address, role);
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
        await this.refresh(n.address, role);
        return;
      }
      case 10: {
        await s.connect(n).unjail(role);
        expect(acct.jailed, "only a jailed node can unjail").to.equal(true);
        expect(BigInt(await time.latest()), "unjail only after the jail term").to.be.at.least(acct.jailedUntil);
        this.ledger.unjails++;
        await this.refresh(n.address, role);
        return;
      }
      case 11: {
        // An executor joins a model's pool at its eligible stake of now (0 if jailed or under the
        // minimum). Two times in three it is one that may serve and is not in the model yet, if any
        // is (most random nodes are not); otherwise the random node, which may already be in it.
        const model = MODELS[x % MODELS.length];
        const candidates: HardhatEthersSigner[] = [];
        for (const m of this.nodes) if (!this.modelsOf(m.address).has(model) && (await s.isEligible(m.address, Role.EXECUTOR))) candidates.push(m);
        const target = x % 3 !== 0 && candidates.length > 0 ? candidates[x % candidates.length] : n;
        const models = this.modelsOf(target.address);
        if (models.has(model)) {
          await expect(s.connect(target).optIn(model)).to.be.revertedWithCustomError(s, "AlreadyOptedIn").withArgs(target.address, model);
          this.ledger.alreadyOptedIn++;
          return;
        }
        await expect(s.connect(target).optIn(model)).to.emit(s, "ModelOptedIn").withArgs(target.address, model);
        models.add(model);
        const weight = await this.eligibleWeight(target.address, Role.EXECUTOR);
        this.weights.get(poolOfModel(model).name)!.set(target.address, weight);
        if (weight === 0n) this.ledger.optInsWithoutWeight++;
        else this.ledger.optIns++;
        return;
      }
      case 12: {
        // Two times in three an executor that is in the model and weighs there, if any does.
        const model = MODELS[x % MODELS.length];
        const pool = this.weights.get(poolOfModel(model).name)!;
        const candidates = this.nodes.filter((m) => (pool.get(m.address) ?? 0n) > 0n);
        const target = x % 3 !== 0 && candidates.length > 0 ? candidates[x % candidates.length] : n;
        const models = this.modelsOf(target.address);
        if (!models.has(model)) {
          await expect(s.connect(target).optOut(model)).to.be.revertedWithCustomError(s, "NotOptedIn").withArgs(target.address, model);
          this.ledger.notOptedIn++;
          return;
        }
        await expect(s.connect(target).optOut(model)).to.emit(s, "ModelOptedOut").withArgs(target.address, model);
        models.delete(model);
        pool.delete(target.address);
        this.ledger.optOuts++;
        return;
      }
      default: {
        await time.increase([60, 600, UNBONDING / 2, UNBONDING + 1][x % 4]);
      }
    }
  }

  /** Every (node, role)'s locked stake. */
  private async locks(): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    for (const m of this.nodes) for (const role of ROLES) out.set(`${m.address}:${role}`, (await this.stakes.accountOf(m.address, role)).locked);
    return out;
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
        if (a.jailed) {
          for (const pool of POOLS.filter((p) => p.role === role)) {
            expect(await s.weightOf(n.address, role, pool.model), `a jailed node has no weight (${pool.name})`).to.equal(0n);
          }
        }
        sum += a.active + a.unbonding;
      }
      const listed = [...(await s.modelsOf(n.address))].sort((x, y) => Number(x - y));
      expect(listed, `${n.address}: modelsOf lists the models it opted in to`).to.deep.equal(
        [...this.modelsOf(n.address)].sort((x, y) => Number(x - y)),
      );
    }
    // Every pool holds exactly the model's weights: an executor only in the models it opted in to.
    for (const pool of POOLS) {
      const weights = this.weights.get(pool.name)!;
      let total = 0n;
      for (const n of this.nodes) {
        const expected = weights.get(n.address) ?? 0n;
        expect(await s.weightOf(n.address, pool.role, pool.model), `${n.address}'s live weight in the pool of ${pool.name}`).to.equal(expected);
        total += expected;
      }
      expect(await s.totalWeight(pool.role, pool.model), `the live total of ${pool.name}`).to.equal(total);
    }
    expect(await s.totalStaked(), "totalStaked == sum of accounts").to.equal(sum);
    expect(await this.token.balanceOf(s), "token balance == totalStaked").to.equal(sum);
    for (const pool of POOLS) {
      const { role, model } = pool;
      for (const n of this.nodes) {
        // A node whose tree weight outlived its eligibility (a raised minimum before a poke).
        if ((await s.weightOf(n.address, role, model)) > 0n && !(await s.isEligible(n.address, role))) this.ledger.staleWeights++;
      }
      // The snapshots of the current and the previous epoch answer, with exactly the model's seats.
      const current = await s.currentEpoch();
      expect(current, "the views' clock is the head's").to.equal(await this.headEpoch());
      for (const epoch of [current, current - 1n]) {
        const [ok, holders] = await s.drawSeats(role, model, epoch, seed, 4, []);
        expect(ok, `the snapshot of epoch ${epoch} answers while epoch ${current} is current`).to.equal(true);
        const expected = modelSeats(this.order.get(pool.name)!, this.snapshot(pool, epoch), seed, 4);
        expect([...holders], `${pool.name}: the seats of the pool as it stood when epoch ${epoch} began`).to.deep.equal(expected);
        for (const d of holders) {
          // Drawn from the snapshot, served only if it may serve now: lockSeat decides.
          const serves = await s.connect(this.protocol).lockSeat.staticCall(d, role, 0n);
          expect(serves, `lockSeat(${d}, 0) answers whether it is eligible now`).to.equal(await s.isEligible(d, role));
          if (!serves) this.ledger.drawnCannotServe++;
          // An executor that left the pool after the snapshot still holds the seats it drew there.
          if (role === Role.EXECUTOR && !this.modelsOf(d).has(model)) this.ledger.drawnAfterOptOut++;
          this.ledger.drawsChecked++;
          this.ledger.poolDraws.set(pool.name, this.ledger.poolDraws.get(pool.name)! + 1);
        }
      }
      // Any other epoch is refused by the clock, whatever the tree could still answer.
      for (const epoch of [current + 1n, current - 2n]) {
        const [ok, holders] = await s.drawSeats(role, model, epoch, seed, 4, []);
        expect([ok, holders.length], `epoch ${epoch} is not drawn while ${current} is current`).to.deep.equal([false, 0]);
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
      refusedJailed: 0,
      refusedUnderMinimum: 0,
      refusedShort: 0,
      drawnCannotServe: 0,
      lockedSlashes: 0,
      unlocks: 0,
      underflows: 0,
      unjails: 0,
      optIns: 0,
      optInsWithoutWeight: 0,
      optOuts: 0,
      alreadyOptedIn: 0,
      notOptedIn: 0,
      drawnAfterOptOut: 0,
      poolDraws: Object.fromEntries(POOLS.map((p) => [p.name, 0])) as Record<string, number>,
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
        totals.refusedJailed += h.ledger.refusedJailed;
        totals.refusedUnderMinimum += h.ledger.refusedUnderMinimum;
        totals.refusedShort += h.ledger.refusedShort;
        totals.drawnCannotServe += h.ledger.drawnCannotServe;
        totals.lockedSlashes += h.ledger.lockedSlashes;
        totals.unlocks += h.ledger.unlocks;
        totals.underflows += h.ledger.underflows;
        totals.unjails += h.ledger.unjails;
        totals.optIns += h.ledger.optIns;
        totals.optInsWithoutWeight += h.ledger.optInsWithoutWeight;
        totals.optOuts += h.ledger.optOuts;
        totals.alreadyOptedIn += h.ledger.alreadyOptedIn;
        totals.notOptedIn += h.ledger.notOptedIn;
        totals.drawnAfterOptOut += h.ledger.drawnAfterOptOut;
        for (const [name, n] of h.ledger.poolDraws) totals.poolDraws[name] += n;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify(totals)}`);
    expect(totals.actions).to.equal(RUNS * ACTIONS);
    // The runs must reach the interesting cases, or the property proves little.
    expect(totals.slashes, "slashes").to.be.greaterThan(0);
    expect(totals.capped, "slashes capped by what the node held").to.be.greaterThan(0);
    expect(totals.drawsChecked, "drawn nodes checked").to.be.greaterThan(0);
    expect(totals.locks, "collateral locked by lockSeat").to.be.greaterThan(0);
    expect(totals.refusedJailed, "lockSeat refused a jailed node").to.be.greaterThan(0);
    expect(totals.refusedUnderMinimum, "lockSeat refused a node under the minimum").to.be.greaterThan(0);
    expect(totals.refusedShort, "lockSeat refused a node short of free stake").to.be.greaterThan(0);
    expect(totals.drawnCannotServe, "snapshot draws of nodes that could no longer serve").to.be.greaterThan(0);
    expect(totals.lockedSlashes, "locked collateral slashed").to.be.greaterThan(0);
    expect(totals.unlocks, "exact releases").to.be.greaterThan(0);
    expect(totals.underflows, "LockUnderflow reverts").to.be.greaterThan(0);
    expect(totals.staleWeights, "draws made while a node below the minimum kept its weight").to.be.greaterThan(0);
    expect(totals.optIns, "opt-ins of an executor that may serve (weight > 0)").to.be.greaterThan(0);
    expect(totals.optInsWithoutWeight, "opt-ins of an executor jailed or under the minimum (weight 0)").to.be.greaterThan(0);
    expect(totals.optOuts, "opt-outs").to.be.greaterThan(0);
    expect(totals.alreadyOptedIn, "AlreadyOptedIn reverts").to.be.greaterThan(0);
    expect(totals.notOptedIn, "NotOptedIn reverts").to.be.greaterThan(0);
    for (const pool of POOLS) expect(totals.poolDraws[pool.name], `seats drawn from the pool of ${pool.name}`).to.be.greaterThan(0);
  });
});
