import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, mine, setBalance, stopImpersonatingAccount, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { BlockHashRandomness__factory, DisputeManager__factory } from "../../packages/node/src/typechain";
import type { IDisputeManager } from "../../packages/node/src/typechain/contracts/DisputeManager";
import { DEVNET_PARAMS } from "../../deploy/protocol";
import {
  collateralOf,
  drawCommittee,
  nextEpoch,
  defaultPolicy,
  deployWorld,
  MAX_AUDIT_RATE_BPS,
  Mode,
  RefundReason,
  assignJob,
  requestJob,
  Role,
  salt,
  SAMPLE_OUTPUT,
  signerOf,
  Status,
  submitAudited,
  submitUnaudited,
  TOKEN,
  Verdict,
  WRONG_OUTPUT,
} from "../fixtures/protocol";

const FEE = TOKEN;
const COLLATERAL = collateralOf(FEE, Mode.OPTIMISTIC); // 22 tokens: 22x the fee
const BOND = 10n * TOKEN;
const BOUNTY = 2n * TOKEN;
const VOTER_SLASH = 5n * TOKEN;
const AUDIT_REWARD = BigInt(DEVNET_PARAMS.disputes.auditReward); // 0.1 token
const SHARE_BPS = 5000n;
const BPS = 10_000n;
const STAKE = 200n * TOKEN;
const CHALLENGE_WINDOW = 1800n;
const COMMIT_WINDOW = 600n;
const REVEAL_WINDOW = 600n;
const MAX_AMOUNT = 10n ** 27n;
const WEEK = 7n * 24n * 3600n;
const BASE_PARAMS: IDisputeManager.ParamsStruct = { ...DEVNET_PARAMS.disputes };

/**
 * The devnet world (3 executors, 4 verifiers, 200 tokens staked each) plus a second model audited at
 * the highest rate (20%), which every executor opts in to as well (drawn for it from the next epoch).
 */
async function disputeFixture() {
  const w = await deployWorld();
  await w.models
    .connect(w.modelOwner)
    .registerModel(
      ethers.sha256(ethers.toUtf8Bytes("audited-model")),
      "ipfs://bafy-audited",
      defaultPolicy({ auditRateBps: MAX_AUDIT_RATE_BPS }),
    );
  const auditedModelId = 2n;
  for (const e of w.executors) await w.stakes.connect(e).optIn(auditedModelId);
  await nextEpoch(w);
  return { ...w, auditedModelId };
}

type Fixture = Awaited<ReturnType<typeof disputeFixture>>;

interface Opened {
  disputeId: bigint;
  committee: HardhatEthersSigner[];
  commitEnd: bigint;
  revealEnd: bigint;
}

function everyone(w: Fixture): HardhatEthersSigner[] {
  return [...w.executors, ...w.verifiers, ...w.others];
}

/**
 * An OPTIMISTIC job whose (wrong) result is posted and open to challenge. On the audited model the
 * audit lottery picked it (finalize opens an audit); on model 1 it passed it over.
 */
async function submittedJob(w: Fixture, modelId: bigint = 1n, fee: bigint = FEE) {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC, modelId, fee });
  const executor = signerOf(w.executors, assigned[0]);
  const submit = modelId === w.auditedModelId ? submitAudited : submitUnaudited;
  await submit(w, jobId, executor, WRONG_OUTPUT);
  return { jobId, executor };
}

async function openedDispute(w: Fixture, disputeId: bigint): Promise<Opened> {
  const d = await w.disputes.disputeOf(disputeId);
  const committee = (await w.disputes.committeeOf(disputeId)).map((a) => signerOf(everyone(w), a));
  return { disputeId, committee, commitEnd: d.commitEnd, revealEnd: d.revealEnd };
}

/** Finalizes `jobId` (which its audit coin picked) and pins the audit's committee of distinct members. */
async function auditJob(w: Fixture, jobId: bigint): Promise<Opened> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const snapshot = await takeSnapshot();
    await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "AuditStarted");
    const disputeId = await w.disputes.disputeOfJob(jobId);
    const committee = await drawCommittee(w, disputeId);
    if (committee.length === Number((await w.disputes.disputeOf(disputeId)).seats)) return openedDispute(w, disputeId);
    await snapshot.restore();
    await mine();
  }
  throw new Error(`no audit committee of distinct members for job ${jobId} in 200 tries`);
}

/**
 * Challenges `jobId` and pins the dispute's committee once its randomness is known. Seats are drawn
 * with replacement; these tests address members by index, so the chain is rolled back and the
 * challenge sent one block later until every seat went to a different member (as `untilLottery`
 * does for audit coins). Seat-weighted committees have their own tests.
 */
async function challengeJob(w: Fixture, jobId: bigint, challenger: HardhatEthersSigner = w.verifiers[0]): Promise<Opened> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const snapshot = await takeSnapshot();
    await w.jobs.connect(challenger).challenge(jobId);
    const disputeId = await w.disputes.disputeOfJob(jobId);
    const committee = await drawCommittee(w, disputeId);
    if (committee.length === Number((await w.disputes.disputeOf(disputeId)).seats)) return openedDispute(w, disputeId);
    await snapshot.restore();
    await mine();
  }
  throw new Error(`no committee of distinct members for job ${jobId} in 200 tries`);
}

async function commit(w: Fixture, disputeId: bigint, voter: HardhatEthersSigner, verdict: number): Promise<string> {
  const s = salt();
  await w.disputes.connect(voter).commitVote(disputeId, await w.disputes.commitmentOf(voter.address, disputeId, verdict, s));
  return s;
}

/** Commits `verdicts[i]` for committee member i (null: no commit), then reveals where `reveal[i]`. */
async function vote(w: Fixture, d: Opened, verdicts: (number | null)[], reveal: boolean[] = verdicts.map((v) => v !== null)) {
  const salts: string[] = [];
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i];
    salts.push(v === null ? "" : await commit(w, d.disputeId, d.committee[i], v));
  }
  if (verdicts.some((v) => v === null)) await time.increaseTo(d.commitEnd + 1n);
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i];
    if (v !== null && reveal[i]) await w.disputes.connect(d.committee[i]).revealVote(d.disputeId, v, salts[i]);
  }
}

async function credits(w: Fixture, accounts: string[]): Promise<bigint[]> {
  return Promise.all(accounts.map((a) => w.vault.creditOf(a)));
}

async function activeStake(w: Fixture, node: string, role: number): Promise<bigint> {
  return (await w.stakes.accountOf(node, role)).active;
}

/** Unclaimed credits of every signer (only signers are ever credited here; the vault keeps no total). */
async function totalCredits(w: Fixture): Promise<bigint> {
  let sum = 0n;
  for (const s of await ethers.getSigners()) sum += await w.vault.creditOf(s.address);
  return sum;
}

/** The vault holds exactly the escrow of live jobs and open bonds plus credits, audit pots and treasury. */
async function expectVaultBacked(w: Fixture, escrow: bigint) {
  const pots = (await w.vault.auditPotOf(1n)) + (await w.vault.auditPotOf(w.auditedModelId));
  const treasuryAccrued = await w.vault.treasuryAccrued();
  expect(await w.token.balanceOf(w.vault)).to.equal(escrow + (await totalCredits(w)) + pots + treasuryAccrued);
}

/** Finalizes a NONE job of `fee` on `modelId` so that the model's audit pot grows by a tenth of it. */
async function fundPool(w: Fixture, fee: bigint, modelId = 1n) {
  const { jobId, assigned } = await requestJob(w, { mode: Mode.NONE, fee, modelId });
  await w.jobs.connect(signerOf(w.executors, assigned[0])).submitResult(jobId, SAMPLE_OUTPUT);
}

