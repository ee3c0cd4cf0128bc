/**
 * Reads bytes a job points at (a by-reference input or output, a model's ONNX file) with plain
 * `fetch`, under a byte cap, and checks them against the hash the chain holds. A client reading
 * its own job is not an exposed node: no host filter applies, only the cap.
 *
 * Browser-safe: ethers and fetch only.
 */
import { keccak256, sha256 } from "ethers";
import { concatBytes } from "./bytes";
import { GlassboxError } from "./errors";

export interface FetchBytesOptions {
  /** The fetch used (default: the global one); inject one to read other schemes (file://). */
  fetch?: typeof globalThis.fetch;
  /** Base URL that `ipfs://<cid>/path` is read through (default https://ipfs.io/ipfs/). */
  ipfsGateway?: string;
  /** Largest number of bytes read. */
  maxBytes: number;
  signal?: AbortSignal;
}

export const DEFAULT_IPFS_GATEWAY = "https://ipfs.io/ipfs/";

/** The URL actually fetched for `uri`: ipfs:// through the gateway, anything else as is. */
export function fetchUrlOf(uri: string, gateway = DEFAULT_IPFS_GATEWAY): string {
  const m = /^ipfs:\/\/(?:ipfs\/)?(.+)$/i.exec(uri);
  if (m) return gateway.replace(/\/?$/, "/") + m[1];
  return uri;
}

/** The bytes at `uri`, at most `options.maxBytes` of them; throws GlassboxError FETCH_FAILED or TOO_LARGE. */
export async function fetchBytes(uri: string, what: string, options: FetchBytesOptions): Promise<Uint8Array> {
  const url = fetchUrlOf(uri, options.ipfsGateway);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (options.fetch === undefined && !/^https?:\/\//i.test(url)) {
    throw new GlassboxError("FETCH_FAILED", `${what} is at ${uri}, which plain fetch cannot read: pass a \`fetch\` that reads this scheme to GlassboxClient.connect`);
  }
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw new GlassboxError("ABORTED", `fetching ${what} was cancelled`, { cause: err });
    throw new GlassboxError("FETCH_FAILED", `cannot fetch ${what} from ${url} (${err instanceof Error ? err.message : String(err)}): is the host up? retry later`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new GlassboxError("FETCH_FAILED", `fetching ${what} from ${url} answered HTTP ${response.status}: the bytes are not served there (any more); ask whoever published them`);
  }
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooLarge = () => new GlassboxError("TOO_LARGE", `${what} at ${url} is larger than ${options.maxBytes} bytes: raise maxFetchBytes in GlassboxClient.connect if you trust it`);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(await response.arrayBuffer());
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > options.maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

/** Throws HASH_MISMATCH unless keccak256(`bytes`) is `expected`. */
export function checkKeccak(bytes: Uint8Array, expected: string, what: string): void {
  const actual = keccak256(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new GlassboxError("HASH_MISMATCH", `${what}: its ${bytes.length} bytes have keccak256 ${actual}, but the chain commits to ${expected}; the URI serves other bytes than were committed, so do not trust them`);
  }
}

/** Throws HASH_MISMATCH unless SHA-256(`bytes`) is the registered `digest`. */
export function checkSha256(bytes: Uint8Array, digest: string, what: string): void {
  const actual = sha256(bytes);
  if (actual !== digest.toLowerCase()) {
    throw new GlassboxError("HASH_MISMATCH", `${what}: its ${bytes.length} bytes have SHA-256 ${actual}, but the registry holds ${digest}; the URI serves other bytes than were registered`);
  }
}
