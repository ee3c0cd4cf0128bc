/**
 * What a role needs to run a job: its request (model, version, mode, input) read from the
 * JobRequested event, its input (inline, or fetched from its URI and checked against its hash),
 * and a loaded runner for the model's digest: onnxruntime, or the reference interpreter for a
 * refereed program when this node may not trust onnxruntime's integer kernels with it
 * (runtime/loadRunner.ts, referee/engine.ts). `compute` runs the job the way both roles must agree
 * on: canonical bytes out, or the invalid-input claim `0x00 reason`.
 */
import { getBytes } from "ethers";
import { invalidClaim } from "../codec/tensor";
import type { InvalidReason } from "../sdk/enums";
import { NoMetrics, timeInference, type NodeMetrics } from "../ops/metrics";
import type { NodeLogger } from "../ops/logger";
import type { CanonicalRunner } from "../runtime/canonicalRunner";
import { loadRunner } from "../runtime/loadRunner";
import { InvalidInputError, ModelLoadError } from "../runtime/tensorFit";
import { InputFetchError, InputSource } from "../store/inputs";
import { fetchReferencedOutput } from "../store/outputs";
import { ModelStoreError, type ModelRef, type ModelStore } from "../store/modelStore";
import type { JobRequestedEvent } from "../typechain/contracts/JobRegistry";
import type { ModelRegistry, JobRegistry } from "../typechain";

export interface JobRequest {
  jobId: bigint;
  modelId: bigint;
  version: number;
  mode: number;
  /** Inline canonical input; empty when the input is given by reference. */
  input: Uint8Array;
  /** Where a by-reference input is fetched; empty for an inline input. */
  inputURI: string;
  /** The event's inputHash: keccak256 of the canonical input bytes, inline or by reference. */
  inputHash: string;
  /** The size the requester declared for a by-reference input (0 for an inline input). */
  inputSize: number;
  /** The model policy version the job pinned at its request: the tolerances it is judged by. */
  policyVersion: number;
}

/**
 * The result of running a job here:
 *  - "output": bytes to submit or compare (canonical outputs, or an invalid-input claim when the
 *    input did not fit; `refusal` then says why);
 *  - "unavailable": the model could not be fetched or loaded, or a by-reference input could not
 *    be fetched or is not the committed one; an executor claims `reason`, a verifier abstains.
 */
export type Computation = { kind: "output"; bytes: Uint8Array; refusal?: string } | Unavailable;

type Unavailable = { kind: "unavailable"; reason: InvalidReason; error: string };

export interface JobBookOptions {
  /** Where by-reference inputs are fetched from. Default: an InputSource with its defaults. */
  inputs?: InputSource;
  /** Records each model run's latency. Default: NoMetrics. */
  metrics?: NodeMetrics;
  /**
   * Whether this node's start-up self-test passed (GlassboxNode.init runs it): only then may
   * onnxruntime compute a refereed program, and only one whose int8 weights cannot saturate.
   * Default false: every refereed program on the interpreter.
   */
  selfTestPassed?: boolean;
  /** Where the engine chosen for each loaded model is logged. Default: nowhere. */
  log?: NodeLogger;
}

export class JobBook {
  private readonly requests = new Map<bigint, JobRequest>();
  private readonly runners = new Map<string, Promise<CanonicalRunner>>();
  /** The same runners keyed by "modelId:version", so a known version costs no `versionOf` call. */
  private readonly runnersByVersion = new Map<string, Promise<CanonicalRunner>>();
  private readonly inputs: InputSource;
  private readonly metrics: NodeMetrics;
  private readonly selfTestPassed: boolean;
  private readonly log: NodeLogger | undefined;

  constructor(
    private readonly jobs: JobRegistry,
    private readonly models: ModelRegistry,
    private readonly store: ModelStore,
    /** Where to look for a JobRequested event not seen in this process (the deployment block). */
    private readonly startBlock: number,
    options: JobBookOptions = {},
  ) {
    this.inputs = options.inputs ?? new InputSource();
    this.metrics = options.metrics ?? new NoMetrics();
    this.selfTestPassed = options.selfTestPassed ?? false;
    this.log = options.log;
  }

  /** Remembers a request seen in the logs. */
  remember(args: JobRequestedEvent.OutputObject): void {
    this.requests.set(args.jobId, toRequest(args));
  }

  /** The request of `jobId`, from memory or, after a restart, from the chain's logs. */
  async request(jobId: bigint): Promise<JobRequest> {
    const known = this.requests.get(jobId);
    if (known) return known;
    const found = await this.jobs.queryFilter(this.jobs.filters.JobRequested(jobId), this.startBlock, "latest");
    if (found.length === 0) throw new Error(`job ${jobId}: no JobRequested event since block ${this.startBlock}`);
    const request = toRequest(found[0].args);
    this.requests.set(jobId, request);
    return request;
  }

