/**
 * Dispute rules as properties: random disputes (a right or wrong result, committee sizes 1 to 5,
 * members that vote the truth, lie, commit without revealing or stay away, any voterSlash the
 * contract accepts (up to a verifier's minimum stake over the committee size), winnerShareBps,
 * auditReward and bounty, stakes worn down by earlier disputes) are resolved, and checked against a
 * model of `DisputeManager._settle` and `JobRegistry.settleDispute`. Committees are drawn as the
 * contract draws them (`drawCommittee`, seats with replacement by stake), so a member may hold
 * several seats; the model counts per seat: a member holding w seats votes with weight w, and is
 * slashed, rewarded and paid a pot share w times:
 *   - the verdict and the pot (absent and losing seats' slashes, plus the challenger's bond on
 *     Valid) are what the weighted votes say,
 *   - every voter slash takes min(amount, what the node still holds); on Invalid the hub takes the
 *     executor's whole collateral (the fee-scaled amount it locked), the challenger gets at most
 *     `bounty` of it and the treasury the rest; the StakeManager loses exactly these slashes to the
 *     PaymentVault,
 *   - the pot is paid out exactly: the winning members (and the executor on Valid) get `each`, the
 *     treasury the rest; the bond goes back on Invalid and Undecided; the audit reward comes out of
 *     the audit pot of the job's model, to the winners (to every revealer on Undecided), and stops
 *     when the pot is empty; every account's credit, the audit pot and the treasury move by exactly
 *     the model's amounts,
 *   - no token is created or lost: the vault still holds escrow + open bonds + credits + audit
 *     pots + treasury, and the StakeManager its totalStaked.
 * RUNS x DISPUTES defaults to 8 x 3 (DISPUTE_RUNS, DISPUTES_PER_RUN; PROPERTY_SEED as in accounting.ts).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  collateralOf,
  deployWorld,
  drawCommittee,
  Mode,
  requestJob,
  Role,
  salt,
  SAMPLE_OUTPUT,
  signerOf,
  Status,
  TOKEN,
  Verdict,
  WRONG_OUTPUT,
  type World,
  auditFloor,
} from "../fixtures/protocol";

const RUNS = Number(process.env.DISPUTE_RUNS ?? 8);
const PER_RUN = Number(process.env.DISPUTES_PER_RUN ?? 3);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261124);
const BPS = 10_000n;
const LIVE: number[] = [Status.Unassigned, Status.Assigned, Status.Submitted, Status.Disputed];

/** What a committee member does: 0 votes the truth, 1 lies, 2 commits and never reveals, 3 stays away. */
type Behaviour = 0 | 1 | 2 | 3;

interface Scenario {
  wrong: boolean;
  committeeSize: number;
  /** voterSlash as a share (bps) of the most the contract accepts: minStake(VERIFIER) / committeeSize. */
  voterSlashBps: number;
  winnerShareBps: number;
  auditReward: bigint;
  bounty: bigint;
  fee: bigint;
  challenger: number;
  behaviours: Behaviour[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  wrong: fc.boolean(),
  committeeSize: fc.constantFrom(1, 2, 3, 5),
  // noBias: amounts spread over their whole range, up to the largest slash the contract accepts.
  voterSlashBps: fc.noBias(fc.integer({ min: 0, max: 10_000 })),
  winnerShareBps: fc.noBias(fc.integer({ min: 0, max: 10_000 })),
  auditReward: fc.noBias(fc.integer({ min: 0, max: 400 })).map((n) => (BigInt(n) * TOKEN) / 100n),
  // Up to the challenge bond (10 tokens), the most the contract accepts.
  bounty: fc.noBias(fc.integer({ min: 0, max: 1_000 })).map((n) => (BigInt(n) * TOKEN) / 100n),
  fee: fc.noBias(fc.integer({ min: 1, max: 50 })).map((n) => (BigInt(n) * TOKEN) / 10n),
  challenger: fc.nat({ max: 8 }),
  behaviours: fc.array(fc.constantFrom<Behaviour>(0, 0, 1, 2, 3), { minLength: 5, maxLength: 5 }),
});

async function disputesFixture() {
  return deployWorld({ executors: 4, verifiers: 9 });
}

/** Every address that can hold a credit or a stake here: the signers. */
async function holders(): Promise<string[]> {
  return (await ethers.getSigners()).map((s) => s.address);
}

interface Snapshot {
  credits: Map<string, bigint>;
  held: Map<string, bigint>; // active + unbonding, key `${address}:${role}`
  pool: bigint;
  treasury: bigint;
  vault: bigint;
  stakes: bigint;
}

