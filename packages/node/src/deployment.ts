/**
 * The deployment file: which chain, from which block, and where each contract lives.
 *
 *   { "network": "localhost", "chainId": 31337, "deploymentBlock": 12,
 *     "contracts": { "token": "0x..", "modelRegistry": "0x..", "stakeManager": "0x..", "jobRegistry": "0x..",
 *                    "disputeManager": "0x..", "quorumManager": "0x..", "paymentVault": "0x.." },
 *     "timelock": "0x..", "jobParams": "0x..", "jobSettlement": "0x.." }
 *
 * `contentStore` (optional; the devnet writes it) is the http(s) URL of a content store where
 * `glassbox job request` publishes inputs too large to go inline (src/content/).
 * `timelock` (optional: files written before governance v2, or by `writeDeployment`, have none) is
 * the TimelockController that is every contract's GOVERNANCE. `jobParams` (optional: files written
 * before mechanism v2's deployer have none) and `jobSettlement` are the libraries the JobRegistry links.
 * Addresses must be valid (a mixed-case address must carry a correct EIP-55 checksum) and are
 * returned checksummed. `checkChain` refuses an RPC endpoint on another chain.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, type Provider } from "ethers";
import { storeBaseUrl } from "./content/address";

export const CONTRACT_NAMES = ["token", "modelRegistry", "stakeManager", "jobRegistry", "disputeManager", "quorumManager", "paymentVault"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface Deployment {
  network: string;
  chainId: number;
  deploymentBlock: number;
  contracts: Record<ContractName, string>;
  /** The TimelockController that governs the contracts, when the deployer recorded one. */
  timelock?: string;
  /** The JobParams library linked into the JobRegistry, when the deployer recorded it. */
  jobParams?: string;
  /** The JobSettlement library linked into the JobRegistry, when the deployer recorded it. */
  jobSettlement?: string;
  /** The randomness source of audit coins and committee draws (also JobRegistry.RANDOMNESS()). */
  randomness?: string;
  /** A content store for by-reference inputs (http(s) URL), when the deployment has one (the devnet's). */
  contentStore?: string;
}

/** Thrown for a missing, malformed or mismatching deployment file; the message names the file and field. */
export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export function readDeployment(file: string): Deployment {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? "; deploy the protocol first or pass --deployment FILE" : "";
    throw new DeploymentError(`cannot read deployment file ${file}: ${code ?? String(err)}${hint}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DeploymentError(`deployment file ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseDeployment(json, file);
}

/** Validates a parsed deployment document; `source` names it in errors. */
export function parseDeployment(json: unknown, source: string): Deployment {
  const bad = (field: string, why: string) => new DeploymentError(`deployment file ${source}: ${field} ${why}`);
  if (!isObject(json)) throw bad("root", "must be a JSON object");
  const { network, chainId, deploymentBlock, contracts } = json;
  if (typeof network !== "string" || network.length === 0) throw bad("network", "must be a non-empty string");
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) throw bad("chainId", "must be a positive integer");
  if (typeof deploymentBlock !== "number" || !Number.isSafeInteger(deploymentBlock) || deploymentBlock < 0) {
    throw bad("deploymentBlock", "must be a block number (an integer >= 0)");
  }
  if (!isObject(contracts)) throw bad("contracts", "must be an object of addresses");
  const out: Partial<Record<ContractName, string>> = {};
  for (const name of CONTRACT_NAMES) {
    const value = contracts[name];
    if (typeof value !== "string") throw bad(`contracts.${name}`, "is missing");
    try {
      out[name] = getAddress(value);
    } catch {
      throw bad(`contracts.${name}`, `"${value}" is not an address with a valid checksum`);
    }
  }
  const deployment: Deployment = { network, chainId, deploymentBlock, contracts: out as Record<ContractName, string> };
  for (const field of ["timelock", "jobParams", "jobSettlement", "randomness"] as const) {
    const value = json[field];
    if (value === undefined) continue;
    if (typeof value !== "string") throw bad(field, "must be an address string");
    try {
      deployment[field] = getAddress(value);
    } catch {
      throw bad(field, `"${value}" is not an address with a valid checksum`);
    }
  }
  const store = json.contentStore;
  if (store !== undefined) {
    if (typeof store !== "string") throw bad("contentStore", "must be an http(s) URL string");
    try {
      deployment.contentStore = storeBaseUrl(store);
    } catch (err) {
      throw bad("contentStore", (err as Error).message);
    }
  }
  return deployment;
}

/** Throws DeploymentError when `provider` is on another chain than the deployment. */
export async function checkChain(deployment: Deployment, provider: Provider, source: string): Promise<void> {
  const { chainId } = await provider.getNetwork();
  if (chainId !== BigInt(deployment.chainId)) {
    throw new DeploymentError(`chain id mismatch: the RPC is on chain ${chainId} but ${source} is for chain ${deployment.chainId} (${deployment.network})`);
  }
}

/**
 * Records `url` as the deployment file's `contentStore` (the devnet does, once its store listens);
 * the rest of the file is kept as it is.
 */
export function recordContentStore(file: string, url: string): void {
  const json: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!isObject(json)) throw new DeploymentError(`deployment file ${file}: root must be a JSON object`);
  json.contentStore = storeBaseUrl(url);
  parseDeployment(json, file);
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/** The deployed contracts `writeDeployment` records (deploy/protocol.ts's `Protocol` is one). */
export type DeployedProtocol = Record<"token" | "models" | "stakes" | "jobs" | "disputes" | "quorum" | "vault", { getAddress(): Promise<string> }>;

/** Writes the deployment file of `protocol` (deployed on `chainId` from block `block`). */
export async function writeDeployment(file: string, protocol: DeployedProtocol, chainId: number, block: number, network = "localhost"): Promise<Deployment> {
  const deployment: Deployment = {
    network,
    chainId,
    deploymentBlock: block,
    contracts: {
      token: getAddress(await protocol.token.getAddress()),
      modelRegistry: getAddress(await protocol.models.getAddress()),
      stakeManager: getAddress(await protocol.stakes.getAddress()),
      jobRegistry: getAddress(await protocol.jobs.getAddress()),
      disputeManager: getAddress(await protocol.disputes.getAddress()),
      quorumManager: getAddress(await protocol.quorum.getAddress()),
      paymentVault: getAddress(await protocol.vault.getAddress()),
    },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
