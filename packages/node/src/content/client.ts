/**
 * The client of a Glassbox content store: publish bytes, get the URI nodes fetch them from.
 *
 *   const { hash, uri, size } = await publishBytes("http://127.0.0.1:9470", bytes);
 *
 * The bytes are sent with `PUT <store>/<keccak256>`; the store checks the hash before it keeps
 * them, so the URI returned serves exactly `bytes`. Plain `fetch`, no Node imports: a browser (or
 * any runtime with fetch) can use it, and a test or an authenticating caller can inject its own.
 */
import { keccak256 } from "ethers";
import { contentUri, storeBaseUrl } from "./address";

/** Default time allowed for one upload, in milliseconds. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 60_000;

export interface PublishOptions {
  /** The fetch used (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Cancels the upload; its reason is thrown as is. */
  signal?: AbortSignal;
  /** Time allowed for the whole upload, in ms. Default DEFAULT_PUBLISH_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Bytes the store now serves: their keccak256, the URI to put in a request, and their length. */
export interface Published {
  hash: string;
  uri: string;
  size: number;
}

/** The store could not be reached or refused the bytes; `status` is the HTTP status when it answered. */
export class ContentPublishError extends Error {
  constructor(
    readonly store: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ContentPublishError";
  }
}

/** Uploads `bytes` to the content store at `store` under their keccak256; throws ContentPublishError. */
export async function publishBytes(store: string, bytes: Uint8Array, options: PublishOptions = {}): Promise<Published> {
  const base = storeBaseUrl(store);
  if (bytes.length === 0) throw new ContentPublishError(base, "there is nothing to publish: the bytes are empty");
  const hash = keccak256(bytes);
  const uri = contentUri(base, hash);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    // A fresh copy: fetch takes a view of a plain ArrayBuffer only (not of a shared or resizable one).
    response = await doFetch(uri, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": "application/octet-stream" }, signal });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error(String(options.signal.reason));
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : causeText(err);
    throw new ContentPublishError(base, `cannot publish to the content store at ${base} (${why}): is it running, and is the URL right?`, undefined, { cause: err });
  }
  if (response.status !== 200 && response.status !== 201) {
    const text = (await response.text().catch(() => "")).trim().slice(0, 300);
    throw new ContentPublishError(base, `the content store at ${base} refused ${bytes.length} bytes: HTTP ${response.status}${text ? `: ${text}` : ""}`, response.status);
  }
  await response.body?.cancel().catch(() => undefined);
  return { hash, uri, size: bytes.length };
}

function causeText(err: unknown): string {
  if (err instanceof Error && err.cause instanceof Error) return `${err.message}: ${err.cause.message}`;
  return err instanceof Error ? err.message : String(err);
}