async function snapshot(w: World, addresses: string[]): Promise<Snapshot> {
  const credits = new Map<string, bigint>();
  const held = new Map<string, bigint>();
  for (const a of addresses) {
    credits.set(a, await w.vault.creditOf(a));
    for (const role of [Role.EXECUTOR, Role.VERIFIER]) {
      const acct = await w.stakes.accountOf(a, role);
      held.set(`${a}:${role}`, acct.active + acct.unbonding);
    }
  }
  const pool = await w.vault.auditPotOf(w.modelId);
  const treasury = await w.vault.treasuryAccrued();
  return { credits, held, pool, treasury, vault: await w.token.balanceOf(w.vault), stakes: await w.token.balanceOf(w.stakes) };
}

/** The vault's books, as in accounting.ts: balance == escrow + open bonds + credits + pool + treasury. */
async function checkSolvency(w: World, jobIds: bigint[], addresses: string[]): Promise<void> {
  let escrow = 0n;
  let bonds = 0n;
  for (const id of jobIds) {
    const job = await w.jobs.jobOf(id);
    if (LIVE.includes(Number(job.status))) escrow += job.fee;
    const d = await w.disputes.disputeOfJob(id);
    if (d !== 0n) {
      const dispute = await w.disputes.disputeOf(d);
      if (!dispute.resolved && dispute.challenger !== ethers.ZeroAddress) bonds += dispute.bond;
    }
  }
  let credits = 0n;
  for (const a of addresses) credits += await w.vault.creditOf(a);
  const pool = await w.vault.auditPotOf(w.modelId);
  const treasury = await w.vault.treasuryAccrued();
  expect(await w.token.balanceOf(w.vault), "vault == escrow + bonds + credits + audit pot + treasury").to.equal(escrow + bonds + credits + pool + treasury);
  expect(await w.token.balanceOf(w.stakes), "stake manager == totalStaked").to.equal(await w.stakes.totalStaked());
  let supply = 0n;
  for (const a of [...addresses, await w.vault.getAddress(), await w.stakes.getAddress()]) supply += await w.token.balanceOf(a);
  expect(supply, "no token created or lost").to.equal(await w.token.totalSupply());
}

interface Stats {
  disputes: number;
  valid: number;
  invalid: number;
  undecided: number;
  cappedSlashes: number;
  poolRanDry: number;
  collateralSlashed: number;
  /** Disputes in which some member held more than one seat. */
  sharedSeats: number;
}

