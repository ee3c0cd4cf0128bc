/**
 * Per-network deployment parameters: deploy/params/<network>.json, validated into NetworkParams.
 *
 * Durations are integer seconds, shares integer basis points, amounts decimal strings in the token's
 * base units ("20000000000000000000", or "20e18" for the same 20 tokens of 18 decimals). Every bound
 * the contracts enforce is checked here first, so a bad file fails before any transaction, with one
 * line naming the file and the field. deploy/README.md documents each field.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import { catchProbability, decimal, invalidVerdictProbability, leastMultipleBps } from "./economics";
import type { ProtocolParams } from "./protocol";

/** Networks that deploy their own GlassboxToken (and may use the faucet). */
export const DEVNET_NETWORKS = ["hardhat", "localhost", "anvil"] as const;

/** Where the parameter files live. */
export const PARAMS_DIR = path.join(__dirname, "params");

/** The contracts' bounds (constants in StakeManager, JobRegistry, DisputeManager, FeeSplit). */
export const BOUNDS = {
  minWindow: 60, // JobRegistry/DisputeManager.MIN_WINDOW
  maxWindow: 7 * 24 * 3600, // JobRegistry/DisputeManager.MAX_WINDOW
  minUnbonding: 3600, // StakeManager.MIN_UNBONDING
  maxUnbonding: 365 * 24 * 3600, // StakeManager.MAX_UNBONDING
  maxMinStake: 10n ** 27n, // StakeManager.MAX_MIN_STAKE
  maxAmount: 10n ** 27n, // JobRegistry/DisputeManager.MAX_AMOUNT
  maxQuorum: 9, // JobRegistry.MAX_QUORUM
  maxAttempts: 5, // JobRegistry.MAX_ATTEMPTS
  maxCommittee: 15, // DisputeManager.MAX_COMMITTEE
  bps: 10_000, // FeeSplit.BPS
  minCollateralMultipleBps: 10_000, // JobParams.checkCollateral: at least 1x the fee
  maxCollateralMultipleBps: 10_000_000, // JobParams.MAX_COLLATERAL_MULTIPLE_BPS: 1,000x the fee
  maxAuditRateBps: 2_000, // ModelRegistry.MAX_AUDIT_RATE_BPS
  minStakeEpoch: 60, // StakeManager.MIN_EPOCH_LENGTH
  maxStakeEpoch: 7 * 24 * 3600, // StakeManager.MAX_EPOCH_LENGTH
  minRandomnessDelay: 2, // FutureBlockRandomness.MIN_DELAY
  maxRandomnessDelay: 64, // FutureBlockRandomness.MAX_DELAY
} as const;

export interface JobParams {
  executionWindow: number;
  challengeWindow: number;
  revealWindow: number;
  quorumSize: number;
  maxAttempts: number;
  verifierBps: number;
  modelOwnerBps: number;
  treasuryBps: number;
  quorumWinnerShareBps: number;
  minFee: bigint;
  timeoutSlash: bigint;
}

export interface DisputeParams {
  committeeSize: number;
  commitWindow: number;
  revealWindow: number;
  winnerShareBps: number;
  challengeBond: bigint;
  voterSlash: bigint;
  auditReward: bigint;
  bounty: bigint;
}

/** JobRegistry's immutable CollateralTerms. */
export interface CollateralParams {
  minimum: bigint;
  multipleBps: number;
  maximum: bigint;
}

/** The TimelockController that governs a deployment (deploy/README.md). */
export interface GovernanceParams {
  /** Seconds between scheduling a change and running it; at least unbondingPeriod + the longest slashable window. */
  minDelay: number;
  /** May schedule and cancel changes (checksummed); empty means the deployer. */
  proposers: string[];
  /** May execute ready changes (checksummed); empty means the deployer. */
  executors: string[];
}

