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

/** One step of a job's life, as its events tell it. */
export type JobProgress = LogPosition &
  (
    | { kind: "assigned"; executors: string[]; phaseEnd: number; attempt: number }
    | { kind: "unassigned" }
    | { kind: "resultPosted"; executor: string; outputHash: string; outputURI: string; challengeEnd: number }
    | { kind: "challenged"; disputeId: bigint; challenger: string | undefined; audit: boolean }
    | { kind: "committeeDrawn"; disputeId: bigint; members: string[]; commitEnd: number; revealEnd: number }
    | { kind: "voteCommitted"; disputeId: bigint; voter: string }
    | { kind: "voteRevealed"; disputeId: bigint; voter: string; verdict: VerdictName }
    | { kind: "disputeResolved"; disputeId: bigint; verdict: VerdictName }
    | { kind: "quorumOpened"; members: string[]; commitEnd: number }
    | { kind: "quorumCommitted"; executor: string }
    | { kind: "quorumRevealed"; executor: string; outputHash: string }
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
    const votes = [DISPUTES.getEvent("VoteCommitted")!.topicHash, DISPUTES.getEvent("VoteRevealed")!.topicHash];
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

function toProgress(log: Log, jobId: bigint, sources: ProgressSources): JobProgress | undefined {
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
    case "JobAssigned":
      return { ...at, kind: "assigned", executors: [...(a.executors as string[])], phaseEnd: Number(a.phaseEnd), attempt: Number(a.attempt) };
    case "JobUnassigned":
      return { ...at, kind: "unassigned" };
    case "ResultSubmitted":
      return { ...at, kind: "resultPosted", executor: a.executor as string, outputHash: a.outputHash as string, outputURI: a.outputURI as string, challengeEnd: Number(a.challengeEnd) };
    case "DisputeOpened": {
      const challenger = a.challenger as string;
      const audit = /^0x0{40}$/i.test(challenger);
      return { ...at, kind: "challenged", disputeId: a.disputeId as bigint, challenger: audit ? undefined : challenger, audit };
    }
    case "CommitteeDrawn":
      return { ...at, kind: "committeeDrawn", disputeId: a.disputeId as bigint, members: [...(a.members as string[])], commitEnd: Number(a.commitEnd), revealEnd: Number(a.revealEnd) };
    case "VoteCommitted":
      return { ...at, kind: "voteCommitted", disputeId: a.disputeId as bigint, voter: a.voter as string };
    case "VoteRevealed":
      return { ...at, kind: "voteRevealed", disputeId: a.disputeId as bigint, voter: a.voter as string, verdict: verdict(a.verdict) };
    case "DisputeResolved":
      return { ...at, kind: "disputeResolved", disputeId: a.disputeId as bigint, verdict: verdict(a.verdict) };
    case "RoundOpened":
      return { ...at, kind: "quorumOpened", members: [...(a.members as string[])], commitEnd: Number(a.commitEnd) };
    case "ResultCommitted":
      return { ...at, kind: "quorumCommitted", executor: a.executor as string };
    case "ResultRevealed":
      return { ...at, kind: "quorumRevealed", executor: a.executor as string, outputHash: a.outputHash as string };
    case "JobFinalized":
      return { ...at, kind: "finalized", outputHash: a.outputHash as string };
    case "JobRefunded":
      return { ...at, kind: "refunded", reason: nameOf(RefundReason, a.reason as bigint) ?? "Cancelled", amount: a.amount as bigint };
    default:
      return undefined;
  }
}
