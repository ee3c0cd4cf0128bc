/**
 * The shapes GlassboxClient takes and returns. Browser-safe: type imports only.
 */
import type { ContractTransactionReceipt, Log } from "ethers";
import type { DecodedTensor, Tensor, TensorMap } from "../codec/tensor";
import type { WorstElement } from "../verify/tolerance";
import type { InvalidReason, Mode, Role, Status } from "./enums";
import type { JobProgress, RefundReasonName } from "./events";

/** The protocol's contract addresses, as a deployment file's `contracts` holds them. */
export interface ProtocolAddresses {
  token: string;
  modelRegistry: string;
  stakeManager: string;
  jobRegistry: string;
  disputeManager: string;
  quorumManager: string;
  paymentVault: string;
}

/** What the client needs of a parsed deployment file (packages/node/src/deployment.ts `Deployment` is one). */
export interface DeploymentLike {
  contracts: ProtocolAddresses;
  /** The first block with protocol events: scans for a job's events start here. */
  deploymentBlock?: number;
  /** A content store for by-reference inputs, when the deployment has one. */
  contentStore?: string;
}

/** Where the protocol is: a parsed deployment, or the addresses alone (scans then start at `fromBlock`, default 0). */
export type ProtocolLocation = { deployment: DeploymentLike } | { addresses: ProtocolAddresses; fromBlock?: number; contentStore?: string };

export interface ClientOptions {
  /** The fetch used for content stores and URIs (default: the global one). Inject one to read file:// or authenticate. */
  fetch?: typeof globalThis.fetch;
  /** Base URL for ipfs:// URIs. */
  ipfsGateway?: string;
  /** Largest by-reference input or output the client downloads, in bytes. Default 16 MiB. */
  maxFetchBytes?: number;
  /** Largest model the client downloads for `verify`, in bytes. Default 256 MiB. */
  maxModelBytes?: number;
  /** Most blocks one eth_getLogs may span. Default 10,000. */
  maxBlockRange?: number;
}

/** A model's verification policy (IModelRegistry.ModelPolicy). */
export interface ModelPolicy {
  /** Bit (1 << Mode) for each mode allowed; see `modesMask`. */
  allowedModes: number;
  exact: boolean;
  auditRateBps: number;
  maxInputBytes: number;
  minFee: bigint;
  runtime: number;
  /** Scaled by TOLERANCE_SCALE (1e12). */
  absTolerance: bigint;
  /** Scaled by TOLERANCE_SCALE (1e12). */
  relTolerance: bigint;
  schemaHash: string;
}

/** A model's ONNX bytes (their SHA-256 is taken here) or its registered SHA-256 digest, and where to fetch it. */
/** One version of a model (`GlassboxClient.version`). */
/** A refereeable version's declared program (ModelRegistry.programOf); see docs/REFEREE.md. */
export interface RefereeProgramInfo {
  /** keccak256 of the canonical compiled program (`glassbox referee inspect`'s programHash). */
  programHash: string;
  /** Hash of the lowered steps, each holding its weights' Merkle roots (inspect's stepsHash). */
  stepsHash: string;
  /** The program's step count. */
  steps: number;
  /** keccak256(abi.encode(name, dtype code, shape)) of its one input: what decides an invalid-input claim. */
  inputSpec: string;
}

export interface ModelVersionInfo {
  version: number;
  /** SHA-256 of the ONNX bytes, as registered. */
  digest: string;
  uri: string;
  /** A deprecated version takes no new jobs. */
  deprecated: boolean;
}

export type ModelSource = ({ bytes: Uint8Array } | { digest: string }) & { uri: string };

export type ModeInput = Mode | Lowercase<keyof typeof Mode> | keyof typeof Mode;
export type RoleInput = Role | Lowercase<keyof typeof Role> | keyof typeof Role;

export interface RequestArgs {
  model: bigint | number;
  /** Default: the model's latest version. */
  version?: number;
  /** Named tensors (encoded with the canonical codec) or canonical bytes. */
  input: TensorMap | Uint8Array;
  mode: ModeInput;
  /** Token units; default the least the chain accepts (chain/leastFee.ts). */
  fee?: bigint;
  /** Seconds from the latest block's time by which a final result is wanted. Default 3600. */
  deadline?: number;
  callback?: string;
  callbackGasLimit?: number;
  /** OPTIMISTIC only: the least audit rate bought (0: the model's). */
  auditRateBps?: number;
  /** The content store an input too large for inline goes to (default: the deployment's). */
  contentStore?: string;
  /** A URI you host the input's canonical bytes at: sent by reference there, nothing is published. */
  inputUri?: string;
  /** Send by reference even when the input would fit inline. */
  byReference?: boolean;
}

export interface Requested {
  jobId: bigint;
  block: number;
  txHash: string;
  /** The fee paid. */
  fee: bigint;
  /** Where a by-reference input is (undefined when inline). */
  inputUri?: string;
}

