/**
 * The JSON-RPC provider every Glassbox program uses: pinned to one chain (no network re-detection),
 * without ethers' call cache, and with a bounded request time.
 */
import { FetchRequest, JsonRpcProvider, type Network } from "ethers";

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
}

export function pinnedJsonRpcProvider(url: string, network: Network, options: ProviderOptions = {}): JsonRpcProvider {
  const request = new FetchRequest(url);
  request.timeout = options.timeoutMs ?? RPC_REQUEST_TIMEOUT_MS;
  // cacheTimeout -1: ethers otherwise answers a repeated call (eth_getTransactionCount "pending")
  // from a 250 ms cache, so a transaction sent right after another one reuses its nonce.
  return new JsonRpcProvider(request, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    ...(options.pollingIntervalMs === undefined ? {} : { pollingInterval: options.pollingIntervalMs }),
  });
}
