import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import net from "node:net";
import { Writable } from "node:stream";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../src/ops/logger";
import { ZeroAddress, type TransactionReceipt } from "ethers";
import { METRIC_NAMES, PromNodeMetrics, timeInference, trackPending } from "../src/ops/metrics";
import { healthOf, OpsServer } from "../src/ops/server";
import { OutputPublisher } from "../src/store/outputs";
import type { NodeLogger } from "../src/ops/logger";
import { CursorStore } from "../src/chain/cursorStore";
import { act, ActionFailedError, type RoleContext } from "../src/roles/context";
import { Mode, Status, requestJob } from "../../../test/fixtures/protocol";
import { closeAll, errorsOf, nodeOf, rolesWorld, settle, startNode, type RolesWorld, type TestNode } from "./fixtures/roles";
import { encodeTensors } from "../src/codec/tensor";
import { perturbFloats } from "../../testkit/src/dishonest";
import type { OutputStrategy } from "../src/roles/executor";

const HOST = "127.0.0.1";

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

async function get(port: number, path: string): Promise<Reply> {
  const res = await fetch(`http://${HOST}:${port}${path}`);
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.text() };
}

/** Resolves true when nothing accepts connections on 127.0.0.1:port. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

/** The value of an unlabelled sample, or of the sample with exactly `labels`, in Prometheus text. */
function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("ops metrics registry", function () {
  it("registers every node metric in its own registry, not prom-client's global one", async function () {
    const metrics = new PromNodeMetrics();
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).to.deep.equal([...METRIC_NAMES].sort());
    const { register } = await import("prom-client");
    expect(register.getSingleMetric("jobs_seen_total")).to.equal(undefined);
  });

  it("lets two nodes in one process keep separate counts", async function () {
    const a = new PromNodeMetrics();
    const b = new PromNodeMetrics();
    a.jobSeen();
    expect(sample(await a.text(), "jobs_seen_total")).to.equal(1);
    expect(sample(await b.text(), "jobs_seen_total")).to.equal(0);
  });

  it("counts failures by reason, RPC errors by location, inferences by model and pending transactions", async function () {
    const metrics = new PromNodeMetrics();
    metrics.jobFailed("modelUnavailable");
    metrics.jobFailed("modelUnavailable");
    metrics.rpcError("Executor.submit");
    await timeInference(metrics, "mlp", async () => undefined);
    let pendingDuringSend: number | undefined;
    await trackPending(metrics, async () => {
      pendingDuringSend = sample(await metrics.text(), "pending_transactions");
    });
    const text = await metrics.text();
    expect(sample(text, "jobs_failed_total", '{reason="modelUnavailable"}')).to.equal(2);
    expect(sample(text, "rpc_errors_total", '{at="Executor.submit"}')).to.equal(1);
    expect(sample(text, "inference_seconds_count", '{model="mlp"}')).to.equal(1);
    expect(pendingDuringSend).to.equal(1);
    expect(sample(text, "pending_transactions")).to.equal(0);
  });
});

