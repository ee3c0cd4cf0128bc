/**
 * GlassboxClient: the typed client a dApp (or a script) uses to register models, request jobs,
 * follow them to their end, read and re-check their results, and stake and claim.
 *
 *   const client = await GlassboxClient.connect({ deployment }, signer);
 *   const { jobId } = await client.request({ model: 2n, input: { x: tensor }, mode: "optimistic" });
 *   const final = await client.wait(jobId, { onProgress: (e) => console.log(e.kind) });
 *   const result = await client.result(jobId);
 *
 * Connected with a Provider it reads only; every sending call then throws GlassboxError READ_ONLY.
 * Every failure is a GlassboxError (errors.ts) whose message says what to do next.
 *
 * Browser-safe: ethers, fetch and the browser-safe modules of packages/node/src (codec, tolerance,
 * content client, limits, chain/leastFee and chain/results).
 */
import { getBytes, keccak256, sha256, ZeroAddress, ZeroHash, type ContractRunner, type ContractTransactionResponse, type Provider, type Signer } from "ethers";
import { decodeTensors, encodeTensors, invalidClaim, isInvalidClaim, type DecodedTensor, type TensorMap } from "../codec/tensor";
import { ContentPublishError } from "../content/client";
import { InputPlacementError, placeInput, referencedInput, type RequestInput } from "../content/requestInput";
import { leastFee } from "../chain/leastFee";
import { readResult } from "../chain/results";
import { DEFAULT_NODE_MAX_INPUT_BYTES } from "../limits";
import { compareOutputs, TOLERANCE_SCALE } from "../verify/tolerance";
import { GlassboxToken__factory } from "../typechain/factories/contracts/GlassboxToken__factory";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { ModelRegistry__factory } from "../typechain/factories/contracts/ModelRegistry__factory";
import { PaymentVault__factory } from "../typechain/factories/contracts/PaymentVault__factory";
import { QuorumManager__factory } from "../typechain/factories/contracts/QuorumManager__factory";
import { StakeManager__factory } from "../typechain/factories/contracts/StakeManager__factory";
import type { GlassboxToken, JobRegistry, ModelRegistry, PaymentVault, QuorumManager, StakeManager } from "../typechain";
import type { JobRequestedEvent } from "../typechain/contracts/JobRegistry";
import { INVALID_REASONS, Mode, nameOf, RefundReason, Role, Status, type InvalidReason } from "./enums";
import { asGlassboxError, GlassboxError } from "./errors";
import { jobIdOf, progressIn, type JobProgress, type RefundReasonName } from "./events";
import { deliverGasLimit } from "./deliverGas";
import { deviationOf } from "./deviation";
import { checkKeccak, checkSha256, fetchBytes } from "./fetchBytes";
import { postedResultIn } from "./postedResult";
import type {
  AccountInfo,
  ClientOptions,
  DeliverOptions,
  Delivered,
  FinalState,
  JobInfo,
  JobResult,
  ModelPolicy,
  ModelRunner,
  ModelSource,
  ModelVersionInfo,
  RefereeProgramInfo,
  ModeInput,
  ProtocolAddresses,
  ProtocolLocation,
  Receipt,
  RequestArgs,
  Requested,
  RoleInput,
  RoleStake,
  Verification,
  VerifyOptions,
  WaitOptions,
} from "./types";

const DEFAULT_MAX_MODEL_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_BLOCK_RANGE = 10_000;
const DEFAULT_DEADLINE_SECONDS = 3600;

/** `(1 << mode)` for each mode: a policy's `allowedModes`. */
export function modesMask(...modes: ModeInput[]): number {
  return modes.reduce<number>((mask, m) => mask | (1 << modeOf(m)), 0);
}

export class GlassboxClient {
  readonly addresses: ProtocolAddresses;
  readonly models: ModelRegistry;
  readonly jobs: JobRegistry;
  readonly stakes: StakeManager;
  readonly vault: PaymentVault;
  readonly quorum: QuorumManager;
  readonly token: GlassboxToken;
  /** The first block scanned for a job's events. */
  readonly fromBlock: number;
  /** The content store for by-reference inputs, when the deployment names one. */
  readonly contentStore: string | undefined;
  private readonly requestBlocks = new Map<bigint, number>();
  /** The nonce after this client's last send (undefined before its first): see `send`. */
  private nextNonce: number | undefined;

