/**
 * The timed actions a node keeps in its PendingStore, one kind per thing it must do later, each
 * with the payload it needs (decimal strings and hex, as JSON keeps them). A kind names the
 * contract call it ends in; which role runs it is the role's business (its handler map), not a
 * prefix of the kind.
 *
 *   executor: assign, recordAuditCoin, revealResult, finalize, resolveAudit
 *   verifier: drawCommittee, revealVote, resolveDispute, startAudit, timeout, finalizeRound
 *
 * A role answers each of its kinds with a handler (`TimedActionHandlers`), which says whether the
 * action is finished (done or moot) or must be tried again; a kind without a handler does not
 * compile.
 */

/** The payload of each kind of timed action. */
export interface TimedActionPayloads {
  /** Draw a job's executor(s) once the draw target block has passed. */
  assign: { jobId: string; target: string };
  /** Record the audit coin's randomness of a submitted OPTIMISTIC result before `blockhash` forgets it. */
  recordAuditCoin: { jobId: string; attempt: string };
  /** Reveal a QUORUM output committed to with `salt` (hex). */
  revealResult: { jobId: string; output: string; salt: string };
  /** Finalize a job of this executor once its window or round is over. */
  finalize: { jobId: string };
  /** Resolve the audit dispute of this executor's result once it can be decided. */
  resolveAudit: { jobId: string };
  /** Pin a dispute's committee once its randomness is known. */
  drawCommittee: { disputeId: string; jobId: string };
  /** Reveal a committee vote (`verdict` as its enum number) committed to with `salt`. */
  revealVote: { disputeId: string; jobId: string; verdict: string; salt: string };
  /** Resolve a dispute this verifier challenged or voted in. */
  resolveDispute: { disputeId: string; jobId: string };
  /** Start the audit the coin picked, once its randomness is known. */
  startAudit: { jobId: string };
  /** Time out an assignment whose executor missed its window (`attempt` as it was assigned). */
  timeout: { jobId: string; attempt: string };
  /** Finalize a QUORUM round nobody finalized once its reveal phase is over. */
  finalizeRound: { jobId: string };
}

export type TimedActionKind = keyof TimedActionPayloads;

/** A stored timed action of kind `K`: its idempotency key, when it may first succeed, and its payload. */
export type PendingAction<K extends TimedActionKind = TimedActionKind> = {
  [P in K]: {
    /** Idempotency key, e.g. `reveal:42`; a second put with the same key keeps the first. */
    key: string;
    kind: P;
    /** Unix time (chain clock) before which the action cannot succeed; 0 when only state decides. */
    notBefore: number;
    payload: TimedActionPayloads[P];
  };
}[K];

/** Runs one due action; resolves true when it is finished (done or moot) and can be forgotten. */
export type TimedActionHandler<K extends TimedActionKind> = (action: PendingAction<K>) => Promise<boolean>;

/** One handler for each kind in `K`. */
export type TimedActionHandlers<K extends TimedActionKind = TimedActionKind> = { [P in K]: TimedActionHandler<P> };

/** The payload fields of each kind, every one a string: what a stored row must hold to be run. */
const PAYLOAD_FIELDS: { [K in TimedActionKind]: readonly (keyof TimedActionPayloads[K])[] } = {
  assign: ["jobId", "target"],
  recordAuditCoin: ["jobId", "attempt"],
  revealResult: ["jobId", "output", "salt"],
  finalize: ["jobId"],
  resolveAudit: ["jobId"],
  drawCommittee: ["disputeId", "jobId"],
  revealVote: ["disputeId", "jobId", "verdict", "salt"],
  resolveDispute: ["disputeId", "jobId"],
  startAudit: ["jobId"],
  timeout: ["jobId", "attempt"],
  finalizeRound: ["jobId"],
};

export const EXECUTOR_ACTIONS = ["assign", "recordAuditCoin", "revealResult", "finalize", "resolveAudit"] as const satisfies readonly TimedActionKind[];
export const VERIFIER_ACTIONS = ["drawCommittee", "revealVote", "resolveDispute", "startAudit", "timeout", "finalizeRound"] as const satisfies readonly TimedActionKind[];
export type ExecutorActionKind = (typeof EXECUTOR_ACTIONS)[number];
export type VerifierActionKind = (typeof VERIFIER_ACTIONS)[number];

/**
 * The kinds the node wrote before timed actions were typed (up to v0.1.0: the role as a prefix),
 * and the kind each is now. PendingStore rewrites such rows when it opens a file, so a node
 * upgraded between a commit and its reveal still reveals.
 */
export const LEGACY_KINDS: Readonly<Record<string, TimedActionKind>> = {
  "executor.assign": "assign",
  "executor.record": "recordAuditCoin",
  "executor.reveal": "revealResult",
  "executor.finalize": "finalize",
  "executor.resolve": "resolveAudit",
  "verifier.draw": "drawCommittee",
  "verifier.reveal": "revealVote",
  "verifier.resolve": "resolveDispute",
  "verifier.audit": "startAudit",
  "verifier.timeout": "timeout",
  "verifier.roundFinalize": "finalizeRound",
};

function isKind(kind: string): kind is TimedActionKind {
  return Object.prototype.hasOwnProperty.call(PAYLOAD_FIELDS, kind);
}

/**
 * The typed action of a stored row, or why the row cannot be run: a kind this version does not
 * know (written by a newer one) or a payload without the kind's fields.
 */
export function readPendingAction(key: string, kind: string, notBefore: number, payload: unknown): PendingAction | { unreadable: string } {
  if (!isKind(kind)) return { unreadable: `unknown kind "${kind}"` };
  const fields = PAYLOAD_FIELDS[kind] as readonly string[];
  const record = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
  const missing = fields.filter((field) => typeof record[field] !== "string");
  if (missing.length > 0) return { unreadable: `${kind} without ${missing.join(", ")}` };
  // Every field the kind's payload type names is a string in `record`: it is that payload.
  return { key, kind, notBefore, payload: record } as PendingAction;
}

/** Runs `action` with the handler of its kind. */
export function runTimedAction<K extends TimedActionKind>(handlers: TimedActionHandlers, action: PendingAction<K>): Promise<boolean> {
  const handler: TimedActionHandler<K> = handlers[action.kind];
  return handler(action);
}

/** Handlers that finish every action of `kinds` unrun: the role that would run them is off on this node. */
export function finishUnrun<K extends TimedActionKind>(kinds: readonly K[]): TimedActionHandlers<K> {
  const handlers = {} as TimedActionHandlers<K>; // filled below, one entry per kind
  for (const kind of kinds) handlers[kind] = async () => true;
  return handlers;
}
