/**
 * Issue 11, findings 1 and 3 (docs/THREATS.md 34, 35 and 37): committee draws nobody can grind.
 *
 * Finding 1: a contract challenged (or started an audit), read the committee in the same
 * transaction and reverted unless its sybils held the majority: every unlucky block cost nothing.
 * Now the opening transaction fixes a randomness target in the future and a stake snapshot; no
 * committee exists until `drawCommittee` runs after the target, from that block's randomness and
 * the snapshot alone. The grinder below is the review's attack, run for many blocks: it never sees
 * a seat (each try reverts with Unlucky(0, 0)). Drawing at opening again makes it win at once.
 *
 * "Nothing can be reshaped after the randomness is known": once the target's randomness is public,
 * an attacker restakes, adds a sybil and pumps its stake; the committee is the one it would have
 * been without any of that (the draw reads the stakes as they stood when the epoch began).
 *
 * Finding 3: drawn without replacement, a 40% holder got at most 1 of 3 seats while the same stake
 * split over two sybils won 2 of 3 about 35% of the time. Seats are now drawn with replacement, so
 * one account and two sybils with the same stake win a majority equally often.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { CommitteeGrinder__factory } from "../../packages/node/src/typechain";
import { defaultPolicy, deployWorld, drawCommittee, mineAfter, Mode, nextEpoch, requestJob, Role, SAMPLE_OUTPUT, signerOf, submitAudited, submitUnaudited, TOKEN, type World } from "../fixtures/protocol";

const TRIES = 60;

/** Four honest verifiers (200 GLASS each) and three sybils of one attacker (400 GLASS each): 60% of verifier stake. */
async function grindFixture() {
  const w = await deployWorld({ executors: 3, verifiers: 4 });
  const sybils = w.others.slice(0, 3);
  for (const s of sybils) await w.stakes.connect(s).stake(Role.VERIFIER, 400n * TOKEN);
  const grinder = await new CommitteeGrinder__factory(w.admin).deploy(w.jobs, w.disputes, sybils.map((s) => s.address));
  await w.token.mint(await grinder.getAddress(), 1_000n * TOKEN);
  await grinder.join(w.stakes, w.token, 200n * TOKEN);
  await nextEpoch(w);
  return { w, sybils, grinder };
}

async function submittedJob(w: World) {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC });
  await submitUnaudited(w, jobId, signerOf(w.executors, assigned[0]), SAMPLE_OUTPUT);
  return jobId;
}

