import { lookup } from "node:dns/promises";
import { open } from "node:fs/promises";
import { BlockList, isIP } from "node:net";
import { fileURLToPath } from "node:url";
import { concatBytes } from "../sdk/bytes";
import { FetchError, ModelTooLargeError, UnsupportedUriError, type ModelRef } from "./errors";

/**
 * Reading bytes from a URI (a model's, or a by-reference job input's), with the byte cap enforced
 * while reading (a source that sends more than the cap is cut off at cap + 1 bytes, never buffered
 * whole). The caller checks the digest or hash: nothing here trusts what it reads. Refusals are
 * built by the caller's `SourceErrors`, so each names its subject (a model, a job's input).
 */

/** How one read is bounded. */
export interface ReadLimits {
  /** At most this many bytes are accepted. */
  maxBytes: number;
  /** An http(s) request (headers and body) must finish within this many milliseconds. */
  timeoutMs: number;
  /** The base URL an `ipfs://<cid>/path` URI is resolved against (`<base><cid>/path`), ending in `/`. */
  ipfsGateway: string;
  /** Cancels the read; its reason is thrown as is. */
  signal?: AbortSignal;
  /**
   * For URIs chosen by someone else (a requester's input, an executor's output): every address an
   * http(s) host resolves to must pass this filter (isPublicAddress), and redirects are not
   * followed. Unset: any host, redirects followed (a model's URI, the operator's own gateway).
   */
  hostFilter?: (address: string) => boolean;
}

/** Loopback, private, link-local, shared, multicast and reserved ranges: nothing a URI from a stranger should reach. */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  NON_PUBLIC.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC.addSubnet(net, bits, "ipv6");
}

