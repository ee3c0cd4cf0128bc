import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import net from "node:net";
import { Writable } from "node:stream";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../src/ops/logger";
import { METRIC_NAMES, meteredLogger, PromNodeMetrics, timeInference, trackPending } from "../src/ops/metrics";
import { healthOf, OpsServer } from "../src/ops/server";
import { OutputPublisher } from "../src/store/outputs";
import type { LogLine, NodeLogger } from "../src/roles/context";
import { Mode, Status, requestJob } from "../../test/fixtures/protocol";
import { closeAll, errorsOf, nodeOf, rolesWorld, settle, startNode, type RolesWorld, type TestNode } from "./fixtures/roles";

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

/** A logger that records every line it gets. */
function recorder(): NodeLogger & { lines: { level: string; line: LogLine; msg: string }[] } {
  const lines: { level: string; line: LogLine; msg: string }[] = [];
  const at = (level: string) => (line: LogLine, msg: string) => void lines.push({ level, line, msg });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
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

describe("metered logger", function () {
  it("passes every line through unchanged and counts the ones that record a node action", async function () {
    const metrics = new PromNodeMetrics();
    const inner = recorder();
    const log = meteredLogger(inner, metrics);
    log.info({ at: "Executor.submit", key: "submit:1:1", jobId: 1n }, "sent");
    log.info({ at: "Verifier.watch", jobId: 2n }, "result matches within the model's tolerance");
    log.info({ at: "Verifier.challenge", key: "challenge:3:1" }, "sent");
    log.warn({ at: "Executor.run", jobId: 4n, reason: "modelUnavailable", err: "gone" }, "cannot run the job; posting the invalid claim");
    log.error({ at: "Node.run", failures: 1, err: "ECONNREFUSED" }, "iteration failed; backing off");
    log.debug({ at: "Executor.submit", jobId: 5n }, "assignment no longer current; nothing to do");

    expect(inner.lines.map((l) => [l.level, l.line.at, l.msg])).to.deep.equal([
      ["info", "Executor.submit", "sent"],
      ["info", "Verifier.watch", "result matches within the model's tolerance"],
      ["info", "Verifier.challenge", "sent"],
      ["warn", "Executor.run", "cannot run the job; posting the invalid claim"],
      ["error", "Node.run", "iteration failed; backing off"],
      ["debug", "Executor.submit", "assignment no longer current; nothing to do"],
    ]);
    const text = await metrics.text();
    expect(sample(text, "jobs_executed_total")).to.equal(1);
    expect(sample(text, "jobs_verified_total")).to.equal(1);
    expect(sample(text, "jobs_challenged_total")).to.equal(1);
    expect(sample(text, "jobs_failed_total", '{reason="modelUnavailable"}')).to.equal(1);
    expect(sample(text, "rpc_errors_total", '{at="Node.run"}')).to.equal(1);
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
  async function meteredNodes(world: RolesWorld): Promise<{ nodes: TestNode[]; metrics: Map<string, RecordingMetrics> }> {
    const metrics = new Map<string, RecordingMetrics>();
    const nodes: TestNode[] = [];
    for (const signer of [...world.executors, ...world.verifiers]) {
      const m = new RecordingMetrics();
      metrics.set(signer.address, m);
      nodes.push(await startNode(world, { signer, executor: world.executors.includes(signer), verifier: world.verifiers.includes(signer), metrics: m }));
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
});
