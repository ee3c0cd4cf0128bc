/**
 * The devnet's demo client: requests a job, waits until the chain has settled it, and checks a
 * finalized output against its own run of the model (the client trusts no node: it runs the model
 * itself and compares within the model's tolerance). It reads the output with the SDK's
 * GlassboxClient.result, as a dApp would: inline, from a QUORUM reveal, or fetched from where an
 * executor posted it by reference (and checked against the hash the chain holds).
 */
import { MaxUint256, ZeroAddress, ZeroHash, type HDNodeWallet, type Provider } from "ethers";
import { GlassboxToken__factory, JobRegistry__factory } from "../../packages/node/src/typechain";
import type { JobRegistry } from "../../packages/node/src/typechain";
import { compareOutputs, DEFAULT_SENDER_OPTIONS, encodeTensors, GlassboxClient, GlassboxError, jobIdOf, Mode, ModelRunner, Status, withMargin, type Deployment, type JobResult } from "../../packages/node/src";
import { sleep } from "./chain";
import type { RegisteredModel } from "./setup";

/** The modes the demo requests (ATTESTED needs a proof no devnet node makes). */
export type ModeName = Exclude<keyof typeof Mode, "ATTESTED">;

export interface Requested {
  jobId: bigint;
  block: number;
}

export class DemoClient {
  private readonly jobs: JobRegistry;
  private sdk: Promise<GlassboxClient> | undefined;
  private readonly runners = new Map<string, Promise<ModelRunner>>();

  constructor(
    private readonly wallet: HDNodeWallet,
    private readonly deployment: Deployment,
  ) {
    this.jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, wallet);
  }


  get address(): string {
    return this.wallet.address;
  }

  private get provider(): Provider {
    if (!this.wallet.provider) throw new Error("the client's wallet has no provider");
    return this.wallet.provider;
  }

  /** Lets the JobRegistry take fees from this client once and for all. */
  async approve(): Promise<void> {
    const token = GlassboxToken__factory.connect(this.deployment.contracts.token, this.wallet);
    await (await token.approve(this.deployment.contracts.jobRegistry, MaxUint256)).wait();
  }

  /** The requestInference parameters of `model` in `mode` on `input`, paying `fee`, with a deadline `deadlineSeconds` of chain time away. */
  async requestParams(model: RegisteredModel, mode: ModeName, input: Uint8Array, fee: bigint, deadlineSeconds: number) {
    const head = await this.provider.getBlock("latest");
    return {
      modelId: model.id,
      version: 1,
      mode: Mode[mode],
      fee,
      deadline: (head?.timestamp ?? Math.floor(Date.now() / 1000)) + deadlineSeconds,
      input,
      inputHash: ZeroHash,
      inputURI: "",
      inputSize: 0,
      callback: ZeroAddress,
      callbackGasLimit: 0,
      auditRateBps: 0,
    };
  }

  /** Requests `model` in `mode` on `input`, paying `fee`, with a deadline `deadlineSeconds` of chain time away. */
  async request(model: RegisteredModel, mode: ModeName, input: Uint8Array, fee: bigint, deadlineSeconds: number): Promise<Requested> {
    const params = await this.requestParams(model, mode, input, fee, deadlineSeconds);
    // Other clients' requests may land first and change what this one costs (the draw, first
    // writes): the estimate gets the margin the node's sender gives its own transactions.
    const gasLimit = withMargin(await this.jobs.requestInference.estimateGas(params), DEFAULT_SENDER_OPTIONS.gasMarginPercent);
    const receipt = await (await this.jobs.requestInference(params, { gasLimit })).wait();
    return { jobId: jobIdOf(receipt), block: receipt!.blockNumber };
  }

  /** Waits until `jobId` is Finalized or Refunded; throws after `timeoutMs` of wall-clock time. */
  async settled(jobId: bigint, timeoutMs: number): Promise<"finalized" | "refunded"> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = Number((await this.jobs.jobOf(jobId)).status);
      if (status === Status.Finalized) return "finalized";
      if (status === Status.Refunded) return "refunded";
      if (Date.now() > until) throw new Error(`job ${jobId} still has status ${status} after ${timeoutMs} ms; see the node logs under .devnet/`);
      await sleep(250);
    }
  }

  /**
   * Whether the finalized output of `jobId` is what the model computes on `input` (within its
   * tolerance), by running the model here. An invalid-input claim is never a verified output, nor
   * is an output by reference that cannot be fetched or does not match its hash.
   */
  async verify(jobId: bigint, model: RegisteredModel, input: Uint8Array): Promise<{ ok: boolean; why?: string }> {
    let result: JobResult;
    try {
      result = await (await this.glassbox()).result(jobId);
    } catch (err) {
      if (err instanceof GlassboxError) return { ok: false, why: err.message };
      throw err;
    }
    if (result.kind === "invalid") return { ok: false, why: `no tensor output: the invalid-input claim ${result.reason}` };
    // compareOutputs takes bytes: the tensors encoded again, the posted values in canonical form (at
    // most a NaN's payload can differ, and compareOutputs takes every NaN as equal to every NaN).
    const output = encodeTensors(result.tensors);
    const runner = await this.runner(model);
    const mine = await runner.runCanonical(input);
    const cmp = compareOutputs(output, mine, { exact: model.model.exact, absTolerance: model.model.absTolerance, relTolerance: model.model.relTolerance });
    return cmp.equal ? { ok: true } : { ok: false, why: cmp.reason };
  }

  /** A read-only SDK client of this deployment, connected once (again after a failed connect). */
  private glassbox(): Promise<GlassboxClient> {
    this.sdk ??= GlassboxClient.connect({ deployment: this.deployment }, this.provider).catch((err: unknown) => {
      this.sdk = undefined;
      throw err;
    });
    return this.sdk;
  }

  private runner(model: RegisteredModel): Promise<ModelRunner> {
    let r = this.runners.get(model.digest);
    if (!r) {
      r = ModelRunner.load(model.model.bytes(), `client:${model.model.name}`);
      this.runners.set(model.digest, r);
    }
    return r;
  }

  async close(): Promise<void> {
    for (const r of this.runners.values()) await (await r).release();
    this.runners.clear();
  }
}
