/**
 * The idempotent deployer: makes the chain match deploy/params/<network>.json.
 *
 *   1. Reuse the contracts of deployments/<network>.json when the file is for this chain and every
 *      address has code; otherwise (or with `fresh`) deploy them (deployContracts).
 *   2. Wire the roles, granting only what is missing (wireProtocol).
 *   3. Read every parameter on-chain and call the setter of each that differs (one transaction per
 *      setter; JobRegistry and DisputeManager take their whole struct in one). A differing
 *      immutable (the token, JobRegistry.EXECUTOR_COLLATERAL) is an error: it needs a fresh deploy.
 *   4. Write the deployment file: the verifier's format plus `deployer`, `parameters` and each
 *      contract's `constructorArgs` (what explorer verification needs).
 *
 * A second run with the same parameters sends no transaction.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, type ContractTransactionResponse, type Provider, type Signer } from "ethers";
import {
  DisputeManager__factory,
  GlassboxToken__factory,
  JobRegistry__factory,
  ModelRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../typechain-types";
import { CONTRACT_NAMES, parseDeployment, type ContractName, type Deployment } from "../verifier/src/deployment";
import { deploymentFileFor } from "./networks";
import { loadParams, paramsFile, paramsToJson, type NetworkParams } from "./params";
import { deployContracts, wireProtocol, type Protocol } from "./protocol";

/** The deployment file: verifier/src/deployment.ts's Deployment plus what the deployer records. */
export interface DeploymentRecord extends Deployment {
  /** Who deployed the contracts (their admin). */
  deployer: string;
  /** The parameters last applied, in the params file's schema (amounts as base-unit strings). */
  parameters: Record<string, unknown>;
  /** Each deployed contract's constructor arguments, JSON (amounts as strings); the token only when deployed here. */
  constructorArgs: Partial<Record<ContractName, unknown[]>>;
}

export interface DeployOptions {
  deployer: Signer;
  network: string;
  /** Default: loadParams(network). */
  params?: NetworkParams;
  /** Default: deployments/<network>.json at the repository root. */
  deploymentFile?: string;
  /** Deploy new contracts even when the deployment file's are reusable. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface DeployResult {
  deployment: DeploymentRecord;
  /** Transactions sent (deployments, role grants, setters). */
  sent: number;
  /** One line per change made, e.g. "JobRegistry.challengeWindow 1800 -> 60". */
  changes: string[];
}

/** A deployment that cannot be brought in line by transactions; the message is one line with the fix. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployError";
  }
}

/** Contract names as the verifier's deployment file spells them, with their Solidity sources. */
export const SOURCES: Record<ContractName, string> = {
  token: "contracts/GlassboxToken.sol:GlassboxToken",
  modelRegistry: "contracts/ModelRegistry.sol:ModelRegistry",
  stakeManager: "contracts/StakeManager.sol:StakeManager",
  jobRegistry: "contracts/JobRegistry.sol:JobRegistry",
  disputeManager: "contracts/DisputeManager.sol:DisputeManager",
  quorumManager: "contracts/QuorumManager.sol:QuorumManager",
  paymentVault: "contracts/PaymentVault.sol:PaymentVault",
};

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const log = opts.log ?? (() => undefined);
  const provider = opts.deployer.provider;
  if (!provider) throw new DeployError("the deployer signer is not connected to a provider");
  const params = opts.params ?? loadParams(opts.network);
  const source = opts.params ? "the parameters passed" : shown(paramsFile(opts.network));
  const file = opts.deploymentFile ?? deploymentFileFor(opts.network);
  const chainId = Number((await provider.getNetwork()).chainId);
  const deployer = getAddress(await opts.deployer.getAddress());
  const changes: string[] = [];
  const record = (line: string) => {
    changes.push(line);
    log(line);
  };

  const existing = opts.fresh ? undefined : await reusable(file, chainId, provider, log);
  let protocol: Protocol;
  let deploymentBlock: number;
  let constructorArgs: DeploymentRecord["constructorArgs"];
  let sent = 0;
  if (existing) {
    log(`reusing the contracts in ${shown(file)}`);
    protocol = connectProtocol(existing.contracts, opts.deployer);
    await checkImmutables(protocol, params, source, file);
    deploymentBlock = existing.deploymentBlock;
    constructorArgs = existing.constructorArgs ?? {};
  } else {
    const treasury = params.treasury ?? deployer;
    protocol = await deployContracts(opts.deployer, params, treasury, params.token ?? undefined);
    deploymentBlock = Number.MAX_SAFE_INTEGER;
    for (const [name, contract] of contractsOf(protocol)) {
      const receipt = await contract.deploymentTransaction()?.wait();
      if (!receipt) continue; // the existing token
      deploymentBlock = Math.min(deploymentBlock, receipt.blockNumber);
      sent += 1;
      record(`${SOURCES[name].split(":")[1]} deployed at ${await contract.getAddress()}`);
    }
    constructorArgs = await constructorArgsOf(protocol, params, deployer, treasury);
  }
  for (const line of await wireProtocol(protocol)) {
    sent += 1;
    record(line);
  }
  sent += await reconcile(protocol, params, deployer, record);

  const deployment: DeploymentRecord = {
    network: opts.network,
    chainId,
    deploymentBlock,
    contracts: await addressesOf(protocol),
    deployer: existing?.deployer ?? deployer,
    parameters: paramsToJson({ ...params, treasury: params.treasury ?? deployer }),
    constructorArgs,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
  return { deployment, sent, changes };
}

