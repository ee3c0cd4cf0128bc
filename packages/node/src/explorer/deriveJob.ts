/**
 * Recomputes one job's derived rows (`jobs`, `job_nodes`) from its events alone, so that the same
 * events always give the same rows, whatever order they were indexed in and whatever was removed.
 */
import type Database from "better-sqlite3";
import { Mode, namesOf, RefundReason } from "../sdk/enums";
import type { ChainPosition, JobStatusName } from "./types";
import { argsOf, num, positionColumns, positionOf, str, type EventRow } from "./rows";
import type { Json } from "./decode";

const MODE_NAMES = namesOf(Mode);
const REFUND_NAMES = namesOf(RefundReason);
const ZERO_HASH = /^0x0{64}$/i;

interface NodeRole {
  assigned: boolean;
  posted: boolean;
  finalized: boolean;
  assignedAt?: ChainPosition;
  postedSeconds?: number;
  postedBlocks?: number;
}

/** The state a job's events fold into. */
interface JobState {
  status: JobStatusName;
  executors: string[];
  outputHash?: string;
  outputUri?: string;
  disputed: boolean;
  refundReason?: string;
  feeSplit?: Record<string, string>;
  ended?: ChainPosition;
  winnerRevealers: string[];
  lastPoster?: string;
  nodes: Map<string, NodeRole>;
}

/** Rebuilds job `jobId` from its events; deletes its rows when no JobRequested is left. */
export function recomputeJob(db: Database.Database, jobId: number): void {
  const events = db.prepare("SELECT * FROM events WHERE job_id = ? ORDER BY block, log_index").all(jobId) as EventRow[];
  db.prepare("DELETE FROM job_nodes WHERE job_id = ?").run(jobId);
  const request = events.find((e) => e.name === "JobRequested" && e.contract === "jobRegistry");
  if (!request) {
    db.prepare("DELETE FROM jobs WHERE job_id = ?").run(jobId);
    return;
  }
  const a = argsOf(request);
  const params = a.params as Record<string, Json>;
  const input = str(params.input);
  const state = fold(events);
  const row = {
    job_id: jobId,
    model_id: num(a.modelId),
    model_version: num(params.version),
    mode: MODE_NAMES[num(params.mode)] ?? `MODE_${num(params.mode)}`,
    status: state.status,
    requester: str(a.requester),
    fee: str(params.fee),
    policy_version: num(a.policyVersion),
    input_hash: str(a.inputHash),
    input_size: input.length > 2 ? (input.length - 2) / 2 : num(params.inputSize),
    input_uri: str(params.inputURI) || null,
    output_uri: state.outputUri ?? null,
    callback: /^0x0{40}$/i.test(str(params.callback)) ? null : str(params.callback),
    output_hash: state.outputHash ?? null,
    executors: JSON.stringify(state.executors),
    disputed: state.disputed ? 1 : 0,
    refund_reason: state.refundReason ?? null,
    fee_split: state.feeSplit ? JSON.stringify(state.feeSplit) : null,
    ...positionColumns("req_", positionOf(request)),
    ...positionColumns("end_", state.ended),
  };
  const columns = Object.keys(row);
  db.prepare(`INSERT OR REPLACE INTO jobs (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`).run(row);
  const put = db.prepare(
    "INSERT OR REPLACE INTO job_nodes (node, job_id, assigned, posted, finalized, posted_seconds, posted_blocks) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (const [node, r] of state.nodes) {
    put.run(node, jobId, r.assigned ? 1 : 0, r.posted ? 1 : 0, r.finalized ? 1 : 0, r.postedSeconds ?? null, r.postedBlocks ?? null);
  }
}

/** Folds a job's events, in chain order, into its state. */
function fold(events: EventRow[]): JobState {
  const s: JobState = { status: "Unassigned", executors: [], disputed: false, winnerRevealers: [], nodes: new Map() };
  const role = (node: string): NodeRole => {
    let r = s.nodes.get(node);
    if (!r) s.nodes.set(node, (r = { assigned: false, posted: false, finalized: false }));
    return r;
  };
  const posted = (node: string, at: ChainPosition) => {
    const r = role(node);
    r.posted = true;
    if (r.assignedAt) {
      r.postedSeconds = at.time - r.assignedAt.time;
      r.postedBlocks = at.block - r.assignedAt.block;
    }
  };
  const reveals: { executor: string; outputHash: string }[] = [];
  for (const e of events) {
    const a = argsOf(e);
    const at = positionOf(e);
    switch (e.name) {
      case "DrawArmed":
      case "JobUnassigned":
        s.status = "Unassigned";
        break;
      case "JobAssigned":
        s.status = "Assigned";
        s.executors = (a.executors as string[]).map(String);
        reveals.length = 0;
        for (const x of s.executors) {
          const r = role(x);
          r.assigned = true;
          r.assignedAt = at;
        }
        break;
      case "ResultSubmitted":
        s.status = "Submitted";
        s.outputHash = str(a.outputHash);
        s.outputUri = str(a.outputURI) || undefined;
        s.lastPoster = str(a.executor);
        posted(str(a.executor), at);
        break;
      case "ResultRevealed":
        if (e.contract !== "quorumManager") break;
        reveals.push({ executor: str(a.executor), outputHash: str(a.outputHash) });
        posted(str(a.executor), at);
        break;
      case "RoundTallied":
        if (!ZERO_HASH.test(str(a.winner))) {
          s.outputHash = str(a.winner);
          s.winnerRevealers = reveals.filter((r) => r.outputHash === str(a.winner)).map((r) => r.executor);
        }
        break;
      case "JobDisputed":
      case "AuditStarted":
        s.status = "Disputed";
        s.disputed = true;
        break;
      case "JobTimedOut":
      case "CollateralSlashed":
        // The hub forgets the attempt's output before it redraws or refunds (JobRegistry._retryOrRefund).
        s.outputHash = undefined;
        s.outputUri = undefined;
        s.lastPoster = undefined;
        break;
      case "JobFinalized": {
        s.status = "Finalized";
        s.outputHash = str(a.outputHash);
        s.ended = at;
        const finalists = s.winnerRevealers.length > 0 ? s.winnerRevealers : s.lastPoster ? [s.lastPoster] : [];
        for (const x of finalists) role(x).finalized = true;
        break;
      }
      case "JobRefunded":
        s.status = "Refunded";
        s.refundReason = REFUND_NAMES[num(a.reason)] ?? `reason ${num(a.reason)}`;
        s.ended = at;
        break;
      case "FeePaid":
        s.feeSplit = { executor: str(a.executorPart), verifiers: str(a.verifierPart), modelOwner: str(a.modelOwnerPart), treasury: str(a.treasuryPart) };
        break;
      default:
        break;
    }
  }
  return s;
}