  private constructor(
    location: ProtocolLocation,
    private readonly runner: ContractRunner,
    readonly provider: Provider,
    private readonly signer: Signer | undefined,
    private readonly options: ClientOptions,
  ) {
    this.addresses = "deployment" in location ? location.deployment.contracts : location.addresses;
    this.fromBlock = "deployment" in location ? (location.deployment.deploymentBlock ?? 0) : (location.fromBlock ?? 0);
    this.contentStore = "deployment" in location ? location.deployment.contentStore : location.contentStore;
    const a = this.addresses;
    this.models = ModelRegistry__factory.connect(a.modelRegistry, runner);
    this.jobs = JobRegistry__factory.connect(a.jobRegistry, runner);
    this.stakes = StakeManager__factory.connect(a.stakeManager, runner);
    this.vault = PaymentVault__factory.connect(a.paymentVault, runner);
    this.quorum = QuorumManager__factory.connect(a.quorumManager, runner);
    this.token = GlassboxToken__factory.connect(a.token, runner);
  }

  /**
   * A client of the protocol at `location`, acting as `runner`: a Signer (sends transactions) or a
   * Provider (read-only). Checks that a JobRegistry answers at its address.
   */
  static async connect(location: ProtocolLocation, runner: Signer | Provider, options: ClientOptions = {}): Promise<GlassboxClient> {
    const signer = isSigner(runner) ? runner : undefined;
    const provider = signer ? signer.provider : (runner as Provider);
    if (!provider) throw new GlassboxError("BAD_ARGUMENT", "the signer has no provider: connect it first (wallet.connect(provider))");
    const client = new GlassboxClient(location, runner, provider, signer, options);
    const code = await provider.getCode(client.addresses.jobRegistry).catch((err: unknown) => {
      throw asGlassboxError(err, "reading the JobRegistry's code");
    });
    if (code === "0x") throw new GlassboxError("BAD_ARGUMENT", `no contract at the JobRegistry address ${client.addresses.jobRegistry} on this chain: check the deployment file and the RPC endpoint's network`);
    return client;
  }

  /** Whether this client can send transactions. */
  get readOnly(): boolean {
    return this.signer === undefined;
  }

  /** The signer's address; throws READ_ONLY without one. */
  async address(): Promise<string> {
    return this.requireSigner("address").getAddress();
  }

  // ---- models ----

  /** Registers a model; returns its id. */
  async registerModel(source: ModelSource, policy: ModelPolicy): Promise<{ modelId: bigint; receipt: Receipt }> {
    const receipt = await this.send("ModelRegistry.registerModel", "ModelRegistry", (o) => this.models.registerModel(digestOf(source), source.uri, policy, o));
    const log = this.logOf(receipt, this.models.interface.getEvent("ModelRegistered").topicHash, "ModelRegistered");
    return { modelId: BigInt(log.topics[1]), receipt };
  }

  /** Publishes a new version of a model the signer owns; returns its number. */
  async publishVersion(modelId: bigint | number, source: ModelSource): Promise<{ version: number; receipt: Receipt }> {
    await this.requireModel(modelId);
    const receipt = await this.send("ModelRegistry.publishVersion", "ModelRegistry", (o) => this.models.publishVersion(modelId, digestOf(source), source.uri, o));
    const log = this.logOf(receipt, this.models.interface.getEvent("VersionPublished").topicHash, "VersionPublished");
    return { version: Number(BigInt(log.topics[2])), receipt };
  }

  /** Deprecates a version: it takes no new jobs. */
  async deprecateVersion(modelId: bigint | number, version: number): Promise<Receipt> {
    await this.requireModel(modelId);
    return this.send("ModelRegistry.deprecateVersion", "ModelRegistry", (o) => this.models.deprecateVersion(modelId, version, o));
  }

  /** Sets a model's policy; returns the new policy version (jobs pin the one current at request). */
  async setPolicy(modelId: bigint | number, policy: ModelPolicy): Promise<{ policyVersion: number; receipt: Receipt }> {
    await this.requireModel(modelId);
    const receipt = await this.send("ModelRegistry.setPolicy", "ModelRegistry", (o) => this.models.setPolicy(modelId, policy, o));
    const log = this.logOf(receipt, this.models.interface.getEvent("PolicySet").topicHash, "PolicySet");
    return { policyVersion: Number(BigInt(log.topics[2])), receipt };
  }

  /** A model's owner, version count and current policy; throws UNKNOWN_MODEL. */
  async model(modelId: bigint | number): Promise<{ owner: string; versions: number; policy: ModelPolicy; policyVersion: number }> {
    await this.requireModel(modelId);
    const [owner, versions, policy, policyVersion] = await this.read("ModelRegistry", () =>
      Promise.all([this.models.ownerOf(modelId), this.models.versionCount(modelId), this.models.policyOf(modelId), this.models.policyVersionOf(modelId)]),
    );
    return { owner, versions: Number(versions), policy: policyOf(policy), policyVersion: Number(policyVersion) };
  }