// ---- reuse ----

type ExistingRecord = Deployment & Partial<Pick<DeploymentRecord, "deployer" | "constructorArgs">>;

/** The deployment in `file` when it is for this chain and every contract has code; undefined to deploy fresh. */
async function reusable(file: string, chainId: number, provider: Provider, log: (line: string) => void): Promise<ExistingRecord | undefined> {
  if (!fs.existsSync(file)) {
    log(`no deployment file ${shown(file)}: deploying fresh`);
    return undefined;
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new DeployError(`deployment file ${shown(file)} is not JSON (${(err as Error).message}): fix it, delete it or pass --fresh`);
  }
  let deployment: Deployment;
  try {
    deployment = parseDeployment(json, shown(file));
  } catch (err) {
    throw new DeployError(`${(err as Error).message}: fix it, delete it or pass --fresh`);
  }
  if (deployment.chainId !== chainId) {
    log(`${shown(file)} is for chain ${deployment.chainId}, not ${chainId}: deploying fresh`);
    return undefined;
  }
  for (const [name, address] of Object.entries(deployment.contracts)) {
    if ((await provider.getCode(address)) === "0x") {
      log(`${shown(file)}: no code at ${name} ${address} (a restarted devnet?): deploying fresh`);
      return undefined;
    }
  }
  const deployer = typeof json.deployer === "string" ? json.deployer : undefined;
  const constructorArgs = isObject(json.constructorArgs) ? (json.constructorArgs as DeploymentRecord["constructorArgs"]) : undefined;
  return { ...deployment, deployer, constructorArgs };
}

function connectProtocol(c: Record<ContractName, string>, signer: Signer): Protocol {
  return {
    token: GlassboxToken__factory.connect(c.token, signer),
    models: ModelRegistry__factory.connect(c.modelRegistry, signer),
    stakes: StakeManager__factory.connect(c.stakeManager, signer),
    vault: PaymentVault__factory.connect(c.paymentVault, signer),
    disputes: DisputeManager__factory.connect(c.disputeManager, signer),
    quorum: QuorumManager__factory.connect(c.quorumManager, signer),
    jobs: JobRegistry__factory.connect(c.jobRegistry, signer),
  };
}

/** Throws DeployError naming every immutable parameter that differs from `params`. */
async function checkImmutables(p: Protocol, params: NetworkParams, source: string, file: string): Promise<void> {
  const differ: string[] = [];
  const collateral = await p.jobs.EXECUTOR_COLLATERAL();
  if (collateral !== params.executorCollateral) {
    differ.push(`JobRegistry.EXECUTOR_COLLATERAL is ${collateral} on-chain but ${source} set executorCollateral to ${params.executorCollateral}`);
  }
  const token = await p.jobs.TOKEN();
  if (params.token !== null && token !== params.token) differ.push(`the token is ${token} on-chain but ${source} set token to ${params.token}`);
  if (differ.length > 0) {
    throw new DeployError(`${differ.join("; ")}: immutable, so this needs a fresh deployment (pass --fresh or delete ${shown(file)})`);
  }
}

// ---- reconcile ----

/**
 * Calls the setter of every parameter that differs from `params`; returns the transactions sent.
 * The unbonding period must always cover the longest slashable window, so a longer period is set
 * before the windows, a shorter one after them, and the struct whose window share shrinks first.
 */
