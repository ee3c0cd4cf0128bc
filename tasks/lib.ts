/**
 * What the operator tasks share: one-line failures, the network's deployment file, the signing key.
 *
 * Tasks are imported by hardhat.config.ts, before the contract bindings (packages/node/src/typechain) exists on a fresh checkout: code
 * that needs the typings (deploy/deploy.ts, the node's entry packages/node/src, which also loads onnxruntime-node and SQLite) is
 * imported inside the actions; only its types are imported here.
 */
import { HDNodeWallet, Mnemonic } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deploymentFileFor, requireNetworkVars } from "../deploy/networks";
import type { Deployment } from "../packages/node/src";

/** A failure the operator can fix; printed as its message alone. */
export class TaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskError";
  }
}

/**
 * Wraps a task action so that any failure is ONE line on stderr and exit code 1: no Hardhat
 * banner, no stack trace (pass --show-stack-traces to get one). Reverts are decoded by name.
 */
export function oneLineErrors<A>(action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<void>) {
  return async (args: A, hre: HardhatRuntimeEnvironment): Promise<void> => {
    try {
      await action(args, hre);
    } catch (err) {
      if (process.argv.includes("--show-stack-traces")) throw err;
      console.error(`glassbox: ${await describe(err)}`);
      process.exitCode = 1;
    }
  };
}

async function describe(err: unknown): Promise<string> {
  try {
    const { oneLine } = await import("../packages/node/src");
    return oneLine(err);
  } catch {
    return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
  }
}

/** The network's deployment file, read and checked against the connected chain. */
export async function networkDeployment(hre: HardhatRuntimeEnvironment, opts: { signing?: boolean } = {}): Promise<{ file: string; deployment: Deployment }> {
  requireNetworkVars(hre.network.name, opts);
  const file = deploymentFileFor(hre.network.name);
  const { checkChain, readDeployment } = await import("../packages/node/src");
  const deployment = readDeployment(file);
  await checkChain(deployment, hre.ethers.provider, file);
  return { file, deployment };
}

/**
 * The private key of the network's first account, for commands that sign outside Hardhat's
 * provider (the glassbox CLI). Remote accounts (a `hardhat node`) are matched against the project's
 * Hardhat network mnemonic, which is what `hardhat node` uses.
 */
export async function firstAccountKey(hre: HardhatRuntimeEnvironment): Promise<string> {
  const accounts = hre.network.config.accounts;
  if (Array.isArray(accounts)) {
    const first = accounts[0];
    if (first === undefined) throw new TaskError(`network ${hre.network.name} has no account configured`);
    return typeof first === "string" ? first : first.privateKey;
  }
  if (accounts !== "remote") return derive(accounts, 0).privateKey;
  const [address] = (await hre.network.provider.send("eth_accounts", [])) as string[];
  const hd = hre.config.networks.hardhat.accounts;
  if (address && !Array.isArray(hd)) {
    for (let i = 0; i < hd.count; i += 1) {
      const wallet = derive(hd, i);
      if (wallet.address.toLowerCase() === address.toLowerCase()) return wallet.privateKey;
    }
  }
  throw new TaskError(`cannot find the private key of ${address ?? "the node's first account"} on ${hre.network.name}: configure accounts for this network`);
}

function derive(hd: { mnemonic: string; passphrase: string; path: string; initialIndex: number }, index: number): HDNodeWallet {
  const mnemonic = Mnemonic.fromPhrase(hd.mnemonic, hd.passphrase);
  return HDNodeWallet.fromMnemonic(mnemonic, `${hd.path}/${hd.initialIndex + index}`);
}

/**
 * Runs one glassbox CLI command (packages/node/src/cli.ts) on this network: Hardhat's provider, the
 * network's deployment file and, when `signing`, the network's first account.
 */
export async function runGlassbox(hre: HardhatRuntimeEnvironment, argv: string[], opts: { signing: boolean }): Promise<void> {
  const { file } = await networkDeployment(hre, opts);
  const { runCli } = await import("../packages/node/src");
  const env: Record<string, string | undefined> = { ...process.env };
  const extra = ["--deployment", file];
  if (opts.signing) {
    env.GLASSBOX_TASK_KEY = await firstAccountKey(hre);
    extra.push("--key", "GLASSBOX_TASK_KEY");
  }
  const code = await runCli([...argv, ...extra], {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env,
    provider: hre.ethers.provider,
  });
  if (code !== 0) process.exitCode = code;
}
