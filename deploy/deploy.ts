/**
 * The idempotent deployer: makes the chain match deploy/params/<network>.json.
 *
 *   1. Reuse the contracts of deployments/<network>.json when the file is for this chain and every
 *      address has code; otherwise (or with `fresh`) deploy a GlassboxTimelock (OpenZeppelin's
 *      TimelockController, with no admin) and then the contracts, with the timelock as every
 *      contract's GOVERNANCE (deployContracts).
 *   2. Wire the contracts together, sending only what is missing (wireProtocol, deployer only, once).
 *   3. Read every parameter on-chain; for each setter whose parameters differ, schedule the setter
 *      call through the timelock (salt derived from the calldata, no predecessor). On a later run,
 *      an operation that became ready is executed, and one still waiting is reported, not resent.
 *      (When the deployer itself is GOVERNANCE, as with deployProtocol, the setter is called
 *      directly.) A differing immutable (the token, the JobRegistry's collateral terms, the
 *      ModelRegistry's MIN_AUDIT_RATE_BPS) is an error: it needs a fresh deploy.
 *   4. Write the deployment file: the verifier's format (with `timelock`, `jobParams` and `jobSettlement`, the
 *      libraries the JobRegistry links) plus `deployer`, `parameters` and each contract's
 *      `constructorArgs` (what explorer verification needs).
 *
 * A second run with the same parameters sends no transaction.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, keccak256, toUtf8Bytes, concat, toBeHex, zeroPadValue, ZeroAddress, ZeroHash, type Provider, type Signer } from "ethers";
import {
  BlockHashRandomness__factory,
  DisputeManager__factory,
  GlassboxTimelock__factory,
  GlassboxToken__factory,
  JobRegistry__factory,
  ModelRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../packages/node/src/typechain";
import type { GlassboxTimelock } from "../packages/node/src/typechain";
import { CONTRACT_NAMES, parseDeployment, type ContractName, type Deployment } from "../packages/node/src";
import { deploymentFileFor } from "./networks";
import { loadParams, paramsFile, paramsToJson, type NetworkParams } from "./params";
import { deployContracts, wireProtocol, type Protocol } from "./protocol";

/** The deployment file: packages/node/src/deployment.ts's Deployment plus what the deployer records. */
export interface DeploymentRecord extends Deployment {
  /** Who deployed and wired the contracts; it holds no role in them afterwards. */
  deployer: string;
  /** The parameters the chain is brought to, in the params file's schema (amounts as base-unit strings); changes still queued in the timelock included. */
  parameters: Record<string, unknown>;
  /** Each deployed contract's constructor arguments, JSON (amounts as strings); the token only when deployed here. */
  constructorArgs: Partial<Record<RecordedName, unknown[]>>;
}

/** The contracts of the verifier's file, the timelock and the JobRegistry's two libraries. */
export type RecordedName = ContractName | "timelock" | "jobParams" | "jobSettlement" | "randomness";

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
  /** Transactions sent (deployments, wiring, timelock schedules and executions, direct setters). */
  sent: number;
  /**
   * One line per change made: a deployment, a link, or a parameter, e.g.
   * "JobRegistry.challengeWindow 1800 -> 60 (queued: ready at 2026-12-14T17:49:22.000Z)" when
   * scheduled, "... (applied)" when executed through the timelock (or set directly).
   */
  changes: string[];
  /** One line per parameter change already queued and not yet executed (nothing sent for it). */
  pending: string[];
}

