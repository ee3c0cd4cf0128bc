import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { FetchError, ModelTooLargeError, UnsupportedUriError, type ModelRef } from "./errors";

/**
 * Reading a model's bytes from its URI, with the byte cap enforced while reading (a source that
 * sends more than the cap is cut off at cap + 1 bytes, never buffered whole). The caller checks
 * the digest: nothing here trusts what it reads.
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
}

const CHUNK = 1 << 20;

/** Thrown by readFileCapped when the file is larger than the cap. */
export class SizeLimitExceeded extends Error {
  constructor(readonly size: number | undefined) {
    super("size limit exceeded");
    this.name = "SizeLimitExceeded";
  }
}

/** Fetches the bytes behind `model.uri`; throws the store's typed errors. */
export async function readSource(model: ModelRef, limits: ReadLimits): Promise<Uint8Array> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(model.uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case "file":
      return readFileUri(model, limits);
    case "http":
    case "https":
      return readHttp(model, parseHttpUrl(model, model.uri), limits);
    case "ipfs":
      return readHttp(model, ipfsGatewayUrl(model, limits.ipfsGateway), limits);
    default:
      throw new UnsupportedUriError(model, scheme === undefined ? "it has no scheme" : `the scheme "${scheme}:" is not supported`);
  }
}

async function readFileUri(model: ModelRef, limits: ReadLimits): Promise<Uint8Array> {
  if (!/^file:\/\//i.test(model.uri)) throw new UnsupportedUriError(model, "a file URI must be absolute (file:///path)");
  let path: string;
  try {
    path = fileURLToPath(model.uri);
  } catch (err) {
    throw new UnsupportedUriError(model, `it is not an absolute local file URI (${(err as Error).message})`);
  }
  try {
    return await readFileCapped(path, limits.maxBytes, limits.signal);
  } catch (err) {
    if (err instanceof SizeLimitExceeded) throw new ModelTooLargeError(model, limits.maxBytes, err.size);
    if (limits.signal?.aborted) throw err;
    throw new FetchError(model, model.uri, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, undefined, {
      cause: err,
    });
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

function parseHttpUrl(model: ModelRef, uri: string): URL {
  try {
    return new URL(uri);
  } catch {
    throw new UnsupportedUriError(model, "it is not a valid URL");
  }
}

/** `ipfs://<cid>[/path]` to `<gateway><cid>[/path]`; a path may not climb out of the CID. */
export function ipfsGatewayUrl(model: ModelRef, gateway: string): URL {
  const match = /^ipfs:\/\/([A-Za-z0-9]+)(\/[^?#]*)?$/i.exec(model.uri);
  if (!match) throw new UnsupportedUriError(model, "an IPFS URI must be ipfs://<cid> or ipfs://<cid>/<path>");
  const cid = match[1];
  const base = new URL(gateway);
  const url = new URL(`${cid}${match[2] ?? ""}`, base);
  // URL resolution removes "." and ".." segments (also when percent-encoded): the result must stay below the CID.
  const root = new URL(`${cid}`, base).href;
  if (url.href !== root && !url.href.startsWith(`${root}/`)) throw new UnsupportedUriError(model, "its path leaves the CID");
  return url;
}

async function readHttp(model: ModelRef, url: URL, limits: ReadLimits): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  const failed = (err: unknown): Error => {
    if (limits.signal?.aborted) return limits.signal.reason instanceof Error ? limits.signal.reason : new Error(String(limits.signal.reason));
    if (timeout.aborted) return new FetchError(model, url.href, `no complete answer within ${limits.timeoutMs} ms`, undefined, { cause: err });
    const cause = err instanceof Error && err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : String(err);
    return new FetchError(model, url.href, `network error (${cause})`, undefined, { cause: err });
  };

  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw failed(err);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchError(model, url.href, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`, response.status);
  }
  // Content-Length counts encoded bytes; the cap applies to the decoded body, so only trust it unencoded.
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const encoding = response.headers.get("content-encoding");
  if ((encoding === null || encoding === "identity") && Number.isFinite(declared) && declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ModelTooLargeError(model, limits.maxBytes, declared);
  }
  if (response.body === null) return new Uint8Array(0);

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limits.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new ModelTooLargeError(model, limits.maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ModelTooLargeError) throw err;
    throw failed(err);
  }
  return join(chunks, total);
}

function join(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteOffset === 0 && chunks[0].buffer.byteLength === total) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
