/**
 * Issue 11 finding 2, grinding the executor draw from the requester's side: a requester contract
 * (contracts/test/RequestGrinder.sol) requests a job, reads `jobOf(jobId)` in the same transaction
 * and reverts `Unlucky` unless its favourite executor holds the job, so an unlucky try costs it
 * nothing and it can retry every block until the job lands with the executor it colludes with. The
 * hub only arms a draw in the request (its target a later block) and draws in `assign`, so every try
 * sees an Unassigned job with no executor and reverts. A hub that drew in the request (from the
 * previous block's hash, say) would let one try in three succeed with three equal executors: the
 * test fails against such a hub within its 30 tries (checked by temporarily making `_request` call
 * `_assign(jobId, job, blockhash(block.number - 1))`).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { assignJob, deployWorld, requestParams, Status, TOKEN } from "../fixtures/protocol";
import { RequestGrinder__factory } from "../../packages/node/src/typechain";

const TRIES = 30;

/** Three executors with equal stakes, and a grinder whose favourite is the first, funded with 100 tokens. */
async function grinderFixture() {
  const world = await deployWorld({ executors: 3, verifiers: 0 });
  const favourite = world.executors[0].address;
  const grinder = await new RequestGrinder__factory(world.admin).deploy(world.jobs, favourite);
  await world.token.mint(grinder, 100n * TOKEN);
  await grinder.approveFees(world.token);
  return { ...world, grinder, favourite };
}

describe("Requesters grinding the executor draw", function () {
  it("a requester contract that requests and reverts unless its favourite executor is drawn learns nothing in the request", async function () {
    const f = await loadFixture(grinderFixture);
    const start = await ethers.provider.getBlockNumber();
    for (let i = 0; i < TRIES; i++) {
      // One try per block: each sees the job it just requested Unassigned, with nobody drawn yet.
      await expect(f.grinder.requestIfLucky(await requestParams()))
        .to.be.revertedWithCustomError(f.grinder, "Unlucky")
        .withArgs(ethers.ZeroAddress, Status.Unassigned);
    }
    expect(await ethers.provider.getBlockNumber()).to.be.greaterThanOrEqual(start + TRIES);
    // Every try was undone: no job, and the grinder kept its fee.
    expect(await f.jobs.jobCount()).to.equal(0n);
    expect(await f.token.balanceOf(f.grinder)).to.equal(100n * TOKEN);
    // The favourite is drawable like anyone else: it is only the request that reveals nothing.
    let favouriteDrawn = false;
    for (let i = 0; i < 20 && !favouriteDrawn; i++) {
      await f.jobs.connect(f.requester).requestInference(await requestParams());
      const jobId = await f.jobs.jobCount();
      favouriteDrawn = (await assignJob(f, jobId)).assigned[0] === f.favourite;
    }
    expect(favouriteDrawn, "the favourite is drawn by some assignment").to.equal(true);
  });
});
