/**
 * Threat 3 of docs/THREATS.md, challenge front-running: a verifier who sees another's pending
 * `challenge` in the mempool sends the same call with a higher priority fee. Whichever is mined
 * first is the challenger: it posts the bond, opens the only dispute of the result and, on an
 * Invalid verdict, gets the bond back and the bounty (DisputeManager param, at most the bond; the
 * rest of the executor's collateral goes to the treasury). The other
 * transaction reverts `NotChallengeable` and the honest verifier keeps its bond. The tests assert
 * that behaviour (the protocol does not reward whoever found the fault first; THREATS.md records it
 * as a residual risk).
 *
 * What they depend on: one dispute per result, contracts/DisputeManager.sol line 95
 * (`if (job.status != Status.Submitted || ...) revert NotChallengeable(jobId);`) backed by
 * contracts/JobRegistry.sol line 209 (`markDisputed` requires `Status.Submitted`). Without
 * them the second transaction would open a second dispute and pull a second bond, and the
 * expectations below (one DisputeOpened, a NotChallengeable revert, the second bond untouched)
 * fail.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { deployWorld, drawCommittee, Mode, requestJob, salt, signerOf, Verdict, WRONG_OUTPUT } from "../fixtures/protocol";

const GWEI = 10n ** 9n;

/** An OPTIMISTIC job with a wrong result inside its challenge window; 3 executors, 6 verifiers. */
async function frontRunFixture() {
  const world = await deployWorld({ executors: 3, verifiers: 6 });
  const { jobId, assigned } = await requestJob(world, { mode: Mode.OPTIMISTIC });
  await world.jobs.connect(signerOf(world.executors, assigned[0])).submitResult(jobId, WRONG_OUTPUT);
  const [honest, copier] = world.verifiers;
  return { ...world, jobId, honest, copier };
}

/** Sends both challenges into one block, the copier's with the higher tip, and mines it. */
async function raceChallenges(f: Awaited<ReturnType<typeof frontRunFixture>>) {
  await network.provider.send("evm_setAutomine", [false]);
  try {
    // Fixed gas limits: an estimate against the pending block would already see the other one.
    const first = await f.jobs
      .connect(f.honest)
      .challenge(f.jobId, { gasLimit: 2_000_000, maxPriorityFeePerGas: 1n * GWEI, maxFeePerGas: 200n * GWEI });
    const second = await f.jobs
      .connect(f.copier)
      .challenge(f.jobId, { gasLimit: 2_000_000, maxPriorityFeePerGas: 50n * GWEI, maxFeePerGas: 200n * GWEI });
    await mine(1);
    const honestReceipt = await ethers.provider.getTransactionReceipt(first.hash);
    const copierReceipt = await ethers.provider.getTransactionReceipt(second.hash);
    return { honestReceipt: honestReceipt!, copierReceipt: copierReceipt! };
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
}

describe("Lazy verifiers who vote without running the model", function () {
  it("makes whoever is mined first the challenger: the copier's higher tip wins, the honest challenge reverts NotChallengeable and keeps its bond", async function () {
    const f = await loadFixture(frontRunFixture);
    const bond = (await f.disputes.params()).challengeBond;
    const honestBefore = await f.token.balanceOf(f.honest.address);
    const copierBefore = await f.token.balanceOf(f.copier.address);

    const { honestReceipt, copierReceipt } = await raceChallenges(f);

    expect(copierReceipt.blockNumber).to.equal(honestReceipt.blockNumber);
    expect(copierReceipt.index).to.be.lessThan(honestReceipt.index);
    expect(copierReceipt.status).to.equal(1);
    expect(honestReceipt.status).to.equal(0);
    const opened = await f.disputes.queryFilter(f.disputes.filters.DisputeOpened(), copierReceipt.blockNumber);
    expect(opened).to.have.length(1);
    expect(opened[0].args.challenger).to.equal(f.copier.address);
    const disputeId = await f.disputes.disputeOfJob(f.jobId);
    expect((await f.disputes.disputeOf(disputeId)).challenger).to.equal(f.copier.address);
    // The honest transaction is the one the rules refuse, by name, and it moved no token.
    await expect(f.jobs.connect(f.honest).challenge(f.jobId)).to.be.revertedWithCustomError(f.disputes, "NotChallengeable").withArgs(f.jobId);
    expect(await f.token.balanceOf(f.honest.address)).to.equal(honestBefore);
    expect(copierBefore - (await f.token.balanceOf(f.copier.address))).to.equal(bond);
  });

  it("pays the copier, not the honest verifier, the challenger's side of an Invalid verdict", async function () {
    const f = await loadFixture(frontRunFixture);
    const { challengeBond: bond, bounty } = await f.disputes.params();
    await raceChallenges(f);
    const disputeId = await f.disputes.disputeOfJob(f.jobId);
    const committee = await drawCommittee(f, disputeId);
    expect(committee).to.not.include(f.copier.address);
    const salts = committee.map(() => salt());
    for (let i = 0; i < committee.length; i++) {
      const c = await f.disputes.commitmentOf(committee[i], disputeId, Verdict.Invalid, salts[i]);
      await f.disputes.connect(signerOf(f.verifiers, committee[i])).commitVote(disputeId, c);
    }
    for (let i = 0; i < committee.length; i++) {
      await f.disputes.connect(signerOf(f.verifiers, committee[i])).revealVote(disputeId, Verdict.Invalid, salts[i]);
    }
    const tx = f.jobs.resolveDispute(f.jobId);
    await expect(tx).to.emit(f.vault, "Credited").withArgs(f.copier.address, f.jobId, bond);
    const receipt = await (await tx).wait();
    const credited = receipt!.logs
      .map((l) => f.vault.interface.parseLog(l))
      .filter((p) => p?.name === "Credited")
      .map((p) => ({ account: p!.args.account as string, amount: p!.args.amount as bigint }));
    const toCopier = credited.filter((c) => c.account === f.copier.address).reduce((s, c) => s + c.amount, 0n);
    expect(toCopier, "bond back plus the bounty, and nothing more").to.equal(bond + bounty);
    expect(bounty).to.be.greaterThan(0n);
    // The honest verifier gets nothing as a challenger; at most a committee member's share if it sat.
    const toHonest = credited.filter((c) => c.account === f.honest.address);
    if (!committee.includes(f.honest.address)) expect(toHonest).to.deep.equal([]);
  });
});