async function reconcile(p: Protocol, params: NetworkParams, deployer: string, record: (line: string) => void): Promise<number> {
  let sent = 0;
  const send = async (contract: { GOVERNANCE(): Promise<string> }, name: string, lines: string[], tx: () => Promise<ContractTransactionResponse>) => {
    if (lines.length === 0) return;
    if ((await contract.GOVERNANCE()) !== deployer) {
      throw new DeployError(`the deployer ${deployer} is not the governance of ${name}, so it cannot apply: ${lines.join(", ")}`);
    }
    await (await tx()).wait();
    sent += 1;
    lines.forEach(record);
  };

  const treasury = params.treasury ?? deployer;
  const onTreasury = await p.vault.treasury();
  await send(p.vault, "PaymentVault", diff("PaymentVault.treasury", onTreasury, treasury), () => p.vault.setTreasury(treasury));
  for (const [role, field, target] of [[0, "minExecutorStake", params.minExecutorStake], [1, "minVerifierStake", params.minVerifierStake]] as const) {
    const current = await p.stakes.minStake(role);
    await send(p.stakes, "StakeManager", diff(`StakeManager.${field}`, current, target), () => p.stakes.setMinStake(role, target));
  }

  const unbonding = Number(await p.stakes.unbondingPeriod());
  const setUnbonding = () =>
    send(p.stakes, "StakeManager", diff("StakeManager.unbondingPeriod", unbonding, params.unbondingPeriod), () => p.stakes.setUnbondingPeriod(params.unbondingPeriod));
  if (params.unbondingPeriod > unbonding) await setUnbonding();

  const jobsNow = await p.jobs.params();
  const disputesNow = await p.disputes.params();
  const setJobs = () => send(p.jobs, "JobRegistry", diffStruct("JobRegistry", jobsNow, params.jobs), () => p.jobs.setParams(params.jobs));
  const setDisputes = () => send(p.disputes, "DisputeManager", diffStruct("DisputeManager", disputesNow, params.disputes), () => p.disputes.setParams(params.disputes));
  const jobShare = (j: { executionWindow: bigint | number; challengeWindow: bigint | number; revealWindow: bigint | number }) =>
    Number(j.executionWindow) + Math.max(Number(j.challengeWindow), Number(j.revealWindow));
  if (jobShare(params.jobs) <= jobShare(jobsNow)) {
    await setJobs();
    await setDisputes();
  } else {
    await setDisputes();
    await setJobs();
  }

  if (params.unbondingPeriod < unbonding) await setUnbonding();
  return sent;
}

function diff(name: string, current: unknown, target: unknown): string[] {
  return String(current) === String(target) ? [] : [`${name} ${String(current)} -> ${String(target)}`];
}

function diffStruct(contract: string, current: object, target: object): string[] {
  const now = current as Record<string, unknown>;
  return Object.entries(target).flatMap(([field, value]) => diff(`${contract}.${field}`, now[field], value));
}

// ---- the record ----

function contractsOf(p: Protocol): [ContractName, Protocol[keyof Protocol]][] {
  return [
    ["token", p.token],
    ["modelRegistry", p.models],
    ["stakeManager", p.stakes],
    ["paymentVault", p.vault],
    ["disputeManager", p.disputes],
    ["quorumManager", p.quorum],
    ["jobRegistry", p.jobs],
  ];
}

async function addressesOf(p: Protocol): Promise<Record<ContractName, string>> {
  const byName = new Map(contractsOf(p));
  const out = {} as Record<ContractName, string>;
  for (const name of CONTRACT_NAMES) out[name] = getAddress(await byName.get(name)!.getAddress());
  return out;
}

/** The arguments each contract was constructed with (mirrors deployContracts), JSON-safe. */
async function constructorArgsOf(p: Protocol, params: NetworkParams, admin: string, treasury: string): Promise<DeploymentRecord["constructorArgs"]> {
  const a = await addressesOf(p);
  const json = paramsToJson(params);
  const args: DeploymentRecord["constructorArgs"] = {
    modelRegistry: [],
    stakeManager: [a.token, admin, json.minExecutorStake, json.minVerifierStake, json.unbondingPeriod],
    paymentVault: [a.token, admin, treasury],
    disputeManager: [a.token, a.stakeManager, a.paymentVault, admin, json.disputes],
    quorumManager: [],
    jobRegistry: [a.token, a.modelRegistry, a.stakeManager, a.disputeManager, a.quorumManager, a.paymentVault, admin, json.executorCollateral, json.jobs],
  };
  if (params.token === null) args.token = [admin];
  return args;
}

/** `file` relative to the working directory when it is below it, else as given. */
export function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