  /** Version `version` (1-based) of a model: its SHA-256 digest, URI and whether it is deprecated. Throws UNKNOWN_MODEL, BAD_ARGUMENT. */
  async version(modelId: bigint | number, version: number): Promise<ModelVersionInfo> {
    await this.requireModel(modelId);
    const versions = Number(await this.read("ModelRegistry", () => this.models.versionCount(modelId)));
    if (!Number.isInteger(version) || version < 1 || version > versions) throw new GlassboxError("BAD_ARGUMENT", `model ${modelId} has versions 1..${versions}, not ${version}: pick one of them`);
    const v = await this.read("ModelRegistry", () => this.models.versionOf(modelId, version));
    return { version, digest: v.digest, uri: v.uri, deprecated: v.deprecated };
  }

  /**
   * Declares version `version` refereeable with its compiled program's hashes (once per version;
   * the model's policy must be exact). Compute them with `glassbox referee inspect <model.onnx>`.
   * Throws UNKNOWN_MODEL, BAD_ARGUMENT or REVERTED (ProgramAlreadyDeclared, ModelNotExact, ...).
   */
  async declareProgram(modelId: bigint | number, version: number, program: RefereeProgramInfo): Promise<Receipt> {
    await this.requireModel(modelId);
    if (!Number.isInteger(program.steps) || program.steps < 1 || program.steps > 0xffff) throw new GlassboxError("BAD_ARGUMENT", `steps must be a whole number from 1, not ${program.steps}`);
    for (const [name, value] of [["programHash", program.programHash], ["stepsHash", program.stepsHash], ["inputSpec", program.inputSpec]] as const) {
      if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new GlassboxError("BAD_ARGUMENT", `${name} must be 32 bytes of hex (0x and 64 digits), not "${value}": take it from glassbox referee inspect`);
    }
    return this.send("ModelRegistry.declareProgram", "ModelRegistry", (o) => this.models.declareProgram(modelId, version, program, o));
  }

  /** The declared program of a version, or undefined when the version is not refereeable. Throws UNKNOWN_MODEL. */
  async program(modelId: bigint | number, version: number): Promise<RefereeProgramInfo | undefined> {
    await this.requireModel(modelId);
    const p = await this.read("ModelRegistry", () => this.models.programOf(modelId, version));
    if (p.programHash === ZeroHash) return undefined;
    return { programHash: p.programHash, stepsHash: p.stepsHash, steps: Number(p.steps), inputSpec: p.inputSpec };
  }

  /** The ONNX bytes of a version, fetched from its URI and checked against its SHA-256 digest. Throws UNKNOWN_MODEL, BAD_ARGUMENT, FETCH_FAILED, HASH_MISMATCH. */
  async modelBytes(modelId: bigint | number, version: number): Promise<Uint8Array> {
    const v = await this.version(modelId, version);
    return this.fetchModel(modelId, version, v.uri, v.digest);
  }

  private async fetchModel(modelId: bigint | number, version: number, uri: string, digest: string): Promise<Uint8Array> {
    const what = `model ${modelId} version ${version}`;
    const bytes = await fetchBytes(uri, what, this.fetchOptions(this.options.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES));
    checkSha256(bytes, digest, what);
    return bytes;
  }

  // ---- jobs ----

  /**
   * Requests a job: encodes the input, places it inline or by reference, approves the fee and
   * sends the request. Throws UNKNOWN_MODEL, BAD_ARGUMENT (mode, fee, input) or REVERTED.
   */
  async request(args: RequestArgs): Promise<Requested> {
    const signer = this.requireSigner("request");
    const mode = modeOf(args.mode);
    const modelId = BigInt(args.model);
    const { versions, policy } = await this.model(modelId);
    if ((policy.allowedModes & (1 << mode)) === 0) throw new GlassboxError("BAD_ARGUMENT", `model ${modelId} does not allow mode ${nameOf(Mode, mode)}: pick one of its allowed modes (policy allowedModes ${policy.allowedModes})`);
    const version = args.version ?? versions;
    const input = args.input instanceof Uint8Array ? args.input : encodeInput(args.input);
    if (input.length > policy.maxInputBytes) throw new GlassboxError("BAD_ARGUMENT", `the input is ${input.length} bytes; model ${modelId} accepts at most ${policy.maxInputBytes}: send a smaller input`);
    const auditRateBps = args.auditRateBps ?? 0;
    const least = await this.read("JobRegistry", () => leastFee(this.jobs, this.models, modelId, mode, auditRateBps));
    const fee = args.fee ?? least.fee;
    if (fee < least.fee) throw new GlassboxError("BAD_ARGUMENT", `a fee of ${fee} is below the least the chain accepts for this job, ${least.fee}: raise it or leave it out`);
    const fields = await this.inputFields(input, args);
    const me = await signer.getAddress();
    const allowance = await this.read("GlassboxToken", () => this.token.allowance(me, this.addresses.jobRegistry));
    if (allowance < fee) await this.send("GlassboxToken.approve", "GlassboxToken", (o) => this.token.approve(this.addresses.jobRegistry, fee, o));
    const latest = await this.provider.getBlock("latest");
    const now = latest?.timestamp ?? Math.floor(Date.now() / 1000);
    const params = {
      modelId,
      version,
      mode,
      fee,
      deadline: now + (args.deadline ?? DEFAULT_DEADLINE_SECONDS),
      ...fields,
      callback: args.callback ?? ZeroAddress,
      callbackGasLimit: args.callbackGasLimit ?? 0,
      auditRateBps,
    };
    const receipt = await this.send("JobRegistry.requestInference", "JobRegistry", (o) => this.jobs.requestInference(params, o));
    const jobId = jobIdOf(receipt, this.addresses.jobRegistry);
    this.requestBlocks.set(jobId, receipt.blockNumber);
    return { jobId, block: receipt.blockNumber, txHash: receipt.hash, fee, inputUri: fields.inputURI === "" ? undefined : fields.inputURI };
  }

