/**
 * What the API needs beyond the index (api.ts ApiContext): the chain's head (read at most once a
 * second), a job's input and output bytes (from the logs when they were inline, else fetched from
 * the URI the job names and checked against its hash) and the bytes of a URI the chain names.
 *
 * Anyone can register a model or request a job with any URI, so a URI the chain names is a
 * stranger's choice: the explorer reads it as the node reads a requester's input (store/sources.ts
 * readUri: a byte cap, a timeout, no redirects) and refuses file:// URIs and hosts that resolve to a
 * loopback, private or reserved address unless it was started for a devnet (allowFileUris,
 * allowPrivateUris). Otherwise a model registered at file:///etc/passwd or http://127.0.0.1:.../admin
 * would have the explorer read its own machine for a visitor.
 */
import { getBytes, keccak256, type Provider } from "ethers";
import { isPublicAddress, readUri, type SourceErrors } from "../store/sources";
import { ApiRequestError, type ApiContext, type ExplorerReader } from "./api";
import type { ExplorerConfig } from "./types";

/** Largest file the explorer relays (a model's ONNX file included). */
export const MAX_PROXIED_BYTES = 256 * 1024 * 1024;
/** How long one relayed read may take, ms. */
export const PROXY_TIMEOUT_MS = 60_000;
/** How long a head block read is reused, ms. */
const HEAD_TTL_MS = 1000;

/** The index's byte reads (hex), beside the API's queries. */
export interface BytesReader {
  /** The job's inline input bytes, or undefined when it was by reference. */
  jobInputBytes(jobId: string): string | undefined;
  /** The job's posted (inline) or revealed output bytes, or undefined. */
  jobOutputBytes(jobId: string): string | undefined;
}

/** Which URIs the explorer relays beyond public http(s) and ipfs://. */
export interface RelayPolicy {
  /** Relay file:// URIs (devnets, whose models are files on the same machine). Default false. */
  allowFileUris?: boolean;
  /** Relay hosts that resolve to loopback, private or reserved addresses (devnets). Default false. */
  allowPrivateUris?: boolean;
  /** Base URL ipfs://<cid> is read through. */
  ipfsGateway?: string;
}

const relayErrors: SourceErrors = {
  unsupported: (detail) => new ApiRequestError(403, "URI_REFUSED", `the explorer does not relay this URI: ${detail.replace("unless allowPrivateUris is on", "unless the explorer was started with --allow-private-uris true")}`),
  fetchFailed: (url, detail) => new ApiRequestError(502, "FETCH_FAILED", `cannot read ${url}: ${detail}`),
  tooLarge: (maxBytes, size) => new ApiRequestError(502, "FETCH_FAILED", `the bytes are larger than the ${maxBytes} bytes the explorer relays${size === undefined ? "" : ` (${size})`}`),
};

export function apiContext(reader: ExplorerReader & BytesReader, provider: Provider, config: ExplorerConfig, relay: RelayPolicy = {}): ApiContext {
  let head: { block: number; at: number } | undefined;
  const read = (uri: string): Promise<Uint8Array> => {
    // INVARIANT: a file:// URI is read only when the operator said so; the chain's URIs are strangers' choices.
    if (/^file:/i.test(uri) && !relay.allowFileUris) throw new ApiRequestError(403, "URI_REFUSED", "file:// URIs are not relayed: start the explorer with --allow-file-uris (devnets only)");
    return readUri(uri, { maxBytes: MAX_PROXIED_BYTES, timeoutMs: PROXY_TIMEOUT_MS, ipfsGateway: relay.ipfsGateway ?? "https://ipfs.io/ipfs/", hostFilter: relay.allowPrivateUris ? undefined : isPublicAddress }, relayErrors);
  };
  return {
    reader,
    config,
    async headBlock() {
      if (!head || Date.now() - head.at > HEAD_TTL_MS) head = { block: await provider.getBlockNumber(), at: Date.now() };
      return head.block;
    },
    async jobBytes(job, which) {
      const jobId = job.jobId;
      const inline = which === "input" ? reader.jobInputBytes(jobId) : reader.jobOutputBytes(jobId);
      if (inline) return getBytes(inline);
      const uri = which === "input" ? job.inputURI : job.outputURI;
      if (!uri) return undefined;
      const bytes = await read(uri);
      const expected = which === "input" ? job.inputHash : job.outputHash;
      if (expected && keccak256(bytes) !== expected.toLowerCase()) throw new ApiRequestError(502, "FETCH_FAILED", `the bytes at ${uri} are not job ${jobId}'s ${which}: their keccak256 differs from the chain's`);
      return bytes;
    },
    contentOf(uri) {
      return read(uri);
    },
  };
}
