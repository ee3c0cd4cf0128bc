/**
 * What to do next after a protocol revert, for the errors a user meets from the CLI or a dApp:
 * one short clause per error, read from its arguments. Errors without an entry here are rendered
 * generically (`Name(arg=value, ...)`) by reverts.ts.
 *
 * Browser-safe: only ethers.
 */
import { formatUnits } from "ethers";
import { Mode, nameOf, Status } from "./enums";

/** A decoded error's arguments, by parameter name. */
export type RevertArgs = Readonly<Record<string, unknown>>;

/** How amounts are shown (the token's decimals). */
export interface HintFormat {
  decimals: number;
}

type Hint = (a: RevertArgs, f: HintFormat, contract: string) => string;

const str = (v: unknown): string => (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v === "string" ? v : JSON.stringify(v));
const tokens = (v: unknown, f: HintFormat): string => `${formatUnits(BigInt(str(v)), f.decimals)} tokens`;
const time = (v: unknown): string => `${new Date(Number(v) * 1000).toISOString()} (chain time)`;
const status = (v: unknown): string => nameOf(Status, Number(v)) ?? `status ${str(v)}`;
const mode = (v: unknown): string => nameOf(Mode, Number(v)) ?? `mode ${str(v)}`;

/** Hints by error name. */
export const HINTS: Readonly<Record<string, Hint>> = {
  // ---- requests (JobRegistry, JobParams, ModelRegistry) ----
  InlineTooLarge: (a) => `the input is ${str(a.size)} bytes, above the inline limit of ${str(a.maximum)}; pass it by reference (inputURI and inputHash)`,
  InputTooLarge: (a) => `the input is ${str(a.size)} bytes; this model accepts at most ${str(a.maximum)}: send a smaller input`,
  InputMissing: () => "the request has no input: give it inline, or by reference with inputHash and inputURI",
  InputBothInlineAndByReference: () => "the request gives the input both inline and by reference: give exactly one",
  FeeBelowProtocolMinimum: (a, f) => `the fee ${tokens(a.fee, f)} is below the protocol's minimum of ${tokens(a.minimum, f)}: raise the fee`,
  FeeBelowModelMinimum: (a, f) => `the fee ${tokens(a.fee, f)} is below the model owner's minimum of ${tokens(a.minimum, f)}: raise the fee`,
  FeeBelowAuditCost: (a, f) => `the fee ${tokens(a.fee, f)} does not fund the job's expected audit (${tokens(a.minimum, f)} at least): raise the fee or buy a lower audit rate`,
  FeeAboveCollateralCap: (a, f) => `the fee ${tokens(a.fee, f)} needs more collateral than the cap of ${tokens(a.maxCollateral, f)} an executor can lock: lower the fee`,
  DeadlineOutOfRange: (a) => `the deadline ${str(a.deadline)} must be from ${time(a.earliest)} to ${time(a.latest)}: change the deadline`,
  RuntimeTooLong: (a) => `the model's runtime of ${str(a.runtime)} s is above the ${str(a.maximum)} s the deadline leaves: ask for a later deadline`,
  AuditRateNotOffered: (a) => `an audit rate of ${str(a.rateBps)} bps is above the most on offer, ${str(a.maximum)} bps: buy a lower rate`,
  ModeNotAllowed: (a) => `model ${str(a.modelId)} does not allow ${mode(a.mode)}: pick a mode its policy allows (glassbox model info ${str(a.modelId)})`,
  UnknownModel: (a) => `model ${str(a.modelId)} does not exist: check the model id`,
  UnknownVersion: (a) => `model ${str(a.modelId)} has no version ${str(a.version)}: check the version (glassbox model info ${str(a.modelId)})`,
  VersionDeprecated: (a) => `version ${str(a.version)} of model ${str(a.modelId)} is deprecated: request another version (leave --version out for the latest)`,
  UnknownPolicyVersion: (a) => `model ${str(a.modelId)} has no policy version ${str(a.policyVersion)}: check the model's policy history`,
  DigestAlreadyRegistered: (a) => `these model bytes are already registered as model ${str(a.modelId)} version ${str(a.version)}: use that id`,
  NotModelOwner: (a) => `${str(a.caller)} does not own model ${str(a.modelId)}: use the owner's key`,
  NotPendingOwner: (a) => `${str(a.caller)} is not the pending owner of model ${str(a.modelId)}: accept with the key the transfer named`,
  InvalidPolicy: (a) => `the policy's ${str(a.field)} is out of the registry's bounds: fix that field`,
  InvalidURI: (a) => `the model URI is ${str(a.length)} bytes, which the registry does not accept: give a non-empty, shorter URI`,
  ZeroDigest: () => "the model digest is zero: hash the model file (SHA-256)",
  TooManyModels: (a, _f, contract) =>
    contract === "StakeManager"
      ? `this executor is already opted in to ${str(a.maximum)} models, the most allowed: opt out of one first (glassbox node opt-out --model <id>)`
      : `the registry already holds its maximum of ${str(a.maximum)} models`,
  TooManyVersions: (a) => `model ${str(a.modelId)} has as many versions as allowed: register a new model instead`,
  ProgramAlreadyDeclared: (a) => `version ${str(a.version)} of model ${str(a.modelId)} already declared its program, which never changes: publish a new version to declare another`,
  InvalidProgram: (a) => `the declared program's ${str(a.field)} is out of bounds: declare the hashes glassbox referee inspect prints for the model file`,
  ModelNotExact: (a) => `model ${str(a.modelId)}'s policy is not exact, and only exact models can be refereed: set an exact policy first`,
  InvalidCallbackGas: (a) => `the callback gas limit ${str(a.gasLimit)} for ${str(a.callback)} is out of range: give a callback with a gas limit within the protocol's bounds, or neither`,
  ResolverNotAllowed: (a) => `${str(a.resolver)} is not an allowed dispute resolver: use the default committee`,
  // ---- a job's life ----
  UnknownJob: (a) => `job ${str(a.jobId)} does not exist: check the job id`,
  JobNotInStatus: (a) => `job ${str(a.jobId)} is ${status(a.status)}, not in the status this call needs: check it with glassbox job status ${str(a.jobId)}`,
  WrongMode: (a) => `job ${str(a.jobId)} is ${mode(a.mode)}, which this call does not apply to`,
  NotAssignedExecutor: (a) => `${str(a.caller)} is not an executor assigned to job ${str(a.jobId)}: only its executors may do this`,
  NotRequester: (a) => `${str(a.caller)} did not request job ${str(a.jobId)}: only its requester may do this`,
  PhaseOver: (a) => `job ${str(a.jobId)}'s phase ended at ${time(a.phaseEnd)}: too late for this call`,
  PhaseNotOver: (a) => `job ${str(a.jobId)}'s phase runs until ${time(a.phaseEnd)}: try again after that`,
  EmptyOutput: () => "the output is empty: post the output bytes, or its hash and URI",
  NothingToDeliver: (a) => `job ${str(a.jobId)} has no callback left to deliver`,
  OutputMismatch: (a) => `the output given for job ${str(a.jobId)} does not hash to the committed ${str(a.outputHash)}: give the committed output`,
  InsufficientGasForCallback: (a) => `only ${str(a.available)} gas is left for the callback, which needs ${str(a.required)}: send with a higher gas limit`,
  NotSelectedForAudit: (a) => `job ${str(a.jobId)} was not drawn for an audit`,
  AuditSeedUnavailable: (a) => `the audit seed of job ${str(a.jobId)} (target ${str(a.auditTarget)}) cannot be read any more`,
  DrawNotReady: (a) => `the draw's random value (target ${str(a.target)}) is not available yet: wait a block and try again`,
  DrawExpired: (a) => `the committee draw of dispute ${str(a.disputeId)} expired at ${time(a.deadline)}`,
  NotChallengeable: (a) => `job ${str(a.jobId)} cannot be challenged now (no result in its challenge window)`,
  NoResultVerifier: () => "no result verifier is registered for ATTESTED jobs on this deployment: use another mode",
  ProofRejected: (a) => `the proof posted for job ${str(a.jobId)} was rejected by the result verifier`,
  // ---- stake ----
  InvalidAmount: (a) => `the amount ${str(a.amount)} is not accepted: give an amount above 0`,
  InsufficientFreeStake: (a, f) => `you asked for ${tokens(a.requested, f)} but only ${tokens(a.free, f)} of this stake is free (not locked or unbonding): ask for less`,
  StillUnbonding: (a) => `the unbonding ends at ${time(a.releaseAt)}: withdraw after that`,
  NothingToWithdraw: () => "nothing is unbonding for this role: start with glassbox node unstake <role> <amount>",
  LockUnderflow: (a, f) => `only ${tokens(a.locked, f)} is locked, less than the ${tokens(a.amount, f)} to release`,
  StillJailed: (a, f) => `jailed until ${time(a.jailedUntil)} with ${tokens(a.active, f)} active stake (minimum ${tokens(a.minimum, f)}): wait for the term and top the stake up`,
  AlreadyOptedIn: (a) => `${str(a.node)} is already opted in to model ${str(a.modelId)}: nothing to do`,
  NotOptedIn: (a) => `${str(a.node)} is not opted in to model ${str(a.modelId)}: nothing to do`,
  NotStakedVerifier: (a) => `${str(a.caller)} has no eligible verifier stake: stake as verifier first (glassbox node stake verifier <amount>)`,
  TooManySeats: (a) => `${str(a.requested)} seats asked, at most ${str(a.maximum)} can be drawn`,
  // ---- disputes, quorums and commit-reveal rounds ----
  NoOpenDispute: (a) => `job ${str(a.jobId)} has no open dispute`,
  UnknownDispute: (a) => `dispute ${str(a.disputeId)} does not exist: check the dispute id`,
  NotOnCommittee: (a) => `${str(a.caller)} has no seat on dispute ${str(a.disputeId)}'s committee`,
  InvalidVerdict: () => "the verdict must be Valid or Invalid",
  CommitteeAlreadyDrawn: (a) => `dispute ${str(a.disputeId)}'s committee is already drawn`,
  UnknownRound: (a) => `job ${str(a.jobId)} has no quorum round`,
  NotInQuorum: (a) => `${str(a.caller)} has no seat in job ${str(a.jobId)}'s quorum`,
  InvalidOutputSize: (a) => `the output is ${str(a.size)} bytes, above the ${str(a.maximum)} a quorum reveal takes`,
  ZeroCommitment: () => "the commitment is zero: commit to the hash of the value and a salt",
  CommitPhaseOver: (a) => `round ${str(a.id)}'s commit phase ended at ${time(a.commitEnd)}: too late to commit`,
  AlreadyCommitted: (a) => `${str(a.member)} already committed in round ${str(a.id)}: reveal instead`,
  RevealPhaseNotStarted: (a) => `round ${str(a.id)}'s reveal phase starts after ${time(a.commitEnd)}: wait until then`,
  RevealPhaseOver: (a) => `round ${str(a.id)}'s reveal phase ended at ${time(a.revealEnd)}: too late to reveal`,
  NotCommitted: (a) => `${str(a.member)} did not commit in round ${str(a.id)}, so has nothing to reveal`,
  AlreadyRevealed: (a) => `${str(a.member)} already revealed in round ${str(a.id)}`,
  CommitmentMismatch: (a) => `the reveal of ${str(a.member)} in round ${str(a.id)} does not match its commitment: reveal the committed value and salt`,
  TallyTooEarly: (a) => `round ${str(a.id)} can be tallied only after ${time(a.revealEnd)}: wait until then`,
  RoundClosed: (a) => `round ${str(a.id)} is closed`,
  // ---- payments and the token ----
  NothingToClaim: (a) => `${str(a.account)} has no credit to claim`,
  ERC20InsufficientBalance: (a, f) => `${str(a.sender)} holds ${tokens(a.balance, f)} but ${tokens(a.needed, f)} are needed: get more tokens (on a devnet: npx hardhat faucet)`,
  ERC20InsufficientAllowance: (a, f) => `${str(a.spender)} may spend ${tokens(a.allowance, f)} but needs ${tokens(a.needed, f)}: approve it first`,
  // ---- wiring, governance, randomness ----
  UnauthorizedCaller: (a) => `${str(a.caller)} may not call this: only the contract (or governance) it is wired to may`,
  ParameterOutOfBounds: (a) => `${str(a.name)} = ${str(a.value)} is out of bounds [${str(a.min)}, ${str(a.max)}]: pick a value within them`,
  ZeroAddress: (a) => `${str(a.name)} is the zero address: give a real address`,
  AlreadyWired: () => "the contracts are already wired: this is a one-time call",
  RandomnessPending: (a) => `the random value of target ${str(a.target)} is not available yet (block ${str(a.blockNumber)}): wait a block and try again`,
  RandomnessLost: (a) => `the random value of target ${str(a.target)} can no longer be read: the draw must be re-armed`,
  ReentrancyGuardReentrantCall: () => "a reentrant call was refused",
  Error: (a) => `reverted: ${str(Object.values(a)[0])}`,
  Panic: (a) => `panicked with code ${str(Object.values(a)[0])} (an assertion, overflow or bad index in the contract)`,
};

