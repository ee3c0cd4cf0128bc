/**
 * Issue 11's committee draws as properties, against an attacker that controls some verifier stake
 * and grinds every way the issue lists. The attacker's seat share never exceeds its stake share
 * beyond statistical noise:
 *   1. sybils gain nothing: over random stake distributions (1..4 sybils holding 5-45% of the
 *      verifier stake, split at random, against 2..6 honest verifiers), `drawSeats` over many random
 *      values gives the attacker a seat share within 4 standard deviations of its stake share, and
 *      a majority of a committee of 3 or 7 no more often than the binomial law of its share allows;
 *   2. acts, reads, reverts when unlucky: a contract that challenges and reads the committee in
 *      the same transaction (CommitteeGrinder) never sees a seat, at whatever block it tries;
 *   3. reshapes stake after the randomness is known: staking more on a sybil, adding a sybil or
 *      unstaking one after the target block leaves the pinned committee exactly as it was;
 *   4. delays pins: an honest pin at any later block while the value is readable draws the
 *      committee an immediate pin would have, and a draw nobody pins for 300 blocks re-arms with the
 *      same stake snapshot (even across an epoch boundary), so the re-roll cannot bring in stake
 *      moved after opening.
 * Property 1 runs DRAWS_RUNS stake distributions (default 8) of DRAWS_PER_RUN draws (default 320,
 * half with 3 seats, half with 7); properties 3 and 4 run DRAWS_RUNS disputes, property 2 half as
 * many grinding runs of 4..16 tries.
 * PROPERTY_SEED pins the seed (default 20261206); fast-check prints it with any counterexample.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { CommitteeGrinder__factory } from "../../packages/node/src/typechain";
import {
  deployWorld,
  drawCommittee,
  Mode,
  nextEpoch,
  requestJob,
  Role,
  SAMPLE_OUTPUT,
  signerOf,
  submitUnaudited,
  TOKEN,
  type World,
} from "../fixtures/protocol";

const SEED = Number(process.env.PROPERTY_SEED ?? 20261206);
const RUNS = Number(process.env.DRAWS_RUNS ?? 8);
const DRAWS = Number(process.env.DRAWS_PER_RUN ?? 320);
/** Properties 2-4 mine blocks and send transactions for every case; the grinder's cases are the slowest. */
const SLOW_RUNS = Math.max(2, RUNS);
const GRIND_RUNS = Math.max(2, Math.ceil(RUNS / 2));
const SIZES = [3, 7];
/** One-sided tail of a normal beyond 4 standard deviations: the false alarm rate of every bound below. */
const FOUR_SIGMA_TAIL = 3.167e-5;
/** A value is readable through `blockhash` for 256 blocks after its target (BlockHashRandomness). */
const READABLE_BLOCKS = 256;
const REARM_WAIT = 300;
const TIMEOUT_MS = Math.max(120_000, RUNS * DRAWS * 40);

// ---------------------------------------------------------------- binomial helpers

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** P[X = j] for X ~ Binomial(n, p). */
function binomialPmf(n: number, p: number, j: number): number {
  if (p <= 0) return j === 0 ? 1 : 0;
  if (p >= 1) return j === n ? 1 : 0;
  return Math.exp(logChoose(n, j) + j * Math.log(p) + (n - j) * Math.log(1 - p));
}

/** P[X >= m] for X ~ Binomial(n, p). */
function binomialUpperTail(n: number, p: number, m: number): number {
  let s = 0;
  for (let j = Math.max(0, m); j <= n; j++) s += binomialPmf(n, p, j);
  return Math.min(1, s);
}

/** The exact chance that a holder of stake share `p` wins a strict majority of `k` seats drawn with replacement. */
function majorityProbability(k: number, p: number): number {
  return binomialUpperTail(k, p, Math.floor(k / 2) + 1);
}

/**
 * The most successes out of `n` trials of probability `p` that stay within "4 standard deviations":
 * p + 4 sd as a count, or, when that is tighter than the exact law (a rare majority, where a single
 * success already sits several normal sd out), the largest count whose exact upper tail is still
 * above the one-sided 4-sigma rate.
 */
function upperBound(n: number, p: number): number {
  const normal = Math.floor(n * p + 4 * Math.sqrt(n * p * (1 - p)));
  let exact = Math.ceil(n * p);
  while (exact < n && binomialUpperTail(n, p, exact + 1) >= FOUR_SIGMA_TAIL) exact++;
  return Math.max(normal, exact);
}

