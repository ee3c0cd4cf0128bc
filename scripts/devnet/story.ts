/**
 * A job's verification story, read back from the chain's logs once the job is over: who executed
 * it, who checked it (challengers, committees and their votes, quorum members), how many blocks it
 * took, what was paid to whom and who was slashed.
 */
import { formatEther, type Log, type Provider } from "ethers";
import {
  DisputeManager__factory,
  JobRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../../packages/node/src/typechain";
import { Mode, nameOf, RefundReason, Verdict, type Deployment } from "../../packages/node/src";


export interface Dispute {
  disputeId: bigint;
  /** Zero address for an audit. */
  challenger: string;
  committee: string[];
  votes: { voter: string; verdict: string }[];
  verdict?: string;
}

export interface Slash {
  node: string;
  amount: bigint;
}

export interface JobStory {
  jobId: bigint;
  mode: string;
  requestBlock: number;
  endBlock: number;
  outcome: "finalized" | "refunded";
  refundReason?: string;
  /** Executors in the order they were assigned (one per attempt; the quorum for QUORUM). */
  assigned: string[][];
  /** Who posted a result (OPTIMISTIC/NONE) or revealed one (QUORUM). */
  submitters: string[];
  disputes: Dispute[];
  paid?: { executor: bigint; verifiers: bigint; modelOwner: bigint; treasury: bigint };
  slashed: Slash[];
}

/** Collects the story of `jobId` from block `fromBlock` on. */
export async function readStory(provider: Provider, deployment: Deployment, jobId: bigint, fromBlock: number): Promise<JobStory> {
  const c = deployment.contracts;
  const jobs = JobRegistry__factory.connect(c.jobRegistry, provider);
  const disputes = DisputeManager__factory.connect(c.disputeManager, provider);
  const quorum = QuorumManager__factory.connect(c.quorumManager, provider);
  const vault = PaymentVault__factory.connect(c.paymentVault, provider);
  const stakes = StakeManager__factory.connect(c.stakeManager, provider);
  const [requested, assigned, submitted, opened, drawn, resolved, revealed, fees, finalized, refunded, job] = await Promise.all([
    jobs.queryFilter(jobs.filters.JobRequested(jobId), fromBlock),
    jobs.queryFilter(jobs.filters.JobAssigned(jobId), fromBlock),
    jobs.queryFilter(jobs.filters.ResultSubmitted(jobId), fromBlock),
    disputes.queryFilter(disputes.filters.DisputeOpened(undefined, jobId), fromBlock),
    disputes.queryFilter(disputes.filters.CommitteeDrawn(undefined, jobId), fromBlock),
    disputes.queryFilter(disputes.filters.DisputeResolved(undefined, jobId), fromBlock),
    quorum.queryFilter(quorum.filters.ResultRevealed(jobId), fromBlock),
    vault.queryFilter(vault.filters.FeePaid(jobId), fromBlock),
    jobs.queryFilter(jobs.filters.JobFinalized(jobId), fromBlock),
    jobs.queryFilter(jobs.filters.JobRefunded(jobId), fromBlock),
    jobs.jobOf(jobId),
  ]);
  const end = finalized[0] ?? refunded[0];
  const story: JobStory = {
    jobId,
    mode: nameOf(Mode, job.mode) ?? `mode ${job.mode}`,
    requestBlock: requested[0]?.blockNumber ?? fromBlock,
    endBlock: end?.blockNumber ?? 0,
    outcome: finalized.length > 0 ? "finalized" : "refunded",
    refundReason: refunded[0] ? nameOf(RefundReason, refunded[0].args.reason) : undefined,
    assigned: assigned.map((e) => [...e.args.executors]),
    submitters: [...submitted.map((e) => e.args.executor), ...revealed.map((e) => e.args.executor)],
    disputes: [],
    paid: fees[0] && {
      executor: fees[0].args.executorPart,
      verifiers: fees[0].args.verifierPart,
      modelOwner: fees[0].args.modelOwnerPart,
      treasury: fees[0].args.treasuryPart,
    },
    slashed: [],
  };
  for (const o of opened) {
    const votes = await disputes.queryFilter(disputes.filters.VoteRevealed(o.args.disputeId), o.blockNumber);
    const done = resolved.find((r) => r.args.disputeId === o.args.disputeId);
    story.disputes.push({
      disputeId: o.args.disputeId,
      challenger: o.args.challenger,
      committee: [...(drawn.find((c) => c.args.disputeId === o.args.disputeId)?.args.members ?? [])],
      votes: votes.map((v) => ({ voter: v.args.voter, verdict: nameOf(Verdict, v.args.verdict) ?? `verdict ${v.args.verdict}` })),
      verdict: done ? nameOf(Verdict, done.args.verdict) : undefined,
    });
  }
  // Slashes carry no job id: they are the NodeSlashed logs of the transactions that settled this job.
  const settling = new Set<string>([...resolved, ...finalized, ...refunded].map((e) => e.transactionHash));
  for (const hash of settling) {
    const receipt = await provider.getTransactionReceipt(hash);
    for (const log of receipt?.logs ?? []) {
      if (log.address.toLowerCase() !== c.stakeManager.toLowerCase()) continue;
      const parsed = parse(stakes.interface, log);
      if (parsed?.name === "NodeSlashed") story.slashed.push({ node: parsed.args.node as string, amount: parsed.args.amount as bigint });
    }
  }
  return story;
}

function parse(iface: { parseLog(log: Log): { name: string; args: Record<string, unknown> } | null }, log: Log) {
  try {
    return iface.parseLog(log);
  } catch {
    return null;
  }
}

export const short = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;
export const glass = (wei: bigint): string => `${formatEther(wei)} GLASS`;

/** The story as a few indented lines; `names` turns addresses into node names. */
export function tell(story: JobStory, names: (address: string) => string): string[] {
  const lines: string[] = [];
  const who = (a: string) => names(a);
  story.assigned.forEach((executors, i) => lines.push(`  attempt ${i + 1}: assigned to ${executors.map(who).join(", ")}`));
  if (story.submitters.length > 0) lines.push(`  ${story.mode === "QUORUM" ? "revealed by" : "result posted by"} ${story.submitters.map(who).join(", ")}`);
  for (const d of story.disputes) {
    const opener = d.challenger === "0x0000000000000000000000000000000000000000" ? "the audit lottery" : `${who(d.challenger)} (challenge)`;
    lines.push(`  dispute ${d.disputeId} opened by ${opener}; committee ${d.committee.map(who).join(", ") || "(empty)"}`);
    lines.push(`    votes: ${d.votes.map((v) => `${who(v.voter)} ${v.verdict}`).join(", ") || "none revealed"} -> ${d.verdict ?? "unresolved"}`);
  }
  for (const s of story.slashed) lines.push(`  slashed: ${who(s.node)} lost ${glass(s.amount)}`);
  const blocks = story.endBlock - story.requestBlock;
  if (story.outcome === "finalized" && story.paid) {
    const p = story.paid;
    lines.push(`  finalized ${blocks} blocks after the request; paid executor(s) ${glass(p.executor)}, model audit pot ${glass(p.verifiers)}, model owner ${glass(p.modelOwner)}, treasury ${glass(p.treasury)}`);
  } else {
    lines.push(`  refunded (${story.refundReason}) ${blocks} blocks after the request`);
  }
  return lines;
}
