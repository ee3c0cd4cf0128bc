/**
 * Threat 6 of docs/THREATS.md, the size of a proposer's bias: an executor draw is a pure function
 * of values known before its block is built, contracts/JobRegistry.sol line 394
 * (`abi.encode(block.prevrandao, blockhash(block.number - 1), jobId, attempt, address(this), block.chainid)`),
 * and committees use the same recipe (contracts/DisputeManager.sol line 223). Nothing protects
 * against this (THREATS.md states it as residual risk): whoever knows the inclusion block's
 * prevrandao and parent hash (its proposer, or a sender who can predict its inclusion block)
 * computes the draw before sending, and a proposer who can choose between blocks picks the draw
 * of one of them. The tests assert that behaviour; a seed that included anything unknown before
 * the block (a later block hash, a VRF output) would break the prediction and fail them.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setPrevRandao } from "@nomicfoundation/hardhat-network-helpers";
import { deployWorld, requestJob, Role, type World } from "../fixtures/protocol";

async function biasFixture() {
  return deployWorld({ executors: 8, verifiers: 0 });
}

/** The executor a request would draw as job `jobId` (first attempt) in a block with `prevrandao` built on the latest block. */
async function predictExecutor(w: World, jobId: bigint, prevrandao: bigint): Promise<string> {
  const parent = await ethers.provider.getBlock("latest");
  const { chainId } = await ethers.provider.getNetwork();
  const seed = ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      ["uint256", "bytes32", "uint256", "uint8", "address", "uint256"],
      [prevrandao, parent!.hash, jobId, 1, await w.jobs.getAddress(), chainId],
    ),
  );
  // Every executor has its collateral free, so the view draw equals drawAndLock's.
  const [drawn] = await w.stakes.draw(Role.EXECUTOR, seed, 1, []);
  return drawn;
}

describe("Proposer-biased randomness", function () {
  it("lets anyone who knows the inclusion block's prevrandao and parent hash compute the executor a request will draw", async function () {
    const w = await loadFixture(biasFixture);
    for (let i = 1n; i <= 5n; i++) {
      const prevrandao = BigInt(ethers.id(`randao-${i}`));
      await setPrevRandao(prevrandao);
      const predicted = await predictExecutor(w, i, prevrandao);
      const { jobId, assigned } = await requestJob(w);
      expect(jobId).to.equal(i);
      expect(assigned).to.deep.equal([predicted]);
    }
  });

  it("lets a proposer choosing between candidate blocks hand the job to the executor it prefers", async function () {
    const w = await loadFixture(biasFixture);
    const target = w.executors[5].address;
    // Candidate blocks differ in prevrandao (include now, or leave the request to a later proposer).
    let chosen: bigint | undefined;
    for (let k = 0; k < 64 && chosen === undefined; k++) {
      const candidate = BigInt(ethers.id(`candidate-${k}`));
      if ((await predictExecutor(w, 1n, candidate)) === target) chosen = candidate;
    }
    expect(chosen !== undefined, "some candidate block draws the target").to.equal(true);
    await setPrevRandao(chosen!);
    const { assigned } = await requestJob(w);
    expect(assigned).to.deep.equal([target]);
  });
});
