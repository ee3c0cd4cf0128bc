/**
 * GlassboxClient's reads of jobs and accounts, and an executor's model opt-in, on Hardhat's
 * in-process network (the calls `glassbox job status`, `node status`, `node opt-in` and `node
 * opt-out` print).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  GlassboxClient,
  GlassboxError,
  modesMask,
  type ModelPolicy,
} from "../src/sdk";
import { DEVNET_PARAMS } from "../../../deploy/protocol";
import {
  deployWorld,
  nextEpoch,
  SAMPLE_INPUT,
} from "../../../test/fixtures/protocol";
import { addressesOf, MLP_BYTES } from "./fixtures/roles";

const POLICY: ModelPolicy = {
  allowedModes: modesMask("none", "optimistic"),
  exact: false,
  auditRateBps: 0,
  maxInputBytes: 4096,
  minFee: 10n ** 16n,
  runtime: 0,
  absTolerance: 10n ** 8n,
  relTolerance: 10n ** 9n,
  schemaHash: ethers.id("schema:v1"),
};

/** The protocol with a model registered through the client (its URI is never fetched here). */
async function world() {
  const w = await deployWorld({
    executors: 2,
    verifiers: 1,
    params: { ...DEVNET_PARAMS, minAuditRateBps: 0 },
    policy: { auditRateBps: 0 },
  });
  const addresses = await addressesOf(w);
  const owner = await GlassboxClient.connect({ addresses }, w.modelOwner);
  const { modelId } = await owner.registerModel(
    { bytes: MLP_BYTES, uri: "https://models.example/mlp.onnx" },
    POLICY,
  );
  return { w, addresses, modelId };
}

async function rejected(
  promise: Promise<unknown>,
  code: GlassboxError["code"],
): Promise<GlassboxError> {
  try {
    await promise;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(GlassboxError);
    expect((err as GlassboxError).code, (err as Error).message).to.equal(code);
    return err as GlassboxError;
  }
  expect.fail(`expected a GlassboxError ${code}, but the call succeeded`);
}

describe("GlassboxClient.job: a job as the chain holds it", function () {
  it("reports a requested job's fields, and the reason of a refund", async function () {
    const { w, addresses, modelId } = await loadFixture(world);
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
    const { addresses } = await loadFixture(world);
    const client = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect((await rejected(client.job(0n), "UNKNOWN_JOB")).message).to.match(
      /^job 0 does not exist \(there are 0 jobs\)/,
    );
    await rejected(client.job(1n), "UNKNOWN_JOB");
  });
});

describe("GlassboxClient.account, optIn and optOut: an executor's stake and models", function () {
  it("reads balances, each role's stake and eligibility, and the models opted in to, and follows opt-in and opt-out", async function () {
    const { w, addresses, modelId } = await loadFixture(world);
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
    // The fixture opted every executor in to its own model 1; modelId is the one registered here.
    expect(before.executor.models).to.deep.equal([1n]);

    await client.optIn(modelId);
    expect((await client.account()).executor.models).to.deep.equal([
      1n,
      modelId,
    ]);
    // Another account's view, read-only.
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    expect(
      (await reader.account(executor.address)).executor.models,
    ).to.deep.equal([1n, modelId]);

    await nextEpoch(w);
    await client.optOut(modelId);
    expect((await client.account()).executor.models).to.deep.equal([1n]);
  });

  it("refuses to opt in to a model that does not exist (UNKNOWN_MODEL), and a read-only client's sends (READ_ONLY)", async function () {
    const { w, addresses } = await loadFixture(world);
    const client = await GlassboxClient.connect({ addresses }, w.executors[0]);
    await rejected(client.optIn(99n), "UNKNOWN_MODEL");
    const reader = await GlassboxClient.connect({ addresses }, ethers.provider);
    await rejected(reader.optOut(1n), "READ_ONLY");
    await rejected(reader.account(), "READ_ONLY");
  });
});
