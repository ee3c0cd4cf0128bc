/**
 * What the API needs beyond the index (api.ts ApiContext): the chain's head (read at most once a
 * second), a job's input and output bytes (from the logs when they were inline, else fetched from
 * the URI the job names and checked against its hash) and the bytes of a URI the chain names.
 */
import { getBytes, keccak256, type Provider } from "ethers";
import { fetchWithFiles } from "../content/fileFetch";
import { fetchBytes } from "../sdk/fetchBytes";
import type { ApiContext, ExplorerReader } from "./api";
import type { ExplorerConfig } from "./types";

/** Largest file the explorer proxies (a model's ONNX file included). */
export const MAX_PROXIED_BYTES = 256 * 1024 * 1024;
/** How long a head block read is reused, ms. */
const HEAD_TTL_MS = 1000;

/** The index's byte reads (hex), beside the API's queries. */
export interface BytesReader {
  /** The job's inline input bytes, or undefined when it was by reference. */
  jobInputBytes(jobId: string): string | undefined;
  /** The job's posted (inline) or revealed output bytes, or undefined. */
  jobOutputBytes(jobId: string): string | undefined;
}

export function apiContext(reader: ExplorerReader & BytesReader, provider: Provider, config: ExplorerConfig): ApiContext {
  let head: { block: number; at: number } | undefined;
  const fetchUri = (uri: string, what: string) => fetchBytes(uri, what, { fetch: fetchWithFiles, maxBytes: MAX_PROXIED_BYTES });
  return {
    reader,
    config,
    async headBlock() {
      if (!head || Date.now() - head.at > HEAD_TTL_MS) head = { block: await provider.getBlockNumber(), at: Date.now() };
      return head.block;
    },
    async jobBytes(jobId, which) {
      const inline = which === "input" ? reader.jobInputBytes(jobId) : reader.jobOutputBytes(jobId);
      if (inline) return getBytes(inline);
      const job = reader.job(jobId);
      const uri = which === "input" ? job?.inputURI : job?.outputURI;
      if (!job || !uri) return undefined;
      const bytes = await fetchUri(uri, `job ${jobId}'s ${which}`);
      const expected = which === "input" ? job.inputHash : job.outputHash;
      if (expected && keccak256(bytes) !== expected.toLowerCase()) throw new Error(`the bytes at ${uri} are not job ${jobId}'s ${which}: their keccak256 differs from the chain's`);
      return bytes;
    },
    contentOf(uri) {
      return fetchUri(uri, uri);
    },
  };
}
