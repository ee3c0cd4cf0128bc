import { createHash } from "node:crypto";

/**
 * SHA-256 helpers for model digests. A model is identified on-chain by the SHA-256 of its ONNX
 * bytes, written as `0x` followed by 64 hex digits; on disk the cache names a file by the 64
 * lowercase hex digits alone.
 */

const DIGEST_HEX = /^(0x)?([0-9a-fA-F]{64})$/;

/** The SHA-256 of `bytes` as 64 lowercase hex digits (no `0x`). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The 64 lowercase hex digits of a registered digest (`0x`-prefixed or bare, any case), or
 * `undefined` when `digest` is not a SHA-256 digest.
 */
export function digestHex(digest: string): string | undefined {
  const match = DIGEST_HEX.exec(digest);
  return match ? match[2].toLowerCase() : undefined;
}

/** `0x` + 64 lowercase hex digits: the form used in messages and on-chain. */
export function prefixed(hex: string): string {
  return `0x${hex}`;
}