/** ProtocolParams with concrete types, plus what only a deployment needs. */
export interface NetworkParams extends ProtocolParams {
  /** An existing ERC-20 (checksummed); null deploys GlassboxToken (devnets only). */
  token: string | null;
  /** Where the treasury's share goes (checksummed); null means the deployer. */
  treasury: string | null;
  governance: GovernanceParams;
  unbondingPeriod: number;
  minAuditRateBps: number;
  collateral: CollateralParams;
  jobs: JobParams;
  disputes: DisputeParams;
}

/** Thrown for a missing or invalid parameter file; the message is one line naming file and field. */
export class ParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParamsError";
  }
}

export function paramsFile(network: string): string {
  return path.join(PARAMS_DIR, `${network}.json`);
}

export function isDevnet(network: string): boolean {
  return (DEVNET_NETWORKS as readonly string[]).includes(network);
}

/** Reads and validates deploy/params/<network>.json (or `file`). */
export function loadParams(network: string, file = paramsFile(network)): NetworkParams {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ParamsError(`cannot read parameter file ${shown} for network "${network}": ${code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ParamsError(`${shown}: not JSON: ${(err as Error).message}`);
  }
  return parseParams(json, network, shown);
}

const TOP_FIELDS = ["token", "treasury", "governance", "minExecutorStake", "minVerifierStake", "unbondingPeriod", "stakeEpoch", "randomness", "minAuditRateBps", "collateral", "jobs", "disputes"];

/** Validates a parsed parameter document for `network`; `source` names it in errors. */
export function parseParams(json: unknown, network: string, source: string): NetworkParams {
  const bad = (field: string, why: string) => new ParamsError(`${source}: ${field} ${why}`);
  const root = object(json, "root", bad);
  checkKeys(root, TOP_FIELDS, "", bad);
  const r = reader(root, "", bad);
  const collateral = parseCollateral(object(root.collateral, "collateral", bad), bad);
  const p: NetworkParams = {
    token: tokenField(root.token, network, source, bad),
    treasury: r.optionalAddress("treasury"),
    governance: parseGovernance(object(root.governance, "governance", bad), bad),
    minExecutorStake: r.amount("minExecutorStake", 1n, BOUNDS.maxMinStake),
    minVerifierStake: r.amount("minVerifierStake", 1n, BOUNDS.maxMinStake),
    unbondingPeriod: r.integer("unbondingPeriod", BOUNDS.minUnbonding, BOUNDS.maxUnbonding, "seconds"),
    stakeEpoch: r.integer("stakeEpoch", BOUNDS.minStakeEpoch, BOUNDS.maxStakeEpoch, "seconds"),
    randomness: parseRandomness(object(root.randomness, "randomness", bad), bad),
    minAuditRateBps: r.integer("minAuditRateBps", 0, BOUNDS.maxAuditRateBps, "basis points"),
    collateral,
    jobs: parseJobs(object(root.jobs, "jobs", bad), collateral.minimum, bad),
    disputes: parseDisputes(object(root.disputes, "disputes", bad), bad),
  };
  if (p.disputes.commitWindow > p.stakeEpoch) {
    throw bad("stakeEpoch", `must be at least disputes.commitWindow (${p.disputes.commitWindow} s: a committee is drawn within one commit window, while its stake snapshot still answers), got ${p.stakeEpoch}`);
  }
  if (BigInt(p.disputes.committeeSize) * p.disputes.voterSlash > p.minVerifierStake) {
    throw bad("disputes.voterSlash", `times disputes.committeeSize must be at most minVerifierStake (a verifier's stake covers a full committee's penalties), got ${p.disputes.voterSlash} x ${p.disputes.committeeSize}`);
  }
  const longest = longestSlashableWindow(p);
  // JobParams.check and DisputeManager._setParams: each contract's windows fit in half the unbonding period.
  const jobWindows = p.jobs.executionWindow + Math.max(p.jobs.challengeWindow, p.jobs.revealWindow);
  const disputeWindows = disputeWindow(p);
  if (2 * jobWindows > p.unbondingPeriod) {
    throw bad("unbondingPeriod", `must be at least twice a job's windows, 2 x ${jobWindows} s (executionWindow + max(challengeWindow, jobs.revealWindow)), got ${p.unbondingPeriod}`);
  }
  if (2 * disputeWindows > p.unbondingPeriod) {
    throw bad("unbondingPeriod", `must be at least twice a dispute's windows, 2 x ${disputeWindows} s (2 x disputes.commitWindow + disputes.revealWindow), got ${p.unbondingPeriod}`);
  }
  const floor = minGovernanceDelay(p);
  if (p.governance.minDelay < floor) {
    throw bad("governance.minDelay", `must be at least unbondingPeriod + the longest slashable window, ${p.unbondingPeriod} + ${longest} = ${floor} s (so that stakers can leave before a queued change lands), got ${p.governance.minDelay}`);
  }
  checkEconomics(p, bad);
  return p;
}

