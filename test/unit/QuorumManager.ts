import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, mine, setBalance, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  deployWorld,
  EXACT,
  Mode,
  RefundReason,
  Status,
  TOKEN,
  requestJob,
  salt,
  SAMPLE_OUTPUT,
  WRONG_OUTPUT,
  type World,
} from "../fixtures/protocol";
import {
  commit,
  commitmentOf,
  COLLATERAL,
  executorAccount,
  expectVaultSettled,
  nextTimestamp,
  reveal,
  seatsOf,
  type Seat,
} from "../fixtures/unit-b-helpers";
import { QuorumManager__factory } from "../../packages/node/src/typechain";
import { encodeTensors, readResult } from "../../packages/node/src";

const THIRD_OUTPUT = encodeTensors({ y: { dtype: "float32", shape: [1, 3], data: [0.3, 0.3, 0.4] } });
const INVALID_INPUT_CLAIM = Uint8Array.of(0x00, 0x02);
const MAX_OUTPUT = 64 * 1024;
const STAKE = 200n * TOKEN;

/** The devnet world whose model is exact: only exact models may allow QUORUM. */
async function quorumFixture(): Promise<World> {
  return deployWorld({ policy: EXACT });
}

/** An id no JobRegistry job has, for rounds a test opens itself. */
const JOB = 77n;

/** A bare QuorumManager whose hub is the signer `hub`, and three members-to-be and an outsider. */
async function bareFixture() {
  const [admin, hub, a, b, c, outsider] = await ethers.getSigners();
  const quorum = await new QuorumManager__factory(admin).deploy();
  await quorum.setHub(hub.address);
  return { quorum, admin, hub, a, b, c, outsider };
}

type Bare = Awaited<ReturnType<typeof bareFixture>>;

/**
 * A QUORUM job on three distinct members of the world's three executors, with seats for `outputs`
 * in member order. Seats are drawn with replacement, so most draws give one executor two seats;
 * these tests are about three distinct members, so the chain is rolled back and the request sent
 * one block later until its draw gives three (as challengeDistinct does for committees). Rounds in
 * which a member holds several seats are specified on a bare QuorumManager below.
 */
async function quorumJob(w: World, outputs: Uint8Array[] = [SAMPLE_OUTPUT, SAMPLE_OUTPUT, SAMPLE_OUTPUT], fee = TOKEN) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const snapshot = await takeSnapshot();
    const { jobId, assigned } = await requestJob(w, { mode: Mode.QUORUM, fee });
    expect(assigned, "every drawn seat is served").to.have.length(3);
    if (new Set(assigned).size === 3) {
      const seats = await seatsOf(w, jobId, outputs);
      const round = await w.quorum.roundOf(jobId);
      expect(round.seats).to.equal(3n);
      return { jobId, seats, commitEnd: round.commitEnd };
    }
    await snapshot.restore();
    await mine();
  }
  throw new Error("no QUORUM draw of three distinct members in 200 tries");
}

async function commitAll(w: World, jobId: bigint, seats: Seat[]) {
  for (const s of seats) await commit(w, jobId, s);
}

async function revealAll(w: World, jobId: bigint, seats: Seat[]) {
  for (const s of seats) await reveal(w, jobId, s);
}

/** The fee's parts, with the executors' part split equally among `winners` and its dust. */
function feeParts(fee: bigint, winners: bigint) {
  const verifiers = (fee * 1000n) / 10000n;
  const owner = (fee * 1000n) / 10000n;
  const treasury = (fee * 500n) / 10000n;
  const executors = fee - verifiers - owner - treasury;
  return { verifiers, owner, treasury, each: executors / winners, dust: executors % winners };
}

