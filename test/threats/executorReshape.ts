/**
 * Issue 11, "nothing can be reshaped after the randomness is known", for executor and QUORUM draws
 * (docs/THREATS.md 36). Executors used to be drawn from the live stake tree when `assign` ran: once
 * the draw target's randomness was public, an executor computed the draw offline and, when unlucky,
 * staked a little more (or a lot) on a sybil before anyone assigned, until the point landed on it.
 * Now `assign` draws from the stake snapshot of the epoch the draw was armed in
 * (`JobSettlement._drawSeats`: `// INVARIANT: the draw reads the stake snapshot of the epoch the
 * draw was armed in`), so the pump changes nothing; read the draw from the live tree again and the
 * first test fails (the pumped sybil takes nearly every job).
 *
 * A drawn executor that cannot serve forfeits its seat and pays; the seat passes to nobody
 * (`JobSettlement._lockSeats`). In a QUORUM round the forfeited seat still counts, so a majority is
 * more than half of every seat drawn: the second test fails if forfeited seats were dropped from
 * the round (one member would then be a majority of one).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { armedDrawOf, deployWorld, EXACT, mineToDraw, Mode, nextEpoch, RefundReason, requestParams, Role, salt, SAMPLE_OUTPUT, signerOf, Status, TOKEN, WRONG_OUTPUT, type World } from "../fixtures/protocol";
import { jobIdOf } from "../../packages/node/src/sdk";

const JOBS = 12;

/** Three honest executors and one attacker sybil, 200 GLASS each, all in the current epoch's snapshot. */
async function reshapeFixture() {
  const w = await deployWorld({ executors: 3, verifiers: 1 });
  const sybil = w.others[0];
  await w.stakes.connect(sybil).stake(Role.EXECUTOR, 200n * TOKEN);
  await w.stakes.connect(sybil).optIn(w.modelId); // drawn for the jobs of the model it opted in to
  await w.token.mint(sybil.address, 100_000n * TOKEN);
  await nextEpoch(w);
  return { w, sybil };
}

async function request(w: World, mode: number): Promise<bigint> {
  return jobIdOf(await (await w.jobs.connect(w.requester).requestInference(await requestParams({ mode }))).wait());
}

