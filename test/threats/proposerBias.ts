/**
 * Threat 6 of docs/THREATS.md, the size of a block producer's bias over executor draws. A request no
 * longer draws its executor: it arms a draw whose target is a block after its own
 * (`DrawArmed(jobId, drawTarget)`, the target kept in `jobOf(id).auditTarget` while Unassigned), and
 * `assign` (anyone, once the target has passed) draws from that block's randomness:
 * `keccak256(abi.encode(randomnessOf(target), jobId, attempt, hub, chainid))` into
 * `StakeManager.draw(EXECUTOR, seed, seats, [previous executor])` (contracts/libraries/JobSettlement.sol,
 * `assignExecutors`). So knowing the inclusion block's prevrandao and parent hash (the old seed)
 * predicts nothing: the first test shows the request reveals nothing and the executor follows from
 * the target block's randomness alone. What is left (THREATS.md states it as residual risk) is the
 * producer of the target block itself: it chooses that block's contents, hence its hash, hence the
 * executor among the candidates it is willing to build; the second test plays that producer.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, setPrevRandao, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { assignJob, deployWorld, RandomnessStatus, randomnessSource, requestParams, Role, Status, type World } from "../fixtures/protocol";


async function biasFixture() {
  return deployWorld({ executors: 8, verifiers: 0 });
}

/** Requests a job as the world's requester; returns its id, the request's block and the draw's target. */
async function request(w: World): Promise<{ jobId: bigint; requested: number; target: number }> {
  const receipt = (await (await w.jobs.connect(w.requester).requestInference(await requestParams())).wait())!;
  const jobId = await w.jobs.jobCount();
  return { jobId, requested: receipt.blockNumber, target: Number((await w.jobs.jobOf(jobId)).auditTarget) };
}

/**
 * The executor `assign` will draw for the first attempt of `jobId` from the randomness of block
 * `target` (which must have passed), over the stake snapshot of the epoch the draw was armed in.
 */
async function predictExecutor(w: World, jobId: bigint, target: number): Promise<string> {
  const [status, randomness] = await (await randomnessSource(w)).randomnessOf(target);
  expect(status).to.equal(RandomnessStatus.Ready);
  const { chainId } = await ethers.provider.getNetwork();
  const seed = ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "uint256", "uint8", "address", "uint256"],
      [randomness, jobId, 1, await w.jobs.getAddress(), chainId],
    ),
  );
  const job = await w.jobs.jobOf(jobId);
  const epoch = job.phaseEnd / (await w.stakes.EPOCH_LENGTH());
  const [, [drawn]] = await w.stakes.drawSeats(Role.EXECUTOR, job.modelId, epoch, seed, 1, []);
  return drawn;
}

describe("Proposer-biased randomness", function () {
  it("reveals nothing in the request: no JobAssigned, a draw target in the future, and the executor follows from that target block's randomness alone", async function () {
    const w = await loadFixture(biasFixture);
    const randomness = await randomnessSource(w);
    for (let i = 1n; i <= 5n; i++) {
      // The inclusion block's prevrandao (and parent hash) are known to its proposer: they decide nothing now.
      await setPrevRandao(BigInt(ethers.id(`randao-${i}`)));
      const tx = await w.jobs.connect(w.requester).requestInference(await requestParams());
      await expect(tx).to.not.emit(w.jobs, "JobAssigned");
      const jobId = i;
      const requested = (await tx.wait())!.blockNumber;
      const target = Number((await w.jobs.jobOf(jobId)).auditTarget);
      await expect(tx).to.emit(w.jobs, "DrawArmed").withArgs(jobId, target);
      expect(target).to.be.greaterThan(requested);
      const job = await w.jobs.jobOf(jobId);
      expect(job.status).to.equal(Status.Unassigned);
      expect(job.executor).to.equal(ethers.ZeroAddress);
      // Still unknown in every block up to the target included.
      expect((await randomness.randomnessOf(target))[0]).to.equal(RandomnessStatus.Pending);
      await mine(target - requested);
      expect(await ethers.provider.getBlockNumber()).to.equal(target);
      expect((await randomness.randomnessOf(target))[0]).to.equal(RandomnessStatus.Pending);
      // From the next block on, the target's randomness alone gives the executor, whoever assigns.
      await mine(1);
      const predicted = await predictExecutor(w, jobId, target);
      const { assigned } = await assignJob(w, jobId);
      expect(assigned).to.deep.equal([predicted]);
    }
  });

  it("lets the producer of the draw's target block, choosing among candidate contents (hence hashes), hand the job to the executor it prefers (the residual risk)", async function () {
    const w = await loadFixture(biasFixture);
    const favourite = w.executors[5].address;
    const { jobId, requested, target } = await request(w);
    expect(target).to.equal(requested + 2);
    await mine(target - 1 - requested); // up to the block before the target
    const at = (await time.latest()) + 12;
    const producer = w.others[0];
    /** Builds the target block holding one transfer of `k + 1` wei (the producer's pick of contents), then one more block. */
    async function buildTarget(k: number): Promise<string> {
      await setPrevRandao(BigInt(ethers.id("target-block-randao")));
      await time.setNextBlockTimestamp(at);
      await (await producer.sendTransaction({ to: w.others[1].address, value: BigInt(k + 1) })).wait();
      expect(await ethers.provider.getBlockNumber()).to.equal(target);
      await mine(1);
      return (await ethers.provider.getBlock(target))!.hash!;
    }
    const before = await takeSnapshot();
    const drawnBy = new Map<number, string>();
    const hashes = new Set<string>();
    let chosen: number | undefined;
    for (let k = 0; k < 64 && (chosen === undefined || new Set(drawnBy.values()).size < 2); k++) {
      hashes.add(await buildTarget(k));
      const drawn = await predictExecutor(w, jobId, target);
      drawnBy.set(k, drawn);
      if (drawn === favourite && chosen === undefined) chosen = k;
      await before.restore();
    }
    // Different contents of the target block give different hashes and different executors...
    expect(hashes.size).to.equal(drawnBy.size);
    expect(new Set(drawnBy.values()).size).to.be.greaterThan(1);
    expect(chosen !== undefined, "some candidate target block draws the favourite").to.equal(true);
    // ...so the producer builds the one that draws its favourite, and whoever assigns gets that.
    await buildTarget(chosen!);
    expect(await predictExecutor(w, jobId, target)).to.equal(favourite);
    const { assigned } = await assignJob(w, jobId);
    expect(assigned).to.deep.equal([favourite]);
  });
});
