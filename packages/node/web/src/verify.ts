/**
 * Verifies a job in the browser: the page reads the chain itself through the deployment's RPC
 * endpoint (not through the explorer), fetches the model and the input through the explorer's
 * /api/content proxy (the SDK checks their SHA-256 and keccak256 against the chain, so the
 * explorer is not trusted), re-runs the model with onnxruntime-web and compares the posted output
 * under the model's tolerance policy with the SDK's (the node's) rule.
 */
import { JsonRpcProvider } from "ethers";
import { GlassboxClient, type ProtocolAddresses, type Verification } from "../../src/sdk";
import { contentUrl, type ExplorerConfig } from "./api";
import { ortModelRunner } from "./ortRunner";

const ADDRESS_KEYS: (keyof ProtocolAddresses)[] = ["token", "modelRegistry", "stakeManager", "jobRegistry", "disputeManager", "quorumManager", "paymentVault"];

/** The protocol's addresses from the explorer's config; throws naming any that is missing. */
export function addressesOf(config: ExplorerConfig): ProtocolAddresses {
  const missing = ADDRESS_KEYS.filter((k) => typeof config.contracts[k] !== "string");
  if (missing.length > 0) throw new Error(`the explorer's /api/config names no ${missing.join(", ")} address: cannot read the protocol`);
  return Object.fromEntries(ADDRESS_KEYS.map((k) => [k, config.contracts[k]])) as unknown as ProtocolAddresses;
}

/** A fetch that reads every URI the SDK asks for (file://, http(s)://, ipfs://...) through the explorer's /api/content. */
export const contentFetch: typeof globalThis.fetch = (input, init) => {
  const uri = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  return fetch(contentUrl(uri), { signal: init?.signal });
};

/** Verifies job `jobId`'s current result, or with `postedIn` the result that transaction posted or revealed. */
export async function verifyJob(jobId: string, config: ExplorerConfig, postedIn?: string): Promise<Verification> {
  const provider = new JsonRpcProvider(config.rpcUrl, config.chainId, { staticNetwork: true });
  try {
    const client = await GlassboxClient.connect({ addresses: addressesOf(config), fromBlock: config.startBlock }, provider, {
      fetch: contentFetch,
      // fetchUrlOf("ipfs://<cid>") with this gateway gives "ipfs://<cid>" back, so the explorer proxies the URI, not a public gateway's URL.
      ipfsGateway: "ipfs://",
    });
    return await client.verify(BigInt(jobId), ortModelRunner(`job ${jobId}`), { postedIn });
  } finally {
    provider.destroy();
  }
}