  /**
   * Follows `jobId` until it is Finalized or Refunded, calling `onProgress` with each event in
   * chain order. Throws TIMEOUT after `timeoutMs`, ABORTED when `signal` fires, UNKNOWN_JOB.
   */
  async wait(jobId: bigint, options: WaitOptions = {}): Promise<FinalState> {
    const until = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 1000;
    let cursor = options.fromBlock ?? (await this.requestBlockOf(jobId));
    const disputes = new Set<bigint>();
    const sources = { jobRegistry: this.addresses.jobRegistry, disputeManager: this.addresses.disputeManager, quorumManager: this.addresses.quorumManager };
    for (;;) {
      if (options.signal?.aborted) throw new GlassboxError("ABORTED", `waiting for job ${jobId} was cancelled`, { cause: options.signal.reason });
      const latest = await this.read("provider", () => this.provider.getBlockNumber());
      while (cursor <= latest) {
        const to = Math.min(latest, cursor + this.maxBlockRange - 1);
        const events = await this.read("DisputeManager", () => progressIn(this.provider, sources, jobId, cursor, to, disputes));
        cursor = to + 1;
        for (const event of events) {
          options.onProgress?.(event);
          const final = finalOf(event);
          if (final) return final;
        }
      }
      const left = until - Date.now();
      if (left <= 0) {
        const [status] = await this.read("JobRegistry", () => this.jobs.resultOf(jobId));
        throw new GlassboxError("TIMEOUT", `job ${jobId} is not final after ${options.timeoutMs} ms (status ${nameOf(Status, status) ?? status}, block ${latest}): wait again later, or check its progress events`);
      }
      await sleep(Math.min(pollMs, left), options.signal);
    }
  }

  /** Job `jobId`'s result: its output tensors or the invalid-input claim posted. Throws NO_RESULT, UNKNOWN_JOB, HASH_MISMATCH. */
  async result(jobId: bigint): Promise<JobResult> {
    const { bytes, outputHash, final } = await this.resultBytes(jobId);
    if (isInvalidClaim(bytes)) {
      const reason = nameOf(INVALID_REASONS, bytes[1]) ?? (`unknown(${bytes[1]})` as const);
      return { kind: "invalid", reason, outputHash, final };
    }
    return { kind: "output", tensors: decodeTensors(bytes), outputHash, final };
  }

  /** Job `jobId` as the chain holds it, with the refund's reason for a Refunded job. Throws UNKNOWN_JOB. */
  async job(jobId: bigint): Promise<JobInfo> {
    const count = await this.read("JobRegistry", () => this.jobs.jobCount());
    if (jobId < 1n || jobId > count) throw new GlassboxError("UNKNOWN_JOB", `job ${jobId} does not exist (there are ${count} jobs): check the id and the deployment`);
    const job = await this.read("JobRegistry", () => this.jobs.jobOf(jobId));
    const status = nameOf(Status, Number(job.status)) as keyof typeof Status;
    const info: JobInfo = {
      id: jobId,
      status,
      mode: nameOf(Mode, Number(job.mode)) as keyof typeof Mode,
      model: job.modelId,
      version: Number(job.version),
      requester: job.requester,
      executor: job.executor,
      fee: job.fee,
      deadline: Number(job.deadline),
      attempts: Number(job.attempts),
      invalidClaim: job.invalidClaim,
      callback: job.callback,
    };
    if (status === "Refunded") info.refundReason = await this.refundReasonOf(jobId);
    return info;
  }