/** Whether `address` (an IPv4 or IPv6 literal) is a public unicast address; IPv4-mapped IPv6 is judged as IPv4. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Resolves `url`'s host and refuses it unless every address passes `filter`. */
async function checkHost(url: URL, filter: (address: string) => boolean, errors: SourceErrors): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      throw errors.fetchFailed(url.href, `cannot resolve ${host} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, undefined, err);
    }
  }
  const refused = addresses.find((a) => !filter(a));
  if (refused !== undefined) {
    throw errors.unsupported(`${host} is a loopback, private or reserved address (${refused}); such URIs are refused unless allowPrivateUris is on (devnets and tests only)`);
  }
}

/** Default IPFS gateway: a local Kubo node. */
export const DEFAULT_IPFS_GATEWAY = "http://127.0.0.1:8080/ipfs/";

const CHUNK = 1 << 20;

/** Thrown by readFileCapped when the file is larger than the cap. */
export class SizeLimitExceeded extends Error {
  constructor(readonly size: number | undefined) {
    super("size limit exceeded");
    this.name = "SizeLimitExceeded";
  }
}

/** How a read reports a refusal: each caller builds its own typed errors naming what it fetched. */
export interface SourceErrors {
  /** The URI's scheme or form cannot be fetched; `detail` says why. */
  unsupported(detail: string): Error;
  /** Reading failed (HTTP status, network, timeout, missing file); `url` is what was requested. */
  fetchFailed(url: string, detail: string, status?: number, cause?: unknown): Error;
  /** More than `maxBytes`; `size` when known up front (file size, Content-Length). */
  tooLarge(maxBytes: number, size?: number): Error;
}

/** The store's typed errors for `model` (ModelStoreError subclasses). */
export function modelSourceErrors(model: ModelRef): SourceErrors {
  return {
    unsupported: (detail) => new UnsupportedUriError(model, detail),
    fetchFailed: (url, detail, status, cause) => new FetchError(model, url, detail, status, cause === undefined ? undefined : { cause }),
    tooLarge: (maxBytes, size) => new ModelTooLargeError(model, maxBytes, size),
  };
}

/** Fetches the bytes behind `model.uri`; throws the store's typed errors. */
export function readSource(model: ModelRef, limits: ReadLimits): Promise<Uint8Array> {
  return readUri(model.uri, limits, modelSourceErrors(model));
}

/** Fetches the bytes behind `uri` (file://, http(s)://, ipfs://); refusals come from `errors`. */
export async function readUri(uri: string, limits: ReadLimits, errors: SourceErrors): Promise<Uint8Array> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case "file":
      return readFileUri(uri, limits, errors);
    case "http":
    case "https": {
      const url = parseHttpUrl(uri, errors);
      if (limits.hostFilter) await checkHost(url, limits.hostFilter, errors);
      return readHttp(url, limits, errors);
    }
    case "ipfs":
      // The gateway is the operator's own choice (often local): no host filter, redirects followed.
      return readHttp(ipfsGatewayUrl(uri, limits.ipfsGateway, errors), { ...limits, hostFilter: undefined }, errors);
    default:
      throw errors.unsupported(scheme === undefined ? "it has no scheme" : `the scheme "${scheme}:" is not supported`);
  }
}

async function readFileUri(uri: string, limits: ReadLimits, errors: SourceErrors): Promise<Uint8Array> {
  if (!/^file:\/\//i.test(uri)) throw errors.unsupported("a file URI must be absolute (file:///path)");
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch (err) {
    throw errors.unsupported(`it is not an absolute local file URI (${(err as Error).message})`);
  }
  try {
    return await readFileCapped(path, limits.maxBytes, limits.signal);
  } catch (err) {
    if (err instanceof SizeLimitExceeded) throw errors.tooLarge(limits.maxBytes, err.size);
    if (limits.signal?.aborted) throw err;
    throw errors.fetchFailed(uri, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, undefined, err);
  }
}

/**
 * Reads a regular file into one fresh buffer sized from the file (no second copy), refusing with
 * SizeLimitExceeded as soon as more than `maxBytes` are seen, even if the file grows while read.
 */
export async function readFileCapped(path: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const handle = await open(path, "r");
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: "ENOTFILE" });
    if (stat.size > maxBytes) throw new SizeLimitExceeded(stat.size);
    // One spare byte, so that a file that grew since stat() is noticed without a read of 0.
    let buffer = new Uint8Array(stat.size + 1);
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (total === buffer.length) {
        if (total > maxBytes) throw new SizeLimitExceeded(undefined);
        const grown = new Uint8Array(Math.min(2 * buffer.length, maxBytes + 1));
        grown.set(buffer);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, total, Math.min(buffer.length - total, CHUNK), null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) throw new SizeLimitExceeded(undefined);
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}

function parseHttpUrl(uri: string, errors: SourceErrors): URL {
  try {
    return new URL(uri);
  } catch {
    throw errors.unsupported("it is not a valid URL");
  }
}

/** `ipfs://<cid>[/path]` to `<gateway><cid>[/path]`; a path may not climb out of the CID. */
export function ipfsGatewayUrl(uri: string, gateway: string, errors: SourceErrors): URL {
  const match = /^ipfs:\/\/([A-Za-z0-9]+)(\/[^?#]*)?$/i.exec(uri);
  if (!match) throw errors.unsupported("an IPFS URI must be ipfs://<cid> or ipfs://<cid>/<path>");
  const cid = match[1];
  const base = new URL(gateway);
  const url = new URL(`${cid}${match[2] ?? ""}`, base);
  // URL resolution removes "." and ".." segments (also when percent-encoded): the result must stay below the CID.
  const root = new URL(`${cid}`, base).href;
  if (url.href !== root && !url.href.startsWith(`${root}/`)) throw errors.unsupported("its path leaves the CID");
  return url;
}

async function readHttp(url: URL, limits: ReadLimits, errors: SourceErrors): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  const failed = (err: unknown): Error => {
    if (limits.signal?.aborted) return limits.signal.reason instanceof Error ? limits.signal.reason : new Error(String(limits.signal.reason));
    if (timeout.aborted) return errors.fetchFailed(url.href, `no complete answer within ${limits.timeoutMs} ms`, undefined, err);
    const cause = err instanceof Error && err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : String(err);
    return errors.fetchFailed(url.href, `network error (${cause})`, undefined, err);
  };

  let response: Response;
  try {
    // A filtered host could redirect to an unfiltered one: such reads follow no redirect.
    response = await fetch(url, { signal, redirect: limits.hostFilter ? "manual" : "follow" });
  } catch (err) {
    throw failed(err);
  }
  if (limits.hostFilter && response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw errors.fetchFailed(url.href, `HTTP ${response.status} redirect to ${response.headers.get("location") ?? "?"} not followed (the URI must name the bytes directly)`, response.status);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw errors.fetchFailed(url.href, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`, response.status);
  }
  // Content-Length counts encoded bytes; the cap applies to the decoded body, so only trust it unencoded.
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const encoding = response.headers.get("content-encoding");
  if ((encoding === null || encoding === "identity") && Number.isFinite(declared) && declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw errors.tooLarge(limits.maxBytes, declared);
  }
  if (response.body === null) return new Uint8Array(0);

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let overCap: Error | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limits.maxBytes) {
        await reader.cancel().catch(() => undefined);
        overCap = errors.tooLarge(limits.maxBytes);
        throw overCap;
      }
      chunks.push(value);
    }
  } catch (err) {
    if (overCap !== undefined && err === overCap) throw err;
    throw failed(err);
  }
  return concatBytes(chunks, total);
}

/** `value` if it is a positive safe integer; otherwise a RangeError naming `owner` and the option. */
export function checkPositive(owner: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${owner}: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** An http(s) gateway base URL, normalised to end in `/`; otherwise a RangeError naming `owner`. */
export function checkGateway(owner: string, gateway: string): string {
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new RangeError(`${owner}: ipfsGateway "${gateway}" is not a URL (expected e.g. ${DEFAULT_IPFS_GATEWAY})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RangeError(`${owner}: ipfsGateway "${gateway}" must be http(s)`);
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}
