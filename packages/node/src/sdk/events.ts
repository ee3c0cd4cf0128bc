/**
 * A job's life read from logs: `jobIdOf` (the id a request's receipt carries) and `JobProgress`,
 * the typed events `GlassboxClient.wait` reports, polled by block range so that it works with any
 * mining (automine, interval mining, a real chain), never assuming one block per transaction.
 *
 * Browser-safe: ethers and the typechain factories' ABIs.
 */
import { Interface, toBeHex, zeroPadValue, type Log, type LogDescription, type Provider, type TransactionReceipt } from "ethers";
import { DisputeManager__factory } from "../typechain/factories/contracts/DisputeManager__factory";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { QuorumManager__factory } from "../typechain/factories/contracts/QuorumManager__factory";
import { nameOf, RefundReason, Verdict } from "./enums";
import { GlassboxError } from "./errors";

const JOBS = new Interface(JobRegistry__factory.abi);
const DISPUTES = new Interface(DisputeManager__factory.abi);
const QUORUM = new Interface(QuorumManager__factory.abi);

/** A receipt's logs, as ethers gives them (a ContractTransactionReceipt or a plain TransactionReceipt). */
export type ReceiptLike = Pick<TransactionReceipt, "logs">;

/**
 * The id of the job a request transaction created: its JobRequested event. The one parser of
 * request receipts; throws GlassboxError NO_EVENT for a receipt without one (or null: not mined).
 */
export function jobIdOf(receipt: ReceiptLike | null | undefined, jobRegistry?: string): bigint {
  const topic = JOBS.getEvent("JobRequested")!.topicHash;
  for (const log of receipt?.logs ?? []) {
    if (log.topics[0] !== topic) continue;
    if (jobRegistry !== undefined && log.address.toLowerCase() !== jobRegistry.toLowerCase()) continue;
    return BigInt(log.topics[1]);
  }
  throw new GlassboxError("NO_EVENT", "the transaction emitted no JobRequested event: it was not a request to this JobRegistry (or was not mined)");
}

/** Where and when a progress event was emitted. */
export interface LogPosition {
  jobId: bigint;
  block: number;
  txHash: string;
  logIndex: number;
}

export type VerdictName = keyof typeof Verdict;
export type RefundReasonName = keyof typeof RefundReason;

/**
 * One step of a job's life, as its events tell it: every event of the JobRegistry, the
 * QuorumManager and the DisputeManager that names the job (or one of its disputes), but for
 * JobRequested (the request itself: `request` returns it), CallbackExecuted (a delivery comes after
 * the end, where `wait` stops: `deliver` returns it) and AuditStarted (emitted with JobDisputed,
 * and the DisputeManager's DisputeOpened with no challenger is reported as `challenged` with
 * `audit: true`). Money moves are the PaymentVault's (FeePaid, Credited): read them with `credit`.
 *
 * A dispute shows twice: the hub's view, whatever resolver the job pinned (`disputed`,
 * `disputeSettled`, `resolverLapsed`), and, for the default committee, its own steps
 * (`challenged` to `disputeResolved`); a third-party resolver's steps are its own contract's.
 */
