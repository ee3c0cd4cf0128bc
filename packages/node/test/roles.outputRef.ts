import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeTensors, invalidClaim } from "../src/codec/tensor";
import { MAX_INLINE_OUTPUT_BYTES, OutputPublisher, publishedPath, readPublished } from "../src/store/outputs";
import type { OutputStrategy } from "../src/roles/executor";
import { collateralOf, Mode, RefundReason, Role, Status, TOKEN, Verdict, requestJob } from "../../../test/fixtures/protocol";
import { closeAll, errorsOf, honestOutput, nodeOf, nonces, perturb, publishedDir, rolesWorld, seatsHeld, settle, startAll, startNode, tmpDirOf } from "./fixtures/roles";

const servedModel = () => rolesWorld();
const STAKE = 200n * TOKEN;
/** What an executor of a 1-token OPTIMISTIC job locks (22x the fee), all of it slashed on an Invalid verdict. */
const COLLATERAL = collateralOf(TOKEN, Mode.OPTIMISTIC);

/** The ResultSubmitted events of `jobId`, oldest first. */
async function submissions(world: Awaited<ReturnType<typeof servedModel>>, jobId: bigint) {
  return (await world.jobs.queryFilter(world.jobs.filters.ResultSubmitted(jobId))).map((e) => e.args);
}

describe("OutputPublisher", function () {
  it("writes an output under its keccak256 once and gives the URI under its base URL", function () {
    const dir = path.join(tmpDirOf("publisher"), "out");
    const publisher = new OutputPublisher({ dir, baseUrl: "https://node.example/outputs/", inlineBytes: 4 });
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    expect(publisher.byReference(bytes)).to.equal(true);
    expect(publisher.byReference(bytes.slice(0, 4))).to.equal(false);
    const first = publisher.publish(bytes);
    expect(first).to.deep.equal({ hash: ethers.keccak256(bytes), uri: `https://node.example/outputs/${ethers.keccak256(bytes)}` });
    expect(publisher.publish(bytes)).to.deep.equal(first);
    expect(readPublished(dir, first.hash)).to.deep.equal(bytes);
    expect(fs.readdirSync(dir)).to.deep.equal([first.hash]);
  });

  it("reads nothing for a name that is not a hash, so /outputs/ cannot be walked out of", function () {
    const dir = tmpDirOf("publisher-paths");
    fs.writeFileSync(path.join(dir, "secret"), "x");
    expect(readPublished(dir, "../secret")).to.equal(undefined);
    expect(readPublished(dir, "secret")).to.equal(undefined);
    expect(readPublished(dir, `0x${"ab".repeat(32)}`)).to.equal(undefined);
    expect(() => publishedPath(dir, "../../etc/passwd")).to.throw(RangeError, /not an output hash/);
  });

  it("refuses a base URL verifiers cannot fetch and an inline limit outside 1..12288 (the contract's 12 KiB)", function () {
    const dir = tmpDirOf("publisher-bad");
    expect(() => new OutputPublisher({ dir, baseUrl: "not a url" })).to.throw(RangeError, /outputBaseUrl: "not a url" is not a URL/);
    expect(() => new OutputPublisher({ dir, baseUrl: "ipfs://x" })).to.throw(RangeError, /outputBaseUrl: ipfs: URLs cannot be fetched/);
    expect(() => new OutputPublisher({ dir, baseUrl: "https://a", inlineBytes: 0 })).to.throw(RangeError, /inlineOutputBytes: 0/);
    expect(() => new OutputPublisher({ dir, baseUrl: "https://a", inlineBytes: MAX_INLINE_OUTPUT_BYTES + 1 })).to.throw(RangeError, /inlineOutputBytes: 12289/);
    expect(MAX_INLINE_OUTPUT_BYTES).to.equal(12 * 1024);
  });
});