/** A deployment that cannot be brought in line by transactions; the message is one line with the fix. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployError";
  }
}

/** Contract names as the verifier's deployment file spells them, with their Solidity sources. */
export const SOURCES: Record<RecordedName, string> = {
  timelock: "contracts/governance/GlassboxTimelock.sol:GlassboxTimelock",
  jobParams: "contracts/libraries/JobParams.sol:JobParams",
  jobSettlement: "contracts/libraries/JobSettlement.sol:JobSettlement",
  randomness: "contracts/randomness/BlockHashRandomness.sol:BlockHashRandomness",
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
  const pending: string[] = [];
  const record = (line: string) => {
    changes.push(line);
    log(line);
  };
  const report = (line: string) => {
    pending.push(line);
    log(line);
  };

  const existing = opts.fresh ? undefined : await reusable(file, chainId, provider, log);
  let protocol: Protocol;
  let governance: string;
  let deploymentBlock: number;
  let constructorArgs: DeploymentRecord["constructorArgs"];
  let jobParams: string | undefined;
  let jobSettlement: string | undefined;
  let randomness: string | undefined;
  let sent = 0;
  if (existing) {
    log(`reusing the contracts in ${shown(file)}`);
    protocol = connectProtocol(existing.contracts, opts.deployer);
    governance = await checkImmutables(protocol, params, source, file, existing.timelock);
    deploymentBlock = existing.deploymentBlock;
    constructorArgs = existing.constructorArgs ?? {};
    jobParams = existing.jobParams;
    jobSettlement = existing.jobSettlement;
    randomness = existing.randomness;
  } else {
    const treasury = params.treasury ?? deployer;
    const g = params.governance;
    const timelockArgs = [g.minDelay, g.proposers.length > 0 ? g.proposers : [deployer], g.executors.length > 0 ? g.executors : [deployer], ZeroAddress] as const;
    const timelock = await new GlassboxTimelock__factory(opts.deployer).deploy(...timelockArgs);
    const timelockReceipt = await timelock.deploymentTransaction()!.wait();
    governance = getAddress(await timelock.getAddress());
    sent += 1;
    record(`GlassboxTimelock deployed at ${governance}`);
    protocol = await deployContracts(opts.deployer, params, treasury, params.token ?? undefined, governance);
    deploymentBlock = timelockReceipt!.blockNumber;
    jobParams = linkedLibrary(protocol, SOURCES.jobParams);
    jobSettlement = linkedLibrary(protocol, SOURCES.jobSettlement);
    sent += 2; // deployContracts deploys the two libraries before the JobRegistry
    record(`JobParams deployed at ${jobParams}`);
    record(`JobSettlement deployed at ${jobSettlement}`);
    randomness = getAddress(await protocol.jobs.RANDOMNESS());
    sent += 1; // deployContracts deploys the randomness source before the managers
    record(`BlockHashRandomness deployed at ${randomness}`);
    for (const [name, contract] of contractsOf(protocol)) {
      const receipt = await contract.deploymentTransaction()?.wait();
      if (!receipt) continue; // the existing token
      deploymentBlock = Math.min(deploymentBlock, receipt.blockNumber);
      sent += 1;
      record(`${SOURCES[name].split(":")[1]} deployed at ${await contract.getAddress()}`);
    }
    constructorArgs = {
      timelock: [timelockArgs[0], [...timelockArgs[1]], [...timelockArgs[2]], timelockArgs[3]],
      ...(await constructorArgsOf(protocol, params, deployer, governance, treasury)),
    };
  }
  for (const line of await wireProtocol(protocol)) {
    sent += 1;
    record(line);
  }
  const changesToMake = await plan(protocol, params, deployer, governance);
  if (governance === deployer) sent += await applyDirectly(opts.deployer, changesToMake, record);
  else sent += await applyThroughTimelock(GlassboxTimelock__factory.connect(governance, opts.deployer), deployer, changesToMake, record, report);

  const deployment: DeploymentRecord = {
    network: opts.network,
    chainId,
    deploymentBlock,
    contracts: await addressesOf(protocol),
    ...(governance === deployer ? {} : { timelock: governance }),
    ...(jobParams ? { jobParams } : {}),
    ...(jobSettlement ? { jobSettlement } : {}),
    ...(randomness ? { randomness } : {}),
    deployer: existing?.deployer ?? deployer,
    parameters: paramsToJson({ ...params, treasury: params.treasury ?? deployer }),
    constructorArgs,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
  return { deployment, sent, changes, pending };
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
  const extra = {
    ...(deployment.timelock ? { timelock: deployment.timelock } : {}),
    ...(deployment.jobParams ? { jobParams: deployment.jobParams } : {}),
    ...(deployment.jobSettlement ? { jobSettlement: deployment.jobSettlement } : {}),
    ...(deployment.randomness ? { randomness: deployment.randomness } : {}),
  };
  for (const [name, address] of Object.entries({ ...deployment.contracts, ...extra })) {
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

/**
 * Throws DeployError naming every immutable that differs from `params` or from the file (every
 * contract's GOVERNANCE must be the recorded timelock); returns the governance address.
 */
async function checkImmutables(p: Protocol, params: NetworkParams, source: string, file: string, timelock: string | undefined): Promise<string> {
  const differ: string[] = [];
  let governance: string;
  try {
    governance = getAddress(await p.jobs.GOVERNANCE());
  } catch {
    throw new DeployError(`${shown(file)}: the JobRegistry has no GOVERNANCE (deployed before governance v2): this needs a fresh deployment (pass --fresh or delete ${shown(file)})`);
  }
  for (const [name, contract] of [["StakeManager", p.stakes], ["PaymentVault", p.vault], ["DisputeManager", p.disputes], ["JobRegistry", p.jobs]] as const) {
    const g = getAddress(await contract.GOVERNANCE());
    if (g !== governance) differ.push(`${name}.GOVERNANCE is ${g}, not the JobRegistry's ${governance}`);
  }
  const randomnessSource = BlockHashRandomness__factory.connect(await p.jobs.RANDOMNESS(), p.jobs.runner);
  if (timelock !== undefined && timelock !== governance) differ.push(`the contracts' GOVERNANCE is ${governance} but ${shown(file)} records the timelock ${timelock}`);
  const immutables = [
    ["JobRegistry.EXECUTOR_COLLATERAL", await p.jobs.EXECUTOR_COLLATERAL(), "collateral.minimum", params.collateral.minimum],
    ["JobRegistry.COLLATERAL_MULTIPLE_BPS", await p.jobs.COLLATERAL_MULTIPLE_BPS(), "collateral.multipleBps", params.collateral.multipleBps],
    ["JobRegistry.MAX_COLLATERAL", await p.jobs.MAX_COLLATERAL(), "collateral.maximum", params.collateral.maximum],
    ["ModelRegistry.MIN_AUDIT_RATE_BPS", await p.models.MIN_AUDIT_RATE_BPS(), "minAuditRateBps", params.minAuditRateBps],
    ["StakeManager.EPOCH_LENGTH", await p.stakes.EPOCH_LENGTH(), "stakeEpoch", params.stakeEpoch],
    ["BlockHashRandomness.DELAY", await randomnessSource.DELAY(), "randomness.delay", params.randomness.delay],
    ["BlockHashRandomness.USE_HISTORY", await randomnessSource.USE_HISTORY(), "randomness.history", params.randomness.history],
  ] as const;
  const sourceAddress = getAddress(await randomnessSource.getAddress());
  const disputesSource = getAddress(await p.disputes.RANDOMNESS());
  if (disputesSource !== sourceAddress) differ.push(`the DisputeManager's RANDOMNESS is ${disputesSource}, not the JobRegistry's ${sourceAddress}`);
  for (const [name, onChain, field, wanted] of immutables) {
    if (String(onChain) !== String(wanted)) differ.push(`${name} is ${onChain} on-chain but ${source} set ${field} to ${wanted}`);
  }
  const token = await p.jobs.TOKEN();
  if (params.token !== null && token !== params.token) differ.push(`the token is ${token} on-chain but ${source} set token to ${params.token}`);
  if (differ.length > 0) {
    throw new DeployError(`${differ.join("; ")}: immutable, so this needs a fresh deployment (pass --fresh or delete ${shown(file)})`);
  }
  return governance;
}

// ---- reconcile ----

/** One governance call that brings parameters in line: where, what, and one line per parameter it changes. */
interface Change {
  target: string;
  data: string;
  lines: string[];
}

/**
 * The governance calls that bring every parameter in line with `params`, in the order they must
 * run: each contract's windows must fit in half the unbonding period, so a longer period is set
 * before the windows (a shorter one is refused: the period never shortens), and the struct whose
 * window share shrinks first. A timelock's own delay comes last (it only affects later schedules).
 */
async function plan(p: Protocol, params: NetworkParams, deployer: string, governance: string): Promise<Change[]> {
  const out: Change[] = [];
  const add = async (contract: { getAddress(): Promise<string> }, lines: string[], data: string) => {
    if (lines.length > 0) out.push({ target: await contract.getAddress(), data, lines });
  };

  const treasury = params.treasury ?? deployer;
  await add(p.vault, diff("PaymentVault.treasury", await p.vault.treasury(), treasury), p.vault.interface.encodeFunctionData("setTreasury", [treasury]));
  for (const [role, field, target] of [[0, "minExecutorStake", params.minExecutorStake], [1, "minVerifierStake", params.minVerifierStake]] as const) {
    const current = await p.stakes.minStake(role);
    await add(p.stakes, diff(`StakeManager.${field}`, current, target), p.stakes.interface.encodeFunctionData("setMinStake", [role, target]));
  }

  const unbonding = Number(await p.stakes.unbondingPeriod());
  const setUnbonding = () =>
    add(p.stakes, diff("StakeManager.unbondingPeriod", unbonding, params.unbondingPeriod), p.stakes.interface.encodeFunctionData("setUnbondingPeriod", [params.unbondingPeriod]));
  if (params.unbondingPeriod > unbonding) await setUnbonding();

  const jobsNow = await p.jobs.params();
  const disputesNow = await p.disputes.params();
  const setJobs = () => add(p.jobs, diffStruct("JobRegistry", jobsNow, params.jobs), p.jobs.interface.encodeFunctionData("setParams", [params.jobs]));
  const setDisputes = () => add(p.disputes, diffStruct("DisputeManager", disputesNow, params.disputes), p.disputes.interface.encodeFunctionData("setParams", [params.disputes]));
  const jobShare = (j: { executionWindow: bigint | number; challengeWindow: bigint | number; revealWindow: bigint | number }) =>
    Number(j.executionWindow) + Math.max(Number(j.challengeWindow), Number(j.revealWindow));
  if (jobShare(params.jobs) <= jobShare(jobsNow)) {
    await setJobs();
    await setDisputes();
  } else {
    await setDisputes();
    await setJobs();
  }

  if (params.unbondingPeriod < unbonding) {
    throw new DeployError(
      `unbondingPeriod ${params.unbondingPeriod} s is shorter than the deployed StakeManager's ${unbonding} s, and the unbonding period never shortens (the windows were checked against it): keep ${unbonding} or deploy fresh`,
    );
  }

  if (governance !== deployer) {
    const timelock = GlassboxTimelock__factory.connect(governance, p.jobs.runner);
    const delay = await timelock.getMinDelay();
    await add(timelock, diff("GlassboxTimelock.minDelay", delay, params.governance.minDelay), timelock.interface.encodeFunctionData("updateDelay", [params.governance.minDelay]));
  }
  return out;
}

/** Sends each change as a plain call (the deployer is GOVERNANCE: deployProtocol's deployments); returns the transactions sent. */
async function applyDirectly(deployer: Signer, changes: Change[], record: (line: string) => void): Promise<number> {
  for (const change of changes) {
    await (await deployer.sendTransaction({ to: change.target, data: change.data })).wait();
    change.lines.forEach(record);
  }
  return changes.length;
}

/** TimelockController.OperationState. */
const OperationState = { Unset: 0n, Waiting: 1n, Ready: 2n, Done: 3n } as const;

/**
 * Moves each change one step through the timelock: schedules it when it is not queued, executes
 * it when it is ready, reports it when it is still waiting. Returns the transactions sent.
 */
async function applyThroughTimelock(
  timelock: GlassboxTimelock,
  deployer: string,
  changes: Change[],
  record: (line: string) => void,
  report: (line: string) => void,
): Promise<number> {
  let sent = 0;
  const name = `the timelock ${await timelock.getAddress()}`;
  for (const change of changes) {
    const { salt, id } = await operationOf(timelock, change);
    const state = await timelock.getOperationState(id);
    if (state === OperationState.Unset) {
      if (!(await timelock.hasRole(await timelock.PROPOSER_ROLE(), deployer))) {
        throw new DeployError(`the deployer ${deployer} is not a proposer of ${name}, so it cannot queue: ${change.lines.join(", ")} (a proposer must schedule target ${change.target}, data ${change.data}, salt ${salt})`);
      }
      await (await timelock.schedule(change.target, 0, change.data, ZeroHash, salt, await timelock.getMinDelay())).wait();
      sent += 1;
      const at = readyAt(await timelock.getTimestamp(id));
      change.lines.forEach((line) => record(`${line} (queued: ready at ${at})`));
    } else if (state === OperationState.Waiting) {
      const at = readyAt(await timelock.getTimestamp(id));
      change.lines.forEach((line) => report(`${line} (pending: ready at ${at})`));
    } else {
      const anyone = await timelock.hasRole(await timelock.EXECUTOR_ROLE(), ZeroAddress);
      if (!anyone && !(await timelock.hasRole(await timelock.EXECUTOR_ROLE(), deployer))) {
        change.lines.forEach((line) => report(`${line} (ready: an executor of ${name} must execute it)`));
        continue;
      }
      try {
        await (await timelock.execute(change.target, 0, change.data, ZeroHash, salt)).wait();
      } catch (err) {
        throw new DeployError(`executing ${change.lines.join(", ")} through ${name} failed: ${(err as Error).message.split("\n")[0]}`);
      }
      sent += 1;
      change.lines.forEach((line) => record(`${line} (applied)`));
    }
  }
  return sent;
}

/**
 * The operation that carries `change`: salt keccak256(data ++ n) for the first n whose operation
 * is not done yet, so that a value set, changed and set again gets a fresh operation, while the
 * same pending change always maps to the same one.
 */
async function operationOf(timelock: GlassboxTimelock, change: Change): Promise<{ salt: string; id: string }> {
  for (let n = 0; ; n++) {
    const salt = keccak256(concat([change.data, zeroPadValue(toBeHex(n), 32)]));
    const id = await timelock.hashOperation(change.target, 0, change.data, ZeroHash, salt);
    if ((await timelock.getOperationState(id)) !== OperationState.Done) return { salt, id };
  }
}

function readyAt(timestamp: bigint): string {
  return new Date(Number(timestamp) * 1000).toISOString();
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
async function constructorArgsOf(p: Protocol, params: NetworkParams, deployer: string, admin: string, treasury: string): Promise<DeploymentRecord["constructorArgs"]> {
  const a = await addressesOf(p);
  const json = paramsToJson(params);
  const randomness = getAddress(await p.jobs.RANDOMNESS());
  const args: DeploymentRecord["constructorArgs"] = {
    jobParams: [],
    jobSettlement: [],
    randomness: [params.randomness.delay, params.randomness.history],
    modelRegistry: [json.minAuditRateBps],
    stakeManager: [a.token, admin, json.minExecutorStake, json.minVerifierStake, json.unbondingPeriod, json.stakeEpoch],
    paymentVault: [a.token, admin, treasury],
    disputeManager: [a.stakeManager, randomness, a.paymentVault, admin, json.disputes],
    quorumManager: [],
    jobRegistry: [a.token, a.modelRegistry, a.stakeManager, a.disputeManager, a.quorumManager, a.paymentVault, randomness, admin, json.collateral, json.jobs],
  };
  if (params.token === null) args.token = [deployer];
  return args;
}

/**
 * A library the JobRegistry was deployed with: the address linked in place of the library's
 * placeholder (`__$` + 34 hex digits of keccak256(fully qualified name) + `$__`) in
 * JobRegistry__factory.bytecode, read from the deployment transaction at the same offset.
 */
function linkedLibrary(p: Protocol, fullyQualifiedName: string): string {
  const data = p.jobs.deploymentTransaction()?.data;
  const placeholder = `__$${keccak256(toUtf8Bytes(fullyQualifiedName)).slice(2, 36)}$__`;
  const at = JobRegistry__factory.bytecode.indexOf(placeholder);
  if (!data || at < 0) throw new DeployError(`cannot read the ${fullyQualifiedName} library from the JobRegistry's deployment transaction`);
  return getAddress(`0x${data.slice(at, at + 40)}`);
}

/** `file` relative to the working directory when it is below it, else as given. */
export function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