/** The fewest successes that stay within 4 sd below the mean (the mirror of `upperBound`). */
function lowerBound(n: number, p: number): number {
  return n - upperBound(n, 1 - p);
}

// ---------------------------------------------------------------- fixtures

/** The protocol with no verifier staked: each case of property 1 stakes its own distribution. */
async function emptyWorld(): Promise<World> {
  return deployWorld({ executors: 0, verifiers: 0 });
}

/**
 * Four honest verifiers (200 GLASS each), three staked sybils of the attacker (400 GLASS each) and
 * four more of its accounts funded but unstaked (new sybils it can add once the randomness is known).
 */
async function attackedWorld() {
  const w = await deployWorld({ executors: 3, verifiers: 4 });
  const sybils = w.others.slice(0, 3);
  const spare = w.others.slice(3, 7);
  for (const s of sybils) await w.stakes.connect(s).stake(Role.VERIFIER, 400n * TOKEN);
  for (const s of [...sybils, ...spare]) await w.token.mint(s.address, 50_000n * TOKEN);
  await nextEpoch(w);
  return { w, sybils, spare };
}

/** The attacked world plus the review's grinder contract, staked as a verifier and one of the attacker's nodes. */
async function grinderWorld() {
  const f = await attackedWorld();
  const grinder = await new CommitteeGrinder__factory(f.w.admin).deploy(
    f.w.jobs,
    f.w.disputes,
    f.sybils.map((s) => s.address),
  );
  await f.w.token.mint(await grinder.getAddress(), 1_000n * TOKEN);
  await grinder.join(f.w.stakes, f.w.token, 200n * TOKEN);
  await nextEpoch(f.w);
  return { ...f, grinder };
}

/** A submitted OPTIMISTIC job, ready to be challenged. */
async function submittedJob(w: World): Promise<bigint> {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
  await submitUnaudited(w, jobId, signerOf(w.executors, assigned[0]), SAMPLE_OUTPUT);
  return jobId;
}

/** Challenges `jobId` from an honest verifier; returns the dispute. */
async function openDispute(w: World, jobId: bigint): Promise<bigint> {
  await (await w.jobs.connect(w.verifiers[0]).challenge(jobId)).wait();
  return w.disputes.disputeOfJob(jobId);
}

/** Mines until the dispute's randomness target has passed, then `extra` blocks more. */
async function passTarget(w: World, disputeId: bigint, extra = 0): Promise<void> {
  const { drawTarget } = await w.disputes.disputeOf(disputeId);
  const head = await ethers.provider.getBlockNumber();
  await mine(Math.max(0, Number(drawTarget) - head) + 1 + extra);
}

/** Pins the committee from `pinner` (the randomness must be readable); returns "member:seats" in draw order. */
async function pin(w: World, disputeId: bigint, pinner: HardhatEthersSigner): Promise<string[]> {
  await (await w.disputes.connect(pinner).drawCommittee(disputeId)).wait();
  return seatsOf(w, disputeId);
}

/** The pinned committee's members with their seats, as "address:seats" in draw order. */
async function seatsOf(w: World, disputeId: bigint): Promise<string[]> {
  const members = await w.disputes.committeeOf(disputeId);
  return Promise.all(members.map(async (m) => `${m}:${await w.disputes.seatsOf(disputeId, m)}`));
}

// ---------------------------------------------------------------- arbitraries

const distributionArb = fc.record({
  sybilWeights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }),
  honestWeights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 6 }),
  shareBps: fc.integer({ min: 500, max: 4_500 }),
  salt: fc.noBias(fc.nat()),
});
type Distribution = typeof distributionArb extends fc.Arbitrary<infer T> ? T : never;

/** 0: stake more on a sybil; 1: add a new sybil; 2: unstake (part of) a sybil. */
const reshapeArb = fc.record({
  kind: fc.integer({ min: 0, max: 2 }),
  who: fc.nat({ max: 3 }),
  amount: fc.integer({ min: 1, max: 20_000 }),
});
type Reshape = typeof reshapeArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Token amounts for a distribution: the honest verifiers hold their weights' proportions, the
 * attacker `shareBps` of the total split over its sybils by their weights, everything scaled so that
 * the smallest stake is the verifier minimum (100 GLASS) or more.
 */