describe("Executor: an output above the inline limit", function () {
  it("is published, posted by reference, fetched and matched by watching verifiers, and finalized with its hash and URI", async function () {
    const world = await loadFixture(servedModel);
    const { all, verifiers } = await startAll(world, { publishAbove: 1 });
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(all);
      const honest = await honestOutput();
      const [submitted] = await submissions(world, jobId);
      expect(submitted.output).to.equal("0x");
      expect(submitted.outputHash).to.equal(ethers.keccak256(honest));
      expect(submitted.outputURI).to.match(/^file:\/\/.*\/0x[0-9a-f]{64}$/);
      expect(readPublished(publishedDir(world, { address: assigned[0] }), submitted.outputHash)).to.deep.equal(honest);
      for (const v of verifiers) expect(v.logger.at("Verifier.watch").map((l) => l.msg)).to.deep.equal(["result matches within the model's tolerance"]);

      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, outputHash, output, outputURI] = await world.jobs.resultOf(jobId);
      expect([status, outputHash, output, outputURI]).to.deep.equal([BigInt(Status.Finalized), ethers.keccak256(honest), "0x", submitted.outputURI]);
      expect(await world.disputes.disputeOfJob(jobId)).to.equal(0n);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("that is wrong is challenged, voted Invalid by a committee that fetched it, its executor slashed and the job served again", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world, { publishAbove: 1, strategy: perturb(0.5, [1]) });
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(all);
      const disputeId = await world.disputes.disputeOfJob(jobId);
      expect(disputeId).to.not.equal(0n);
      const committee = await world.disputes.committeeOf(disputeId);
      expect(await seatsHeld(world, disputeId, committee)).to.equal(3n); // seats drawn with replacement: 1 to 3 members
      const reveals = await world.disputes.queryFilter(world.disputes.filters.VoteRevealed(disputeId));
      expect(reveals.map((r) => Number(r.args.verdict))).to.deep.equal(committee.map(() => Verdict.Invalid));
      expect((await world.stakes.accountOf(assigned[0], Role.EXECUTOR)).active).to.equal(STAKE - COLLATERAL);

      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, outputHash] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(outputHash).to.equal(ethers.keccak256(await honestOutput()));
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("that its executor does not serve is judged a wrong output (nobody can check it) and the executor slashed", async function () {
    const world = await loadFixture(servedModel);
    const { all, executors } = await startAll(world, { publishAbove: 1 });
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      const first = nodeOf(executors, assigned[0]);
      await first.node.step(); // submits by reference
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Submitted);
      fs.rmSync(publishedDir(world, first.signer), { recursive: true, force: true }); // ... and stops serving it
      await settle(all);

      const disputeId = await world.disputes.disputeOfJob(jobId);
      expect(disputeId).to.not.equal(0n);
      const watch = all.flatMap((n) => n.logger.at("Verifier.watch")).find((l) => l.msg === "result does not match; challenging");
      expect(String(watch?.line.reason)).to.match(/^the claimed output cannot be checked: output file:\/\/.* failed/);
      const resolved = await world.disputes.queryFilter(world.disputes.filters.DisputeResolved(disputeId));
      expect(resolved.map((r) => Number(r.args.verdict))).to.deep.equal([Verdict.Invalid]);
      expect((await world.stakes.accountOf(first.signer.address, Role.EXECUTOR)).active).to.equal(STAKE - COLLATERAL);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("that is an invalid-input claim still goes inline (the contract reads its marker byte) and is refunded", async function () {
    const world = await loadFixture(servedModel);
    const { all } = await startAll(world, { publishAbove: 1 });
    try {
      const misfit = encodeTensors({ x: { dtype: "float32", shape: [1, 5], data: [1, 2, 3, 4, 5] } });
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC, input: misfit });
      await settle(all);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(all);
      const [status, , output, outputURI] = await world.jobs.resultOf(jobId);
      expect([status, ethers.getBytes(output), outputURI]).to.deep.equal([BigInt(Status.Refunded), invalidClaim("inputDoesNotFitModel"), ""]);
      const refunds = await world.jobs.queryFilter(world.jobs.filters.JobRefunded(jobId));
      expect(refunds.map((r) => Number(r.args.reason))).to.deep.equal([RefundReason.InvalidInput]);
      expect(errorsOf(all)).to.deep.equal([]);
    } finally {
      await closeAll(all);
    }
  });

  it("above the contract's 12 KiB, on a node without outputBaseUrl, is not sent, and the log names the option to set", async function () {
    const world = await loadFixture(servedModel);
    const huge: OutputStrategy = { transform: () => new Uint8Array(MAX_INLINE_OUTPUT_BYTES + 1) };
    const executors = [];
    for (const signer of world.executors) executors.push(await startNode(world, { signer, executor: true, strategy: huge }));
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
      const before = await nonces(executors);
      await settle(executors);
      expect(await nonces(executors)).to.deep.equal(before);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Assigned);
      const errors = nodeOf(executors, assigned[0]).logger.errors();
      expect(errors.map((e) => e.line.at)).to.deep.equal(["Executor.submit"]);
      expect(errors[0].msg).to.match(/larger than the 12288 bytes the contract takes inline.*set outputBaseUrl \(--output-base-url\)/);
    } finally {
      await closeAll(executors);
    }
  });
});