  /**
   * Delivers the result of job `jobId` to the callback contract its request named
   * (JobRegistry.deliver): once the job is Finalized, or refunded on an accepted invalid-input
   * claim. Finalization never calls out; anyone may deliver, once. Brings the output bytes when
   * the chain did not store them (QUORUM: from the reveal; by reference: fetched and checked), and
   * sends with a gas limit computed from the job's callback gas cap (deliverGas.ts: a node's gas
   * estimate for deliver is not to be trusted), after a simulation that decodes any revert first.
   * Throws NOT_DELIVERABLE (no callback, delivered already, refunded without a result), NO_RESULT
   * (not final yet), UNKNOWN_JOB, FETCH_FAILED or HASH_MISMATCH (a by-reference output), REVERTED.
   */
  async deliver(jobId: bigint, options: DeliverOptions = {}): Promise<Delivered> {
    this.requireSigner("deliver");
    const job = await this.read("JobRegistry", () => this.jobs.jobOf(jobId));
    const status = Number(job.status);
    const statusName = nameOf(Status, status) ?? String(status);
    if (job.callback === ZeroAddress) {
      throw new GlassboxError("NOT_DELIVERABLE", `job ${jobId} has no callback left to deliver to: its request named none, or its result was delivered already (a callback runs once)`);
    }
    const withResult = status === Status.Finalized || (status === Status.Refunded && job.invalidClaim);
    if (status === Status.Refunded && !withResult) throw new GlassboxError("NOT_DELIVERABLE", `job ${jobId} was refunded without a result: there is nothing to deliver`);
    if (!withResult) throw new GlassboxError("NO_RESULT", `job ${jobId} is not final yet (status ${statusName}): wait(jobId) until it is Finalized, then deliver`);
    const [, , stored] = await this.read("JobRegistry", () => this.jobs.resultOf(jobId));
    const storedBytes = getBytes(stored).length;
    // The hub ignores the caller's bytes for an output it stored: send none.
    const output = storedBytes > 0 ? new Uint8Array() : (options.output ?? (await this.resultBytes(jobId)).bytes);
    const calldata = getBytes(this.jobs.interface.encodeFunctionData("deliver", [jobId, output]));
    const gasLimit = options.gasLimit ?? deliverGasLimit({ callbackGasUnits: job.callbackGasUnits, calldata, storedOutputBytes: storedBytes, broughtOutputBytes: output.length });
    try {
      await this.jobs.deliver.staticCall(jobId, output, { gasLimit });
    } catch (err) {
      throw asGlassboxError(err, "JobRegistry.deliver", "JobRegistry");
    }
    const receipt = await this.send("JobRegistry.deliver", "JobRegistry", (o) => this.jobs.deliver(jobId, output, { ...o, gasLimit }));
    const log = this.logOf(receipt, this.jobs.interface.getEvent("CallbackExecuted").topicHash, "CallbackExecuted");
    const executed = this.jobs.interface.parseLog(log)!;
    const callback = executed.args.callback as string;
    return {
      callback,
      succeeded: executed.args.success as boolean,
      callbackLogs: receipt.logs.filter((l) => l.address.toLowerCase() === callback.toLowerCase()),
      gasLimit,
      receipt,
      block: receipt.blockNumber,
      txHash: receipt.hash,
    };
  }

  /**
   * Re-runs job `jobId` with `runner` on the registered model bytes (SHA-256 checked) and the job's
   * input (keccak256 checked), and compares the posted output with the model's tolerance policy
   * as the job pinned it, with the node's compare function. With `postedIn` (a transaction hash),
   * the result that transaction posted or revealed is checked instead of the job's current one: a
   * result a committee rejected, say, read from the chain's own receipt.
   */
  async verify(jobId: bigint, runner: ModelRunner, options: VerifyOptions = {}): Promise<Verification> {
    const request = await this.requestOf(jobId);
    const { modelId, params, inputHash, policyVersion } = request;
    const posted = options.postedIn === undefined ? await this.resultBytes(jobId) : await this.postedBytes(jobId, options.postedIn);
    const [version, policy] = await this.read("ModelRegistry", () => Promise.all([this.models.versionOf(modelId, params.version), this.models.policyAt(modelId, policyVersion)]));
    const modelBytes = await this.fetchModel(modelId, Number(params.version), version.uri, version.digest);
    const input = await this.inputOf(jobId, params.input, params.inputURI, Number(params.inputSize), inputHash);
    const recomputed = await recompute(runner, modelBytes, input);
    const tolerance = { exact: policy.exact, absTolerance: policy.absTolerance, relTolerance: policy.relTolerance };
    const comparison = compareOutputs(posted.bytes, recomputed, tolerance);
    const deviation = deviationOf(posted.bytes, recomputed);
    const scale = Number(TOLERANCE_SCALE);
    return {
      withinTolerance: comparison.equal,
      reason: comparison.reason,
      worst: comparison.worst,
      maxAbsDeviation: deviation?.maxAbsDeviation,
      maxRelDeviation: deviation?.maxRelDeviation,
      policy: { exact: policy.exact, absTolerance: Number(policy.absTolerance) / scale, relTolerance: Number(policy.relTolerance) / scale },
      outputHash: posted.outputHash,
      recomputedHash: keccak256(recomputed),
    };
  }

  // ---- stake and payouts ----