describe("DisputeManager", function () {
  describe("challenge", function () {
    it("reverts when the job is not Submitted", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Assigned);
      await expect(w.jobs.connect(w.verifiers[0]).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotChallengeable")
        .withArgs(jobId);
    });

    it("reverts when the job is already disputed", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      await expect(w.jobs.connect(w.verifiers[1]).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotChallengeable")
        .withArgs(jobId);
    });

    it("reverts after the challenge window", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const { phaseEnd } = await w.jobs.jobOf(jobId);
      await time.setNextBlockTimestamp(phaseEnd + 1n);
      await expect(w.jobs.connect(w.verifiers[0]).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotChallengeable")
        .withArgs(jobId);
    });

    it("accepts a challenge in the last second of the window", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const { phaseEnd } = await w.jobs.jobOf(jobId);
      await time.setNextBlockTimestamp(phaseEnd);
      await expect(w.jobs.connect(w.verifiers[0]).challenge(jobId)).to.emit(w.disputes, "DisputeOpened");
    });

    it("reverts when the challenger is the executor, even one staked as a verifier", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      await w.stakes.connect(executor).stake(Role.VERIFIER, STAKE);
      expect(await w.stakes.isEligible(executor.address, Role.VERIFIER)).to.equal(true);
      await expect(w.jobs.connect(executor).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotStakedVerifier")
        .withArgs(executor.address);
    });

    it("reverts when the challenger has no verifier stake", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      const outsider = w.others[0];
      await expect(w.jobs.connect(outsider).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotStakedVerifier")
        .withArgs(outsider.address);
      // An executor's stake is not a verifier's stake.
      const idle = w.executors.filter((e) => e.address !== executor.address)[0];
      await expect(w.jobs.connect(idle).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotStakedVerifier")
        .withArgs(idle.address);
    });

    it("reverts when the challenger is a jailed verifier", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const jailed = w.verifiers[0];
      // The DisputeManager itself (impersonated) slashes it below the minimum, which jails it.
      const disputesAddress = await w.disputes.getAddress();
      await impersonateAccount(disputesAddress);
      await setBalance(disputesAddress, 10n ** 18n);
      await w.stakes.connect(await ethers.getSigner(disputesAddress)).slash(jailed.address, Role.VERIFIER, 150n * TOKEN, w.admin.address);
      await stopImpersonatingAccount(disputesAddress);
      // Lower the minimum so that only the jail keeps it out.
      await w.stakes.setMinStake(Role.VERIFIER, 10n * TOKEN);
      const account = await w.stakes.accountOf(jailed.address, Role.VERIFIER);
      expect(account.jailed).to.equal(true);
      expect(account.active).to.equal(50n * TOKEN);
      await expect(w.jobs.connect(jailed).challenge(jobId))
        .to.be.revertedWithCustomError(w.disputes, "NotStakedVerifier")
        .withArgs(jailed.address);
    });

    it("moves the bond from the challenger into the PaymentVault and marks the job Disputed", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const tx = w.jobs.connect(challenger).challenge(jobId);
      await expect(tx).to.changeTokenBalances(w.token, [challenger, w.vault, w.disputes], [-BOND, BOND, 0n]);
      await expect(tx).to.emit(w.jobs, "JobDisputed").withArgs(jobId);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
      expect(await w.token.balanceOf(w.disputes)).to.equal(0n);
      await expectVaultBacked(w, FEE + BOND);
    });

    it("opens with a future randomness target and the current stake epoch, and seats nobody in the opening transaction", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const source = BlockHashRandomness__factory.connect(await w.disputes.RANDOMNESS(), ethers.provider);
      const opening = (await ethers.provider.getBlockNumber()) + 1;
      const target = BigInt(opening) + (await source.DELAY());
      const epoch = await w.stakes.currentEpoch();
      await expect(w.jobs.connect(challenger).challenge(jobId))
        .to.emit(w.disputes, "DisputeOpened")
        .withArgs(1n, jobId, challenger.address, target, epoch);
      expect(await w.disputes.committeeOf(1n)).to.deep.equal([]);
      const d = await w.disputes.disputeOf(1n);
      expect([d.drawn, d.seats, d.drawTarget, d.snapshotEpoch]).to.deep.equal([false, 0n, target, epoch]);
      // Nobody holds a seat yet, so nobody can vote.
      await expect(w.disputes.connect(w.verifiers[1]).commitVote(1n, ethers.id("early")))
        .to.be.revertedWithCustomError(w.disputes, "NotOnCommittee")
        .withArgs(1n, w.verifiers[1].address);
    });

    it("draws a committee that never contains the executor or the challenger, with the commit phase starting at the draw", async function () {
      const w = await loadFixture(disputeFixture);
      // Every executor is also a verifier (from the next epoch on), and the committee asks for 15 seats.
      for (const e of w.executors) await w.stakes.connect(e).stake(Role.VERIFIER, STAKE);
      await nextEpoch(w);
      await w.disputes.setParams({ ...BASE_PARAMS, committeeSize: 15 });
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.verifiers[0];
      // A seat stays empty when MAX_SEAT_TRIES draws in a row land on the two excluded nodes (about
      // 1 in 1,500 here): the chain's randomness depends on every byte of the contracts, so the test
      // opens the dispute again, a block later, until the draw fills all 15 (then checks it all).
      let t = 0n;
      let drawn: ReturnType<typeof w.disputes.interface.parseLog> = null;
      for (let attempt = 0; attempt < 5; attempt++) {
        const snapshot = await takeSnapshot();
        await w.jobs.connect(challenger).challenge(jobId);
        await mine(3);
        t = BigInt(await time.latest()) + 5n;
        await time.setNextBlockTimestamp(t);
        const receipt = await (await w.disputes.drawCommittee(1n)).wait();
        drawn = receipt!.logs.map((log) => w.disputes.interface.parseLog(log)).find((e) => e?.name === "CommitteeDrawn")!;
        if (drawn.args.seats === 15n) break;
        await snapshot.restore();
        await mine(1);
      }
      if (!drawn) throw new Error("no CommitteeDrawn event");
      expect(drawn.args.disputeId).to.equal(1n);
      expect(drawn.args.jobId).to.equal(jobId);
      expect(drawn.args.seats).to.equal(15n);
      expect(drawn.args.commitEnd).to.equal(t + COMMIT_WINDOW);
      expect(drawn.args.revealEnd).to.equal(t + COMMIT_WINDOW + REVEAL_WINDOW);
      const members = [...(drawn.args.members as string[])];
      expect(members).to.not.include(executor.address);
      expect(members).to.not.include(challenger.address);
      expect(await w.disputes.committeeOf(1n)).to.deep.equal(members);
      let seats = 0n;
      for (const m of members) seats += await w.disputes.seatsOf(1n, m);
      expect(seats).to.equal(15n);
      expect((await w.disputes.disputeOf(1n)).seats).to.equal(15n);
    });

    it("draws committees of the configured size without the challenger", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      expect(d.committee).to.have.lengthOf(3);
      expect(d.committee.map((m) => m.address).sort()).to.deep.equal(w.verifiers.slice(1).map((v) => v.address).sort());
      expect((await w.disputes.disputeOf(d.disputeId)).seats).to.equal(3n);
    });

    it("reverts DrawNotReady before the target block, CommitteeAlreadyDrawn after the draw", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      const { drawTarget } = await w.disputes.disputeOf(1n);
      await expect(w.disputes.drawCommittee(1n)).to.be.revertedWithCustomError(w.disputes, "DrawNotReady").withArgs(1n, drawTarget);
      await drawCommittee(w, 1n);
      await expect(w.disputes.drawCommittee(1n)).to.be.revertedWithCustomError(w.disputes, "CommitteeAlreadyDrawn").withArgs(1n);
      await expect(w.disputes.drawCommittee(9n)).to.be.revertedWithCustomError(w.disputes, "UnknownDispute").withArgs(9n);
    });

    it("re-arms a draw whose randomness was lost (nobody pinned in 256 blocks): a new target, the same snapshot", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      const before = await w.disputes.disputeOf(1n);
      await mine(300);
      const next = BigInt((await ethers.provider.getBlockNumber()) + 1) + 2n;
      await expect(w.disputes.drawCommittee(1n)).to.emit(w.disputes, "DrawRearmed").withArgs(1n, next, 1n);
      const after = await w.disputes.disputeOf(1n);
      expect([after.drawn, after.drawTarget, after.snapshotEpoch]).to.deep.equal([false, next, before.snapshotEpoch]);
      const members = await drawCommittee(w, 1n);
      expect(members.length).to.be.greaterThan(0);
      expect((await w.disputes.disputeOf(1n)).drawn).to.equal(true);
    });

    it("refuses a draw after the pin window (DrawExpired); the dispute then resolves Undecided with nobody slashed", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      const { openedAt } = await w.disputes.disputeOf(1n);
      const deadline = openedAt + COMMIT_WINDOW;
      await expect(w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(w.disputes, "TallyTooEarly").withArgs(1n, deadline);
      await time.increaseTo(deadline + 1n);
      await expect(w.disputes.drawCommittee(1n)).to.be.revertedWithCustomError(w.disputes, "DrawExpired").withArgs(1n, deadline);
      const staked = await w.stakes.totalStaked();
      await expect(w.jobs.resolveDispute(jobId)).to.emit(w.disputes, "DisputeResolved").withArgs(1n, jobId, Verdict.Undecided, 0n, 0n, 0n);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.verifiers[0].address)).to.equal(BOND);
      expect(await w.stakes.totalStaked()).to.equal(staked);
      await expect(w.disputes.drawCommittee(1n)).to.be.revertedWithCustomError(w.disputes, "CommitteeAlreadyDrawn").withArgs(1n);
    });
  });

  describe("open and resolve (the hub's calls)", function () {
    it("reverts open and resolve when the caller is not the hub: the hub calls the resolver, never the reverse", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      for (const caller of [w.admin, executor, w.verifiers[0]]) {
        await expect(w.disputes.connect(caller).open(jobId, w.modelId, executor.address, w.verifiers[0].address, ethers.ZeroHash))
          .to.be.revertedWithCustomError(w.disputes, "UnauthorizedCaller")
          .withArgs(caller.address);
        await expect(w.disputes.connect(caller).resolve(jobId))
          .to.be.revertedWithCustomError(w.disputes, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });

    it("opens a bond-free audit without the executor when finalize draws the job", async function () {
      const w = await loadFixture(disputeFixture);
      for (const e of w.executors) await w.stakes.connect(e).stake(Role.VERIFIER, STAKE);
      await nextEpoch(w);
      await w.disputes.setParams({ ...BASE_PARAMS, committeeSize: 15 });
      // A committee of 15 costs 15 rewards an audit: at 20% the fee must fund 3 of them (FeeBelowAuditCost).
      const { jobId, executor } = await submittedJob(w, w.auditedModelId, 3n * TOKEN);
      await time.increase(CHALLENGE_WINDOW + 1n);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.jobs, "AuditStarted").withArgs(jobId, 1n);
      await expect(tx).to.emit(w.disputes, "DisputeOpened");
      const d = await w.disputes.disputeOf(1n);
      expect(d.challenger).to.equal(ethers.ZeroAddress);
      expect(d.bond).to.equal(0n);
      expect(d.executor).to.equal(executor.address);
      const committee = await drawCommittee(w, 1n);
      expect((await w.disputes.disputeOf(1n)).seats).to.equal(15n);
      expect(committee).to.not.include(executor.address);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Disputed);
    });
  });

  describe("commitVote", function () {
    it("reverts when the dispute is unknown", async function () {
      const w = await loadFixture(disputeFixture);
      await expect(w.disputes.connect(w.verifiers[1]).commitVote(99n, ethers.id("x")))
        .to.be.revertedWithCustomError(w.disputes, "UnknownDispute")
        .withArgs(99n);
    });

    it("reverts when the caller holds no seat", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      for (const outsider of [w.verifiers[0], executor, w.others[0]]) {
        await expect(w.disputes.connect(outsider).commitVote(d.disputeId, ethers.id("x")))
          .to.be.revertedWithCustomError(w.disputes, "NotOnCommittee")
          .withArgs(d.disputeId, outsider.address);
      }
    });

    it("reverts after the commit phase", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await time.setNextBlockTimestamp(d.commitEnd + 1n);
      await expect(w.disputes.connect(d.committee[0]).commitVote(d.disputeId, ethers.id("x")))
        .to.be.revertedWithCustomError(w.disputes, "CommitPhaseOver")
        .withArgs(d.disputeId, d.commitEnd);
    });

    it("accepts a commitment in the last second of the commit phase", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await time.setNextBlockTimestamp(d.commitEnd);
      await expect(w.disputes.connect(d.committee[0]).commitVote(d.disputeId, ethers.id("x")))
        .to.emit(w.disputes, "VoteCommitted")
        .withArgs(d.disputeId, d.committee[0].address);
    });

    it("reverts when a member commits twice", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await commit(w, d.disputeId, d.committee[0], Verdict.Invalid);
      await expect(w.disputes.connect(d.committee[0]).commitVote(d.disputeId, ethers.id("again")))
        .to.be.revertedWithCustomError(w.disputes, "AlreadyCommitted")
        .withArgs(d.disputeId, d.committee[0].address);
    });

    it("never counts a member twice, even one that commits a zero hash", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const [honest, zero] = d.committee;
      const s = await commit(w, d.disputeId, honest, Verdict.Invalid);
      // Whether a fix rejects a zero commitment or counts it once, a second commit must not count.
      for (let i = 0; i < 2; i++) {
        try {
          await w.disputes.connect(zero).commitVote(d.disputeId, ethers.ZeroHash);
        } catch {
          // rejected: fine
        }
      }
      expect((await w.disputes.disputeOf(d.disputeId)).commits).to.be.lessThanOrEqual(2n);
      // The third member can still commit, so no verdict may be revealed yet.
      await expect(w.disputes.connect(honest).revealVote(d.disputeId, Verdict.Invalid, s))
        .to.be.revertedWithCustomError(w.disputes, "RevealPhaseNotStarted")
        .withArgs(d.disputeId, d.commitEnd);
    });

    it("records the commitment, counts it and emits VoteCommitted", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const member = d.committee[1];
      const c = await w.disputes.commitmentOf(member.address, d.disputeId, Verdict.Valid, salt());
      await expect(w.disputes.connect(member).commitVote(d.disputeId, c))
        .to.emit(w.disputes, "VoteCommitted")
        .withArgs(d.disputeId, member.address);
      const [commitment, revealed] = await w.disputes.ballotOf(d.disputeId, member.address);
      expect(commitment).to.equal(c);
      expect(revealed).to.equal(Verdict.Undecided);
      expect((await w.disputes.disputeOf(d.disputeId)).commits).to.equal(1n);
    });
  });

  describe("revealVote", function () {
    it("reverts while a member can still commit", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const s0 = await commit(w, d.disputeId, d.committee[0], Verdict.Invalid);
      await commit(w, d.disputeId, d.committee[1], Verdict.Invalid);
      await expect(w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Invalid, s0))
        .to.be.revertedWithCustomError(w.disputes, "RevealPhaseNotStarted")
        .withArgs(d.disputeId, d.commitEnd);
    });

    it("opens early once every member committed", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const salts = [];
      for (const m of d.committee) salts.push(await commit(w, d.disputeId, m, Verdict.Invalid));
      expect(BigInt(await time.latest())).to.be.lessThan(d.commitEnd);
      await expect(w.disputes.connect(d.committee[2]).revealVote(d.disputeId, Verdict.Invalid, salts[2]))
        .to.emit(w.disputes, "VoteRevealed")
        .withArgs(d.disputeId, d.committee[2].address, Verdict.Invalid);
      const dispute = await w.disputes.disputeOf(d.disputeId);
      expect(dispute.invalidVotes).to.equal(1n);
      expect(dispute.validVotes).to.equal(0n);
    });

    it("opens after the commit phase even if a member did not commit", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const s0 = await commit(w, d.disputeId, d.committee[0], Verdict.Valid);
      await time.setNextBlockTimestamp(d.commitEnd + 1n);
      await expect(w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Valid, s0))
        .to.emit(w.disputes, "VoteRevealed")
        .withArgs(d.disputeId, d.committee[0].address, Verdict.Valid);
    });

    it("reverts after the reveal phase", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const s0 = await commit(w, d.disputeId, d.committee[0], Verdict.Valid);
      await time.setNextBlockTimestamp(d.revealEnd + 1n);
      await expect(w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Valid, s0))
        .to.be.revertedWithCustomError(w.disputes, "RevealPhaseOver")
        .withArgs(d.disputeId, d.revealEnd);
    });

    it("reverts when a member reveals twice", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const salts = [];
      for (const m of d.committee) salts.push(await commit(w, d.disputeId, m, Verdict.Valid));
      await w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Valid, salts[0]);
      await expect(w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Valid, salts[0]))
        .to.be.revertedWithCustomError(w.disputes, "AlreadyRevealed")
        .withArgs(d.disputeId, d.committee[0].address);
      expect((await w.disputes.disputeOf(d.disputeId)).validVotes).to.equal(1n);
    });

    it("reverts when the revealed verdict is Undecided", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const salts = [];
      for (const m of d.committee) salts.push(await commit(w, d.disputeId, m, Verdict.Undecided));
      await expect(
        w.disputes.connect(d.committee[0]).revealVote(d.disputeId, Verdict.Undecided, salts[0]),
      ).to.be.revertedWithCustomError(w.disputes, "InvalidVerdict");
    });

    it("reverts when the salt or the verdict does not match the commitment", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const salts = [];
      for (const m of d.committee) salts.push(await commit(w, d.disputeId, m, Verdict.Invalid));
      const member = d.committee[0];
      await expect(w.disputes.connect(member).revealVote(d.disputeId, Verdict.Invalid, salt()))
        .to.be.revertedWithCustomError(w.disputes, "CommitmentMismatch")
        .withArgs(d.disputeId, member.address);
      await expect(w.disputes.connect(member).revealVote(d.disputeId, Verdict.Valid, salts[0]))
        .to.be.revertedWithCustomError(w.disputes, "CommitmentMismatch")
        .withArgs(d.disputeId, member.address);
    });

    it("reverts when a member reveals another member's copied commitment with its verdict and salt", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const [honest, copier, third] = d.committee;
      const sHonest = await commit(w, d.disputeId, honest, Verdict.Invalid);
      const [copied] = await w.disputes.ballotOf(d.disputeId, honest.address);
      await w.disputes.connect(copier).commitVote(d.disputeId, copied);
      const sThird = await commit(w, d.disputeId, third, Verdict.Invalid);
      await w.disputes.connect(honest).revealVote(d.disputeId, Verdict.Invalid, sHonest);
      await expect(w.disputes.connect(copier).revealVote(d.disputeId, Verdict.Invalid, sHonest))
        .to.be.revertedWithCustomError(w.disputes, "CommitmentMismatch")
        .withArgs(d.disputeId, copier.address);
      await w.disputes.connect(third).revealVote(d.disputeId, Verdict.Invalid, sThird);
      // The copier could not reveal, so it is slashed as absent.
      await time.increaseTo(d.revealEnd + 1n);
      await w.jobs.resolveDispute(jobId);
      expect(await activeStake(w, copier.address, Role.VERIFIER)).to.equal(STAKE - VOTER_SLASH);
      expect(await activeStake(w, honest.address, Role.VERIFIER)).to.equal(STAKE);
    });

    it("reverts when a commitment made for another dispute is revealed", async function () {
      const w = await loadFixture(disputeFixture);
      const a = await submittedJob(w);
      const b = await submittedJob(w);
      const da = await challengeJob(w, a.jobId);
      const db = await challengeJob(w, b.jobId);
      const member = db.committee[0];
      expect(da.committee.map((m) => m.address)).to.include(member.address);
      const s = salt();
      await w.disputes.connect(member).commitVote(db.disputeId, await w.disputes.commitmentOf(member.address, da.disputeId, Verdict.Valid, s));
      await time.setNextBlockTimestamp(db.commitEnd + 1n);
      await expect(w.disputes.connect(member).revealVote(db.disputeId, Verdict.Valid, s))
        .to.be.revertedWithCustomError(w.disputes, "CommitmentMismatch")
        .withArgs(db.disputeId, member.address);
    });

    it("reverts for an unknown dispute or a caller without a seat", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await expect(w.disputes.connect(d.committee[0]).revealVote(7n, Verdict.Valid, salt()))
        .to.be.revertedWithCustomError(w.disputes, "UnknownDispute")
        .withArgs(7n);
      await expect(w.disputes.connect(w.verifiers[0]).revealVote(d.disputeId, Verdict.Valid, salt()))
        .to.be.revertedWithCustomError(w.disputes, "NotOnCommittee")
        .withArgs(d.disputeId, w.verifiers[0].address);
    });
  });

  describe("resolve", function () {
    it("is refused by the hub when the job is not Disputed (no dispute, or one already resolved)", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      await expect(w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Submitted);
      await expect(w.jobs.resolveDispute(999n)).to.be.revertedWithCustomError(w.jobs, "UnknownJob").withArgs(999n);
      const d = await challengeJob(w, jobId);
      await vote(w, d, [Verdict.Valid, Verdict.Valid, Verdict.Valid]);
      await w.jobs.resolveDispute(jobId);
      await expect(w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Finalized);
    });

    it("reverts with NoOpenDispute when its hub asks for a job it holds no open dispute of", async function () {
      const w = await loadFixture(disputeFixture);
      // A DisputeManager whose hub is a plain account, so the test can call it as the hub would.
      const hub = w.others[0];
      const fresh = await new DisputeManager__factory(w.admin).deploy(w.stakes, await w.jobs.RANDOMNESS(), w.vault, w.admin.address, BASE_PARAMS);
      await fresh.setHub(hub.address);
      await expect(fresh.connect(hub).resolve(7n)).to.be.revertedWithCustomError(fresh, "NoOpenDispute").withArgs(7n);
    });

    it("reverts before every vote is revealed and before the reveal phase ended", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await expect(w.jobs.resolveDispute(jobId))
        .to.be.revertedWithCustomError(w.disputes, "TallyTooEarly")
        .withArgs(d.disputeId, d.revealEnd);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid], [true, true, false]);
      await time.setNextBlockTimestamp(d.revealEnd);
      await expect(w.jobs.resolveDispute(jobId))
        .to.be.revertedWithCustomError(w.disputes, "TallyTooEarly")
        .withArgs(d.disputeId, d.revealEnd);
    });

    it("Invalid: the hub slashes the executor's whole collateral (bond and bounty to the challenger, the rest to the treasury) and arms a new draw that reassigns the job", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      const totalStaked = await w.stakes.totalStaked();

      // The dispute's pot holds only voter slashes (none here); the collateral never enters it.
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(d.disputeId, jobId, Verdict.Invalid, 0n, 3n, 0n);
      await expect(tx).to.emit(w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid);
      await expect(tx).to.emit(w.jobs, "CollateralSlashed").withArgs(jobId, executor.address, COLLATERAL);
      await expect(tx).to.changeTokenBalances(w.token, [w.vault, w.stakes], [COLLATERAL, -COLLATERAL]);

      const account = await w.stakes.accountOf(executor.address, Role.EXECUTOR);
      expect(account.active).to.equal(STAKE - COLLATERAL);
      expect(account.locked).to.equal(0n);
      expect(await w.stakes.totalStaked()).to.equal(totalStaked - COLLATERAL);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND + BOUNTY);
      for (const m of d.committee) {
        expect(await w.vault.creditOf(m.address)).to.equal(0n); // the model's audit pot is empty
        expect(await activeStake(w, m.address, Role.VERIFIER)).to.equal(STAKE);
      }
      expect(await w.vault.auditPotOf(1n)).to.equal(0n);
      expect(await w.vault.treasuryAccrued()).to.equal(COLLATERAL - BOUNTY);
      expect(await totalCredits(w)).to.equal(BOND + BOUNTY);

      // The verdict arms the next executor draw; the assignment after its target reassigns the job.
      await expect(tx).to.emit(w.jobs, "DrawArmed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      await assignJob(w, jobId);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.executor).to.not.equal(executor.address);
      expect(w.executors.map((e) => e.address)).to.include(job.executor);
      expect(job.attempts).to.equal(2n);
      expect((await w.stakes.accountOf(job.executor, Role.EXECUTOR)).locked).to.equal(COLLATERAL);
      expect((await w.disputes.disputeOf(d.disputeId)).resolved).to.equal(true);
      await expectVaultBacked(w, FEE);
    });

    it("Valid: forfeits the bond into the pot shared by the executor and the majority, and pays the job", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      await vote(w, d, [Verdict.Valid, Verdict.Valid, Verdict.Valid]);

      const pot = BOND;
      const each = (pot * SHARE_BPS) / BPS / 4n; // three members and the executor
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(d.disputeId, jobId, Verdict.Valid, 3n, 0n, pot);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      await expect(tx).to.emit(w.vault, "FeePaid").withArgs(jobId, (FEE * 7500n) / BPS, FEE / 10n, FEE / 10n, FEE / 20n);

      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(challenger.address)).to.equal(0n);
      expect(await w.vault.creditOf(executor.address)).to.equal(each + (FEE * 7500n) / BPS);
      expect(await w.vault.creditOf(w.modelOwner.address)).to.equal(FEE / 10n);
      for (const m of d.committee) {
        expect(await w.vault.creditOf(m.address)).to.equal(each);
        expect(await activeStake(w, m.address, Role.VERIFIER)).to.equal(STAKE);
      }
      const account = await w.stakes.accountOf(executor.address, Role.EXECUTOR);
      expect(account.active).to.equal(STAKE);
      expect(account.locked).to.equal(0n);
      expect(await w.vault.auditPotOf(1n)).to.equal(FEE / 10n);
      expect(await w.vault.treasuryAccrued()).to.equal(pot - 4n * each + FEE / 20n);
      expect(await w.token.balanceOf(challenger.address)).to.equal(10_000n * TOKEN - STAKE - BOND);
      await expectVaultBacked(w, 0n);
    });

    it("slashes the losing voters voterSlash and shares it among the winning members, rounding dust to the treasury", async function () {
      const w = await loadFixture(disputeFixture);
      const voterSlash = VOTER_SLASH + 3n; // an odd share, so that the split leaves dust
      await w.disputes.setParams({ ...BASE_PARAMS, voterSlash });
      const { jobId } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      const verdicts = [Verdict.Invalid, Verdict.Valid, Verdict.Invalid];
      await vote(w, d, verdicts);

      const pot = voterSlash;
      const each = (pot * SHARE_BPS) / BPS / 2n; // the two winning members: the challenger has its bounty
      expect(each * 2n).to.not.equal((pot * SHARE_BPS) / BPS); // the split leaves dust
      await expect(w.jobs.resolveDispute(jobId))
        .to.emit(w.disputes, "DisputeResolved")
        .withArgs(d.disputeId, jobId, Verdict.Invalid, 1n, 2n, pot);
      expect(await activeStake(w, d.committee[1].address, Role.VERIFIER)).to.equal(STAKE - voterSlash);
      expect(await w.vault.creditOf(d.committee[1].address)).to.equal(0n);
      expect(await activeStake(w, d.committee[0].address, Role.VERIFIER)).to.equal(STAKE);
      expect(await credits(w, [d.committee[0].address, d.committee[2].address, challenger.address])).to.deep.equal([
        each,
        each,
        BOND + BOUNTY,
      ]);
      expect(await w.vault.treasuryAccrued()).to.equal(pot - 2n * each + COLLATERAL - BOUNTY);
      await expectVaultBacked(w, FEE);
    });

    it("slashes a member that never committed and adds it to the pot of a Valid verdict", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await vote(w, d, [Verdict.Valid, null, Verdict.Valid]);
      await time.increaseTo(d.revealEnd + 1n);

      const pot = VOTER_SLASH + BOND;
      const each = (pot * SHARE_BPS) / BPS / 3n; // two members and the executor
      await expect(w.jobs.resolveDispute(jobId))
        .to.emit(w.disputes, "DisputeResolved")
        .withArgs(d.disputeId, jobId, Verdict.Valid, 2n, 0n, pot);
      expect(await activeStake(w, d.committee[1].address, Role.VERIFIER)).to.equal(STAKE - VOTER_SLASH);
      expect(await w.vault.creditOf(d.committee[1].address)).to.equal(0n);
      expect(await w.vault.creditOf(d.committee[0].address)).to.equal(each);
      expect(await w.vault.creditOf(executor.address)).to.equal(each + (FEE * 7500n) / BPS);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      await expectVaultBacked(w, 0n);
    });

    it("Undecided on a tie: returns the bond, refunds the job, pays the revealers the audit reward and slashes only the member that did not reveal", async function () {
      const w = await loadFixture(disputeFixture);
      await fundPool(w, 30n * TOKEN); // audit pot of model 1: 3 tokens
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      await vote(w, d, [Verdict.Valid, Verdict.Invalid, Verdict.Valid], [true, true, false]);
      const [committed] = await w.disputes.ballotOf(d.disputeId, d.committee[2].address);
      expect(committed).to.not.equal(ethers.ZeroHash);
      await time.increaseTo(d.revealEnd + 1n);

      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(d.disputeId, jobId, Verdict.Undecided, 1n, 1n, VOTER_SLASH);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, FEE);

      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(FEE);
      expect(await activeStake(w, d.committee[2].address, Role.VERIFIER)).to.equal(STAKE - VOTER_SLASH);
      expect(await activeStake(w, d.committee[0].address, Role.VERIFIER)).to.equal(STAKE);
      expect(await activeStake(w, d.committee[1].address, Role.VERIFIER)).to.equal(STAKE);
      // Both members who revealed did their work: each gets the audit reward; the silent one nothing.
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([AUDIT_REWARD, AUDIT_REWARD, 0n]);
      expect(await w.vault.auditPotOf(1n)).to.equal(3n * TOKEN - 2n * AUDIT_REWARD);
      const account = await w.stakes.accountOf(executor.address, Role.EXECUTOR);
      expect(account.active).to.equal(STAKE);
      expect(account.locked).to.equal(0n);
      expect(await w.vault.treasuryAccrued()).to.equal(VOTER_SLASH + (30n * TOKEN) / 20n);
      await expectVaultBacked(w, 0n);
    });

    it("Undecided on a tie of a committee of two: nobody is slashed", async function () {
      const w = await loadFixture(disputeFixture);
      await w.disputes.setParams({ ...BASE_PARAMS, committeeSize: 2 });
      const { jobId, executor } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      expect(d.committee).to.have.lengthOf(2);
      await vote(w, d, [Verdict.Valid, Verdict.Invalid]);
      const totalStaked = await w.stakes.totalStaked();

      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(d.disputeId, jobId, Verdict.Undecided, 1n, 1n, 0n);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, FEE);
      await expect(tx).to.not.emit(w.stakes, "NodeSlashed");
      expect(await w.stakes.totalStaked()).to.equal(totalStaked);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(FEE);
      expect((await w.stakes.accountOf(executor.address, Role.EXECUTOR)).locked).to.equal(0n);
      expect(await w.vault.treasuryAccrued()).to.equal(0n);
      await expectVaultBacked(w, 0n);
    });

    it("Undecided at once with an empty committee: the challenger is the only staked verifier", async function () {
      const w = await loadFixture(disputeFixture);
      for (const v of w.verifiers.slice(1)) await w.stakes.connect(v).requestUnstake(Role.VERIFIER, STAKE);
      await nextEpoch(w); // the snapshot of a dispute opened now no longer holds them
      const { jobId } = await submittedJob(w);
      const challenger = w.verifiers[0];
      await expect(w.jobs.connect(challenger).challenge(jobId)).to.emit(w.disputes, "DisputeOpened");
      const disputeId = await w.disputes.disputeOfJob(jobId);
      expect(await drawCommittee(w, disputeId)).to.deep.equal([]);
      expect((await w.disputes.disputeOf(disputeId)).seats).to.equal(0n);

      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(disputeId, jobId, Verdict.Undecided, 0n, 0n, 0n);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, FEE);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(FEE);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      await expectVaultBacked(w, 0n);
    });

    it("pays each winning member auditReward from the audit pot of the job's model", async function () {
      const w = await loadFixture(disputeFixture);
      await fundPool(w, 30n * AUDIT_REWARD); // audit pot of model 1: three rewards
      expect(await w.vault.auditPotOf(1n)).to.equal(3n * AUDIT_REWARD);
      const { jobId } = await submittedJob(w);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      await w.jobs.resolveDispute(jobId);
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([AUDIT_REWARD, AUDIT_REWARD, AUDIT_REWARD]);
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND + BOUNTY);
      expect(await w.vault.auditPotOf(1n)).to.equal(0n);
    });

    it("never pays a committee from another model's audit pot", async function () {
      const w = await loadFixture(disputeFixture);
      await fundPool(w, 30n * TOKEN); // audit pot of model 1: 3 tokens; model 2's is empty
      const { jobId } = await submittedJob(w, w.auditedModelId);
      const d = await challengeJob(w, jobId);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      await w.jobs.resolveDispute(jobId);
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([0n, 0n, 0n]);
      expect(await w.vault.auditPotOf(1n)).to.equal(3n * TOKEN);
      expect(await w.vault.auditPotOf(w.auditedModelId)).to.equal(0n);
    });

    it("rewards only the winning members, and only while the pool lasts", async function () {
      const w = await loadFixture(disputeFixture);
      await fundPool(w, 15n * AUDIT_REWARD); // audit pot of model 1: one and a half rewards
      const { jobId, executor } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      await vote(w, d, [Verdict.Valid, Verdict.Invalid, Verdict.Valid]);
      const executorCredit = await w.vault.creditOf(executor.address);
      await w.jobs.resolveDispute(jobId);
      const pot = BOND + VOTER_SLASH;
      const each = (pot * SHARE_BPS) / BPS / 3n;
      // Winners in committee order: member 0 takes a full reward, member 2 the half left.
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([each + AUDIT_REWARD, 0n, each + AUDIT_REWARD / 2n]);
      // The executor gets its share of the pot and its fee, never an audit reward.
      expect((await w.vault.creditOf(executor.address)) - executorCredit).to.equal(each + (FEE * 7500n) / BPS);
      // The pot was emptied by the rewards, then the job's fee refilled it.
      expect(await w.vault.auditPotOf(1n)).to.equal(FEE / 10n);
    });

    it("resolves an audit opened by finalize as Valid and pays the job", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w, w.auditedModelId);
      await time.increase(CHALLENGE_WINDOW + 1n);
      const d = await auditJob(w, jobId);
      expect(d.committee.map((m) => m.address)).to.not.include(executor.address);
      await vote(w, d, [Verdict.Valid, Verdict.Valid, Verdict.Valid]);
      const totalStaked = await w.stakes.totalStaked();

      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(1n, jobId, Verdict.Valid, 3n, 0n, 0n);
      await expect(tx).to.emit(w.vault, "FeePaid").withArgs(jobId, (FEE * 7500n) / BPS, FEE / 10n, FEE / 10n, FEE / 20n);
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      expect(await w.vault.creditOf(executor.address)).to.equal((FEE * 7500n) / BPS);
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([0n, 0n, 0n]); // empty audit pot, empty pot
      expect(await w.stakes.totalStaked()).to.equal(totalStaked);
      expect((await w.stakes.accountOf(executor.address, Role.EXECUTOR)).locked).to.equal(0n);
      await expectVaultBacked(w, 0n);
    });

    it("resolves an audit as Invalid: the executor's whole collateral goes to the treasury (no challenger, no bounty)", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w, w.auditedModelId);
      await time.increase(CHALLENGE_WINDOW + 1n);
      const d = await auditJob(w, jobId);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.disputes, "DisputeResolved").withArgs(1n, jobId, Verdict.Invalid, 0n, 3n, 0n);
      await expect(tx).to.emit(w.jobs, "CollateralSlashed").withArgs(jobId, executor.address, COLLATERAL);
      expect(await credits(w, d.committee.map((m) => m.address))).to.deep.equal([0n, 0n, 0n]);
      expect(await activeStake(w, executor.address, Role.EXECUTOR)).to.equal(STAKE - COLLATERAL);
      expect(await w.vault.treasuryAccrued()).to.equal(COLLATERAL);
      await expect(tx).to.emit(w.jobs, "DrawArmed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      await assignJob(w, jobId);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Assigned);
      expect(job.executor).to.not.equal(executor.address);
      await expectVaultBacked(w, FEE);
    });
  });

  describe("setParams", function () {
    const cases: [keyof IDisputeManager.ParamsStruct, bigint, bigint, bigint][] = [
      ["committeeSize", 0n, 1n, 15n],
      ["committeeSize", 16n, 1n, 15n],
      ["commitWindow", 59n, 60n, WEEK],
      ["commitWindow", WEEK + 1n, 60n, WEEK],
      ["revealWindow", 59n, 60n, WEEK],
      ["revealWindow", WEEK + 1n, 60n, WEEK],
      ["winnerShareBps", 10_001n, 0n, 10_000n],
      ["challengeBond", 0n, 1n, MAX_AMOUNT],
      ["challengeBond", MAX_AMOUNT + 1n, 1n, MAX_AMOUNT],
      ["voterSlash", MAX_AMOUNT + 1n, 0n, MAX_AMOUNT],
      ["auditReward", MAX_AMOUNT + 1n, 0n, MAX_AMOUNT],
      ["bounty", BOND + 1n, 0n, BOND], // at most the challenge bond
    ];
    for (const [name, value, min, max] of cases) {
      it(`reverts when ${name} is ${value} (outside ${min}..${max})`, async function () {
        const w = await loadFixture(disputeFixture);
        await expect(w.disputes.setParams({ ...BASE_PARAMS, [name]: value }))
          .to.be.revertedWithCustomError(w.disputes, "ParameterOutOfBounds")
          .withArgs(name, value, min, max);
      });
    }

    it("reverts when a dispute's windows would take more than half the unbonding period", async function () {
      const w = await loadFixture(disputeFixture);
      const half = (await w.stakes.unbondingPeriod()) / 2n;
      // The pin window (one commit window), the commit and the reveal windows.
      const reveal = half - 2n * COMMIT_WINDOW + 1n;
      await expect(w.disputes.setParams({ ...BASE_PARAMS, revealWindow: reveal }))
        .to.be.revertedWithCustomError(w.disputes, "ParameterOutOfBounds")
        .withArgs("disputeWindow", 2n * COMMIT_WINDOW + reveal, 0n, half);
      expect(await w.disputes.disputeWindow()).to.equal(2n * COMMIT_WINDOW + REVEAL_WINDOW);
    });

    it("reverts when the pin window (one commit window) is longer than a stake epoch", async function () {
      const w = await loadFixture(disputeFixture);
      const epoch = await w.stakes.EPOCH_LENGTH();
      await expect(w.disputes.setParams({ ...BASE_PARAMS, commitWindow: epoch + 1n }))
        .to.be.revertedWithCustomError(w.disputes, "ParameterOutOfBounds")
        .withArgs("commitWindow", epoch + 1n, 60n, epoch);
      await w.disputes.setParams({ ...BASE_PARAMS, commitWindow: epoch });
    });

    it("reverts when a full committee's penalties would pass a verifier's minimum stake", async function () {
      const w = await loadFixture(disputeFixture);
      const minimum = await w.stakes.minStake(Role.VERIFIER);
      const slash = minimum / 3n + 1n;
      await expect(w.disputes.setParams({ ...BASE_PARAMS, committeeSize: 3, voterSlash: slash }))
        .to.be.revertedWithCustomError(w.disputes, "ParameterOutOfBounds")
        .withArgs("voterSlash", slash, 0n, minimum / 3n);
      await w.disputes.setParams({ ...BASE_PARAMS, committeeSize: 3, voterSlash: minimum / 3n });
    });

    it("reverts when the caller is not governance", async function () {
      const w = await loadFixture(disputeFixture);
      const outsider = w.others[0];
      await expect(w.disputes.connect(outsider).setParams(BASE_PARAMS))
        .to.be.revertedWithCustomError(w.disputes, "UnauthorizedCaller")
        .withArgs(outsider.address);
    });

    it("sets the parameters at their bounds and emits ParamsSet", async function () {
      const w = await loadFixture(disputeFixture);
      const next: IDisputeManager.ParamsStruct = {
        committeeSize: 15,
        commitWindow: 60,
        revealWindow: 60,
        winnerShareBps: 10_000,
        challengeBond: 1n,
        voterSlash: 0n,
        auditReward: MAX_AMOUNT,
        bounty: 1n,
      };
      await expect(w.disputes.setParams(next)).to.emit(w.disputes, "ParamsSet");
      const p = await w.disputes.params();
      expect([p.committeeSize, p.commitWindow, p.revealWindow, p.winnerShareBps, p.challengeBond, p.voterSlash, p.auditReward, p.bounty]).to.deep.equal([
        15n,
        60n,
        60n,
        10_000n,
        1n,
        0n,
        MAX_AMOUNT,
        1n,
      ]);
      expect(await w.disputes.committeeSize()).to.equal(15n);
      expect(await w.disputes.disputeWindow()).to.equal(180n); // pin, commit and reveal windows
    });

    it("checks the same bounds in the constructor", async function () {
      const w = await loadFixture(disputeFixture);
      const factory = new DisputeManager__factory(w.admin);
      await expect(factory.deploy(w.stakes, await w.jobs.RANDOMNESS(), w.vault, w.admin.address, { ...BASE_PARAMS, winnerShareBps: 10_001 }))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfBounds")
        .withArgs("winnerShareBps", 10_001n, 0n, 10_000n);
    });
  });

  describe("setHub", function () {
    it("reverts with AlreadyWired when the hub is already set", async function () {
      const w = await loadFixture(disputeFixture);
      await expect(w.disputes.setHub(w.jobs)).to.be.revertedWithCustomError(w.disputes, "AlreadyWired");
      await expect(w.disputes.setHub(w.others[0].address)).to.be.revertedWithCustomError(w.disputes, "AlreadyWired");
      expect(await w.disputes.hub()).to.equal(await w.jobs.getAddress());
    });

    it("sets the hub once, never to zero, deployer only (not governance)", async function () {
      const w = await loadFixture(disputeFixture);
      const governance = w.others[1];
      const fresh = await new DisputeManager__factory(w.admin).deploy(w.stakes, await w.jobs.RANDOMNESS(), w.vault, governance.address, BASE_PARAMS);
      expect(await fresh.GOVERNANCE()).to.equal(governance.address);
      expect(await fresh.DEPLOYER()).to.equal(w.admin.address);
      await expect(fresh.setHub(ethers.ZeroAddress)).to.be.revertedWithCustomError(fresh, "ZeroAddress").withArgs("hub");
      for (const caller of [w.others[0], governance]) {
        await expect(fresh.connect(caller).setHub(w.jobs))
          .to.be.revertedWithCustomError(fresh, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
      await expect(fresh.setHub(w.jobs)).to.emit(fresh, "HubSet").withArgs(await w.jobs.getAddress());
      await expect(fresh.setHub(w.jobs)).to.be.revertedWithCustomError(fresh, "AlreadyWired");
    });
  });

  describe("views", function () {
    it("disputeOf returns the dispute and reverts for an unknown id", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId, executor } = await submittedJob(w);
      await expect(w.disputes.disputeOf(1n)).to.be.revertedWithCustomError(w.disputes, "UnknownDispute").withArgs(1n);
      await w.jobs.connect(w.verifiers[0]).challenge(jobId);
      await mine(3);
      const t = BigInt(await time.latest()) + 3n;
      await time.setNextBlockTimestamp(t);
      await w.disputes.drawCommittee(1n);
      const d = await w.disputes.disputeOf(1n);
      expect(d.drawn).to.equal(true);
      expect(d.commitEnd).to.equal(t + COMMIT_WINDOW);
      expect(d.revealEnd).to.equal(t + COMMIT_WINDOW + REVEAL_WINDOW);
      expect(d.seats).to.equal(3n);
      expect(d.commits).to.equal(0n);
      expect(d.validVotes).to.equal(0n);
      expect(d.invalidVotes).to.equal(0n);
      expect(d.resolved).to.equal(false);
      expect(d.challenger).to.equal(w.verifiers[0].address);
      expect(d.bond).to.equal(BOND);
      expect(d.jobId).to.equal(jobId);
      expect(d.executor).to.equal(executor.address);
      await expect(w.disputes.disputeOf(2n)).to.be.revertedWithCustomError(w.disputes, "UnknownDispute").withArgs(2n);
    });

    it("committeeOf and ballotOf follow the vote", async function () {
      const w = await loadFixture(disputeFixture);
      expect(await w.disputes.committeeOf(1n)).to.deep.equal([]);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const member = d.committee[0];
      expect(await w.disputes.ballotOf(d.disputeId, member.address)).to.deep.equal([ethers.ZeroHash, BigInt(Verdict.Undecided)]);
      const salts = [];
      for (const m of d.committee) salts.push(await commit(w, d.disputeId, m, Verdict.Invalid));
      const c = await w.disputes.commitmentOf(member.address, d.disputeId, Verdict.Invalid, salts[0]);
      expect(await w.disputes.ballotOf(d.disputeId, member.address)).to.deep.equal([c, BigInt(Verdict.Undecided)]);
      await w.disputes.connect(member).revealVote(d.disputeId, Verdict.Invalid, salts[0]);
      expect(await w.disputes.ballotOf(d.disputeId, member.address)).to.deep.equal([c, BigInt(Verdict.Invalid)]);
      expect(await w.disputes.ballotOf(d.disputeId, w.verifiers[0].address)).to.deep.equal([ethers.ZeroHash, BigInt(Verdict.Undecided)]);
    });

    it("disputeWindow is the pin window (one commit window) plus the commit and reveal windows", async function () {
      const w = await loadFixture(disputeFixture);
      expect(await w.disputes.disputeWindow()).to.equal(2n * COMMIT_WINDOW + REVEAL_WINDOW);
    });

    it("disputeOfJob is zero without a dispute and the latest dispute otherwise", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(0n);
      const first = await challengeJob(w, jobId);
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(1n);
      await vote(w, first, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      await w.jobs.resolveDispute(jobId);
      await assignJob(w, jobId); // the verdict armed a new executor draw
      const job = await w.jobs.jobOf(jobId);
      await w.jobs.connect(signerOf(w.executors, job.executor)).submitResult(jobId, WRONG_OUTPUT);
      await challengeJob(w, jobId, w.verifiers[1]);
      expect(await w.disputes.disputeOfJob(jobId)).to.equal(2n);
      expect((await w.disputes.disputeOf(2n)).jobId).to.equal(jobId);
    });

    it("params returns the deployed parameters", async function () {
      const w = await loadFixture(disputeFixture);
      const p = await w.disputes.params();
      const d = DEVNET_PARAMS.disputes;
      expect([p.committeeSize, p.commitWindow, p.revealWindow, p.winnerShareBps, p.challengeBond, p.voterSlash, p.auditReward, p.bounty]).to.deep.equal(
        [d.committeeSize, d.commitWindow, d.revealWindow, d.winnerShareBps, d.challengeBond, d.voterSlash, d.auditReward, d.bounty].map((x) => BigInt(x)),
      );
    });

    it("commitmentOf binds the voter, the job, the dispute, the verdict, the salt, the chain id and the contract", async function () {
      const w = await loadFixture(disputeFixture);
      const { jobId } = await submittedJob(w);
      const d = await challengeJob(w, jobId);
      const voter = d.committee[0].address;
      const s = salt();
      const { chainId } = await ethers.provider.getNetwork();
      const address = await w.disputes.getAddress();
      const hash = (v: string, job: bigint, chain: bigint, contract: string) =>
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(
            ["address", "uint256", "uint256", "uint8", "bytes32", "uint256", "address"],
            [v, job, d.disputeId, Verdict.Valid, s, chain, contract],
          ),
        );
      const onChain = await w.disputes.commitmentOf(voter, d.disputeId, Verdict.Valid, s);
      expect(onChain).to.equal(hash(voter, jobId, chainId, address));
      expect(onChain).to.not.equal(hash(voter, jobId, chainId + 1n, address));
      expect(onChain).to.not.equal(hash(voter, jobId, chainId, w.admin.address));
      expect(onChain).to.not.equal(await w.disputes.commitmentOf(d.committee[1].address, d.disputeId, Verdict.Valid, s));
      expect(onChain).to.not.equal(await w.disputes.commitmentOf(voter, d.disputeId, Verdict.Invalid, s));
      // The same vote for the same dispute id in another deployment has another commitment.
      const other = await new DisputeManager__factory(w.admin).deploy(w.stakes, await w.jobs.RANDOMNESS(), w.vault, w.admin.address, BASE_PARAMS);
      expect(await other.commitmentOf(voter, d.disputeId, Verdict.Valid, s)).to.not.equal(onChain);
    });
  });

  describe("issue 10 finding 5: an Invalid verdict costs the executor its whole fee-scaled collateral", function () {
    it("locks 22,000 GLASS for a 1,000-GLASS fee, slashes all of it on Invalid, and pays the challenger only the bounty", async function () {
      const w = await loadFixture(disputeFixture);
      const fee = 1_000n * TOKEN;
      const collateral = 22_000n * TOKEN;
      expect(collateralOf(fee, Mode.OPTIMISTIC)).to.equal(collateral);
      for (const e of w.executors) {
        await w.token.mint(e.address, collateral);
        await w.stakes.connect(e).stake(Role.EXECUTOR, collateral);
      }
      const { jobId, assigned } = await requestJob(w, { mode: Mode.OPTIMISTIC, fee });
      const executor = signerOf(w.executors, assigned[0]);
      expect((await w.jobs.securityOf(jobId)).collateral).to.equal(collateral);
      expect((await w.stakes.accountOf(executor.address, Role.EXECUTOR)).locked).to.equal(collateral);
      await submitUnaudited(w, jobId, executor, WRONG_OUTPUT);
      const challenger = w.verifiers[0];
      const d = await challengeJob(w, jobId, challenger);
      await vote(w, d, [Verdict.Invalid, Verdict.Invalid, Verdict.Invalid]);
      const treasury = await w.vault.treasuryAccrued();

      const tx = w.jobs.resolveDispute(jobId);
      await expect(tx).to.emit(w.jobs, "CollateralSlashed").withArgs(jobId, executor.address, collateral);
      await expect(tx).to.changeTokenBalances(w.token, [w.vault, w.stakes], [collateral, -collateral]);
      const account = await w.stakes.accountOf(executor.address, Role.EXECUTOR);
      expect(account.active).to.equal(STAKE + collateral - collateral);
      expect(account.locked).to.equal(0n);
      // The challenger (possibly the cheater's own sybil) gets its bond back and the bounty, nothing more.
      expect(await w.vault.creditOf(challenger.address)).to.equal(BOND + BOUNTY);
      expect(await w.vault.treasuryAccrued()).to.equal(treasury + collateral - BOUNTY);
      expect(await totalCredits(w)).to.equal(BOND + BOUNTY);
      await expectVaultBacked(w, fee);
    });
  });
});
