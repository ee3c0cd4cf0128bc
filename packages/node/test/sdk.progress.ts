/**
 * GlassboxClient.wait through the rest of a job's life (set-up in fixtures/sdk.ts): a missed
 * deadline, seats that cannot be served, a committee draw whose randomness was lost, a third-party
 * resolver that never answers. Each step is a typed progress event, and the wait ends only when
 * the job is Finalized or Refunded.
 */
import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { JobProgress } from "../src/sdk";
import { ScriptedResolver__factory } from "../src/typechain";
import { armedDrawOf, assignJob, drawCommittee, mineToDraw, signerOf, TOKEN } from "../../../test/fixtures/protocol";
import { honestOutput } from "./fixtures/roles";
import { clientOf, INPUT, post, sdkWorld, type SdkWorld } from "./fixtures/sdk";

/** The events `wait` reports for `jobId` until it is final, or until `timeoutMs` (then they are returned all the same). */
async function progressOf(w: SdkWorld, jobId: bigint, timeoutMs = 10_000): Promise<JobProgress[]> {
  const client = await clientOf(w, w.world.requester);
  const seen: JobProgress[] = [];
  await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs }).catch(() => undefined);
  return seen;
}

describe("GlassboxClient.wait: a missed execution deadline", function () {
  it("reports timedOut with the executor and the slash, then the next draw, and waits on to the next executor's result", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const { assigned } = await assignJob(w.world, jobId);
    await time.increase(Number(w.world.params.jobs.executionWindow) + 1);
    await (await w.world.jobs.timeout(jobId)).wait();
    const second = await post(w, jobId, await honestOutput());
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final.status).to.equal("Finalized");
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "timedOut", "drawArmed", "assigned", "resultPosted", "finalized"]);
    expect(seen[2]).to.deep.include({ kind: "timedOut", executor: assigned[0], slashed: BigInt(w.world.params.jobs.timeoutSlash) });
    expect(second.address).to.not.equal(assigned[0]);
  });

  it("resolves Refunded Expired when a timed-out job has no time left for another executor", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    // A deadline just past the execution window: after a timeout no full window is left.
    const window = Number(w.world.params.jobs.executionWindow);
    const { jobId, fee } = await client.request({ model: w.modelId, input: INPUT, mode: "none", deadline: window + 100 });
    await assignJob(w.world, jobId);
    await time.increase(window + 1);
    await (await w.world.jobs.timeout(jobId)).wait();
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.deep.include({ status: "Refunded", reason: "Expired", amount: fee });
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "timedOut", "refunded"]);
  });
});

describe("GlassboxClient.wait: drawn executors who cannot serve", function () {
  it("reports each forfeited seat with its penalty and each empty draw, and resolves Refunded Expired when the attempts are spent", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    // A 10-token OPTIMISTIC fee needs 220 tokens of collateral: more than any executor's 200 tokens of stake.
    const { jobId, fee } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic", fee: 10n * TOKEN });
    await mineToDraw(w.world, jobId);
    const [firstDrawn] = await armedDrawOf(w.world, jobId);
    const attempts = Number(w.world.params.jobs.maxAttempts);
    for (let i = 0; i < attempts; i++) {
      await mineToDraw(w.world, jobId);
      await (await w.world.jobs.assign(jobId)).wait();
    }
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.deep.include({ status: "Refunded", reason: "Expired", amount: fee });
    const attempt = ["seatForfeited", "unassigned", "drawArmed"];
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", ...attempt, ...attempt, "seatForfeited", "unassigned", "refunded"]);
    expect(seen[1]).to.deep.include({ kind: "seatForfeited", executor: firstDrawn, penalty: BigInt(w.world.params.jobs.timeoutSlash) });
    const executors = w.world.executors.map((e) => e.address);
    for (const e of seen) if (e.kind === "seatForfeited") expect(executors).to.include(e.executor);
  });
});

describe("GlassboxClient.wait: a committee draw whose randomness was lost", function () {
  it("reports committeeDrawRearmed with the new target, then the committee drawn from it", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    await post(w, jobId, await honestOutput());
    await (await w.world.jobs.connect(w.world.verifiers[0]).challenge(jobId)).wait();
    const disputeId = await w.world.disputes.disputeOfJob(jobId);
    await mine(300); // nobody drew the committee while the target's block hash was readable
    await (await w.world.disputes.drawCommittee(disputeId)).wait();
    const { drawTarget } = await w.world.disputes.disputeOf(disputeId);
    await drawCommittee(w.world, disputeId);
    const seen = await progressOf(w, jobId, 300); // the dispute is open: the wait times out
    const kinds = seen.map((e) => e.kind);
    expect(kinds).to.deep.equal(["drawArmed", "assigned", "resultPosted", "disputed", "challenged", "committeeDrawRearmed", "committeeDrawn"]);
    expect(seen[5]).to.deep.include({ kind: "committeeDrawRearmed", disputeId, drawTarget: Number(drawTarget), rearms: 1 });
  });
});

describe("GlassboxClient.wait: a job whose model pins a third-party resolver", function () {
  it("reports the hub's view of the dispute (disputed, resolverLapsed, disputeSettled) when the resolver never answers, and resolves Refunded Undecided", async function () {
    const w = await loadFixture(sdkWorld);
    const { world } = w;
    const scripted = await new ScriptedResolver__factory(world.admin).deploy(await world.jobs.getAddress());
    await (await world.jobs.connect(world.admin).setResolverAllowed(scripted, true)).wait();
    await (await world.models.connect(world.modelOwner).setResolver(w.modelId, scripted)).wait();
    const client = await clientOf(w, world.requester);
    const { jobId, fee } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    await post(w, jobId, await honestOutput());
    await (await world.jobs.connect(world.others[0]).challenge(jobId)).wait();
    await (await scripted.setStalled(true)).wait();
    await time.increaseTo((await world.jobs.jobOf(jobId)).phaseEnd + 1n);
    await (await world.jobs.resolveDispute(jobId)).wait();
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.deep.include({ status: "Refunded", reason: "Undecided", amount: fee });
    // No committee: the DisputeManager is not this job's resolver, so only the hub speaks.
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "resultPosted", "disputed", "resolverLapsed", "disputeSettled", "refunded"]);
    expect(seen[4]).to.deep.include({ kind: "resolverLapsed", resolver: await scripted.getAddress() });
    expect(seen[5]).to.deep.include({ kind: "disputeSettled", verdict: "Undecided" });
  });
});

describe("GlassboxClient.wait: progress is read for the job asked about only", function () {
  it("reports none of another job's events, though they share blocks and contracts", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const job = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const other = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic", fee: 10n * TOKEN });
    await mineToDraw(w.world, other.jobId);
    await (await w.world.jobs.assign(other.jobId)).wait(); // the other job's seat is forfeited
    const [drawn] = await armedDrawOf(w.world, job.jobId);
    await (await w.world.jobs.assign(job.jobId)).wait();
    await (await w.world.jobs.connect(signerOf(w.world.executors, drawn)).submitResult(job.jobId, await honestOutput())).wait();
    const seen = await progressOf(w, job.jobId);
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "resultPosted", "finalized"]);
    expect(seen.every((e) => e.jobId === job.jobId)).to.equal(true);
  });
});