  /** Stakes `amount` for `role`, approving the StakeManager first when needed. */
  async stake(role: RoleInput, amount: bigint): Promise<Receipt> {
    const r = roleOf(role);
    const me = await this.address();
    const allowance = await this.read("GlassboxToken", () => this.token.allowance(me, this.addresses.stakeManager));
    if (allowance < amount) await this.send("GlassboxToken.approve", "GlassboxToken", (o) => this.token.approve(this.addresses.stakeManager, amount, o));
    return this.send("StakeManager.stake", "StakeManager", (o) => this.stakes.stake(r, amount, o));
  }

  /** Starts unbonding `amount` of `role`'s stake; `withdraw` after the unbonding period. */
  async unstake(role: RoleInput, amount: bigint): Promise<Receipt> {
    return this.send("StakeManager.requestUnstake", "StakeManager", (o) => this.stakes.requestUnstake(roleOf(role), amount, o));
  }

  /** Withdraws `role`'s unbonded stake. */
  async withdraw(role: RoleInput): Promise<Receipt> {
    return this.send("StakeManager.withdraw", "StakeManager", (o) => this.stakes.withdraw(roleOf(role), o));
  }

  /** What the PaymentVault holds for `account` (default: the signer). */
  async credit(account?: string): Promise<bigint> {
    const who = account ?? (await this.address());
    return this.read("PaymentVault", () => this.vault.creditOf(who));
  }

  /** Claims the signer's credit (fees, refunds, rewards); returns the amount paid. */
  async claim(): Promise<{ amount: bigint; receipt: Receipt }> {
    const receipt = await this.send("PaymentVault.claim", "PaymentVault", (o) => this.vault.claim(o));
    const log = this.logOf(receipt, this.vault.interface.getEvent("Claimed").topicHash, "Claimed");
    return { amount: BigInt(log.data), receipt };
  }

  /** Opts the signer in, as an executor, to `modelId`'s jobs (drawn for them from the next stake epoch). Throws UNKNOWN_MODEL. */
  async optIn(modelId: bigint | number): Promise<Receipt> {
    await this.requireModel(modelId);
    return this.send("StakeManager.optIn", "StakeManager", (o) => this.stakes.optIn(modelId, o));
  }

  /** Opts the signer out of `modelId`'s jobs from the next stake epoch (draws armed before may still name it). */
  async optOut(modelId: bigint | number): Promise<Receipt> {
    return this.send("StakeManager.optOut", "StakeManager", (o) => this.stakes.optOut(modelId, o));
  }