function stakesOf(d: Distribution): { sybils: bigint[]; honest: bigint[] } {
  const share = d.shareBps / 10_000;
  const honestTotal = d.honestWeights.reduce((a, b) => a + b, 0);
  const sybilTotal = d.sybilWeights.reduce((a, b) => a + b, 0);
  const attacker = (honestTotal * share) / (1 - share);
  const sybils = d.sybilWeights.map((x) => (attacker * x) / sybilTotal);
  const least = Math.min(...sybils, ...d.honestWeights);
  // 1e6 steps of 1e-4 GLASS per minimum stake: amounts are exact bigints, shares within 1e-6 of the ask.
  const scale = (x: number) => (BigInt(Math.ceil((x / least) * 1e6)) * 100n * TOKEN) / 1_000_000n;
  return { sybils: sybils.map(scale), honest: d.honestWeights.map(scale) };
}

// ---------------------------------------------------------------- properties

describe("Draw properties", function () {
  this.timeout(TIMEOUT_MS);

  it(`sybils gain nothing: seat share and majority frequency follow stake share (${RUNS} distributions x ${DRAWS} draws, seed ${SEED})`, async function () {
    const totals = { cases: 0, draws: 0, seats: 0, attackerSeats: 0, majorities: 0, worstZ: 0 };
    await fc.assert(
      fc.asyncProperty(distributionArb, async (d) => {
        const w = await loadFixture(emptyWorld);
        const amounts = stakesOf(d);
        const sybils = w.others.slice(0, amounts.sybils.length);
        const honest = w.others.slice(amounts.sybils.length, amounts.sybils.length + amounts.honest.length);
        const staked = [...amounts.sybils.map((a, i) => [sybils[i], a] as const), ...amounts.honest.map((a, i) => [honest[i], a] as const)];
        for (const [node, amount] of staked) {
          await w.token.mint(node.address, amount);
          await w.stakes.connect(node).stake(Role.VERIFIER, amount);
        }
        await nextEpoch(w);
        const epoch = await w.stakes.currentEpoch();
        const attackerStake = amounts.sybils.reduce((a, b) => a + b, 0n);
        const total = attackerStake + amounts.honest.reduce((a, b) => a + b, 0n);
        const p = Number((attackerStake * 10n ** 12n) / total) / 1e12;
        const isSybil = new Set(sybils.map((s) => s.address));

        const bySize = new Map(SIZES.map((k) => [k, { draws: 0, seats: 0, attackerSeats: 0, majorities: 0 }]));
        for (let i = 0; i < DRAWS; i++) {
          const k = SIZES[i % SIZES.length];
          const randomness = ethers.solidityPackedKeccak256(["uint256", "uint256"], [d.salt, i]);
          const [ok, holders] = await w.stakes.drawSeats(Role.VERIFIER, 0n, epoch, randomness, k, []);
          expect(ok, "the snapshot of the current epoch answers").to.equal(true);
          const held = holders.filter((h) => isSybil.has(h)).length;
          const s = bySize.get(k)!;
          s.draws++;
          s.seats += holders.length;
          s.attackerSeats += held;
          if (2 * held > k) s.majorities++;
        }

        const context = `share ${p.toFixed(4)} over ${sybils.length} sybil(s) vs ${honest.length} honest`;
        for (const [k, s] of bySize) {
          // Seats are independent draws with replacement: the attacker's seats are Binomial(seats, p).
          const sd = Math.sqrt((p * (1 - p)) / s.seats);
          const seatShare = s.attackerSeats / s.seats;
          totals.worstZ = Math.max(totals.worstZ, Math.abs(seatShare - p) / sd);
          expect(s.attackerSeats, `k=${k}: seat share ${seatShare.toFixed(4)} above ${context} + 4 sd`).to.be.at.most(
            upperBound(s.seats, p),
          );
          expect(s.attackerSeats, `k=${k}: seat share ${seatShare.toFixed(4)} below ${context} - 4 sd`).to.be.at.least(
            lowerBound(s.seats, p),
          );
          // Each draw is a majority with the exact binomial probability of the attacker's share.
          const pm = majorityProbability(k, p);
          expect(
            s.majorities,
            `k=${k}: ${s.majorities}/${s.draws} majorities, expected ${pm.toFixed(4)} + 4 sd (${context})`,
          ).to.be.at.most(upperBound(s.draws, pm));
          totals.draws += s.draws;
          totals.seats += s.seats;
          totals.attackerSeats += s.attackerSeats;
          totals.majorities += s.majorities;
        }
        // Every voter is eligible and nobody is excluded: every seat is filled (checked after the
        // shares, so that a biased draw is reported as a bias first).
        for (const [k, s] of bySize) expect(s.seats, `k=${k}: every seat is filled`).to.equal(k * s.draws);
        totals.cases++;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify({ ...totals, worstZ: Number(totals.worstZ.toFixed(2)) })}`);
    expect(totals.cases).to.equal(RUNS);
    expect(totals.attackerSeats, "the attacker won seats").to.be.greaterThan(0);
    expect(totals.majorities, "the attacker won majorities").to.be.greaterThan(0);
  });

  it(`acts, reads, reverts when unlucky: the grinder never sees a seat in the transaction that opens the dispute (${GRIND_RUNS} runs, seed ${SEED})`, async function () {
    let tries = 0;
    let wins = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 4 }), { minLength: 4, maxLength: 16 }), async (gaps) => {
        const { w, grinder } = await loadFixture(grinderWorld);
        const jobId = await submittedJob(w);
        for (const gap of gaps) {
          // The attacker (60% of the verifier stake, grinder included) tries at a block of its choosing;
          // the only information a try returns is its revert, and that must say nothing: Unlucky(0, 0).
          await mine(gap + 1);
          tries++;
          await expect(grinder.challengeIfLucky(jobId)).to.be.revertedWithCustomError(grinder, "Unlucky").withArgs(0n, 0n);
          if ((await w.disputes.disputeOfJob(jobId)) !== 0n) wins++;
        }
      }),
      { numRuns: GRIND_RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify({ tries, wins })}`);
    expect(tries).to.be.greaterThan(0);
    expect(wins, "the grinder's success rate is exactly 0").to.equal(0);
  });

  it(`reshapes stake after the randomness is known: the pinned committee is unchanged (${SLOW_RUNS} disputes, seed ${SEED})`, async function () {
    const totals = { disputes: 0, reshapes: 0, refused: 0, liveWeightMoved: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 20 }),
        fc.nat({ max: 10 }),
        fc.array(reshapeArb, { minLength: 1, maxLength: 5 }),
        async (before, after, reshapes) => {
          const { w, sybils, spare } = await loadFixture(attackedWorld);
          await mine(before + 1);
          const jobId = await submittedJob(w);
          const disputeId = await openDispute(w, jobId);
          await passTarget(w, disputeId, after);
          // The target's value is public: the attacker sees what an honest pin would draw...
          const snapshot = await takeSnapshot();
          const honest = await pin(w, disputeId, w.verifiers[1]);
          await snapshot.restore();
          // ...and reshapes the stake before pinning itself.
          const live = await attackerWeight(w, [...sybils, ...spare]);
          for (const r of reshapes) {
            if (await reshape(w, sybils, spare, r)) totals.reshapes++;
            else totals.refused++;
          }
          if ((await attackerWeight(w, [...sybils, ...spare])) !== live) totals.liveWeightMoved++;
          const reshaped = await pin(w, disputeId, sybils[0]);
          expect(reshaped, "the committee after reshaping the stake").to.deep.equal(honest);
          for (const s of spare)
            expect(await w.disputes.seatsOf(disputeId, s.address), "a sybil added after opening holds no seat").to.equal(0n);
          totals.disputes++;
        },
      ),
      { numRuns: SLOW_RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify(totals)}`);
    expect(totals.disputes).to.equal(SLOW_RUNS);
    expect(totals.reshapes, "stake reshaped").to.be.greaterThan(0);
    expect(totals.liveWeightMoved, "disputes whose attacker's live weight moved before its pin").to.be.greaterThan(0);
  });

  it(`delays pins: any later pin draws the same committee, and a re-arm keeps the snapshot (${SLOW_RUNS} disputes, seed ${SEED})`, async function () {
    const totals = { disputes: 0, delayedPins: 0, rearms: 0, rearmsAcrossEpochs: 0 };
    // Opening this many seconds before the stake epoch ends puts the 300-block wait across the boundary.
    const untilEpochEndArb = fc.oneof(fc.integer({ min: 60, max: 240 }), fc.integer({ min: 400, max: 3_000 }));
    await fc.assert(
      fc.asyncProperty(
        untilEpochEndArb,
        fc.nat({ max: READABLE_BLOCKS - 16 }),
        fc.integer({ min: 1, max: 20_000 }),
        async (untilEpochEnd, delay, added) => {
          const { w, sybils, spare } = await loadFixture(attackedWorld);
          const length = Number(await w.stakes.EPOCH_LENGTH());
          const now = await time.latest();
          const epochEnd = now - (now % length) + length;
          // Request and submission take a few seconds; open at about `untilEpochEnd` before the boundary.
          await time.increaseTo(Math.max(now + 1, epochEnd - untilEpochEnd - 10));
          const jobId = await submittedJob(w);
          const disputeId = await openDispute(w, jobId);
          const opened = await w.disputes.disputeOf(disputeId);
          await passTarget(w, disputeId);

          const start = await takeSnapshot();
          const immediate = await pin(w, disputeId, w.verifiers[1]);
          await start.restore();
          // The attacker withholds its pin; an honest verifier pins `delay` blocks later.
          await mine(delay);
          expect((await w.disputes.disputeOf(disputeId)).drawn).to.equal(false);
          const delayed = await pin(w, disputeId, w.verifiers[2]);
          expect(delayed, `a pin ${delay} blocks late`).to.deep.equal(immediate);
          totals.delayedPins++;
          await start.restore();

          // Nobody pins while the value is readable: meanwhile the attacker adds a sybil.
          await w.stakes.connect(spare[0]).stake(Role.VERIFIER, BigInt(added) * TOKEN);
          await mine(REARM_WAIT);
          const rearm = await (await w.disputes.connect(sybils[0]).drawCommittee(disputeId)).wait();
          const rearmed = rearm!.logs.map((l) => w.disputes.interface.parseLog(l)).find((e) => e?.name === "DrawRearmed");
          expect(rearmed, "a draw whose value was lost re-arms").to.not.equal(undefined);
          const after = await w.disputes.disputeOf(disputeId);
          expect(after.drawn).to.equal(false);
          expect(after.drawTarget, "a re-arm waits for a new target").to.not.equal(opened.drawTarget);
          expect(after.snapshotEpoch, "a re-arm keeps the stake snapshot").to.equal(opened.snapshotEpoch);
          if ((await w.stakes.currentEpoch()) > opened.snapshotEpoch) totals.rearmsAcrossEpochs++;
          totals.rearms++;
          // The re-armed draw still reads the stakes as they stood when the snapshot epoch began.
          await drawCommittee(w, disputeId);
          expect(await w.disputes.seatsOf(disputeId, spare[0].address), "a sybil added after opening holds no seat").to.equal(0n);
          totals.disputes++;
        },
      ),
      // The first case is forced across the epoch boundary, whatever the seed.
      { numRuns: SLOW_RUNS, seed: SEED, endOnFailure: true, examples: [[120, 100, 5_000]] },
    );
    console.log(`      ${JSON.stringify(totals)}`);
    expect(totals.rearms).to.be.greaterThan(0);
    expect(totals.rearmsAcrossEpochs, "re-arms across an epoch boundary").to.be.greaterThan(0);
  });
});

/** One change of the attacker's stake; false when it was refused (a revert is a legal outcome). */
async function reshape(w: World, sybils: HardhatEthersSigner[], spare: HardhatEthersSigner[], r: Reshape): Promise<boolean> {
  try {
    if (r.kind === 0) {
      await (await w.stakes.connect(sybils[r.who % sybils.length]).stake(Role.VERIFIER, BigInt(r.amount) * TOKEN)).wait();
    } else if (r.kind === 1) {
      await (await w.stakes.connect(spare[r.who % spare.length]).stake(Role.VERIFIER, BigInt(r.amount) * TOKEN)).wait();
    } else {
      const node = sybils[r.who % sybils.length];
      const { active, locked } = await w.stakes.accountOf(node.address, Role.VERIFIER);
      // Everything free in one case out of two, a part of it otherwise.
      const amount = r.amount % 2 === 0 ? active - locked : ((active - locked) * BigInt((r.amount % 99) + 1)) / 100n;
      await (await w.stakes.connect(node).requestUnstake(Role.VERIFIER, amount)).wait();
    }
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/revert/i.test(message)) throw err;
    return false;
  }
}

/** The attacker's live verifier weight (what a draw from live stakes would use). */
async function attackerWeight(w: World, nodes: HardhatEthersSigner[]): Promise<bigint> {
  let sum = 0n;
  for (const n of nodes) sum += await w.stakes.weightOf(n.address, Role.VERIFIER, 0n);
  return sum;
}