/** The shortest timelock delay `parseParams` accepts: the unbonding period plus the longest slashable window. */
export function minGovernanceDelay(p: Pick<NetworkParams, "unbondingPeriod" | "jobs" | "disputes">): number {
  return p.unbondingPeriod + longestSlashableWindow(p);
}

/**
 * From an assignment to the last slash it can cause: a job's windows (execution + max(challenge,
 * reveal)) plus a dispute's (DisputeManager.disputeWindow: the pin window, one commit window, then
 * the commit and reveal windows).
 */
export function longestSlashableWindow(p: Pick<NetworkParams, "jobs" | "disputes">): number {
  const { executionWindow, challengeWindow, revealWindow } = p.jobs;
  return executionWindow + Math.max(challengeWindow, revealWindow) + disputeWindow(p);
}

/** DisputeManager.disputeWindow for these parameters. */
export function disputeWindow(p: Pick<NetworkParams, "disputes">): number {
  return 2 * p.disputes.commitWindow + p.disputes.revealWindow;
}

/**
 * Rejects parameters under which a wrong OPTIMISTIC answer can pay in expectation (deploy/economics.ts,
 * docs/ARCHITECTURE.md): q = minAuditRateBps, h from disputes.committeeSize, b = disputes.bounty /
 * collateral.minimum must leave collateral.multipleBps above (1 − q·h) / (q·h·(1 − b)).
 */
function checkEconomics(p: NetworkParams, bad: Bad): void {
  const { minimum, multipleBps } = p.collateral;
  const k = p.disputes.committeeSize;
  if (p.minAuditRateBps === 0) {
    throw bad("minAuditRateBps", "must be above 0: with no audit a wrong OPTIMISTIC answer is never caught, so no collateral makes it lose money");
  }
  if (p.disputes.bounty >= minimum) {
    throw bad("disputes.bounty", `must be below collateral.minimum ${minimum}, got ${p.disputes.bounty}: a cheater's own challenger could win back the whole collateral`);
  }
  const least = leastMultipleBps(minimum, p.disputes.bounty, p.minAuditRateBps, k)!;
  if (BigInt(multipleBps) < least) {
    const h = decimal(invalidVerdictProbability(k));
    const qh = decimal(catchProbability(p.minAuditRateBps, k), 6);
    const b = decimal({ num: p.disputes.bounty, den: minimum });
    throw bad("collateral.multipleBps", `must be at least ${least} for a wrong OPTIMISTIC answer to lose money at every fee (q = minAuditRateBps ${p.minAuditRateBps} bps, h = ${h} for a committee of ${k}, q·h = ${qh}, b = disputes.bounty / collateral.minimum = ${b}; docs/ARCHITECTURE.md), got ${multipleBps}`);
  }
}