  /** Runs job `jobId` here. Throws only on failures that are the node's own (RPC, bugs). */
  async compute(jobId: bigint): Promise<Computation> {
    const req = await this.request(jobId);
    let runner: CanonicalRunner;
    try {
      runner = await this.runner(req.modelId, req.version);
    } catch (err) {
      if (err instanceof ModelStoreError || err instanceof ModelLoadError) return { kind: "unavailable", reason: "modelUnavailable", error: err.message };
      throw err;
    }
    const input = await this.input(req);
    if (!(input instanceof Uint8Array)) return input;
    try {
      return { kind: "output", bytes: await timeInference(this.metrics, runner.label, () => runner.runCanonical(input)) };
    } catch (err) {
      if (err instanceof InvalidInputError) return { kind: "output", bytes: invalidClaim(err.reason), refusal: err.message };
      throw err;
    }
  }

  /** The job's canonical input: inline, or fetched from its URI and checked against its inputHash. */
  private async input(req: JobRequest): Promise<Uint8Array | Unavailable> {
    if (req.input.length > 0) return req.input;
    try {
      return await this.inputs.fetch({ jobId: req.jobId, uri: req.inputURI, hash: req.inputHash, size: req.inputSize });
    } catch (err) {
      if (err instanceof InputFetchError) return { kind: "unavailable", reason: err.reason, error: err.message };
      throw err;
    }
  }

  /**
   * A by-reference output (submitResultRef): the bytes at `uri`, fetched with the input readers
   * (same schemes, this node's input byte cap) and checked against `hash`, or why it cannot be had.
   */
  async referencedOutput(jobId: bigint, uri: string, hash: string): Promise<{ bytes: Uint8Array } | { unavailable: string }> {
    const fetched = await fetchReferencedOutput(this.inputs, jobId, uri, hash);
    return "unavailable" in fetched ? { unavailable: `output ${uri}: ${fetched.unavailable}` } : fetched;
  }

  /** A runner for the model version, loaded once per digest (a failed load is retried next time). */
  async runner(modelId: bigint, version: number): Promise<CanonicalRunner> {
    // A published version never changes its digest, so a runner found once needs no further RPC.
    const versionKey = `${modelId}:${version}`;
    const known = this.runnersByVersion.get(versionKey);
    if (known) return known;
    const v = await this.models.versionOf(modelId, version);
    const ref: ModelRef = { id: modelId, version, digest: v.digest, uri: v.uri };
    const cached = this.runners.get(v.digest);
    if (cached) {
      this.runnersByVersion.set(versionKey, cached);
      return cached;
    }
    const loading = this.store.fetch(ref).then((bytes) => this.load(bytes, `${modelId}v${version}`, v.digest));
    this.runners.set(v.digest, loading);
    this.runnersByVersion.set(versionKey, loading);
    loading.catch(() => {
      this.runners.delete(v.digest);
      this.runnersByVersion.delete(versionKey);
    });
    return loading;
  }

  /** Loads `bytes` on the engine the gate allows, and logs which one and why. */
  private async load(bytes: Uint8Array, label: string, digest: string): Promise<CanonicalRunner> {
    const { runner, choice, notAProgram } = await loadRunner(bytes, label, { selfTestPassed: this.selfTestPassed });
    this.log?.info(
      { at: "JobBook.runner", model: label, digest, engine: choice.engine, reason: choice.reason, ...(choice.operand ? { operand: choice.operand } : {}), ...(notAProgram ? { notAProgram } : {}) },
      `model ${label} loaded: computed by ${choice.engine} (${choice.reason})`,
    );
    return runner;
  }

  /** Frees every loaded model. */
  async release(): Promise<void> {
    const loaded = await Promise.allSettled([...this.runners.values()]);
    this.runners.clear();
    this.runnersByVersion.clear();
    for (const r of loaded) if (r.status === "fulfilled") await r.value.release();
  }
}

function toRequest(args: JobRequestedEvent.OutputObject): JobRequest {
  const p = args.params;
  const input = getBytes(p.input);
  return {
    jobId: args.jobId,
    modelId: args.modelId,
    version: Number(p.version),
    mode: Number(p.mode),
    input,
    inputURI: p.inputURI,
    inputHash: args.inputHash,
    inputSize: input.length > 0 ? 0 : Number(p.inputSize),
    policyVersion: Number(args.policyVersion),
  };
}