describe("act: a transaction's outcome counted where it is known", function () {
  /** A RoleContext with only what `act` touches: a claim store, a sender, a logger that drops every line, metrics. */
  function actContext(send: () => Promise<TransactionReceipt>): { ctx: RoleContext; metrics: PromNodeMetrics; cursor: CursorStore } {
    const metrics = new PromNodeMetrics();
    const cursor = new CursorStore(":memory:", "test");
    const dropAll: NodeLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const ctx = { cursor, metrics, log: dropAll, sender: { send } } as unknown as RoleContext;
    return { ctx, metrics, cursor };
  }
  const method = { staticCall: async () => undefined, populateTransaction: async () => ({ to: ZeroAddress, data: "0x" }) };
  const action = (key: string) => ({ key, block: 1, at: "Executor.submit", fields: {}, method, args: [] as [] });
  const receipt = (status: number) => ({ status, hash: "0x01", blockNumber: 2, blockHash: "0x02" }) as unknown as TransactionReceipt;

  it("counts a transaction that could not be sent as failed (txFailed) and as an RPC error at its location, though nothing is logged", async function () {
    const { ctx, metrics, cursor } = actContext(async () => {
      throw new Error("ECONNREFUSED");
    });
    await expect(act(ctx, action("submit:1:1"))).to.be.rejectedWith(ActionFailedError);
    const text = await metrics.text();
    expect(sample(text, "jobs_failed_total", '{reason="txFailed"}')).to.equal(1);
    expect(sample(text, "rpc_errors_total", '{at="Executor.submit"}')).to.equal(1);
    cursor.close();
  });

  it("counts a reverted transaction as failed (txReverted), and a mined one as no failure", async function () {
    const { ctx, metrics, cursor } = actContext(async () => receipt(0));
    expect(await act(ctx, action("submit:1:1"))).to.equal("failed");
    ctx.sender.send = async () => receipt(1);
    expect(await act(ctx, action("submit:2:1"))).to.equal("sent");
    const text = await metrics.text();
    expect(sample(text, "jobs_failed_total", '{reason="txReverted"}')).to.equal(1);
    expect(text).to.not.match(/^jobs_failed_total\{reason="txFailed"\}/m);
    expect(text).to.not.match(/^rpc_errors_total\{/m);
    cursor.close();
  });
});

describe("pino logger factory", function () {
  it("writes one JSON object per line with the level by name, and drops lines below the configured level", function () {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const logger: NodeLogger = createLogger({ level: "info", destination });
    logger.debug({ at: "Test.debug" }, "hidden");
    logger.warn({ at: "Executor.submit", jobId: 7n }, "slow");
    const lines = chunks.join("").trim().split("\n");
    expect(lines).to.have.length(1);
    const parsed = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(parsed).to.include({ level: "warn", at: "Executor.submit", jobId: 7, msg: "slow" });
  });

  it("refuses an unknown level, naming the option", function () {
    expect(() => createLogger({ level: "verbose" })).to.throw(RangeError, /logLevel: "verbose"/);
  });
});

describe("ops server", function () {
  let metrics: PromNodeMetrics;
  let server: OpsServer;
  let nowMs: number;

  beforeEach(async function () {
    nowMs = 1_000_000;
    metrics = new PromNodeMetrics({ now: () => nowMs });
    server = new OpsServer({ port: 0, metrics, maxPollAgeSeconds: 60, now: () => nowMs });
    await server.start();
  });

  afterEach(async function () {
    await server.stop();
  });

  it("answers /healthz with 200 and the last poll when the last successful poll is recent", async function () {
    metrics.pollSucceeded(1234);
    nowMs += 10_000;
    const reply = await get(server.port, "/healthz");
    expect(reply.status).to.equal(200);
    expect(reply.contentType).to.match(/^application\/json/);
    expect(JSON.parse(reply.body)).to.deep.equal({ status: "ok", lastPollBlock: 1234, lastPollAgeSeconds: 10 });
  });

  it("answers /healthz with 503 when the last successful poll is older than the limit", async function () {
    metrics.pollSucceeded(1234);
    nowMs += 61_000;
    const reply = await get(server.port, "/healthz");
    expect(reply.status).to.equal(503);
    expect(JSON.parse(reply.body)).to.deep.equal({ status: "stale", lastPollBlock: 1234, lastPollAgeSeconds: 61 });
  });

  it("answers /healthz with 503 before the first poll", async function () {
    const reply = await get(server.port, "/healthz");
    expect(reply.status).to.equal(503);
    expect(JSON.parse(reply.body)).to.deep.equal({ status: "stale", lastPollBlock: null, lastPollAgeSeconds: null });
  });

  it("serves /metrics as Prometheus text with every counter and its current value", async function () {
    metrics.jobSeen();
    metrics.jobSeen();
    metrics.jobChallenged();
    const reply = await get(server.port, "/metrics");
    expect(reply.status).to.equal(200);
    expect(reply.contentType).to.match(/^text\/plain/);
    for (const name of ["jobs_seen_total", "jobs_executed_total", "jobs_verified_total", "jobs_challenged_total", "jobs_failed_total", "rpc_errors_total"]) {
      expect(reply.body).to.include(`# TYPE ${name} counter`);
    }
    expect(reply.body).to.include("# TYPE inference_seconds histogram");
    expect(reply.body).to.include("# TYPE pending_transactions gauge");
    expect(sample(reply.body, "jobs_seen_total")).to.equal(2);
    expect(sample(reply.body, "jobs_challenged_total")).to.equal(1);
  });

  it("answers other paths with 404 and other methods with 405", async function () {
    expect((await get(server.port, "/")).status).to.equal(404);
    const post = await fetch(`http://${HOST}:${server.port}/metrics`, { method: "POST" });
    await post.text();
    expect(post.status).to.equal(405);
  });

  it("stops cleanly: stop resolves after a served request and the port is free again", async function () {
    const port = server.port;
    expect((await get(port, "/healthz")).status).to.equal(503);
    expect(await portIsFree(port)).to.equal(false);
    await server.stop();
    expect(await portIsFree(port)).to.equal(true);
    await server.stop(); // a second stop is a no-op
  });
});

describe("ops server with published outputs", function () {
  it("serves /outputs/<keccak256> from the publisher's directory, 404 for an unknown or malformed name, and nothing when not configured", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-ops-outputs-"));
    const bytes = new Uint8Array([0, 1, 2, 250]);
    const { hash } = new OutputPublisher({ dir, baseUrl: "http://127.0.0.1/outputs" }).publish(bytes);
    const metrics = new PromNodeMetrics();
    const serving = new OpsServer({ port: 0, metrics, outputsDir: dir });
    const plain = new OpsServer({ port: 0, metrics });
    await serving.start();
    await plain.start();
    try {
      const found = await fetch(`http://${HOST}:${serving.port}/outputs/${hash}`);
      expect(found.status).to.equal(200);
      expect(found.headers.get("content-type")).to.equal("application/octet-stream");
      expect(new Uint8Array(await found.arrayBuffer())).to.deep.equal(bytes);
      const head = await fetch(`http://${HOST}:${serving.port}/outputs/${hash.toUpperCase().replace("0X", "0x")}`, { method: "HEAD" });
      expect([head.status, head.headers.get("content-length")]).to.deep.equal([200, "4"]);
      for (const name of [`0x${"00".repeat(32)}`, "..%2F..%2Fetc%2Fpasswd", "x"]) expect((await get(serving.port, `/outputs/${name}`)).status).to.equal(404);
      expect((await get(plain.port, `/outputs/${hash}`)).status).to.equal(404);
    } finally {
      await serving.stop();
      await plain.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("healthOf", function () {
  it("treats a poll exactly at the age limit as healthy and one just past it as stale", function () {
    const poll = { block: 9, atMs: 0 };
    expect(healthOf(poll, 60_000, 60).status).to.equal("ok");
    expect(healthOf(poll, 60_001, 60).status).to.equal("stale");
  });
});

/** PromNodeMetrics that also keeps every pending-transaction change, in order. */
class RecordingMetrics extends PromNodeMetrics {
  readonly pendingChanges: number[] = [];
  override pendingTransactions(delta: 1 | -1): void {
    this.pendingChanges.push(delta);
    super.pendingTransactions(delta);
  }
}

const servedModel = () => rolesWorld();

describe("ops metrics of a node serving jobs on Hardhat's network", function () {
  /** One node per staked executor and verifier, each counting into its own metrics. */
  async function meteredNodes(world: RolesWorld, strategy?: OutputStrategy): Promise<{ nodes: TestNode[]; metrics: Map<string, RecordingMetrics> }> {
    const metrics = new Map<string, RecordingMetrics>();
    const nodes: TestNode[] = [];
    for (const signer of [...world.executors, ...world.verifiers]) {
      const m = new RecordingMetrics();
      metrics.set(signer.address, m);
      const executor = world.executors.includes(signer);
      nodes.push(await startNode(world, { signer, executor, verifier: world.verifiers.includes(signer), metrics: m, strategy: executor ? strategy : undefined }));
    }
    return { nodes, metrics };
  }

  it("times the executor's model run, counts its job, and holds one pending transaction only while it is sent", async function () {
    const world = await loadFixture(servedModel);
    const { nodes, metrics } = await meteredNodes(world);
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
      await settle(nodes);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      const executor = metrics.get(nodeOf(nodes, assigned[0]).signer.address)!;
      const text = await executor.text();
      const model = `{model="${world.mlpId}v1"}`;
      expect(sample(text, "inference_seconds_count", model)).to.be.greaterThan(0);
      expect(sample(text, "inference_seconds_sum", model)).to.be.greaterThan(0);
      expect(sample(text, "jobs_executed_total")).to.be.at.least(1);
      expect(sample(text, "jobs_seen_total")).to.equal(1);
      expect(sample(text, "pending_transactions")).to.equal(0);
      expect(executor.pendingChanges).to.deep.equal([1, -1]); // the one submitResult
      expect(errorsOf(nodes)).to.deep.equal([]);
    } finally {
      await closeAll(nodes);
    }
  });

  it("times the verifiers' re-runs of an OPTIMISTIC result and ends every node with no pending transaction", async function () {
    const world = await loadFixture(servedModel);
    const { nodes, metrics } = await meteredNodes(world);
    try {
      const { jobId, assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(nodes);
      await time.increase(Number(world.params.jobs.challengeWindow) + 1);
      await settle(nodes);
      expect((await world.jobs.jobOf(jobId)).status).to.equal(Status.Finalized);
      const model = `{model="${world.mlpId}v1"}`;
      for (const v of world.verifiers) {
        const text = await metrics.get(v.address)!.text();
        expect(sample(text, "inference_seconds_count", model)).to.equal(1);
        expect(sample(text, "jobs_verified_total")).to.equal(1);
      }
      for (const [address, m] of metrics) {
        expect(sample(await m.text(), "pending_transactions"), address).to.equal(0);
        expect(m.pendingChanges.reduce((a, b) => a + b, 0), address).to.equal(0);
      }
      // submitResult, then the executor's finalize after the window.
      expect(metrics.get(nodeOf(nodes, assigned[0]).signer.address)!.pendingChanges).to.deep.equal([1, -1, 1, -1]);
      expect(errorsOf(nodes)).to.deep.equal([]);
    } finally {
      await closeAll(nodes);
    }
  });

  it("counts an input that does not fit the model as a failed job (invalidInput) on the executor that posted the invalid claim", async function () {
    const world = await loadFixture(servedModel);
    const { nodes, metrics } = await meteredNodes(world);
    try {
      const misfit = encodeTensors({ x: { dtype: "float32", shape: [1, 5], data: [1, 2, 3, 4, 5] } });
      const { assigned } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE, input: misfit });
      await settle(nodes);
      const text = await metrics.get(nodeOf(nodes, assigned[0]).signer.address)!.text();
      expect(sample(text, "jobs_failed_total", '{reason="invalidInput"}')).to.equal(1);
      expect(sample(text, "jobs_executed_total")).to.equal(1); // the invalid claim was posted
      expect(errorsOf(nodes)).to.deep.equal([]);
    } finally {
      await closeAll(nodes);
    }
  });

  it("counts a challenge on the verifier that sent it, and each committee member's vote as a verification", async function () {
    const world = await loadFixture(servedModel);
    const { nodes, metrics } = await meteredNodes(world, perturbFloats(0.5, [1]));
    try {
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.OPTIMISTIC });
      await settle(nodes);
      const disputeId = await world.disputes.disputeOfJob(jobId);
      const { challenger } = await world.disputes.disputeOf(disputeId);
      const committee = await world.disputes.committeeOf(disputeId);
      for (const v of world.verifiers) {
        const text = await metrics.get(v.address)!.text();
        expect(sample(text, "jobs_challenged_total"), v.address).to.equal(v.address === challenger ? 1 : 0);
        // The watch of the cheat's result, then its vote (a committee member) or not.
        const watched = sample(text, "jobs_verified_total")!;
        expect(watched, v.address).to.be.at.least(committee.includes(v.address) ? 2 : 1);
      }
      expect(errorsOf(nodes)).to.deep.equal([]);
    } finally {
      await closeAll(nodes);
    }
  });
});