describe("Committee draws nobody can grind", function () {
  describe("finding 1: challenge, read the committee, revert when unlucky", function () {
    it(`never shows the grinder a seat in the transaction that opens the dispute (${TRIES} blocks of tries)`, async function () {
      const { w, grinder } = await loadFixture(grindFixture);
      const jobId = await submittedJob(w);
      for (let i = 0; i < TRIES; i++) {
        await expect(grinder.challengeIfLucky(jobId)).to.be.revertedWithCustomError(grinder, "Unlucky").withArgs(0n, 0n);
        await mine();
      }
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(0n);
    });

    it("never shows an audit's committee to the transaction that starts the audit either", async function () {
      const { w, grinder } = await loadFixture(grindFixture);
      const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC, modelId: await auditedModel(w) });
      await submitAudited(w, jobId, signerOf(w.executors, assigned[0]), SAMPLE_OUTPUT);
      for (let i = 0; i < 10; i++) {
        await expect(grinder.auditIfLucky(jobId)).to.be.revertedWithCustomError(grinder, "Unlucky").withArgs(0n, 0n);
        await mine();
      }
    });

    it("draws the committee only from the target block's randomness: the same seats whoever pins, whenever", async function () {
      const { w, sybils } = await loadFixture(grindFixture);
      const jobId = await submittedJob(w);
      const disputeId = await challengedPastTarget(w, jobId);
      const pins: string[][] = [];
      for (const [pinner, wait] of [[w.verifiers[1], 0], [sybils[0], 7], [w.requester, 40]] as const) {
        const snapshot = await takeSnapshot();
        await mine(wait + 1);
        await w.disputes.connect(pinner).drawCommittee(disputeId);
        pins.push(await seatsOf(w, disputeId));
        await snapshot.restore();
      }
      expect(pins[1]).to.deep.equal(pins[0]);
      expect(pins[2]).to.deep.equal(pins[0]);
    });
  });

  describe("nothing can be reshaped once the randomness is known", function () {
    it("gives the same committee after the attacker restakes, adds a sybil and pumps its stake past everyone's", async function () {
      const { w, sybils } = await loadFixture(grindFixture);
      const jobId = await submittedJob(w);
      const disputeId = await challengedPastTarget(w, jobId);
      // The target's randomness is public now: the attacker sees what an honest pin would draw.
      const snapshot = await takeSnapshot();
      await w.disputes.drawCommittee(disputeId);
      const honest = await seatsOf(w, disputeId);
      await snapshot.restore();
      // ...and reshapes the stakes before pinning: more stake on a sybil, a new sybil, one unstaked.
      const fresh = w.others[3];
      await w.token.mint(sybils[0].address, 10_000n * TOKEN);
      await w.stakes.connect(sybils[0]).stake(Role.VERIFIER, 9_000n * TOKEN);
      await w.stakes.connect(fresh).stake(Role.VERIFIER, 5_000n * TOKEN);
      await w.stakes.connect(sybils[1]).requestUnstake(Role.VERIFIER, 400n * TOKEN);
      expect(await w.stakes.weightOf(sybils[0].address, Role.VERIFIER, 0n)).to.equal(9_400n * TOKEN);
      await w.disputes.connect(sybils[0]).drawCommittee(disputeId);
      expect(await seatsOf(w, disputeId)).to.deep.equal(honest);
      expect(await w.disputes.seatsOf(disputeId, fresh.address)).to.equal(0n);
    });
  });

  describe("finding 3: splitting stake over sybils gains nothing", function () {
    it("gives one 40% account and two 20% sybils the same chance of a majority of 3 seats (seats drawn with replacement)", async function () {
      const w = await deployWorld({ executors: 1, verifiers: 0 });
      const [whole, sybilA, sybilB, honest] = w.others;
      await w.stakes.connect(whole).stake(Role.VERIFIER, 400n * TOKEN);
      await w.stakes.connect(sybilA).stake(Role.VERIFIER, 200n * TOKEN);
      await w.stakes.connect(sybilB).stake(Role.VERIFIER, 200n * TOKEN);
      await w.stakes.connect(honest).stake(Role.VERIFIER, 200n * TOKEN);
      await nextEpoch(w);
      const epoch = await w.stakes.currentEpoch();
      const draws = 1_500;
      let wholeWins = 0;
      let splitWins = 0;
      let wholeSeats = 0;
      let splitSeats = 0;
      for (let i = 0; i < draws; i++) {
        const [ok, holders] = await w.stakes.drawSeats(Role.VERIFIER, 0n, epoch, ethers.keccak256(ethers.toBeHex(i, 32)), 3, []);
        expect(ok).to.equal(true);
        const a = holders.filter((h) => h === whole.address).length;
        const b = holders.filter((h) => h === sybilA.address || h === sybilB.address).length;
        wholeSeats += a;
        splitSeats += b;
        if (a >= 2) wholeWins++;
        if (b >= 2) splitWins++;
      }
      // Both hold 40% of the stake: P[at least 2 of 3 seats] = 3 x 0.4^2 x 0.6 + 0.4^3 = 0.352 each.
      // Binomial noise over 1,500 draws: sd 0.0123 per share; 0.05 is four of them.
      const wholeShare = wholeWins / draws;
      const splitShare = splitWins / draws;
      expect(Math.abs(wholeShare - 0.352)).to.be.lessThan(0.05);
      expect(Math.abs(splitShare - 0.352)).to.be.lessThan(0.05);
      expect(Math.abs(wholeShare - splitShare)).to.be.lessThan(0.06);
      // Seat share follows stake share (0.4 of 4,500 seats each, sd ~0.0073).
      expect(Math.abs(wholeSeats / (3 * draws) - 0.4)).to.be.lessThan(0.03);
      expect(Math.abs(splitSeats / (3 * draws) - 0.4)).to.be.lessThan(0.03);
    });
  });
});

/** Challenges `jobId` and mines until its dispute's draw target has passed (the randomness is public). */
async function challengedPastTarget(w: World, jobId: bigint): Promise<bigint> {
  await w.jobs.connect(w.verifiers[0]).challenge(jobId);
  const disputeId = await w.disputes.disputeOfJob(jobId);
  await mineAfter((await w.disputes.disputeOf(disputeId)).drawTarget);
  return disputeId;
}

/** The committee's members with their seats, as "address:seats" in draw order. */
async function seatsOf(w: World, disputeId: bigint): Promise<string[]> {
  const members = await drawCommittee(w, disputeId);
  return Promise.all(members.map(async (m) => `${m}:${await w.disputes.seatsOf(disputeId, m)}`));
}

/**
 * A second model whose audit rate is the registry's cap (20%), so submitAudited finds a picked coin
 * quickly; the executors opt in to it and the stake epoch turns, so its jobs can be drawn.
 */
async function auditedModel(w: World): Promise<bigint> {
  await w.models.connect(w.modelOwner).registerModel(ethers.id("audited-model"), "ipfs://audited", defaultPolicy({ auditRateBps: 2_000 }));
  const modelId = await w.models.modelCount();
  for (const e of w.executors) await w.stakes.connect(e).optIn(modelId);
  await nextEpoch(w);
  return modelId;
}
