/**
 * How a content store names bytes: by their keccak256 (the hash a job's `inputHash` commits to and
 * the node checks), written `0x` + 64 lowercase hex digits, at `<store URL>/<hash>`. Shared by the
 * store's HTTP server and its client; no Node imports, so a browser can use it.
 */

/** `0x` + 64 lowercase hex digits: the only form a content hash takes in a path. */
export const CONTENT_HASH = /^0x[0-9a-f]{64}$/;

/** Whether `text` is a content hash in its one accepted form. */
export function isContentHash(text: string): boolean {
  return CONTENT_HASH.test(text);
}

/**
 * A store's base URL, checked (http or https) and without trailing slashes; otherwise a RangeError
 * saying what to pass.
 */
export function storeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`content store "${url}" is not a URL: pass the http(s) address of a Glassbox content store, e.g. http://127.0.0.1:9470`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new RangeError(`content store "${url}" must be an http(s) URL, not ${parsed.protocol}`);
  if (parsed.search !== "" || parsed.hash !== "") throw new RangeError(`content store "${url}" must not have a query or fragment`);
  return parsed.href.replace(/\/+$/, "");
}

/** The URI of the bytes whose keccak256 is `hash` in the store at `base` (a checked base URL). */
export function contentUri(base: string, hash: string): string {
  if (!isContentHash(hash)) throw new RangeError(`not a content hash: ${hash.slice(0, 80)} (expected 0x + 64 lowercase hex digits)`);
  return `${base.replace(/\/+$/, "")}/${hash}`;
}