describe("Executor draws nobody can reshape", function () {
  it(`assigns the executor the snapshot gives, though the attacker pumps its sybil to over 99% of the live stake once each draw's randomness is known (${JOBS} jobs)`, async function () {
    const { w, sybil } = await loadFixture(reshapeFixture);
    let sybilJobs = 0;
    for (let i = 0; i < JOBS; i++) {
      const jobId = await request(w, Mode.OPTIMISTIC);
      await mineToDraw(w, jobId);
      // The randomness is public: the attacker sees who an honest assign would draw...
      const [honest] = await armedDrawOf(w, jobId);
      // ...and, unlucky, pumps its sybil before anyone assigns (the first time only: it stays pumped).
      if (i === 0) await w.stakes.connect(sybil).stake(Role.EXECUTOR, 100_000n * TOKEN);
      const live = await w.stakes.weightOf(sybil.address, Role.EXECUTOR, w.modelId);
      expect(live * 100n).to.be.greaterThan((await w.stakes.totalWeight(Role.EXECUTOR, w.modelId)) * 99n);
      const receipt = (await (await w.jobs.connect(sybil).assign(jobId)).wait())!;
      const assigned = receipt.logs.map((l) => w.jobs.interface.parseLog(l)).find((l) => l?.name === "JobAssigned");
      expect(assigned!.args.executors).to.deep.equal([honest]);
      if (honest === sybil.address) sybilJobs++;
    }
    // The sybil holds a quarter of the snapshot's stake: it gets about a quarter of the jobs, not all.
    expect(sybilJobs).to.be.lessThan(JOBS - 3);
  });

  describe("a drawn QUORUM member who cannot serve", function () {
    it("passes its seat to nobody: the round counts it, so the two members who serve must agree for a majority of three seats", async function () {
      const { w, quitter } = await loadFixture(quitterFixture);
      const { jobId, receipt } = await drawUntil(w, quitter.address, 1);
      await expect(receipt).to.emit(w.jobs, "SeatForfeited").withArgs(jobId, quitter.address, 2n * TOKEN);
      const members = await w.quorum.membersOf(jobId);
      expect(members).to.have.length(2);
      expect(members).to.not.include(quitter.address);
      expect((await w.quorum.roundOf(jobId)).seats).to.equal(3n);
      // They disagree: one seat each of three is no majority, and the fee goes back. The forfeited
      // seat never commits, so the reveals open when the commit phase ends.
      const outputs = [SAMPLE_OUTPUT, WRONG_OUTPUT];
      const salts = [salt(), salt()];
      for (let i = 0; i < 2; i++) {
        const commitment = await w.quorum.commitmentOf(members[i], jobId, ethers.keccak256(outputs[i]), salts[i]);
        await w.quorum.connect(signerOf(w.executors, members[i])).commitResult(jobId, commitment);
      }
      await time.increaseTo((await w.quorum.roundOf(jobId)).commitEnd + 1n);
      for (let i = 0; i < 2; i++) await w.quorum.connect(signerOf(w.executors, members[i])).revealResult(jobId, outputs[i], salts[i]);
      await time.increaseTo((await w.quorum.revealEndOf(jobId)) + 1n);
      await expect(w.jobs.finalize(jobId)).to.emit(w.jobs, "JobRefunded").withArgs(jobId, RefundReason.Undecided, TOKEN);
      expect(await w.quorum.seatOf(jobId, quitter.address)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash]);
    });

    it("holding two of three seats leaves one member, who is never a round of its own: the job is re-armed and the member's collateral released", async function () {
      const { w, quitter } = await loadFixture(quitterFixture);
      const { jobId, receipt } = await drawUntil(w, quitter.address, 2);
      const forfeits = receipt.logs.map((l) => w.jobs.interface.parseLog(l)).filter((l) => l?.name === "SeatForfeited");
      expect(forfeits.map((f) => f!.args.executor)).to.deep.equal([quitter.address, quitter.address]);
      await expect(receipt).to.emit(w.jobs, "JobUnassigned").withArgs(jobId);
      await expect(receipt).to.emit(w.jobs, "DrawArmed");
      await expect(receipt).to.not.emit(w.quorum, "RoundOpened");
      expect((await w.jobs.jobOf(jobId)).status).to.equal(Status.Unassigned);
      for (const e of w.executors) expect((await w.stakes.accountOf(e.address, Role.EXECUTOR)).locked).to.equal(0n);
    });
  });
});

/** Three executors in the snapshot; after it, one unstakes everything: it is still drawn and cannot serve. */
async function quitterFixture() {
  const w = await deployWorld({ executors: 3, verifiers: 1, policy: EXACT });
  await nextEpoch(w);
  const quitter = w.executors[0];
  await w.stakes.connect(quitter).requestUnstake(Role.EXECUTOR, 200n * TOKEN);
  return { w, quitter };
}

/** Requests QUORUM jobs one block apart (another target, another draw) until `node` holds `seats` seats, the rest distinct. */
async function drawUntil(w: World, node: string, seats: number) {
  for (let tries = 0; tries < 200; tries++) {
    const snapshot = await takeSnapshot();
    const jobId = await request(w, Mode.QUORUM);
    await mineToDraw(w, jobId);
    const receipt = (await (await w.jobs.assign(jobId)).wait())!;
    const events = receipt.logs.map((l) => w.jobs.interface.parseLog(l));
    const held = events.filter((l) => l?.name === "SeatForfeited" && l.args.executor === node).length;
    const served = events.find((l) => l?.name === "JobAssigned")?.args.executors ?? [];
    if (held === seats && new Set(served).size === served.length) return { jobId, receipt };
    await snapshot.restore();
    await mine();
  }
  throw new Error(`no draw gave ${node} exactly ${seats} seats in 200 tries`);
}
