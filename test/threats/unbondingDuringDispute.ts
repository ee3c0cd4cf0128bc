/**
 * Threat 4 of docs/THREATS.md: a verifier drawn onto a committee starts unbonding all its stake,
 * stays away from the vote and hopes to withdraw before `resolve` slashes it `voterSlash`.
 * The protections: contracts/StakeManager.sol line 156
 * (`uint96 fromUnbonding = rest > account.unbonding ? account.unbonding : uint96(rest);`) and
 * line 159 (`account.unbonding -= fromUnbonding;`) make `slash` reach unbonding stake, even past
 * its release time; line 116 (`if (block.timestamp < account.releaseAt) revert StillUnbonding(...)`)
 * keeps it there for the unbonding period, which `_unbondingFloor` (line 379) keeps at least as
 * long as the longest slashable window. If `slash` took only active stake, the first two tests
 * would see a slash of zero and fail; without the release check the withdrawal in the first test
 * would succeed and it fails. The third test records the residual risk THREATS.md states: once the
 * member has withdrawn, a late `resolve` takes nothing from it.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeDistinct, deployWorld, Mode, requestJob, Role, salt, signerOf, TOKEN, Verdict, WRONG_OUTPUT } from "../fixtures/protocol";

/**
 * A wrong OPTIMISTIC result challenged by a verifier, its committee drawn with its 3 seats held by
 * 3 different members; the first member, once it knows it was drawn, unbonds its whole verifier
 * stake (200) and never votes, and the other members vote Invalid.
 */
async function unbondingMemberFixture() {
  const world = await deployWorld({ executors: 3, verifiers: 6 });
  const { jobId, assigned } = await requestJob(world, { mode: Mode.OPTIMISTIC });
  await world.jobs.connect(signerOf(world.executors, assigned[0])).submitResult(jobId, WRONG_OUTPUT);
  const challenger = world.verifiers[0];
  const { disputeId, committee } = await challengeDistinct(world, jobId, challenger);
  // Drawn: the commit and reveal phases run from the draw.
  const dispute = await world.disputes.disputeOf(disputeId);
  expect(dispute.drawn).to.equal(true);
  const leaver = signerOf(world.verifiers, committee[0]);
  expect(await world.disputes.seatsOf(disputeId, leaver.address)).to.equal(1n);
  const voters = committee.slice(1).map((a) => signerOf(world.verifiers, a));

  await world.stakes.connect(leaver).requestUnstake(Role.VERIFIER, 200n * TOKEN);
  const salts = voters.map(() => salt());
  for (let i = 0; i < voters.length; i++) {
    const c = await world.disputes.commitmentOf(voters[i].address, disputeId, Verdict.Invalid, salts[i]);
    await world.disputes.connect(voters[i]).commitVote(disputeId, c);
  }
  await time.increaseTo(dispute.commitEnd + 1n);
  for (let i = 0; i < voters.length; i++) await world.disputes.connect(voters[i]).revealVote(disputeId, Verdict.Invalid, salts[i]);
  const voterSlash = (await world.disputes.params()).voterSlash;
  const releaseAt = (await world.stakes.accountOf(leaver.address, Role.VERIFIER)).releaseAt;
  return { ...world, jobId, disputeId, dispute, leaver, voterSlash, releaseAt };
}

describe("Unbonding to escape a slash", function () {
  it("slashes an absent committee member from the stake it started unbonding after the draw, which it cannot withdraw before resolve", async function () {
    const f = await loadFixture(unbondingMemberFixture);
    expect((await f.stakes.accountOf(f.leaver.address, Role.VERIFIER)).active).to.equal(0n);
    // The unbonding period outlasts the dispute: nothing can leave before resolve is possible.
    expect(f.releaseAt).to.be.greaterThan(f.dispute.revealEnd);
    await expect(f.stakes.connect(f.leaver).withdraw(Role.VERIFIER)).to.be.revertedWithCustomError(f.stakes, "StillUnbonding");

    await time.increaseTo(f.dispute.revealEnd + 1n);
    await expect(f.jobs.resolveDispute(f.jobId))
      .to.emit(f.stakes, "NodeSlashed")
      .withArgs(f.leaver.address, Role.VERIFIER, f.voterSlash, f.voterSlash, await f.vault.getAddress());
    expect((await f.stakes.accountOf(f.leaver.address, Role.VERIFIER)).unbonding).to.equal(200n * TOKEN - f.voterSlash);
  });

  it("still slashes it when resolve comes after its release time, as long as it has not withdrawn", async function () {
    const f = await loadFixture(unbondingMemberFixture);
    await time.increaseTo(f.releaseAt + 60n);
    await expect(f.jobs.resolveDispute(f.jobId))
      .to.emit(f.stakes, "NodeSlashed")
      .withArgs(f.leaver.address, Role.VERIFIER, f.voterSlash, f.voterSlash, await f.vault.getAddress());
    await expect(f.stakes.connect(f.leaver).withdraw(Role.VERIFIER))
      .to.emit(f.stakes, "Withdrawn")
      .withArgs(f.leaver.address, Role.VERIFIER, 200n * TOKEN - f.voterSlash);
  });

  it("takes nothing from a member that withdrew before a resolve later than its release time (the residual risk)", async function () {
    const f = await loadFixture(unbondingMemberFixture);
    await time.increaseTo(f.releaseAt);
    await f.stakes.connect(f.leaver).withdraw(Role.VERIFIER);
    await expect(f.jobs.resolveDispute(f.jobId))
      .to.emit(f.stakes, "NodeSlashed")
      .withArgs(f.leaver.address, Role.VERIFIER, 0n, 0n, await f.vault.getAddress());
    const account = await f.stakes.accountOf(f.leaver.address, Role.VERIFIER);
    expect(account.active + account.unbonding).to.equal(0n);
  });
});
