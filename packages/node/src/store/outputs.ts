/**
 * By-reference job outputs. Storing an output on-chain costs about 700 gas per byte, and
 * JobRegistry refuses more than MAX_INLINE_OUTPUT_BYTES inline; a larger output (or any output
 * above the operator's `inlineBytes`) is written to a directory under its keccak256 and posted
 * with `submitResultRef(jobId, keccak256(output), <baseUrl>/<keccak256>)`. The node's ops server
 * serves that directory at `/outputs/<keccak256>`; any static host serving the same files works.
 *
 *   const publisher = new OutputPublisher({ dir, baseUrl: "https://node.example/outputs" });
 *   if (publisher.byReference(output)) { const { hash, uri } = publisher.publish(output); ... }
 *
 * Verifiers read such an output with the input readers (InputSource: same URI schemes, size cap
 * and hash check). An output its executor does not serve, or whose bytes are not the committed
 * ones, is not a result anyone can check: verifiers treat it as a wrong output (see
 * roles/verifier.ts), so an executor that publishes by reference must keep serving its files at
 * least until the job is final.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { MAX_INLINE_OUTPUT_BYTES } from "../limits";
import { InputFetchError, type InputSource } from "./inputs";

/** JobRegistry.MAX_INLINE_OUTPUT: the most output bytes `submitResult` accepts (they are stored); see limits.ts. */
export { MAX_INLINE_OUTPUT_BYTES };
/**
 * Default largest output posted inline: the contract's cap (12 KiB of storage, about 8.5M gas at
 * submission, far under the 2^24 per-transaction cap); larger outputs go by reference.
 */
export const DEFAULT_INLINE_OUTPUT_BYTES = MAX_INLINE_OUTPUT_BYTES;

const HASH = /^0x[0-9a-f]{64}$/;

export interface OutputPublisherOptions {
  /** Where published outputs are written, one file per keccak256. Created if missing. */
  dir: string;
  /** URL prefix under which `dir`'s files are reachable by verifiers: http(s), or file: for a one-machine devnet or a test. */
  baseUrl: string;
  /** Largest output posted inline (1..MAX_INLINE_OUTPUT_BYTES). Default DEFAULT_INLINE_OUTPUT_BYTES. */
  inlineBytes?: number;
}

export class OutputPublisher {
  readonly dir: string;
  readonly baseUrl: string;
  readonly inlineBytes: number;

  constructor(options: OutputPublisherOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new RangeError(`outputBaseUrl: "${options.baseUrl}" is not a URL; give the http(s) address where this node's /outputs/ are reachable`);
    }
    if (!["http:", "https:", "file:"].includes(url.protocol)) throw new RangeError(`outputBaseUrl: ${url.protocol} URLs cannot be fetched by verifiers; use http(s)`);
    const inline = options.inlineBytes ?? DEFAULT_INLINE_OUTPUT_BYTES;
    if (!Number.isInteger(inline) || inline < 1 || inline > MAX_INLINE_OUTPUT_BYTES) {
      throw new RangeError(`inlineOutputBytes: ${inline} is not a whole number from 1 to ${MAX_INLINE_OUTPUT_BYTES} (the contract's inline limit)`);
    }
    this.dir = options.dir;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.inlineBytes = inline;
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Whether `output` goes by reference. */
  byReference(output: Uint8Array): boolean {
    return output.length > this.inlineBytes;
  }

  /** Writes `output` under its keccak256 (atomically: a reader never sees a partial file) and returns what submitResultRef takes. */
  publish(output: Uint8Array): { hash: string; uri: string } {
    const hash = keccak256(output);
    const file = publishedPath(this.dir, hash);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, output);
      fs.renameSync(tmp, file);
    }
    return { hash, uri: `${this.baseUrl}/${hash}` };
  }
}

/** The file of a published output; throws on anything but `0x` + 64 lowercase hex digits (no path tricks). */
export function publishedPath(dir: string, hash: string): string {
  if (!HASH.test(hash)) throw new RangeError(`not an output hash: ${hash.slice(0, 80)}`);
  return path.join(dir, hash);
}

/** The published output `hash` in `dir`, or undefined when there is none (or `hash` is not a hash). */
export function readPublished(dir: string, hash: string): Uint8Array | undefined {
  if (!HASH.test(hash)) return undefined;
  try {
    return new Uint8Array(fs.readFileSync(publishedPath(dir, hash)));
  } catch {
    return undefined;
  }
}

/**
 * A by-reference output (submitResultRef) read with `source`'s readers (its schemes, byte cap and
 * host filter) and checked against the committed `hash`, or why it cannot be had (`unavailable`
 * says what failed, without the URI).
 */
export async function fetchReferencedOutput(source: InputSource, jobId: bigint, uri: string, hash: string): Promise<{ bytes: Uint8Array } | { unavailable: string }> {
  try {
    return { bytes: await source.fetch({ jobId, uri, hash, size: 0 }) };
  } catch (err) {
    if (err instanceof InputFetchError) return { unavailable: err.detail };
    throw err;
  }
}