  /** An account's balances, its stake in each role, and (as executor) the models it opted in to; default the signer. */
  async account(address?: string): Promise<AccountInfo> {
    const who = address ?? (await this.address());
    return this.read("StakeManager", async () => {
      const [ether, tokens, credit, models] = await Promise.all([this.provider.getBalance(who), this.token.balanceOf(who), this.vault.creditOf(who), this.stakes.modelsOf(who)]);
      const roleOfIndex = async (role: Role): Promise<RoleStake> => {
        const [a, eligible] = await Promise.all([this.stakes.accountOf(who, role), this.stakes.isEligible(who, role)]);
        return { active: a.active, locked: a.locked, unbonding: a.unbonding, releaseAt: Number(a.releaseAt), jailed: a.jailed, jailedUntil: Number(a.jailedUntil), eligible };
      };
      const [executor, verifier] = await Promise.all([roleOfIndex(Role.EXECUTOR), roleOfIndex(Role.VERIFIER)]);
      return { address: who, ether, tokens, credit, executor: { ...executor, models: [...models].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) }, verifier };
    });
  }

  // ---- internals ----

  private get maxBlockRange(): number {
    return this.options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
  }

  private fetchOptions(maxBytes: number) {
    return { fetch: this.options.fetch, ipfsGateway: this.options.ipfsGateway, maxBytes };
  }

  private requireSigner(what: string): Signer {
    if (!this.signer) throw new GlassboxError("READ_ONLY", `${what} sends a transaction, but this client was connected with a Provider: connect with a Signer (e.g. new Wallet(key, provider))`);
    return this.signer;
  }

  private async requireModel(modelId: bigint | number): Promise<void> {
    const count = await this.read("ModelRegistry", () => this.models.modelCount());
    const id = BigInt(modelId);
    if (id < 1n || id > count) throw new GlassboxError("UNKNOWN_MODEL", `no model has id ${id} (ids run 1..${count}): check the id, or register the model with registerModel`);
  }

  /**
   * Sends one transaction and waits for its receipt. From the second send on, the nonce is the
   * larger of the signer's pending count and the one after this client's last send: a provider that
   * caches answers (ethers' JsonRpcProvider keeps them 250 ms by default) would otherwise hand a send
   * made right after another one, such as `request`'s approve and then the request, the same
   * pending count, and the chain would refuse it ("nonce has already been used").
   */
  private async send(what: string, contract: string, call: (overrides: { nonce?: number }) => Promise<ContractTransactionResponse>): Promise<Receipt> {
    const signer = this.requireSigner(what);
    try {
      const overrides: { nonce?: number } = {};
      if (this.nextNonce !== undefined) overrides.nonce = Math.max(await signer.getNonce("pending"), this.nextNonce);
      const tx = await call(overrides);
      this.nextNonce = tx.nonce + 1;
      const receipt = await tx.wait();
      if (!receipt) {
        this.nextNonce = undefined; // the nonce was not used: ask the signer again next time
        throw new GlassboxError("RPC_FAILED", `${what}: the transaction ${tx.hash} was dropped: send it again`);
      }
      return receipt;
    } catch (err) {
      throw asGlassboxError(err, what, contract);
    }
  }

  private async read<T>(contract: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw asGlassboxError(err, `reading the ${contract}`, contract);
    }
  }

  private logOf(receipt: Receipt, topic: string, name: string) {
    const log = receipt.logs.find((l) => l.topics[0] === topic);
    if (!log) throw new GlassboxError("NO_EVENT", `transaction ${receipt.hash} emitted no ${name} event: is the address a protocol contract of this version?`);
    return log;
  }

  private async inputFields(input: Uint8Array, args: RequestArgs): Promise<RequestInput> {
    try {
      if (args.inputUri !== undefined) return referencedInput(input, args.inputUri);
      return await placeInput(input, { store: args.contentStore ?? this.contentStore, byReference: args.byReference === true, fetch: this.options.fetch });
    } catch (err) {
      if (err instanceof ContentPublishError) throw new GlassboxError("FETCH_FAILED", err.message, { cause: err });
      if (err instanceof InputPlacementError) throw new GlassboxError("BAD_ARGUMENT", err.message, { cause: err });
      throw err;
    }
  }

  /** The reason of `jobId`'s JobRefunded event, searched from its request in bounded ranges. */
  private async refundReasonOf(jobId: bigint): Promise<RefundReasonName | undefined> {
    const latest = await this.read("provider", () => this.provider.getBlockNumber());
    for (let start = await this.requestBlockOf(jobId); start <= latest; start += this.maxBlockRange) {
      const end = Math.min(latest, start + this.maxBlockRange - 1);
      const [event] = await this.read("JobRegistry", () => this.jobs.queryFilter(this.jobs.filters.JobRefunded(jobId), start, end));
      if (event) return nameOf(RefundReason, Number(event.args.reason)) as RefundReasonName;
    }
    return undefined;
  }

  /** The block of `jobId`'s JobRequested event (remembered for a job this client requested). */
  private async requestBlockOf(jobId: bigint): Promise<number> {
    const known = this.requestBlocks.get(jobId);
    if (known !== undefined) return known;
    const event = await this.requestEventOf(jobId);
    return event.blockNumber;
  }

  private async requestOf(jobId: bigint): Promise<JobRequestedEvent.OutputObject> {
    return (await this.requestEventOf(jobId)).args;
  }

  private async requestEventOf(jobId: bigint) {
    const latest = await this.read("provider", () => this.provider.getBlockNumber());
    const from = this.requestBlocks.get(jobId) ?? this.fromBlock;
    for (let start = from; start <= latest; start += this.maxBlockRange) {
      const end = Math.min(latest, start + this.maxBlockRange - 1);
      const [found] = await this.read("JobRegistry", () => this.jobs.queryFilter(this.jobs.filters.JobRequested(jobId), start, end));
      if (found) {
        this.requestBlocks.set(jobId, found.blockNumber);
        return found;
      }
    }
    throw new GlassboxError("UNKNOWN_JOB", `no job ${jobId} was requested in blocks ${from}..${latest}: check the id and the deployment (its deploymentBlock)`);
  }

  private async postedBytes(jobId: bigint, txHash: string): Promise<{ bytes: Uint8Array; outputHash: string }> {
    const posted = await this.read("JobRegistry", () => postedResultIn(this.provider, this.addresses, jobId, txHash));
    let bytes = posted.output;
    if (bytes.length === 0) {
      bytes = await fetchBytes(posted.outputURI, `job ${jobId}'s output posted in ${txHash}`, this.fetchOptions(this.options.maxFetchBytes ?? DEFAULT_NODE_MAX_INPUT_BYTES));
      checkKeccak(bytes, posted.outputHash, `job ${jobId}'s output at ${posted.outputURI}`);
    }
    return { bytes, outputHash: posted.outputHash };
  }

  private async resultBytes(jobId: bigint): Promise<{ bytes: Uint8Array; outputHash: string; final: boolean }> {
    const chain = await this.read("JobRegistry", () => readResult(this.jobs, this.quorum, jobId, this.requestBlocks.get(jobId) ?? this.fromBlock));
    if (chain.status === Status.None) throw new GlassboxError("UNKNOWN_JOB", `there is no job ${jobId}: check the id`);
    if (/^0x0+$/.test(chain.outputHash)) {
      throw new GlassboxError("NO_RESULT", `job ${jobId} has no result yet (status ${nameOf(Status, chain.status)}): wait(jobId) until it is final, then ask again`);
    }
    let bytes = chain.output;
    if (bytes.length === 0) {
      bytes = await fetchBytes(chain.outputURI, `job ${jobId}'s output`, this.fetchOptions(this.options.maxFetchBytes ?? DEFAULT_NODE_MAX_INPUT_BYTES));
      checkKeccak(bytes, chain.outputHash, `job ${jobId}'s output at ${chain.outputURI}`);
    }
    return { bytes, outputHash: chain.outputHash, final: chain.status === Status.Finalized };
  }

  private async inputOf(jobId: bigint, inline: string, uri: string, size: number, hash: string): Promise<Uint8Array> {
    const bytes = getBytes(inline);
    if (bytes.length > 0) {
      if (!/^0x0+$/.test(hash)) checkKeccak(bytes, hash, `job ${jobId}'s inline input`);
      return bytes;
    }
    const cap = Math.min(size > 0 ? size : Infinity, this.options.maxFetchBytes ?? DEFAULT_NODE_MAX_INPUT_BYTES);
    const fetched = await fetchBytes(uri, `job ${jobId}'s input`, this.fetchOptions(cap));
    checkKeccak(fetched, hash, `job ${jobId}'s input at ${uri}`);
    return fetched;
  }
}

