/**
 * The networks Glassbox deploys to and the configuration variables they need. Imported by
 * hardhat.config.ts, so it must not import the contract bindings (packages/node/src/typechain) (absent before the first compile) nor
 * anything that needs a Hardhat runtime.
 *
 * Each variable is read from the environment first, then from Hardhat's configuration variables
 * (`npx hardhat vars set NAME`). None is needed to load the config: a task that targets a testnet
 * calls `requireNetworkVars` and fails with one line naming what is missing.
 */
import path from "node:path";
import { vars } from "hardhat/config";

export interface Testnet {
  chainId: number;
  /** The variable holding the JSON-RPC endpoint. */
  rpcVar: string;
}

export const TESTNETS: Record<string, Testnet> = {
  sepolia: { chainId: 11155111, rpcVar: "SEPOLIA_RPC_URL" },
  baseSepolia: { chainId: 84532, rpcVar: "BASE_SEPOLIA_RPC_URL" },
  arbitrumSepolia: { chainId: 421614, rpcVar: "ARBITRUM_SEPOLIA_RPC_URL" },
};

/** The deployer's private key on every testnet. */
export const DEPLOYER_KEY_VAR = "DEPLOYER_KEY";
/** One Etherscan (API v2) key verifies on every chain hardhat-verify knows, Base and Arbitrum included. */
export const ETHERSCAN_KEY_VAR = "ETHERSCAN_API_KEY";

/** A variable from the environment, else from Hardhat's configuration variables; undefined when unset. */
export function configVar(name: string): string | undefined {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  return vars.has(name) ? vars.get(name) : undefined;
}

/** The deployment file of `network`: deployments/<network>.json at the repository root. */
export function deploymentFileFor(network: string): string {
  return path.join(__dirname, "..", "deployments", `${network}.json`);
}

/** Thrown when a task needs a variable that is not set; the message is one line with the fix. */
export class MissingVarError extends Error {
  constructor(names: string[]) {
    const list = andList(names);
    const how = andList(names.map((n) => `\`npx hardhat vars set ${n}\``));
    super(`${list} ${names.length > 1 ? "are" : "is"} not set: run ${how}, or export ${names.map((n) => `${n}=...`).join(" ")}`);
    this.name = "MissingVarError";
  }
}

function andList(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Throws MissingVarError when `network` is a testnet whose RPC (and, if `signing`, key) is unset. */
export function requireNetworkVars(network: string, opts: { signing?: boolean; verify?: boolean } = {}): void {
  const testnet = TESTNETS[network];
  if (!testnet) return;
  const needed = [testnet.rpcVar];
  if (opts.signing) needed.push(DEPLOYER_KEY_VAR);
  if (opts.verify) needed.push(ETHERSCAN_KEY_VAR);
  const missing = needed.filter((name) => configVar(name) === undefined);
  if (missing.length > 0) throw new MissingVarError(missing);
}

/** The `networks` entries of the testnets; an unset RPC becomes a placeholder that names its variable. */
export function testnetConfigs(): Record<string, { url: string; chainId: number; accounts: string[] }> {
  const key = configVar(DEPLOYER_KEY_VAR);
  const accounts = key ? [key.startsWith("0x") ? key : `0x${key}`] : [];
  return Object.fromEntries(
    Object.entries(TESTNETS).map(([name, t]) => [
      name,
      { url: configVar(t.rpcVar) ?? `https://${t.rpcVar.toLowerCase().replace(/_/g, "-")}-is-not-set.invalid`, chainId: t.chainId, accounts },
    ]),
  );
}
