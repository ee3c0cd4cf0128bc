/**
 * Grinding the randomness of committees and audit coins: a contract that triggers a draw, reads its
 * outcome in the same transaction and reverts when unlucky tries again for free. Audit coins are the
 * RANDOMNESS source's value for a block after the submission's (JobRegistry `auditTarget`), so the
 * submitting transaction cannot read its coin: `AuditCoinProbe` submits and then asks
 * `auditSelected` and `startAudit`, reverting `CoinReadable` if either answers. A hub that drew the
 * coin from data of the submitting block (its hash's parent, `prevrandao`, the current block as a
 * target) would let the probe read it: the second test swaps the source for such a one
 * (InstantRandomness) and the probe catches it.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { impersonateAccount, loadFixture, mine, setBalance, stopImpersonatingAccount } from "@nomicfoundation/hardhat-network-helpers";
import { deployWorld, Mode, requestJob, SAMPLE_OUTPUT, Status, TOKEN, nextEpoch } from "../fixtures/protocol";
import { AuditCoinProbe__factory, InstantRandomness__factory } from "../../packages/node/src/typechain";

/** The protocol with one executor, the probe contract (staked 200, in model 1), so every job is assigned to it. */
async function probeFixture() {
  const world = await deployWorld({ executors: 0 });
  const probe = await new AuditCoinProbe__factory(world.admin).deploy(world.jobs);
  await world.token.mint(probe, 200n * TOKEN);
  await probe.join(world.stakes, world.token, 200n * TOKEN);
  // The probe has no optIn of its own (contracts/test/AuditCoinProbe.sol): its address opts in to
  // model 1 through an impersonated transaction, as an executor contract's own call would.
  const probeAddress = await probe.getAddress();
  await impersonateAccount(probeAddress);
  await setBalance(probeAddress, TOKEN);
  await world.stakes.connect(await ethers.getSigner(probeAddress)).optIn(world.modelId);
  await stopImpersonatingAccount(probeAddress);
  await nextEpoch(world); // executor seats are drawn from the stake snapshot of the request's epoch
  const { jobId, assigned } = await requestJob(world, { mode: Mode.OPTIMISTIC });
  expect(assigned).to.deep.equal([await probe.getAddress()]);
  return { ...world, probe, jobId };
}

describe("Audit coins nobody can read early", function () {
  it("keeps an executor contract from reading its audit coin in the transaction that submits: unknown until the target block has passed", async function () {
    const f = await loadFixture(probeFixture);
    await expect(f.probe.submitAndPeek(f.jobId, SAMPLE_OUTPUT)).to.emit(f.probe, "CoinHidden").withArgs(f.jobId);
    const job = await f.jobs.jobOf(f.jobId);
    expect(job.status).to.equal(Status.Submitted);
    // Unknown up to the target block included, known from the next one on.
    await mine(Number(job.auditTarget) - (await ethers.provider.getBlockNumber()));
    expect(await f.jobs.auditSelected(f.jobId)).to.deep.equal([false, false]);
    await mine(1);
    expect((await f.jobs.auditSelected(f.jobId))[0]).to.equal(true);
  });

  it("would catch a hub whose audit coin is readable in the submitting block (the source swapped for one that reads the current block)", async function () {
    const f = await loadFixture(probeFixture);
    const instant = await new InstantRandomness__factory(f.admin).deploy();
    await network.provider.send("hardhat_setCode", [await f.jobs.RANDOMNESS(), await ethers.provider.getCode(instant)]);
    await expect(f.probe.submitAndPeek(f.jobId, SAMPLE_OUTPUT)).to.be.revertedWithCustomError(f.probe, "CoinReadable");
  });
});