export type JobProgress = LogPosition &
  (
    /** An executor draw is armed: anyone may `assign` once block `drawTarget` has passed (at request, and again after a failed attempt). */
    | { kind: "drawArmed"; drawTarget: number }
    | { kind: "assigned"; executors: string[]; phaseEnd: number; attempt: number }
    /** A drawn executor could not serve its seat (jailed, under the minimum stake, or without the collateral free) and paid `penalty`; the seat stays empty. */
    | { kind: "seatForfeited"; executor: string; penalty: bigint }
    /** A draw assigned nobody: the attempt counts, and the draw is armed again (`drawArmed`) or the fee goes back (`refunded`). */
    | { kind: "unassigned" }
    /** The assigned executor missed its deadline and `slashed` was taken; the job is drawn again or refunded. */
    | { kind: "timedOut"; executor: string; slashed: bigint }
    | { kind: "resultPosted"; executor: string; outputHash: string; outputURI: string; challengeEnd: number }
    /** The result went before the job's resolver (a challenge or an audit), whichever resolver it is. */
    | { kind: "disputed" }
    | { kind: "challenged"; disputeId: bigint; challenger: string | undefined; audit: boolean }
    | { kind: "committeeDrawn"; disputeId: bigint; members: string[]; commitEnd: number; revealEnd: number }
    /** The committee draw's randomness could no longer be read: it is drawn from block `drawTarget` instead. */
    | { kind: "committeeDrawRearmed"; disputeId: bigint; drawTarget: number; rearms: number }
    | { kind: "voteCommitted"; disputeId: bigint; voter: string }
    | { kind: "voteRevealed"; disputeId: bigint; voter: string; verdict: VerdictName }
    | { kind: "disputeResolved"; disputeId: bigint; verdict: VerdictName }
    /** A third-party resolver did not answer in time: the dispute ends Undecided without it. */
    | { kind: "resolverLapsed"; resolver: string }
    /** The hub acted on the resolver's verdict: Valid pays the job, Invalid slashes and redraws or refunds, Undecided refunds. */
    | { kind: "disputeSettled"; verdict: VerdictName }
    /** An Invalid verdict took the executor's collateral. */
    | { kind: "collateralSlashed"; executor: string; amount: bigint }
    | { kind: "quorumOpened"; members: string[]; commitEnd: number }
    | { kind: "quorumCommitted"; executor: string }
    /** Every seat committed: reveals are open until `revealEnd`. */
    | { kind: "quorumRevealStarted"; revealEnd: number }
    | { kind: "quorumRevealed"; executor: string; outputHash: string }
    /** The round was counted: `winner` is the majority's output hash (undefined when no strict majority), `votes` its seats. */
    | { kind: "quorumTallied"; winner: string | undefined; votes: number }
    | { kind: "finalized"; outputHash: string }
    | { kind: "refunded"; reason: RefundReasonName; amount: bigint }
  );

export type JobProgressKind = JobProgress["kind"];

/** The addresses the progress of a job is read from. */
export interface ProgressSources {
  jobRegistry: string;
  disputeManager: string;
  quorumManager: string;
}

/**
 * Every progress event of `jobId` in blocks `fromBlock..toBlock`, in chain order. `disputes` holds
 * the dispute ids already known for the job; new ones found here are added (votes name only the
 * dispute, so they are read for the ids known at the end of this range).
 */
