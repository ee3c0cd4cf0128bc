/**
 * The node's Prometheus metrics, in a registry of its own (never prom-client's global one, so two
 * nodes in one process, or a test next to a node, never share counters).
 *
 * The roles talk to `NodeMetrics`, a small interface with one method per thing that happened;
 * `PromNodeMetrics` implements it over prom-client and `NoMetrics` does nothing (the default for a
 * node without an ops server). Each is called where its outcome is known, never read back from a
 * log line: a job seen and a poll in GlassboxNode, a job executed, verified or challenged in the
 * roles when its transaction was sent or its output compared, a failed or reverted transaction in
 * `act` (roles/context.ts), an inference's latency in JobBook.compute (`timeInference`), a
 * transaction in flight in the roles' `send` (`trackPending`), the start-up self-test's outcome in
 * GlassboxNode.init.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Every metric name the node exposes (without the optional prefix). */
export const METRIC_NAMES = [
  "jobs_seen_total",
  "jobs_executed_total",
  "jobs_verified_total",
  "jobs_challenged_total",
  "jobs_failed_total",
  "rpc_errors_total",
  "inference_seconds",
  "pending_transactions",
  "referee_selftest_pass",
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Inference latency buckets, in seconds: 0.1 ms (the fixtures) to 10 s (a large model on one thread). */
export const INFERENCE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The last successful poll, as /healthz reports it. */
export interface PollStatus {
  /** Highest block the poll processed (its range's `to`). */
  block: number;
  /** When the poll finished, in ms since the epoch. */
  atMs: number;
}

/** What the roles and the node call; every method is cheap and never throws. */
export interface NodeMetrics {
  /** A JobRequested event was handled. */
  jobSeen(): void;
  /** An output (OPTIMISTIC/NONE) or a commitment (QUORUM) was sent for a job. */
  jobExecuted(): void;
  /** A claimed output was re-run and compared (a watch, an audit or a committee vote). */
  jobVerified(): void;
  /** A challenge transaction was sent. */
  jobChallenged(): void;
  /** A job could not be served or a claimed action's transaction failed; `reason` is a short code. */
  jobFailed(reason: string): void;
  /** An RPC call or transaction failed at `at` (a log location such as "Executor.submit"). */
  rpcError(at: string): void;
  /** One inference of `model` took `seconds`. */
  observeInference(model: string, seconds: number): void;
  /** A transaction was handed to the sender (+1) or its wait ended, mined or not (-1). */
  pendingTransactions(delta: 1 | -1): void;
  /** A poll succeeded up to `block`. */
  pollSucceeded(block: number): void;
  /** The start-up self-test of onnxruntime's integer kernels passed (1) or not (0) on this CPU (referee/selfTest.ts). */
  refereeSelfTest(pass: boolean): void;
  /** The last successful poll, if any. */
  lastPoll(): PollStatus | undefined;
}

/** A NodeMetrics that records nothing (but still remembers the last poll, which /healthz needs). */
export class NoMetrics implements NodeMetrics {
  private poll: PollStatus | undefined;
  jobSeen(): void {}
  jobExecuted(): void {}
  jobVerified(): void {}
  jobChallenged(): void {}
  jobFailed(): void {}
  rpcError(): void {}
  observeInference(): void {}
  pendingTransactions(): void {}
  refereeSelfTest(): void {}
  pollSucceeded(block: number): void {
    this.poll = { block, atMs: Date.now() };
  }
  lastPoll(): PollStatus | undefined {
    return this.poll;
  }
}

export interface MetricsOptions {
  /** Prepended to every metric name, e.g. "glassbox_". Default: none. */
  prefix?: string;
  /** Also collect prom-client's process and Node.js metrics (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
  /** The clock of `pollSucceeded`, in ms (tests inject one). Default Date.now. */
  now?: () => number;
}

export class PromNodeMetrics implements NodeMetrics {
  readonly registry = new Registry();
  private readonly seen: Counter;
  private readonly executed: Counter;
  private readonly verified: Counter;
  private readonly challenged: Counter;
  private readonly failed: Counter<"reason">;
  private readonly rpcErrors: Counter<"at">;
  private readonly inference: Histogram<"model">;
  private readonly pending: Gauge;
  private readonly selfTestPass: Gauge;
  private readonly now: () => number;
  private poll: PollStatus | undefined;

  constructor(options: MetricsOptions = {}) {
    const p = options.prefix ?? "";
    const registers = [this.registry];
    this.now = options.now ?? Date.now;
    this.seen = new Counter({ name: `${p}jobs_seen_total`, help: "JobRequested events handled", registers });
    this.executed = new Counter({ name: `${p}jobs_executed_total`, help: "Jobs whose output or commitment this node sent", registers });
    this.verified = new Counter({ name: `${p}jobs_verified_total`, help: "Claimed outputs this node re-ran and compared", registers });
    this.challenged = new Counter({ name: `${p}jobs_challenged_total`, help: "Challenges this node sent", registers });
    this.failed = new Counter({ name: `${p}jobs_failed_total`, help: "Jobs not served or actions whose transaction failed, by reason", labelNames: ["reason"], registers });
    this.rpcErrors = new Counter({ name: `${p}rpc_errors_total`, help: "Failed RPC calls and transactions, by log location", labelNames: ["at"], registers });
    this.inference = new Histogram({
      name: `${p}inference_seconds`,
      help: "Latency of one model run (decode, run, encode), by model",
      labelNames: ["model"],
      buckets: INFERENCE_BUCKETS,
      registers,
    });
    this.pending = new Gauge({ name: `${p}pending_transactions`, help: "Transactions sent and not yet mined or given up", registers });
    this.selfTestPass = new Gauge({
      name: `${p}referee_selftest_pass`,
      help: "1 when the start-up self-test of onnxruntime's integer kernels passed on this CPU (refereed programs may then run on onnxruntime), 0 when it failed (they run on the interpreter)",
      registers,
    });
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: p });
    }
  }

  jobSeen(): void {
    this.seen.inc();
  }
  jobExecuted(): void {
    this.executed.inc();
  }
  jobVerified(): void {
    this.verified.inc();
  }
  jobChallenged(): void {
    this.challenged.inc();
  }
  jobFailed(reason: string): void {
    this.failed.inc({ reason });
  }
  rpcError(at: string): void {
    this.rpcErrors.inc({ at });
  }
  observeInference(model: string, seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.inference.observe({ model }, seconds);
  }
  pendingTransactions(delta: 1 | -1): void {
    this.pending.inc(delta);
  }
  refereeSelfTest(pass: boolean): void {
    this.selfTestPass.set(pass ? 1 : 0);
  }
  pollSucceeded(block: number): void {
    this.poll = { block, atMs: this.now() };
  }
  lastPoll(): PollStatus | undefined {
    return this.poll;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Runs `fn` (one inference) and records its latency under `model`, whether it succeeds or throws.
 * Used by JobBook.compute: `await timeInference(metrics, runner.label, () => runner.runCanonical(input))`.
 */
export async function timeInference<T>(metrics: NodeMetrics, model: string, fn: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    metrics.observeInference(model, Number(process.hrtime.bigint() - start) / 1e9);
  }
}

/**
 * Counts one transaction as pending while `send` runs. Used by `send` in roles/context.ts (every
 * `act` and the verifier's bond approval): `trackPending(ctx.metrics, () => ctx.sender.send(tx))`.
 */
export async function trackPending<T>(metrics: NodeMetrics, send: () => Promise<T>): Promise<T> {
  metrics.pendingTransactions(1);
  try {
    return await send();
  } finally {
    metrics.pendingTransactions(-1);
  }
}