/** Plays one scenario to resolution and checks the settlement against the model. Returns false when it could not be set up. */
async function playDispute(w: World, s: Scenario, jobIds: bigint[], stats: Stats): Promise<boolean> {
  const addresses = await holders();
  const params = await w.disputes.params();
  // The contract bounds a full committee's penalties by a verifier's minimum stake.
  const maxSlash = (await w.stakes.minStake(Role.VERIFIER)) / BigInt(s.committeeSize);
  const voterSlash = (maxSlash * BigInt(s.voterSlashBps)) / BPS;
  await w.disputes.connect(w.admin).setParams({
    committeeSize: s.committeeSize,
    commitWindow: params.commitWindow,
    revealWindow: params.revealWindow,
    winnerShareBps: s.winnerShareBps,
    challengeBond: params.challengeBond,
    voterSlash,
    auditReward: s.auditReward,
    bounty: s.bounty,
  });
  // The fee must fund its expected audit (JobParams._checkAuditRate): raised to that floor if below.
  const floor = auditFloor({ ...w.params, disputes: { ...w.params.disputes, auditReward: s.auditReward } }, w.params.minAuditRateBps, s.committeeSize);
  if (s.fee < floor) s.fee = floor;
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: s.fee });
  jobIds.push(jobId);
  if (assigned.length === 0) return false;
  const executor = assigned[0];
  await w.jobs.connect(signerOf(w.executors, executor)).submitResult(jobId, s.wrong ? WRONG_OUTPUT : SAMPLE_OUTPUT);
  const eligible = [];
  for (const v of w.verifiers) if (await w.stakes.isEligible(v.address, Role.VERIFIER)) eligible.push(v);
  if (eligible.length === 0) return false;
  const challenger = eligible[s.challenger % eligible.length];
  await w.jobs.connect(challenger).challenge(jobId);
  const disputeId = await w.disputes.disputeOfJob(jobId);
  const committee = await drawCommittee(w, disputeId);
  const dispute = await w.disputes.disputeOf(disputeId); // its phases run from the draw
  const seatsOf = new Map<string, number>();
  for (const m of committee) seatsOf.set(m, Number(await w.disputes.seatsOf(disputeId, m)));
  const seats = (m: string) => seatsOf.get(m)!;
  /** One entry per seat, in committee order (a member holding w seats appears w times in a row). */
  const perSeat = (members: string[]) => members.flatMap((m) => Array<string>(seats(m)).fill(m));
  expect(committee, "the challenger never sits").to.not.include(challenger.address);
  expect(Number(dispute.seats), "every seat filled").to.equal(s.committeeSize);
  expect(perSeat(committee).length, "the members hold every seat").to.equal(s.committeeSize);
  if (committee.some((m) => seats(m) > 1)) stats.sharedSeats++;

  const truth = s.wrong ? Verdict.Invalid : Verdict.Valid;
  const lie = s.wrong ? Verdict.Valid : Verdict.Invalid;
  const votes = new Map<string, number>(); // revealed verdicts
  const salts = committee.map(() => salt());
  for (let i = 0; i < committee.length; i++) {
    const b = s.behaviours[i];
    if (b === 3) continue;
    const verdict = b === 1 ? lie : truth;
    const c = await w.disputes.commitmentOf(committee[i], disputeId, verdict, salts[i]);
    await w.disputes.connect(signerOf(w.verifiers, committee[i])).commitVote(disputeId, c);
  }
  await time.increaseTo(dispute.commitEnd + 1n);
  for (let i = 0; i < committee.length; i++) {
    const b = s.behaviours[i];
    if (b === 2 || b === 3) continue;
    const verdict = b === 1 ? lie : truth;
    await w.disputes.connect(signerOf(w.verifiers, committee[i])).revealVote(disputeId, verdict, salts[i]);
    votes.set(committee[i], verdict);
  }
  await time.increaseTo(dispute.revealEnd + 1n);
  await checkSolvency(w, jobIds, addresses);

  // ---- the model
  const before = await snapshot(w, addresses);
  // Each member's ballot weighs its seats.
  const weightOf = (verdict: number) => [...votes].filter(([, v]) => v === verdict).reduce((n, [m]) => n + seats(m), 0);
  const validVotes = weightOf(Verdict.Valid);
  const invalidVotes = weightOf(Verdict.Invalid);
  const verdict = validVotes > invalidVotes ? Verdict.Valid : invalidVotes > validVotes ? Verdict.Invalid : Verdict.Undecided;
  const expectCredit = new Map<string, bigint>(addresses.map((a) => [a, 0n]));
  const addCredit = (a: string, x: bigint) => expectCredit.set(a, (expectCredit.get(a) ?? 0n) + x);
  const expectLoss = new Map<string, bigint>();
  let capped = false;
  // One slash per seat: each takes min(amount, what the node still holds after the previous ones).
  const slash = (a: string, role: number, amount: bigint) => {
    const key = `${a}:${role}`;
    const held = before.held.get(key)! - (expectLoss.get(key) ?? 0n);
    if (amount > held) capped = true;
    const taken = amount < held ? amount : held;
    expectLoss.set(key, (expectLoss.get(key) ?? 0n) + taken);
    return taken;
  };
  let pot = 0n;
  for (const seat of perSeat(committee.filter((m) => !votes.has(m)))) pot += slash(seat, Role.VERIFIER, voterSlash);
  let treasury = 0n;
  let pool = before.pool;
  // The audit reward, per seat, from the model's audit pot while it lasts, in committee order.
  const reward = (members: string[]) => {
    for (const m of perSeat(members)) {
      const paid = s.auditReward < pool ? s.auditReward : pool;
      if (s.auditReward > pool) stats.poolRanDry++;
      pool -= paid;
      addCredit(m, paid);
    }
  };
  if (verdict === Verdict.Undecided) {
    addCredit(challenger.address, dispute.bond);
    treasury += pot;
    // A tie proves nothing, but the members who revealed did their work.
    reward(committee.filter((m) => votes.has(m)));
  } else {
    const losers = committee.filter((m) => votes.has(m) && votes.get(m) !== verdict);
    for (const seat of perSeat(losers)) pot += slash(seat, Role.VERIFIER, voterSlash);
    const winners = committee.filter((m) => votes.get(m) === verdict);
    if (verdict === Verdict.Invalid) {
      addCredit(challenger.address, dispute.bond);
    } else {
      pot += dispute.bond;
    }
    // On Invalid the challenger is paid by the bounty, not from the pot. Winners share per seat.
    const paid = verdict === Verdict.Invalid ? perSeat(winners) : [...perSeat(winners), executor];
    const each = (pot * BigInt(s.winnerShareBps)) / BPS / BigInt(paid.length);
    for (const p of paid) addCredit(p, each);
    treasury += pot - each * BigInt(paid.length);
    reward(winners);
    if (verdict === Verdict.Invalid) {
      // The hub takes the executor's whole collateral (always locked, so never capped).
      const collateral = collateralOf(s.fee, Mode.OPTIMISTIC);
      expectLoss.set(`${executor}:${Role.EXECUTOR}`, (expectLoss.get(`${executor}:${Role.EXECUTOR}`) ?? 0n) + collateral);
      const bounty = s.bounty < collateral ? s.bounty : collateral;
      addCredit(challenger.address, bounty);
      treasury += collateral - bounty;
      stats.collateralSlashed++;
    }
  }

  const receipt = await (await w.jobs.resolveDispute(jobId)).wait();
  const resolved = receipt!.logs.map((l) => w.disputes.interface.parseLog(l)).find((e) => e?.name === "DisputeResolved");
  expect(Number(resolved!.args.verdict), "verdict").to.equal(verdict);
  expect(resolved!.args.validVotes, "Valid seats").to.equal(validVotes);
  expect(resolved!.args.invalidVotes, "Invalid seats").to.equal(invalidVotes);
  expect(resolved!.args.pot, "pot == voter slashes + forfeited bond").to.equal(pot);

  // The job's own settlement after the verdict: paid on Valid, refunded or reassigned otherwise.
  const job = await w.jobs.jobOf(jobId);
  const jp = await w.jobs.params();
  if (verdict === Verdict.Valid) {
    expect(Number(job.status)).to.equal(Status.Finalized);
    const verifiers = (s.fee * BigInt(jp.verifierBps)) / BPS;
    const owner = (s.fee * BigInt(jp.modelOwnerBps)) / BPS;
    const toTreasury = (s.fee * BigInt(jp.treasuryBps)) / BPS;
    addCredit(executor, s.fee - verifiers - owner - toTreasury);
    addCredit(w.modelOwner.address, owner);
    pool += verifiers;
    treasury += toTreasury;
  } else if (Number(job.status) === Status.Refunded) {
    addCredit(w.requester.address, s.fee);
  } else {
    // Reassigned through a new draw: Unassigned until anyone assigns after its (future) target.
    expect(verdict, "only an Invalid verdict reassigns").to.equal(Verdict.Invalid);
    expect(Number(job.status)).to.equal(Status.Unassigned);
    expect(Number(job.auditTarget)).to.be.greaterThan(await ethers.provider.getBlockNumber());
  }

  const after = await snapshot(w, addresses);
  for (const a of addresses) {
    expect(after.credits.get(a)! - before.credits.get(a)!, `credit of ${a}`).to.equal(expectCredit.get(a));
    for (const role of [Role.EXECUTOR, Role.VERIFIER]) {
      const key = `${a}:${role}`;
      expect(before.held.get(key)! - after.held.get(key)!, `stake of ${key}`).to.equal(expectLoss.get(key) ?? 0n);
    }
  }
  expect(after.pool, "audit pot of the model").to.equal(pool);
  expect(after.treasury - before.treasury, "treasury").to.equal(treasury);
  const slashed = [...expectLoss.values()].reduce((x, y) => x + y, 0n);
  expect(before.stakes - after.stakes, "the stake manager lost exactly the slashes").to.equal(slashed);
  expect(after.vault - before.vault, "the vault gained exactly the slashes").to.equal(slashed);
  await checkSolvency(w, jobIds, addresses);

  stats.disputes++;
  if (verdict === Verdict.Valid) stats.valid++;
  else if (verdict === Verdict.Invalid) stats.invalid++;
  else stats.undecided++;
  if (capped) stats.cappedSlashes++;
  return true;
}

describe("Dispute properties", function () {
  it(`settle ${RUNS} x ${PER_RUN} random disputes exactly as the model says, creating or losing no token (seed ${SEED})`, async function () {
    const stats: Stats = { disputes: 0, valid: 0, invalid: 0, undecided: 0, cappedSlashes: 0, poolRanDry: 0, collateralSlashed: 0, sharedSeats: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(scenarioArb, { minLength: PER_RUN, maxLength: PER_RUN }), async (scenarios) => {
        const w = await loadFixture(disputesFixture);
        const jobIds: bigint[] = [];
        for (const s of scenarios) await playDispute(w, s, jobIds, stats);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify(stats)}`);
    // The runs must reach every verdict, or the property proves little.
    expect(stats.valid, "Valid verdicts").to.be.greaterThan(0);
    expect(stats.invalid, "Invalid verdicts").to.be.greaterThan(0);
    expect(stats.undecided, "Undecided verdicts").to.be.greaterThan(0);
    // ...and members holding several seats, or the per-seat counting goes untested.
    expect(stats.sharedSeats, "disputes with a member holding several seats").to.be.greaterThan(0);
  });
});
