/**
 * GlassboxClient's reads of jobs, accounts and model versions, and an executor's model opt-in, on
 * Hardhat's in-process network (the calls `glassbox job status`, `node status`, `node opt-in`,
 * `node opt-out` and `model info` print).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { GlassboxClient } from "../src/sdk";
import { nextEpoch, SAMPLE_INPUT } from "../../../test/fixtures/protocol";
import { rejected, sdkWorld } from "./fixtures/sdk";
import { MLP_BYTES } from "./fixtures/roles";

describe("GlassboxClient.job: a job as the chain holds it", function () {
  it("reports a requested job's fields, and the reason of a refund", async function () {
    const { world: w, addresses, modelId } = await loadFixture(sdkWorld);
    const requester = w.requester;
    const client = await GlassboxClient.connect({ addresses }, requester);
    const { jobId, fee } = await client.request({
      model: modelId,
      input: SAMPLE_INPUT,
      mode: "optimistic",
      deadline: 7200,
    });
    const job = await client.job(jobId);
    expect(job).to.include({
      id: jobId,
      status: "Unassigned",
      mode: "OPTIMISTIC",
      model: modelId,
      version: 1,
      requester: requester.address,
      executor: ethers.ZeroAddress,
      fee,
      attempts: 0,
      invalidClaim: false,
      callback: ethers.ZeroAddress,
    });
    expect(job.deadline).to.be.greaterThan(
      Math.floor(Date.now() / 1000) - 3600,
    );
    expect(job.refundReason).to.equal(undefined);

    await (await w.jobs.connect(requester).cancel(jobId)).wait();
    const cancelled = await client.job(jobId);
    expect(cancelled.status).to.equal("Refunded");
    expect(cancelled.refundReason).to.equal("Cancelled");
  });

  it("refuses a job id that was never given out (0, and one past the count) with UNKNOWN_JOB", async function () {
    const { addresses } = await loadFixture(sdkWorld);
    const client = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect((await rejected(client.job(0n), "UNKNOWN_JOB")).message).to.match(
      /^job 0 does not exist \(there are 0 jobs\)/,
    );
    await rejected(client.job(1n), "UNKNOWN_JOB");
  });
});

describe("GlassboxClient.account, optIn and optOut: an executor's stake and models", function () {
  it("reads balances, each role's stake and eligibility, and the models opted in to, and follows opt-in and opt-out", async function () {
    const { world: w, addresses, modelId } = await loadFixture(sdkWorld);
    const executor = w.executors[0];
    const client = await GlassboxClient.connect({ addresses }, executor);
    const before = await client.account();
    expect(before.address).to.equal(executor.address);
    expect(before.tokens).to.equal(await w.token.balanceOf(executor.address));
    expect(before.ether).to.equal(
      await ethers.provider.getBalance(executor.address),
    );
    expect(before.credit).to.equal(0n);
    expect(before.executor.active).to.equal(
      (await w.stakes.accountOf(executor.address, 0)).active,
    );
    expect(before.executor.active > 0n).to.equal(true);
    expect(before.executor.eligible).to.equal(true);
    expect(before.verifier.active).to.equal(0n);
    expect(before.verifier.eligible).to.equal(false);
    // The fixture opted every executor in to the protocol's model 1 and to the MLP (modelId).
    expect(before.executor.models).to.deep.equal([1n, modelId]);

    await client.optOut(modelId);
    expect((await client.account()).executor.models).to.deep.equal([1n]);
    // Another account's view, read-only.
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect((await reader.account(executor.address)).executor.models).to.deep.equal([1n]);

    await nextEpoch(w);
    await client.optIn(modelId);
    expect((await client.account()).executor.models).to.deep.equal([1n, modelId]);
  });

  it("refuses to opt in to a model that does not exist (UNKNOWN_MODEL), and a read-only client's sends (READ_ONLY)", async function () {
    const { world: w, addresses } = await loadFixture(sdkWorld);
    const client = await GlassboxClient.connect({ addresses }, w.executors[0]);
    await rejected(client.optIn(99n), "UNKNOWN_MODEL");
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    await rejected(reader.optOut(1n), "READ_ONLY");
    await rejected(reader.account(), "READ_ONLY");
  });
});

describe("GlassboxClient.version: one version of a model", function () {
  it("gives the registered digest and URI, and whether the version is deprecated", async function () {
    const { world: w, addresses, modelId, modelUri } = await loadFixture(sdkWorld);
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect(await reader.version(modelId, 1)).to.deep.equal({ version: 1, digest: ethers.sha256(MLP_BYTES), uri: modelUri, deprecated: false });
    const owner = await GlassboxClient.connect({ addresses }, w.modelOwner);
    await owner.publishVersion(modelId, { digest: ethers.id("another model"), uri: `${modelUri}?v=2` });
    await owner.deprecateVersion(modelId, 1);
    expect((await reader.version(modelId, 1)).deprecated).to.equal(true);
    expect(await reader.version(modelId, 2)).to.deep.equal({ version: 2, digest: ethers.id("another model"), uri: `${modelUri}?v=2`, deprecated: false });
  });

  it("refuses a version the model does not have (BAD_ARGUMENT) and a model that does not exist (UNKNOWN_MODEL)", async function () {
    const { addresses, modelId } = await loadFixture(sdkWorld);
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect((await rejected(reader.version(modelId, 2), "BAD_ARGUMENT")).message).to.match(/has versions 1\.\.1, not 2/);
    await rejected(reader.version(modelId, 0), "BAD_ARGUMENT");
    await rejected(reader.version(99n, 1), "UNKNOWN_MODEL");
  });
});