/** The parameters as written to a file: the same schema, amounts as plain base-unit strings. */
export function paramsToJson(p: NetworkParams): Record<string, unknown> {
  return JSON.parse(JSON.stringify(p, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;
}

function parseCollateral(o: Record<string, unknown>, bad: Bad): CollateralParams {
  checkKeys(o, ["minimum", "multipleBps", "maximum"], "collateral.", bad);
  const r = reader(o, "collateral.", bad);
  // JobParams.checkCollateral: 0 < minimum <= maximum <= MAX_AMOUNT, 1x <= multiple <= 1,000x.
  const maximum = r.amount("maximum", 1n, BOUNDS.maxAmount);
  return {
    minimum: r.amount("minimum", 1n, maximum),
    multipleBps: r.integer("multipleBps", BOUNDS.minCollateralMultipleBps, BOUNDS.maxCollateralMultipleBps, "basis points"),
    maximum,
  };
}

function parseJobs(o: Record<string, unknown>, collateralMinimum: bigint, bad: Bad): JobParams {
  const fields = ["executionWindow", "challengeWindow", "revealWindow", "quorumSize", "maxAttempts", "verifierBps", "modelOwnerBps", "treasuryBps", "quorumWinnerShareBps", "minFee", "timeoutSlash"];
  checkKeys(o, fields, "jobs.", bad);
  const r = reader(o, "jobs.", bad);
  const jobs: JobParams = {
    executionWindow: r.window("executionWindow"),
    challengeWindow: r.window("challengeWindow"),
    revealWindow: r.window("revealWindow"),
    quorumSize: r.integer("quorumSize", 3, BOUNDS.maxQuorum),
    maxAttempts: r.integer("maxAttempts", 1, BOUNDS.maxAttempts),
    verifierBps: r.integer("verifierBps", 0, BOUNDS.bps, "basis points"),
    modelOwnerBps: r.integer("modelOwnerBps", 0, BOUNDS.bps, "basis points"),
    treasuryBps: r.integer("treasuryBps", 0, BOUNDS.bps, "basis points"),
    quorumWinnerShareBps: r.integer("quorumWinnerShareBps", 0, BOUNDS.bps, "basis points"),
    minFee: r.amount("minFee", 1n, BOUNDS.maxAmount),
    timeoutSlash: r.amount("timeoutSlash", 0n, collateralMinimum),
  };
  if (jobs.quorumSize % 2 === 0) throw bad("jobs.quorumSize", `must be odd, got ${jobs.quorumSize}`);
  const shares = jobs.verifierBps + jobs.modelOwnerBps + jobs.treasuryBps;
  if (shares > BOUNDS.bps) throw bad("jobs.treasuryBps", `makes verifierBps + modelOwnerBps + treasuryBps ${shares}, more than ${BOUNDS.bps}`);
  return jobs;
}

function parseGovernance(o: Record<string, unknown>, bad: Bad): GovernanceParams {
  checkKeys(o, ["minDelay", "proposers", "executors"], "governance.", bad);
  const r = reader(o, "governance.", bad);
  const list = (field: "proposers" | "executors"): string[] => {
    const v = o[field];
    if (!Array.isArray(v)) throw bad(`governance.${field}`, `must be an array of addresses (empty: the deployer), got ${JSON.stringify(v)}`);
    return v.map((a, i) => address(a, `governance.${field}[${i}]`, bad));
  };
  return { minDelay: r.integer("minDelay", 0, Number.MAX_SAFE_INTEGER, "seconds"), proposers: list("proposers"), executors: list("executors") };
}

function parseRandomness(o: Record<string, unknown>, bad: Bad): NetworkParams["randomness"] {
  checkKeys(o, ["delay", "history"], "randomness.", bad);
  const r = reader(o, "randomness.", bad);
  if (typeof o.history !== "boolean") throw bad("randomness.history", "must be true or false (false on Arbitrum, whose block numbers are L1's)");
  return { delay: r.integer("delay", BOUNDS.minRandomnessDelay, BOUNDS.maxRandomnessDelay, "blocks"), history: o.history };
}

function parseDisputes(o: Record<string, unknown>, bad: Bad): DisputeParams {
  const fields = ["committeeSize", "commitWindow", "revealWindow", "winnerShareBps", "challengeBond", "voterSlash", "auditReward", "bounty"];
  checkKeys(o, fields, "disputes.", bad);
  const r = reader(o, "disputes.", bad);
  const challengeBond = r.amount("challengeBond", 1n, BOUNDS.maxAmount);
  return {
    committeeSize: r.integer("committeeSize", 1, BOUNDS.maxCommittee),
    commitWindow: r.window("commitWindow"),
    revealWindow: r.window("revealWindow"),
    winnerShareBps: r.integer("winnerShareBps", 0, BOUNDS.bps, "basis points"),
    challengeBond,
    voterSlash: r.amount("voterSlash", 0n, BOUNDS.maxAmount),
    auditReward: r.amount("auditReward", 0n, BOUNDS.maxAmount),
    bounty: r.amount("bounty", 0n, challengeBond), // DisputeManager: bounty <= challengeBond
  };
}

type Bad = (field: string, why: string) => ParamsError;

function tokenField(value: unknown, network: string, source: string, bad: Bad): string | null {
  if (value === null || value === undefined || value === "") {
    if (isDevnet(network)) return null;
    throw new ParamsError(`${source}: token is not set: set token in ${source} to the address of an existing ERC-20 (only ${DEVNET_NETWORKS.join("/")} deploy GlassboxToken)`);
  }
  return address(value, "token", bad);
}

function reader(o: Record<string, unknown>, prefix: string, bad: Bad) {
  const name = (field: string) => `${prefix}${field}`;
  return {
    integer(field: string, min: number, max: number, unit = ""): number {
      const v = o[field];
      const shown = unit ? ` ${unit}` : "";
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad(name(field), `must be an integer${shown}, got ${JSON.stringify(v)}`);
      if (v < min || v > max) throw bad(name(field), `must be in [${min}, ${max}]${shown}, got ${v}`);
      return v;
    },
    window(field: string): number {
      return this.integer(field, BOUNDS.minWindow, BOUNDS.maxWindow, "seconds");
    },
    amount(field: string, min: bigint, max: bigint): bigint {
      const v = o[field];
      const m = typeof v === "string" ? /^(\d+)(?:e(\d+))?$/.exec(v) : null;
      if (!m) throw bad(name(field), `must be a decimal string of base units ("20000000000000000000" or "20e18"), got ${JSON.stringify(v)}`);
      const amount = BigInt(m[1]) * 10n ** BigInt(m[2] ?? 0);
      if (amount < min || amount > max) throw bad(name(field), `must be in [${min}, ${max}] base units, got ${amount}`);
      return amount;
    },
    optionalAddress(field: string): string | null {
      const v = o[field];
      return v === null || v === undefined || v === "" ? null : address(v, name(field), bad);
    },
  };
}

function address(value: unknown, field: string, bad: Bad): string {
  if (typeof value !== "string") throw bad(field, `must be an address string or null, got ${JSON.stringify(value)}`);
  try {
    return getAddress(value);
  } catch {
    throw bad(field, `"${value}" is not an address with a valid checksum`);
  }
}

function object(value: unknown, field: string, bad: Bad): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(field, "must be a JSON object");
  return value as Record<string, unknown>;
}

/** Rejects unknown keys (a typo would otherwise be ignored) and missing ones; "$comment" is free text. */
function checkKeys(o: Record<string, unknown>, fields: string[], prefix: string, bad: Bad): void {
  for (const key of Object.keys(o)) {
    if (key !== "$comment" && !fields.includes(key)) throw bad(`${prefix}${key}`, `is not a parameter; known: ${fields.join(", ")}`);
  }
  for (const key of fields) {
    if (!(key in o) && key !== "token" && key !== "treasury") throw bad(`${prefix}${key}`, "is missing");
  }
}
