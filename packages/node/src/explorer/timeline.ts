/**
 * A job's timeline from its stored events: the SDK's progress steps (sdk/events.ts `toProgress`,
 * so the kinds are JobProgress kinds) and the steps the SDK leaves out: `requested`, `auditStarted`,
 * `callback`, and the money moves `feePaid`, `credited` and `slashed`.
 */
import type { ProgressSources } from "../sdk/events";
import { toProgress } from "../sdk/events";
import { namesOf, Role } from "../sdk/enums";
import type { TimelineStep } from "./types";
import { argsOf, positionOf, str, type EventRow } from "./rows";
import type { Json } from "./decode";

const ROLE_NAMES = namesOf(Role);
/** The position fields every step carries outside `detail`. */
const POSITION_KEYS = new Set(["jobId", "block", "txHash", "logIndex", "kind"]);

/** The timeline of job `jobId` from its events (in chain order). */
export function timelineOf(jobId: number, events: EventRow[], sources: ProgressSources): TimelineStep[] {
  const steps: TimelineStep[] = [];
  for (const e of events) {
    const step = extraStep(e) ?? progressStep(jobId, e, sources);
    if (step) steps.push(step);
  }
  return steps;
}

/** The SDK's step for a log of the hub, the quorum or the dispute manager, if it is one. */
function progressStep(jobId: number, e: EventRow, sources: ProgressSources): TimelineStep | undefined {
  if (!["jobRegistry", "quorumManager", "disputeManager"].includes(e.contract)) return undefined;
  const log = { address: e.address, topics: JSON.parse(e.topics) as string[], data: e.data, blockNumber: e.block, transactionHash: e.tx_hash, index: e.log_index };
  const progress = toProgress(log, BigInt(jobId), sources);
  if (!progress) return undefined;
  const detail: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(progress)) if (!POSITION_KEYS.has(k)) detail[k] = jsonSafe(v);
  return { ...positionOf(e), kind: progress.kind, detail };
}

/** The steps the SDK does not report. */
function extraStep(e: EventRow): TimelineStep | undefined {
  const a = argsOf(e);
  const step = (kind: string, detail: Record<string, Json>): TimelineStep => ({ ...positionOf(e), kind, detail });
  switch (e.name) {
    case "JobRequested": {
      const p = a.params as Record<string, Json>;
      return step("requested", { requester: a.requester, modelId: a.modelId, version: p.version, mode: p.mode, fee: p.fee, deadline: p.deadline, inputHash: a.inputHash, inputURI: p.inputURI, policyVersion: a.policyVersion });
    }
    case "AuditStarted":
      return step("auditStarted", { disputeId: a.disputeId });
    case "CallbackExecuted":
      return step("callback", { callback: a.callback, success: a.success });
    case "FeePaid":
      return step("feePaid", { executor: a.executorPart, verifiers: a.verifierPart, modelOwner: a.modelOwnerPart, treasury: a.treasuryPart });
    case "Credited":
      return step("credited", { account: a.account, amount: a.amount });
    case "NodeSlashed":
      return step("slashed", { node: a.node, role: ROLE_NAMES[Number(a.role)] ?? str(a.role), amount: a.amount, fromUnbonding: a.fromUnbonding, recipient: a.recipient });
    default:
      return undefined;
  }
}

/** A progress field as JSON: bigints as decimal strings. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  return v;
}
