/**
 * The SDK's one error type: every failure a GlassboxClient reports is a GlassboxError whose `code`
 * a program can switch on and whose message says what to do next. A protocol revert is decoded
 * (reverts.ts) into its name, arguments and hint.
 *
 * Browser-safe: only its sibling modules.
 */
import { decodeRevert, type DecodedRevert } from "./reverts";

export type GlassboxErrorCode =
  /** The client holds a Provider, not a Signer, and was asked to send a transaction. */
  | "READ_ONLY"
  /** No model has the id given. */
  | "UNKNOWN_MODEL"
  /** No job has the id given, or its JobRequested event is not in the scanned blocks. */
  | "UNKNOWN_JOB"
  /** A call's arguments are not valid (caught before anything is sent). */
  | "BAD_ARGUMENT"
  /** A deployment file cannot be read, is not a valid deployment, or is for another chain than the runner's (connectFromFile). */
  | "BAD_DEPLOYMENT"
  /** A transaction or call reverted; `revert` holds the decoded error. */
  | "REVERTED"
  /** Bytes fetched from a URI do not hash to what the chain commits to. */
  | "HASH_MISMATCH"
  /** Bytes could not be fetched (network, HTTP status, unsupported scheme). */
  | "FETCH_FAILED"
  /** Bytes are larger than the client's cap. */
  | "TOO_LARGE"
  /** The job has no result yet (for `deliver`: no final one yet). */
  | "NO_RESULT"
  /** `deliver` has nothing to run: the job named no callback, its result was delivered already, or it ended without a result. */
  | "NOT_DELIVERABLE"
  /** `wait` ran out of time before the job was final. */
  | "TIMEOUT"
  /** The caller's AbortSignal fired. */
  | "ABORTED"
  /** The model runner failed on the job's input or model. */
  | "RUNNER_FAILED"
  /** A mined transaction lacks the event it must emit. */
  | "NO_EVENT"
  /** A call or transaction failed without a protocol revert (RPC endpoint, gas, nonce). */
  | "RPC_FAILED";

export class GlassboxError extends Error {
  constructor(
    readonly code: GlassboxErrorCode,
    message: string,
    options: { cause?: unknown; revert?: DecodedRevert } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GlassboxError";
    this.revert = options.revert;
  }

  /** The decoded protocol revert, for code REVERTED (and UNKNOWN_MODEL, UNKNOWN_JOB, NOT_DELIVERABLE when the chain said so). */
  readonly revert: DecodedRevert | undefined;
}

/** Reverts that mean a more specific code than REVERTED. */
const REVERT_CODES: Readonly<Record<string, GlassboxErrorCode>> = {
  UnknownModel: "UNKNOWN_MODEL",
  UnknownVersion: "UNKNOWN_MODEL",
  UnknownJob: "UNKNOWN_JOB",
  NothingToDeliver: "NOT_DELIVERABLE",
};

/**
 * `err`, thrown by `what` (e.g. "JobRegistry.requestInference"), as a GlassboxError: a decoded
 * revert with its hint, or the original message. A GlassboxError passes through unchanged.
 */
export function asGlassboxError(err: unknown, what: string, contract?: string): GlassboxError {
  if (err instanceof GlassboxError) return err;
  const revert = decodeRevert(err, { contract });
  if (revert) return new GlassboxError(REVERT_CODES[revert.name] ?? "REVERTED", `${what} reverted: ${revert.message}`, { cause: err, revert });
  const text = err instanceof Error ? ((err as Error & { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return new GlassboxError("RPC_FAILED", `${what} failed: ${text}; check the RPC endpoint and the arguments, then retry`, { cause: err });
}