describe("QuorumManager", function () {
  describe("commitResult", function () {
    it("records the commitment and opens the reveal phase early once every seat committed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await expect(w.quorum.connect(seats[0].member).commitResult(jobId, commitmentOf(seats[0], jobId)))
        .to.emit(w.quorum, "ResultCommitted")
        .withArgs(jobId, seats[0].member.address);
      await commit(w, jobId, seats[1]);
      const ts = await nextTimestamp(1);
      await expect(w.quorum.connect(seats[2].member).commitResult(jobId, commitmentOf(seats[2], jobId)))
        .to.emit(w.quorum, "RevealPhaseStarted")
        .withArgs(jobId, ts + 600);
      expect(await w.quorum.revealEndOf(jobId)).to.equal(ts + 600);
      const [commitment] = await w.quorum.seatOf(jobId, seats[0].member.address);
      expect(commitment).to.equal(commitmentOf(seats[0], jobId));
      // The reveal phase is open at once, before the commit phase would have ended by time.
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.emit(w.quorum, "ResultRevealed")
        .withArgs(jobId, seats[0].member.address, ethers.keccak256(seats[0].output), seats[0].output);
    });

    it("reverts when the job has no round", async function () {
      const w = await loadFixture(quorumFixture);
      await expect(w.quorum.connect(w.executors[0]).commitResult(9n, ethers.id("c")))
        .to.be.revertedWithCustomError(w.quorum, "UnknownRound")
        .withArgs(9n);
      const { jobId } = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await expect(w.quorum.connect(w.executors[0]).commitResult(jobId, ethers.id("c")))
        .to.be.revertedWithCustomError(w.quorum, "UnknownRound")
        .withArgs(jobId);
    });

    it("reverts when the caller holds no seat", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId } = await quorumJob(w);
      await expect(w.quorum.connect(w.verifiers[0]).commitResult(jobId, ethers.id("c")))
        .to.be.revertedWithCustomError(w.quorum, "NotInQuorum")
        .withArgs(jobId, w.verifiers[0].address);
    });

    it("reverts when the commit phase is over by time", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats, commitEnd } = await quorumJob(w);
      await time.increaseTo(commitEnd);
      await expect(w.quorum.connect(seats[0].member).commitResult(jobId, commitmentOf(seats[0], jobId)))
        .to.be.revertedWithCustomError(w.quorum, "CommitPhaseOver")
        .withArgs(jobId, commitEnd);
    });

    it("reverts when the member already committed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commit(w, jobId, seats[0]);
      await expect(w.quorum.connect(seats[0].member).commitResult(jobId, ethers.id("another")))
        .to.be.revertedWithCustomError(w.quorum, "AlreadyCommitted")
        .withArgs(jobId, seats[0].member.address);
    });

    it("does not let one member close the commit phase with repeated zero commitments", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      for (let i = 0; i < 3; i++) {
        await w.quorum
          .connect(seats[0].member)
          .commitResult(jobId, ethers.ZeroHash)
          .then(
            (tx) => tx.wait(),
            () => undefined, // rejecting a zero commitment is a correct answer too
          );
      }
      const round = await w.quorum.roundOf(jobId);
      expect(round.commits).to.be.lessThanOrEqual(1n);
      expect(round.revealEnd).to.equal(0n);
      // The other members must still be able to commit.
      await expect(w.quorum.connect(seats[1].member).commitResult(jobId, commitmentOf(seats[1], jobId))).to.emit(
        w.quorum,
        "ResultCommitted",
      );
    });
  });

  describe("revealResult", function () {
    it("stores only the output's hash: the bytes travel in ResultRevealed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      const hash = ethers.keccak256(SAMPLE_OUTPUT);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.emit(w.quorum, "ResultRevealed")
        .withArgs(jobId, seats[0].member.address, hash, ethers.hexlify(SAMPLE_OUTPUT));
      const [commitment, outputHash] = await w.quorum.seatOf(jobId, seats[0].member.address);
      expect(commitment).to.equal(commitmentOf(seats[0], jobId));
      expect(outputHash).to.equal(hash);
    });

    it("reverts when the job has no round", async function () {
      const w = await loadFixture(quorumFixture);
      await expect(w.quorum.connect(w.executors[0]).revealResult(9n, SAMPLE_OUTPUT, ethers.ZeroHash))
        .to.be.revertedWithCustomError(w.quorum, "UnknownRound")
        .withArgs(9n);
    });

    it("reverts when the caller holds no seat", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await expect(w.quorum.connect(w.others[0]).revealResult(jobId, SAMPLE_OUTPUT, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "NotInQuorum")
        .withArgs(jobId, w.others[0].address);
    });

    it("reverts while commitments are still open, then opens by time when not every seat committed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats, commitEnd } = await quorumJob(w);
      await commit(w, jobId, seats[0]);
      await commit(w, jobId, seats[1]);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "RevealPhaseNotStarted")
        .withArgs(jobId, commitEnd);
      expect((await w.quorum.roundOf(jobId)).revealEnd).to.equal(0n);
      expect(await w.quorum.revealEndOf(jobId)).to.equal(commitEnd + 600n);
      await time.setNextBlockTimestamp(commitEnd);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "RevealPhaseNotStarted")
        .withArgs(jobId, commitEnd);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt)).to.emit(
        w.quorum,
        "ResultRevealed",
      );
    });

    it("reverts when the reveal phase is over", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      const revealEnd = await w.quorum.revealEndOf(jobId);
      await time.increaseTo(revealEnd);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "RevealPhaseOver")
        .withArgs(jobId, revealEnd);
    });

    it("reverts when the member never committed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats, commitEnd } = await quorumJob(w);
      await commit(w, jobId, seats[0]);
      await time.increaseTo(commitEnd);
      await expect(w.quorum.connect(seats[1].member).revealResult(jobId, seats[1].output, seats[1].salt))
        .to.be.revertedWithCustomError(w.quorum, "NotCommitted")
        .withArgs(jobId, seats[1].member.address);
    });

    it("reverts when the member already revealed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "AlreadyRevealed")
        .withArgs(jobId, seats[0].member.address);
    });

    it("reverts when the output or the salt does not match the commitment", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, WRONG_OUTPUT, seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "CommitmentMismatch")
        .withArgs(jobId, seats[0].member.address);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, seats[0].output, seats[1].salt))
        .to.be.revertedWithCustomError(w.quorum, "CommitmentMismatch")
        .withArgs(jobId, seats[0].member.address);
    });

    it("reverts when a member copied another member's commitment", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      const honest = seats[0];
      const copier = seats[1];
      await commit(w, jobId, honest);
      const [honestCommitment] = await w.quorum.seatOf(jobId, honest.member.address);
      await w.quorum.connect(copier.member).commitResult(jobId, honestCommitment);
      await commit(w, jobId, seats[2]);
      await reveal(w, jobId, honest);
      // The copier sees the honest output and salt on chain, but the commitment binds its author.
      await expect(w.quorum.connect(copier.member).revealResult(jobId, honest.output, honest.salt))
        .to.be.revertedWithCustomError(w.quorum, "CommitmentMismatch")
        .withArgs(jobId, copier.member.address);
    });

    it("reverts when the output is empty or larger than MAX_OUTPUT_BYTES", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, "0x", seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "InvalidOutputSize")
        .withArgs(0n, MAX_OUTPUT);
      await expect(w.quorum.connect(seats[0].member).revealResult(jobId, new Uint8Array(MAX_OUTPUT + 1), seats[0].salt))
        .to.be.revertedWithCustomError(w.quorum, "InvalidOutputSize")
        .withArgs(MAX_OUTPUT + 1, MAX_OUTPUT);
    });
  });

  describe("open", function () {
    it("reverts when the caller is not the hub", async function () {
      const w = await loadFixture(quorumFixture);
      await expect(w.quorum.connect(w.admin).open(1n, [w.executors[0].address], 1, 1_000_000, 600))
        .to.be.revertedWithCustomError(w.quorum, "UnauthorizedCaller")
        .withArgs(w.admin.address);
    });

    it("opens a round of `seats` seats with the members as listed, repeats included, and emits RoundOpened", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = (await time.latest()) + 1000;
      await expect(b.quorum.connect(b.hub).open(JOB, [b.a.address, b.b.address, b.a.address], 4, commitEnd, 600))
        .to.emit(b.quorum, "RoundOpened")
        .withArgs(JOB, [b.a.address, b.b.address, b.a.address], 4, commitEnd, 600);
      expect(await b.quorum.membersOf(JOB)).to.deep.equal([b.a.address, b.b.address, b.a.address]);
      const round = await b.quorum.roundOf(JOB);
      expect([round.seats, round.commits, round.reveals, round.commitEnd, round.revealEnd, round.revealWindow, round.tallied]).to.deep.equal([
        4n,
        0n,
        0n,
        BigInt(commitEnd),
        0n,
        600n,
        false,
      ]);
    });

    it("reverts with InvalidSeats when the members are none, or more than the seats", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = (await time.latest()) + 1000;
      await expect(b.quorum.connect(b.hub).open(JOB, [], 3, commitEnd, 600))
        .to.be.revertedWithCustomError(b.quorum, "InvalidSeats")
        .withArgs(0n, 3n);
      await expect(b.quorum.connect(b.hub).open(JOB, [], 0, commitEnd, 600))
        .to.be.revertedWithCustomError(b.quorum, "InvalidSeats")
        .withArgs(0n, 0n);
      await expect(b.quorum.connect(b.hub).open(JOB, [b.a.address, b.b.address, b.c.address], 2, commitEnd, 600))
        .to.be.revertedWithCustomError(b.quorum, "InvalidSeats")
        .withArgs(3n, 2n);
      await expect(b.quorum.connect(b.hub).open(JOB, [b.a.address, b.a.address], 1, commitEnd, 600))
        .to.be.revertedWithCustomError(b.quorum, "InvalidSeats")
        .withArgs(2n, 1n);
      await expect(b.quorum.roundOf(JOB)).to.be.revertedWithCustomError(b.quorum, "UnknownRound").withArgs(JOB);
      // As many members as seats is a round with no forfeited seat.
      await b.quorum.connect(b.hub).open(JOB, [b.a.address, b.b.address], 2, commitEnd, 600);
      expect((await b.quorum.roundOf(JOB)).seats).to.equal(2n);
    });

    it("reverts with RoundClosed when the job already has a round", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = (await time.latest()) + 1000;
      await b.quorum.connect(b.hub).open(JOB, [b.a.address], 1, commitEnd, 600);
      await expect(b.quorum.connect(b.hub).open(JOB, [b.b.address, b.c.address], 3, commitEnd, 600))
        .to.be.revertedWithCustomError(b.quorum, "RoundClosed")
        .withArgs(JOB);
      expect(await b.quorum.membersOf(JOB)).to.deep.equal([b.a.address]);
    });
  });

  describe("seats drawn with replacement and forfeited seats (a bare QuorumManager; its hub is a signer)", function () {
    const X = SAMPLE_OUTPUT;
    const Y = WRONG_OUTPUT;

    /** Opens round JOB for `members` over `seats` seats, commit phase 1000 s, reveal window 600 s. */
    async function openRound(b: Bare, members: HardhatEthersSigner[], seats: number) {
      const commitEnd = (await time.latest()) + 1000;
      await b.quorum.connect(b.hub).open(
        JOB,
        members.map((m) => m.address),
        seats,
        commitEnd,
        600,
      );
      return commitEnd;
    }

    function ballot(member: HardhatEthersSigner, output: Uint8Array): Seat {
      return { member, output, salt: salt() };
    }

    async function commitBallot(b: Bare, seat: Seat) {
      await b.quorum.connect(seat.member).commitResult(JOB, commitmentOf(seat, JOB));
    }

    async function revealBallot(b: Bare, seat: Seat) {
      await b.quorum.connect(seat.member).revealResult(JOB, seat.output, seat.salt);
    }

    /** The hub's tally: its answer (a static call), then the transaction, which must emit RoundTallied(winner, votes). */
    async function tally(b: Bare) {
      const [winner, invalidClaim, winners, losers, absent] = await b.quorum.connect(b.hub).tally.staticCall(JOB);
      const votes = BigInt(winners.length);
      await expect(b.quorum.connect(b.hub).tally(JOB)).to.emit(b.quorum, "RoundTallied").withArgs(JOB, winner, votes);
      expect((await b.quorum.roundOf(JOB)).tallied).to.equal(true);
      return { winner, invalidClaim, winners: [...winners], losers: [...losers], absent: [...absent] };
    }

    it("a member listed twice commits once and its reveal counts two seats: with 2 of 3 seats it is the majority", async function () {
      const b = await loadFixture(bareFixture);
      await openRound(b, [b.a, b.b, b.a], 3);
      const twice = ballot(b.a, X);
      const once = ballot(b.b, Y);
      await commitBallot(b, twice);
      expect((await b.quorum.roundOf(JOB)).commits, "one commitment fills both of its seats").to.equal(2n);
      await expect(b.quorum.connect(b.a).commitResult(JOB, ethers.id("again")))
        .to.be.revertedWithCustomError(b.quorum, "AlreadyCommitted")
        .withArgs(JOB, b.a.address);
      // The third seat's commitment completes the commit phase: 2 + 1 seats.
      const ts = await nextTimestamp(1);
      await expect(b.quorum.connect(b.b).commitResult(JOB, commitmentOf(once, JOB)))
        .to.emit(b.quorum, "RevealPhaseStarted")
        .withArgs(JOB, ts + 600);
      await revealBallot(b, twice);
      expect((await b.quorum.roundOf(JOB)).reveals, "one reveal counts both of its seats").to.equal(2n);
      await expect(b.quorum.connect(b.a).revealResult(JOB, twice.output, twice.salt))
        .to.be.revertedWithCustomError(b.quorum, "AlreadyRevealed")
        .withArgs(JOB, b.a.address);
      await revealBallot(b, once);
      expect((await b.quorum.roundOf(JOB)).reveals).to.equal(3n);
      // Every seat revealed: the round tallies before the reveal phase ends.
      const t = await tally(b);
      expect(t.winner).to.equal(ethers.keccak256(X));
      expect(t.invalidClaim).to.equal(false);
      expect(t.winners, "one entry per seat").to.deep.equal([b.a.address, b.a.address]);
      expect(t.losers).to.deep.equal([b.b.address]);
      expect(t.absent).to.deep.equal([]);
    });

    it("a member holding two seats who never reveals is absent twice, and the one other seat is no majority", async function () {
      const b = await loadFixture(bareFixture);
      await openRound(b, [b.a, b.a, b.b], 3);
      const twice = ballot(b.a, X);
      const once = ballot(b.b, X);
      await commitBallot(b, twice);
      await commitBallot(b, once);
      await revealBallot(b, once);
      const revealEnd = await b.quorum.revealEndOf(JOB);
      await expect(b.quorum.connect(b.hub).tally(JOB)).to.be.revertedWithCustomError(b.quorum, "TallyTooEarly").withArgs(JOB, revealEnd);
      await time.increaseTo(revealEnd + 1n);
      const t = await tally(b);
      expect(t.winner).to.equal(ethers.ZeroHash);
      expect(t.winners).to.deep.equal([]);
      expect(t.losers).to.deep.equal([b.b.address]);
      expect(t.absent, "one entry per seat").to.deep.equal([b.a.address, b.a.address]);
    });

    it("forfeited seats count: two members of three seats need both to agree, and the round waits for its phases to end by time", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = await openRound(b, [b.a, b.b], 3);
      const first = ballot(b.a, X);
      const second = ballot(b.b, X);
      await commitBallot(b, first);
      await expect(b.quorum.connect(b.b).commitResult(JOB, commitmentOf(second, JOB))).to.not.emit(b.quorum, "RevealPhaseStarted");
      // Two commitments fill two of three seats: the commit phase runs to its end.
      expect((await b.quorum.roundOf(JOB)).commits).to.equal(2n);
      await expect(b.quorum.connect(b.a).revealResult(JOB, first.output, first.salt))
        .to.be.revertedWithCustomError(b.quorum, "RevealPhaseNotStarted")
        .withArgs(JOB, commitEnd);
      await time.increaseTo(commitEnd + 1);
      await revealBallot(b, first);
      await revealBallot(b, second);
      // Every member revealed, yet a seat never will: the tally waits for the reveal phase to end.
      const revealEnd = await b.quorum.revealEndOf(JOB);
      expect(revealEnd).to.equal(BigInt(commitEnd + 600));
      await expect(b.quorum.connect(b.hub).tally(JOB)).to.be.revertedWithCustomError(b.quorum, "TallyTooEarly").withArgs(JOB, revealEnd);
      await time.increaseTo(revealEnd + 1n);
      const t = await tally(b);
      expect(t.winner, "2 of 3 seats").to.equal(ethers.keccak256(X));
      expect(t.winners).to.deep.equal([b.a.address, b.b.address]);
      expect(t.losers).to.deep.equal([]);
      expect(t.absent, "a forfeited seat is nobody's absence").to.deep.equal([]);
    });

    it("forfeited seats count: a 1-1 split of two members of three seats has no winner", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = await openRound(b, [b.a, b.b], 3);
      const first = ballot(b.a, X);
      const second = ballot(b.b, Y);
      await commitBallot(b, first);
      await commitBallot(b, second);
      await time.increaseTo(commitEnd + 1);
      await revealBallot(b, first);
      await revealBallot(b, second);
      await time.increaseTo((await b.quorum.revealEndOf(JOB)) + 1n);
      const t = await tally(b);
      expect(t.winner).to.equal(ethers.ZeroHash);
      expect(t.winners).to.deep.equal([]);
      expect(t.losers, "every revealer when none won").to.deep.equal([b.a.address, b.b.address]);
      expect(t.absent).to.deep.equal([]);
    });

    it("forfeited seats count: one member's seat of three is no majority even when the other member is absent", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = await openRound(b, [b.a, b.b], 3);
      const first = ballot(b.a, X);
      await commitBallot(b, first);
      await time.increaseTo(commitEnd + 1);
      await revealBallot(b, first);
      await time.increaseTo((await b.quorum.revealEndOf(JOB)) + 1n);
      const t = await tally(b);
      expect(t.winner).to.equal(ethers.ZeroHash);
      expect(t.losers).to.deep.equal([b.a.address]);
      expect(t.absent).to.deep.equal([b.b.address]);
    });

    it("a member holding two of three seats is a majority alone when the third seat was forfeited", async function () {
      const b = await loadFixture(bareFixture);
      const commitEnd = await openRound(b, [b.a, b.a], 3);
      const twice = ballot(b.a, INVALID_INPUT_CLAIM);
      await commitBallot(b, twice);
      await time.increaseTo(commitEnd + 1);
      await revealBallot(b, twice);
      await time.increaseTo((await b.quorum.revealEndOf(JOB)) + 1n);
      const t = await tally(b);
      expect(t.winner).to.equal(ethers.keccak256(INVALID_INPUT_CLAIM));
      expect(t.invalidClaim).to.equal(true);
      expect(t.winners).to.deep.equal([b.a.address, b.a.address]);
      expect(t.losers).to.deep.equal([]);
      expect(t.absent).to.deep.equal([]);
    });
  });

  describe("tally", function () {
    it("reverts when the caller is not the hub", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId } = await quorumJob(w);
      await expect(w.quorum.connect(w.others[0]).tally(jobId))
        .to.be.revertedWithCustomError(w.quorum, "UnauthorizedCaller")
        .withArgs(w.others[0].address);
    });

    /** What `tally` would return to the hub now (a static call from the hub's address). */
    async function tallyAsHub(w: World, jobId: bigint) {
      const hub = await w.jobs.getAddress();
      await impersonateAccount(hub);
      await setBalance(hub, 10n ** 18n);
      return w.quorum.connect(await ethers.getSigner(hub)).tally.staticCall(jobId);
    }

    it("returns the winning hash, whether it is an invalid-input claim, and the winners, losers and absent members", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [SAMPLE_OUTPUT, WRONG_OUTPUT, SAMPLE_OUTPUT]);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await reveal(w, jobId, seats[1]);
      await reveal(w, jobId, seats[2]);
      const [winner, invalidClaim, winners, losers, absent] = await tallyAsHub(w, jobId);
      expect(winner).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(invalidClaim).to.equal(false);
      expect([...winners].sort()).to.deep.equal([seats[0].member.address, seats[2].member.address].sort());
      expect([...losers]).to.deep.equal([seats[1].member.address]);
      expect([...absent]).to.deep.equal([]);
    });

    it("flags a winning invalid-input claim, and names a member who did not reveal as absent", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [INVALID_INPUT_CLAIM, INVALID_INPUT_CLAIM, SAMPLE_OUTPUT]);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await reveal(w, jobId, seats[1]);
      // A call sees the latest block: past the reveal phase, not just at its end.
      await time.increaseTo((await w.quorum.revealEndOf(jobId)) + 1n);
      const [winner, invalidClaim, winners, losers, absent] = await tallyAsHub(w, jobId);
      expect(winner).to.equal(ethers.keccak256(INVALID_INPUT_CLAIM));
      expect(invalidClaim).to.equal(true);
      expect(winners).to.have.length(2);
      expect([...losers]).to.deep.equal([]);
      expect([...absent]).to.deep.equal([seats[2].member.address]);
    });

    it("returns a zero winner and no claim when no strict majority exists", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [INVALID_INPUT_CLAIM, WRONG_OUTPUT, SAMPLE_OUTPUT]);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const [winner, invalidClaim, winners, losers] = await tallyAsHub(w, jobId);
      expect(winner).to.equal(ethers.ZeroHash);
      expect(invalidClaim).to.equal(false);
      expect(winners).to.have.length(0);
      expect(losers).to.have.length(3);
    });

    it("reverts through jobs.finalize before every seat revealed and before the reveal phase ended", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      const early = await w.quorum.revealEndOf(jobId);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.quorum, "TallyTooEarly").withArgs(jobId, early);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await reveal(w, jobId, seats[1]);
      const revealEnd = await w.quorum.revealEndOf(jobId);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.quorum, "TallyTooEarly").withArgs(jobId, revealEnd);
    });
  });

  describe("setHub", function () {
    it("reverts with AlreadyWired when the hub is already set", async function () {
      const w = await loadFixture(quorumFixture);
      await expect(w.quorum.connect(w.admin).setHub(w.others[0].address)).to.be.revertedWithCustomError(w.quorum, "AlreadyWired");
      expect(await w.quorum.hub()).to.equal(await w.jobs.getAddress());
    });

    it("is set once, by the deployer, to a non-zero address", async function () {
      const w = await loadFixture(quorumFixture);
      const fresh = await new QuorumManager__factory(w.admin).deploy();
      await expect(fresh.connect(w.others[0]).setHub(w.others[0].address))
        .to.be.revertedWithCustomError(fresh, "UnauthorizedCaller")
        .withArgs(w.others[0].address);
      await expect(fresh.connect(w.admin).setHub(ethers.ZeroAddress)).to.be.revertedWithCustomError(fresh, "ZeroAddress").withArgs("hub");
      await expect(fresh.connect(w.admin).setHub(w.others[1].address)).to.emit(fresh, "HubSet").withArgs(w.others[1].address);
      expect(await fresh.hub()).to.equal(w.others[1].address);
      await expect(fresh.connect(w.admin).setHub(w.others[2].address)).to.be.revertedWithCustomError(fresh, "AlreadyWired");
    });
  });

  describe("outcomes", function () {
    it("unanimous: pays every member equally, sends the dust to the treasury and loses nothing", async function () {
      const w = await loadFixture(quorumFixture);
      const fee = TOKEN + 2n; // the executors' part is not a multiple of 3
      const { jobId, seats } = await quorumJob(w, undefined, fee);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const parts = feeParts(fee, 3n);
      expect(parts.dust).to.not.equal(0n);
      const poolBefore = await w.vault.auditPotOf(w.modelId);
      const treasuryBefore = await w.vault.treasuryAccrued();
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT), 3n);
      await expect(tx).to.emit(w.jobs, "JobFinalized").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT));
      await expect(tx)
        .to.emit(w.vault, "FeePaid")
        .withArgs(jobId, parts.each * 3n, parts.verifiers, parts.owner, parts.treasury + parts.dust);
      const poolAfter = await w.vault.auditPotOf(w.modelId);
      const treasuryAfter = await w.vault.treasuryAccrued();
      let paid = 0n;
      for (const s of seats) {
        const credit = await w.vault.creditOf(s.member.address);
        expect(credit).to.equal(parts.each);
        paid += credit;
        const account = await executorAccount(w, s.member.address);
        expect(account.active).to.equal(STAKE);
        expect(account.locked).to.equal(0n);
      }
      expect(treasuryAfter - treasuryBefore).to.equal(parts.treasury + parts.dust);
      const owner = await w.vault.creditOf(w.modelOwner.address);
      expect(paid + owner + (poolAfter - poolBefore) + (treasuryAfter - treasuryBefore)).to.equal(fee);
      // The hub keeps the winning hash only; the bytes are read back from a reveal.
      const [status, hash, stored] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(hash).to.equal(ethers.keccak256(SAMPLE_OUTPUT));
      expect(stored).to.equal("0x");
      expect(ethers.hexlify((await readResult(w.jobs, w.quorum, jobId)).output)).to.equal(ethers.hexlify(SAMPLE_OUTPUT));
      await expectVaultSettled(w);
    });

    it("2-of-3 majority: slashes the dissenter's collateral and shares the pot by quorumWinnerShareBps", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [SAMPLE_OUTPUT, WRONG_OUTPUT, SAMPLE_OUTPUT]);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const treasuryBefore = await w.vault.treasuryAccrued();
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT), 2n);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      await expect(tx).to.emit(w.stakes, "NodeSlashed").withArgs(seats[1].member.address, 0, COLLATERAL, 0n, await w.vault.getAddress());
      const parts = feeParts(TOKEN, 2n);
      const potShare = (COLLATERAL * 5000n) / 10000n / 2n;
      for (const s of [seats[0], seats[2]]) {
        expect(await w.vault.creditOf(s.member.address)).to.equal(parts.each + potShare);
        expect((await executorAccount(w, s.member.address)).active).to.equal(STAKE);
      }
      const dissenter = await executorAccount(w, seats[1].member.address);
      expect(dissenter.active).to.equal(STAKE - COLLATERAL);
      expect(dissenter.locked).to.equal(0n);
      expect(await w.vault.creditOf(seats[1].member.address)).to.equal(0n);
      const treasuryAfter = await w.vault.treasuryAccrued();
      expect(treasuryAfter - treasuryBefore).to.equal(parts.treasury + parts.dust + COLLATERAL - 2n * potShare);
      expect((await w.jobs.jobOf(jobId)).executor).to.equal(seats[0].member.address);
      await expectVaultSettled(w);
    });

    it("no majority: three different outputs refund the fee as Undecided", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [SAMPLE_OUTPUT, WRONG_OUTPUT, THIRD_OUTPUT]);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.ZeroHash, 0n);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
    });

    it("no majority: three different outputs slash nobody and credit the whole fee back", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [SAMPLE_OUTPUT, WRONG_OUTPUT, THIRD_OUTPUT]);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.jobs, "JobRefunded");
      await expect(tx).to.not.emit(w.stakes, "NodeSlashed");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Refunded);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      for (const s of seats) {
        const account = await executorAccount(w, s.member.address);
        expect(account.active).to.equal(STAKE);
        expect(account.locked).to.equal(0n);
      }
      await expectVaultSettled(w);
    });

    it("no majority with one absent member: slashes only the absent one, unlocks the others, refunds as Undecided", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [SAMPLE_OUTPUT, WRONG_OUTPUT, THIRD_OUTPUT]);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await reveal(w, jobId, seats[1]);
      await time.increaseTo(await w.quorum.revealEndOf(jobId));
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.ZeroHash, 0n);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
      const absent = await executorAccount(w, seats[2].member.address);
      expect(absent.active).to.equal(STAKE - COLLATERAL);
      expect(absent.locked).to.equal(0n);
      for (const s of [seats[0], seats[1]]) {
        const account = await executorAccount(w, s.member.address);
        expect(account.active).to.equal(STAKE);
        expect(account.locked).to.equal(0n);
      }
    });

    it("nobody commits: refunds the fee as Expired and slashes every member", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      const revealEnd = await w.quorum.revealEndOf(jobId);
      await time.increaseTo(revealEnd);
      const treasuryBefore = await w.vault.treasuryAccrued();
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Expired, TOKEN);
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      for (const s of seats) {
        const account = await executorAccount(w, s.member.address);
        expect(account.active).to.equal(STAKE - COLLATERAL);
        expect(account.locked).to.equal(0n);
      }
      const treasuryAfter = await w.vault.treasuryAccrued();
      expect(treasuryAfter - treasuryBefore).to.equal(3n * COLLATERAL);
      await expectVaultSettled(w);
    });

    it("one member never reveals: the majority is paid and the absent member is slashed", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await reveal(w, jobId, seats[0]);
      await reveal(w, jobId, seats[2]);
      await time.increaseTo(await w.quorum.revealEndOf(jobId));
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.keccak256(SAMPLE_OUTPUT), 2n);
      await expect(tx).to.emit(w.jobs, "JobFinalized");
      const parts = feeParts(TOKEN, 2n);
      const potShare = (COLLATERAL * 5000n) / 10000n / 2n;
      expect(await w.vault.creditOf(seats[0].member.address)).to.equal(parts.each + potShare);
      expect(await w.vault.creditOf(seats[2].member.address)).to.equal(parts.each + potShare);
      const absent = await executorAccount(w, seats[1].member.address);
      expect(absent.active).to.equal(STAKE - COLLATERAL);
      expect(absent.locked).to.equal(0n);
      await expectVaultSettled(w);
    });

    it("a majority on the invalid-input claim refunds the fee as InvalidInput", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w, [INVALID_INPUT_CLAIM, INVALID_INPUT_CLAIM, SAMPLE_OUTPUT]);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      const tx = w.jobs.finalize(jobId);
      await expect(tx).to.emit(w.quorum, "RoundTallied").withArgs(jobId, ethers.keccak256(INVALID_INPUT_CLAIM), 2n);
      await expect(tx).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.InvalidInput, TOKEN);
      await expect(tx).to.not.emit(w.jobs, "JobFinalized");
      expect(await w.vault.creditOf(w.requester.address)).to.equal(TOKEN);
      const [status, hash, stored] = await w.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Refunded);
      expect(hash).to.equal(ethers.keccak256(INVALID_INPUT_CLAIM));
      expect(stored).to.equal("0x");
      expect((await w.jobs.jobOf(jobId)).invalidClaim).to.equal(true);
      expect(ethers.hexlify((await readResult(w.jobs, w.quorum, jobId)).output)).to.equal("0x0002");
      expect((await executorAccount(w, seats[2].member.address)).active).to.equal(STAKE - COLLATERAL);
      await expectVaultSettled(w);
    });

    it("reverts a second finalize of a tallied round", async function () {
      const w = await loadFixture(quorumFixture);
      const { jobId, seats } = await quorumJob(w);
      await commitAll(w, jobId, seats);
      await revealAll(w, jobId, seats);
      await w.jobs.finalize(jobId);
      expect((await w.quorum.roundOf(jobId)).tallied).to.equal(true);
      await expect(w.jobs.finalize(jobId)).to.be.revertedWithCustomError(w.jobs, "JobNotInStatus").withArgs(jobId, Status.Finalized);
    });
  });
});