export async function progressIn(provider: Provider, sources: ProgressSources, jobId: bigint, fromBlock: number, toBlock: number, disputes: Set<bigint>): Promise<JobProgress[]> {
  const jobTopic = zeroPadValue(toBeHex(jobId), 32);
  const opened = DISPUTES.getEvent("DisputeOpened")!.topicHash;
  const drawn = DISPUTES.getEvent("CommitteeDrawn")!.topicHash;
  const resolved = DISPUTES.getEvent("DisputeResolved")!.topicHash;
  const [jobLogs, disputeLogs] = await Promise.all([
    provider.getLogs({ address: [sources.jobRegistry, sources.quorumManager], topics: [null, jobTopic], fromBlock, toBlock }),
    provider.getLogs({ address: sources.disputeManager, topics: [[opened, drawn, resolved], null, jobTopic], fromBlock, toBlock }),
  ]);
  for (const log of disputeLogs) disputes.add(BigInt(log.topics[1]));
  let voteLogs: Log[] = [];
  if (disputes.size > 0) {
    const ids = [...disputes].map((d) => zeroPadValue(toBeHex(d), 32));
    const votes = ["VoteCommitted", "VoteRevealed", "DrawRearmed"].map((name) => DISPUTES.getEvent(name)!.topicHash);
    voteLogs = await provider.getLogs({ address: sources.disputeManager, topics: [votes, ids], fromBlock, toBlock });
  }
  const all = [...jobLogs, ...disputeLogs, ...voteLogs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const out: JobProgress[] = [];
  for (const log of all) {
    const event = toProgress(log, jobId, sources);
    if (event) out.push(event);
  }
  return out;
}

/** The fields of a log `toProgress` reads: an ethers Log, or a log rebuilt from storage (the explorer's index). */
export type ProgressLog = Pick<Log, "address" | "topics" | "data" | "blockNumber" | "transactionHash" | "index">;

/**
 * The progress step a log of the JobRegistry, the QuorumManager or the DisputeManager (by its
 * address in `sources`) tells about `jobId`, or undefined for a log that is no progress step
 * (JobRequested, CallbackExecuted, AuditStarted, governance events) or of an unknown ABI.
 */
export function toProgress(log: ProgressLog, jobId: bigint, sources: ProgressSources): JobProgress | undefined {
  const at: LogPosition = { jobId, block: log.blockNumber, txHash: log.transactionHash, logIndex: log.index };
  const address = log.address.toLowerCase();
  const iface = address === sources.jobRegistry.toLowerCase() ? JOBS : address === sources.quorumManager.toLowerCase() ? QUORUM : DISPUTES;
  let parsed: LogDescription | null;
  try {
    parsed = iface.parseLog(log);
  } catch {
    return undefined; // an event of another ABI version: not one this client knows
  }
  if (!parsed) return undefined;
  const a = parsed.args;
  const verdict = (v: unknown): VerdictName => nameOf(Verdict, v as bigint) ?? "Undecided";
  switch (parsed.name) {
    case "DrawArmed":
      return { ...at, kind: "drawArmed", drawTarget: Number(a.drawTarget) };
    case "JobAssigned":
      return { ...at, kind: "assigned", executors: [...(a.executors as string[])], phaseEnd: Number(a.phaseEnd), attempt: Number(a.attempt) };
    case "SeatForfeited":
      return { ...at, kind: "seatForfeited", executor: a.executor as string, penalty: a.penalty as bigint };
    case "JobUnassigned":
      return { ...at, kind: "unassigned" };
    case "JobTimedOut":
      return { ...at, kind: "timedOut", executor: a.executor as string, slashed: a.slashed as bigint };
    case "ResultSubmitted":
      return { ...at, kind: "resultPosted", executor: a.executor as string, outputHash: a.outputHash as string, outputURI: a.outputURI as string, challengeEnd: Number(a.challengeEnd) };
    case "JobDisputed":
      return { ...at, kind: "disputed" };
    case "DisputeOpened": {
      const challenger = a.challenger as string;
      const audit = /^0x0{40}$/i.test(challenger);
      return { ...at, kind: "challenged", disputeId: a.disputeId as bigint, challenger: audit ? undefined : challenger, audit };
    }
    case "CommitteeDrawn":
      return { ...at, kind: "committeeDrawn", disputeId: a.disputeId as bigint, members: [...(a.members as string[])], commitEnd: Number(a.commitEnd), revealEnd: Number(a.revealEnd) };
    case "DrawRearmed":
      return { ...at, kind: "committeeDrawRearmed", disputeId: a.disputeId as bigint, drawTarget: Number(a.drawTarget), rearms: Number(a.rearms) };
    case "VoteCommitted":
      return { ...at, kind: "voteCommitted", disputeId: a.disputeId as bigint, voter: a.voter as string };
    case "VoteRevealed":
      return { ...at, kind: "voteRevealed", disputeId: a.disputeId as bigint, voter: a.voter as string, verdict: verdict(a.verdict) };
    case "DisputeResolved":
      return { ...at, kind: "disputeResolved", disputeId: a.disputeId as bigint, verdict: verdict(a.verdict) };
    case "ResolverLapsed":
      return { ...at, kind: "resolverLapsed", resolver: a.resolver as string };
    case "DisputeSettled":
      return { ...at, kind: "disputeSettled", verdict: verdict(a.verdict) };
    case "CollateralSlashed":
      return { ...at, kind: "collateralSlashed", executor: a.executor as string, amount: a.amount as bigint };
    case "RoundOpened":
      return { ...at, kind: "quorumOpened", members: [...(a.members as string[])], commitEnd: Number(a.commitEnd) };
    case "ResultCommitted":
      return { ...at, kind: "quorumCommitted", executor: a.executor as string };
    case "RevealPhaseStarted":
      return { ...at, kind: "quorumRevealStarted", revealEnd: Number(a.revealEnd) };
    case "ResultRevealed":
      return { ...at, kind: "quorumRevealed", executor: a.executor as string, outputHash: a.outputHash as string };
    case "RoundTallied": {
      const winner = a.winner as string;
      return { ...at, kind: "quorumTallied", winner: /^0x0+$/.test(winner) ? undefined : winner, votes: Number(a.votes) };
    }
    case "JobFinalized":
      return { ...at, kind: "finalized", outputHash: a.outputHash as string };
    case "JobRefunded":
      return { ...at, kind: "refunded", reason: nameOf(RefundReason, a.reason as bigint) ?? "Cancelled", amount: a.amount as bigint };
    default:
      return undefined;
  }
}
