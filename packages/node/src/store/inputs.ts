/**
 * By-reference job inputs: a job's canonical input bytes, read from its `inputURI` with the model
 * store's readers (file://, http(s)://, ipfs:// through the gateway) and handed out only when their
 * keccak256 equals the `inputHash` of the job's JobRequested event. Inputs are not cached: a job is
 * run once by its executor and at most twice by a verifier (a watch, then a vote).
 *
 *   const inputs = new InputSource({ maxBytes: 16 * 1024 * 1024 });
 *   const bytes = await inputs.fetch({ jobId, uri, hash, size }); // or throws InputFetchError
 */
import { keccak256 } from "ethers";
import type { InvalidReason } from "../sdk/enums";
import { DEFAULT_NODE_MAX_INPUT_BYTES } from "../limits";
import { checkGateway, checkPositive, DEFAULT_IPFS_GATEWAY, isPublicAddress, readUri, type SourceErrors } from "./sources";

/** Default byte cap of one input (limits.ts DEFAULT_NODE_MAX_INPUT_BYTES: 16 MiB). */
export const DEFAULT_MAX_INPUT_BYTES = DEFAULT_NODE_MAX_INPUT_BYTES;
/** Default http(s) timeout for one whole input download. */
export const DEFAULT_INPUT_TIMEOUT_MS = 30_000;

export interface InputSourceOptions {
  /** Base URL for `ipfs://` URIs; must be http(s). Default DEFAULT_IPFS_GATEWAY. */
  ipfsGateway?: string;
  /** Largest input fetched, in bytes. Default DEFAULT_MAX_INPUT_BYTES. */
  maxBytes?: number;
  /** Time allowed for one http(s) download, in ms. Default DEFAULT_INPUT_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Whether `file://` input URIs are read. Default false: the URI is the requester's choice, and a
   * node that read any local path would tell the world, through its claim, whether a file exists
   * and roughly how large it is. Turn it on only for tests and a devnet.
   */
  allowFileUris?: boolean;
  /**
   * Whether http(s) URIs may name loopback, private, link-local or reserved addresses. Default
   * false: otherwise a requester (or, for outputs, an executor) could make nodes probe their own
   * network, and read the answer off their claims. Turn it on only for tests and a devnet.
   */
  allowPrivateHosts?: boolean;
}

/** A by-reference input, as the JobRequested event gives it. */
export interface InputRef {
  jobId: bigint;
  /** `params.inputURI`. */
  uri: string;
  /** The event's `inputHash`: keccak256 of the canonical input bytes (`0x` + 64 hex digits). */
  hash: string;
  /** `params.inputSize`, the size the requester declared (checked on-chain against the model's maxInputBytes). */
  size: number;
}

/** Why an input was not handed out. */
export type InputFailure = "unsupportedUri" | "fetchFailed" | "tooLarge" | "hashMismatch";

/**
 * The input of a job cannot be had. `reason` is what an executor claims on-chain; there is no
 * "input unavailable" code (INVALID_REASONS is fixed with the contracts' docs), so:
 *  - "inputTooLarge" when the bytes are larger than the declared inputSize or this node's cap;
 *  - "undecodableInput" otherwise (unfetchable URI, bytes that are not the committed input): the
 *    executor could not obtain a canonical tensor map with the committed hash, which is what
 *    that code says of an inline input.
 */
export class InputFetchError extends Error {
  readonly reason: InvalidReason;

  constructor(
    readonly failure: InputFailure,
    readonly jobId: bigint,
    readonly uri: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`job ${jobId}: input ${uri}: ${detail}`, options);
    this.name = "InputFetchError";
    this.reason = failure === "tooLarge" ? "inputTooLarge" : "undecodableInput";
  }
}

export class InputSource {
  readonly maxBytes: number;
  private readonly ipfsGateway: string;
  private readonly timeoutMs: number;
  private readonly allowFileUris: boolean;
  private readonly hostFilter: ((address: string) => boolean) | undefined;

  constructor(options: InputSourceOptions = {}) {
    this.allowFileUris = options.allowFileUris ?? false;
    this.hostFilter = options.allowPrivateHosts ? undefined : isPublicAddress;
    this.ipfsGateway = checkGateway("InputSource", options.ipfsGateway ?? DEFAULT_IPFS_GATEWAY);
    this.maxBytes = checkPositive("InputSource", "maxBytes", options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES);
    this.timeoutMs = checkPositive("InputSource", "timeoutMs", options.timeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS);
  }

  /**
   * The input's bytes, at most `min(size, maxBytes)` of them, checked against `hash`. Throws
   * InputFetchError, or the signal's reason when cancelled.
   */
  async fetch(ref: InputRef, signal?: AbortSignal): Promise<Uint8Array> {
    const fail = (failure: InputFailure, detail: string, cause?: unknown) => new InputFetchError(failure, ref.jobId, ref.uri, detail, cause === undefined ? undefined : { cause });
    if (ref.size > this.maxBytes) throw fail("tooLarge", `its declared size of ${ref.size} bytes is above this node's limit of ${this.maxBytes} bytes; not fetched`);
    // The declared size was checked against the model's policy on-chain: more bytes than declared
    // would run an input the policy never allowed (0 means undeclared, as in a test's hand-made ref).
    const cap = ref.size > 0 ? ref.size : this.maxBytes;
    if (!this.allowFileUris && /^file:/i.test(ref.uri)) throw fail("unsupportedUri", "file:// inputs are turned off on this node (allowFileInputs); not read");
    const errors: SourceErrors = {
      unsupported: (detail) => fail("unsupportedUri", `cannot fetch it: ${detail}`),
      fetchFailed: (url, detail, _status, cause) => fail("fetchFailed", `fetching ${url} failed: ${detail}`, cause),
      tooLarge: (maxBytes, size) =>
        fail("tooLarge", `it is larger than ${cap === ref.size ? "its declared size" : "this node's limit"} of ${maxBytes} bytes` + (size === undefined ? "" : ` (${size} bytes)`)),
    };
    const bytes = await readUri(ref.uri, { maxBytes: cap, timeoutMs: this.timeoutMs, ipfsGateway: this.ipfsGateway, signal, hostFilter: this.hostFilter }, errors);
    const actual = keccak256(bytes);
    if (actual !== ref.hash.toLowerCase()) throw fail("hashMismatch", `its ${bytes.length} bytes have keccak256 ${actual}, but the job commits to ${ref.hash}; not run`);
    return bytes;
  }
}
