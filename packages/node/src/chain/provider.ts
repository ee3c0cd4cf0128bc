/**
 * The JSON-RPC provider every Glassbox program uses: pinned to one chain (no network re-detection),
 * without ethers' call cache, and with a bounded request time; with `retry`, transient failures are
 * tried again (chain/retryingProvider.ts).
 */
import { FetchRequest, JsonRpcProvider, type JsonRpcApiProviderOptions, type Network } from "ethers";
import type { RetryOptions } from "./retry";
import { RetryingJsonRpcProvider } from "./retryingProvider";

/**
 * How long one JSON-RPC request may go without an answer before it fails. ethers' default is five
 * minutes, long enough for an endpoint that accepts connections but never answers to stall a node
 * (or a test harness) for that long per call; the node's loop retries a failed poll anyway.
 */
export const RPC_REQUEST_TIMEOUT_MS = 30_000;

export interface ProviderOptions {
  /** How often ethers polls for blocks and receipts (its default: 4 s). */
  pollingIntervalMs?: number;
  /** Per-request limit; RPC_REQUEST_TIMEOUT_MS unless set. */
  timeoutMs?: number;
  /** Try transient failures again with this backoff (reads always; sends only if never delivered). */
  retry?: Partial<RetryOptions>;
}

export function pinnedJsonRpcProvider(url: string, network: Network, options: ProviderOptions = {}): JsonRpcProvider {
  const request = new FetchRequest(url);
  request.timeout = options.timeoutMs ?? RPC_REQUEST_TIMEOUT_MS;
  // cacheTimeout -1: ethers otherwise answers a repeated call (eth_getTransactionCount "pending")
  // from a 250 ms cache, so a transaction sent right after another one reuses its nonce.
  const apiOptions: JsonRpcApiProviderOptions = {
    staticNetwork: network,
    cacheTimeout: -1,
    ...(options.pollingIntervalMs === undefined ? {} : { pollingInterval: options.pollingIntervalMs }),
  };
  return options.retry ? new RetryingJsonRpcProvider(url, request, network, apiOptions, options.retry) : new JsonRpcProvider(request, network, apiOptions);
}