function isSigner(runner: Signer | Provider): runner is Signer {
  return typeof (runner as Partial<Signer>).getAddress === "function" && typeof (runner as Partial<Signer>).sendTransaction === "function";
}

function digestOf(source: ModelSource): string {
  return "bytes" in source ? sha256(source.bytes) : source.digest;
}

function modeOf(mode: ModeInput): Mode {
  if (typeof mode === "number") {
    if (nameOf(Mode, mode) === undefined) throw new GlassboxError("BAD_ARGUMENT", `mode ${mode} is not a Mode: use Mode.NONE, Mode.OPTIMISTIC, Mode.QUORUM or Mode.ATTESTED`);
    return mode;
  }
  const value = (Mode as Record<string, Mode>)[mode.toUpperCase()];
  if (value === undefined) throw new GlassboxError("BAD_ARGUMENT", `mode "${mode}" is not a Mode: use none, optimistic, quorum or attested`);
  return value;
}

function roleOf(role: RoleInput): Role {
  if (typeof role === "number") {
    if (nameOf(Role, role) === undefined) throw new GlassboxError("BAD_ARGUMENT", `role ${role} is not a Role: use Role.EXECUTOR or Role.VERIFIER`);
    return role;
  }
  const value = (Role as Record<string, Role>)[role.toUpperCase()];
  if (value === undefined) throw new GlassboxError("BAD_ARGUMENT", `role "${role}" is not a Role: use executor or verifier`);
  return value;
}

function encodeInput(tensors: TensorMap): Uint8Array {
  try {
    return encodeTensors(tensors);
  } catch (err) {
    throw new GlassboxError("BAD_ARGUMENT", `the input tensors cannot be encoded: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function policyOf(p: Awaited<ReturnType<ModelRegistry["policyOf"]>>): ModelPolicy {
  return {
    allowedModes: Number(p.allowedModes),
    exact: p.exact,
    auditRateBps: Number(p.auditRateBps),
    maxInputBytes: Number(p.maxInputBytes),
    minFee: p.minFee,
    runtime: Number(p.runtime),
    absTolerance: p.absTolerance,
    relTolerance: p.relTolerance,
    schemaHash: p.schemaHash,
  };
}

function finalOf(event: JobProgress): FinalState | undefined {
  if (event.kind === "finalized") return { status: "Finalized", outputHash: event.outputHash, block: event.block, txHash: event.txHash };
  if (event.kind === "refunded") return { status: "Refunded", reason: event.reason, amount: event.amount, block: event.block, txHash: event.txHash };
  return undefined;
}

/** The honest output's canonical bytes: the runner's outputs, or the invalid-input claim it stands for. */
async function recompute(runner: ModelRunner, modelBytes: Uint8Array, input: Uint8Array): Promise<Uint8Array> {
  let tensors: Record<string, DecodedTensor>;
  try {
    tensors = decodeTensors(input);
  } catch {
    return invalidClaim("undecodableInput");
  }
  try {
    return encodeTensors(await runner.run(modelBytes, tensors));
  } catch (err) {
    const reason = (err as { reason?: unknown }).reason;
    if (typeof reason === "string" && reason in INVALID_REASONS) return invalidClaim(reason as InvalidReason);
    throw new GlassboxError("RUNNER_FAILED", `the model runner failed: ${err instanceof Error ? err.message : String(err)}; check that it runs this model`, { cause: err });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