/** One role's stake of an account (token units; times are chain time in seconds). */
export interface RoleStake {
  active: bigint;
  locked: bigint;
  unbonding: bigint;
  releaseAt: number;
  jailed: boolean;
  jailedUntil: number;
  /** Whether the draws can pick it now (enough active stake, not jailed). */
  eligible: boolean;
}

/** An account's balances and stake (`GlassboxClient.account`). */
export interface AccountInfo {
  address: string;
  /** Wei. */
  ether: bigint;
  /** Token units held. */
  tokens: bigint;
  /** Token units the PaymentVault holds for it (`claim` pays them). */
  credit: bigint;
  /** As executor, with the models it opted in to (ascending). */
  executor: RoleStake & { models: bigint[] };
  verifier: RoleStake;
}

/** A job as the chain holds it (`GlassboxClient.job`). */
export interface JobInfo {
  id: bigint;
  status: keyof typeof Status;
  mode: keyof typeof Mode;
  model: bigint;
  version: number;
  requester: string;
  /** The assigned executor (the zero address while unassigned; QUORUM: the first majority member). */
  executor: string;
  /** Token units escrowed. */
  fee: bigint;
  /** Unix time by which the requester wants a final result. */
  deadline: number;
  /** Assignments so far. */
  attempts: number;
  /** Whether the posted output is the executor's claim that the input is invalid. */
  invalidClaim: boolean;
  callback: string;
  /** Why the fee went back, for a Refunded job. */
  refundReason?: RefundReasonName;
}

export type FinalState = { status: "Finalized"; outputHash: string; block: number; txHash: string } | { status: "Refunded"; reason: RefundReasonName; amount: bigint; block: number; txHash: string };

export type JobResult = { kind: "output"; tensors: Record<string, DecodedTensor>; outputHash: string; final: boolean } | { kind: "invalid"; reason: InvalidReason | `unknown(${number})`; outputHash: string; final: boolean };

/**
 * Runs a model for `verify`. Throw an error with a `reason` that is an InvalidReason (as the node's
 * runtime/runner.ts InvalidInputError does) to say the input cannot be run: the honest output is
 * then that invalid-input claim.
 */
export interface ModelRunner {
  run(modelBytes: Uint8Array, inputs: Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor | Tensor>>;
}

export interface VerifyOptions {
  /**
   * The hash of a transaction that posted (ResultSubmitted) or revealed (ResultRevealed) a result
   * of the job: check that result instead of the job's current one.
   */
  postedIn?: string;
}

export interface Verification {
  /** compareOutputs' verdict under the model's tolerance policy (the node's own rule). */
  withinTolerance: boolean;
  /** Why not, when not within tolerance. */
  reason?: string;
  /** The element that used most of its allowance. */
  worst?: WorstElement;
  /** Largest |claimed - recomputed| over every element; undefined when the outputs are not comparable element by element. */
  maxAbsDeviation?: number;
  /** Largest |claimed - recomputed| / |recomputed|; undefined as above. */
  maxRelDeviation?: number;
  /** The policy applied (the one the job pinned), tolerances as fractions. */
  policy: { exact: boolean; absTolerance: number; relTolerance: number };
  /** keccak256 of the posted output and of the recomputed one. */
  outputHash: string;
  recomputedHash: string;
}

export interface WaitOptions {
  onProgress?: (event: JobProgress) => void;
  /** Wall-clock time allowed; default no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Time between polls, in ms. Default 1000. */
  pollMs?: number;
  /** First block scanned (default: the request's block when this client sent it, else found from the logs). */
  fromBlock?: number;
}

export interface DeliverOptions {
  /**
   * The output bytes to hand to the callback when the chain did not store them (QUORUM, or posted
   * by reference); ignored for an inline output. Default: read back from the QuorumManager's
   * reveal, or fetched from the output URI, checked against the committed hash. An empty array
   * delivers a by-reference output without its bytes (only the requester or the callback contract
   * may; the callback then gets the hash alone).
   */
  output?: Uint8Array;
  /** The transaction's gas limit. Default: computed from the job's callback gas cap and the output's size (deliverGas.ts); gas estimation is not used. */
  gasLimit?: bigint;
}

/** What `deliver` did. */
export interface Delivered {
  /** The callback contract the hub called. */
  callback: string;
  /**
   * Whether the callback returned without reverting (CallbackExecuted.success). False when it
   * reverted or ran out of its gas cap: the delivery is spent all the same (a callback runs once).
   */
  succeeded: boolean;
  /** The events the callback contract emitted in this delivery, for the dApp to parse with its own ABI. */
  callbackLogs: readonly Log[];
  /** The gas limit the transaction was sent with. */
  gasLimit: bigint;
  receipt: Receipt;
  block: number;
  txHash: string;
}

export type Receipt = ContractTransactionReceipt;
