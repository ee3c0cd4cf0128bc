/**
 * The explorer's JSON API, as types: what every route of `glassbox explorer` answers. The indexer's
 * queries (explorer/queries.ts) return these; the web pages (packages/node/web) read them. All
 * amounts are decimal strings of wei (JSON has no bigint); addresses are checksummed; times are
 * the chain's block timestamps in seconds.
 *
 * Browser-safe: types only.
 */

export type ModeName = "NONE" | "OPTIMISTIC" | "QUORUM" | "ATTESTED";
export type JobStatusName = "Unassigned" | "Assigned" | "Submitted" | "Disputed" | "Finalized" | "Refunded";
export type RoleName = "EXECUTOR" | "VERIFIER";
export type VerdictName = "Undecided" | "Valid" | "Invalid";

/** Where on the chain something happened. */
export interface ChainPosition {
  block: number;
  /** Block timestamp, seconds. */
  time: number;
  txHash: string;
  logIndex: number;
}

/** One page of a list. `page` counts from 1; `total` is the number of items matching the filters. */
export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
  pages: number;
}

/**
 * Every error the API answers: HTTP status 400 (bad parameter), 404 (unknown id or route), 405, 403
 * (a URI the explorer will not relay: a file, or a loopback or private host, unless started for a
 * devnet), 502 (the bytes behind a URI could not be read), 500.
 */
export interface ApiError {
  error: { code: "BAD_PARAMETER" | "NOT_FOUND" | "UNKNOWN_ROUTE" | "METHOD_NOT_ALLOWED" | "URI_REFUSED" | "FETCH_FAILED" | "INTERNAL"; message: string };
}

export interface JobSummary {
  jobId: string;
  modelId: string;
  modelVersion: number;
  mode: ModeName;
  status: JobStatusName;
  requester: string;
  fee: string;
  requested: ChainPosition;
  /** The executors of the current (last) assignment. */
  executors: string[];
  /** When the job ended (finalized or refunded). */
  ended?: ChainPosition;
  refundReason?: string;
  disputed: boolean;
  outputHash?: string;
}

/** One step of a job's life: the SDK's JobProgress kinds plus `requested`, `feePaid`, `credited`, `slashed`, `callback`. */
export interface TimelineStep extends ChainPosition {
  kind: string;
  /** The step's fields, JSON-safe (bigints as decimal strings). */
  detail: Record<string, unknown>;
}

export interface Payout {
  account: string;
  amount: string;
  /** executor, verifier, modelOwner, treasury, challenger, voter, requester (a refund), ... as far as the logs tell. */
  as: string;
  at: ChainPosition;
}

export interface Slash {
  node: string;
  role: RoleName;
  amount: string;
  /** Who received the slashed stake (the StakeManager's recipient). */
  recipient: string;
  jobId?: string;
  disputeId?: string;
  at: ChainPosition;
}

export interface JobDetail extends JobSummary {
  policyVersion: number;
  inputHash: string;
  /** Inline input size in bytes, or the by-reference input's declared size. */
  inputSize: number;
  inputURI?: string;
  outputURI?: string;
  callback?: string;
  model: { modelId: string; version: number; digest: string; uri: string; owner: string; policy?: Record<string, unknown> };
  timeline: TimelineStep[];
  disputes: DisputeSummary[];
  payouts: Payout[];
  slashes: Slash[];
  /** The split the PaymentVault reported (FeePaid), when the job was paid. */
  feeSplit?: { executor: string; verifiers: string; modelOwner: string; treasury: string };
  /** Seconds from the request to the end, when it ended. */
  seconds?: number;
}

export interface DisputeSummary {
  disputeId: string;
  jobId: string;
  /** Undefined for a random audit. */
  challenger?: string;
  audit: boolean;
  verdict?: VerdictName;
  opened: ChainPosition;
  resolved?: ChainPosition;
}

export interface DisputeDetail extends DisputeSummary {
  committee: string[];
  seats?: number;
  commitEnd?: number;
  revealEnd?: number;
  commitments: { voter: string; at: ChainPosition }[];
  reveals: { voter: string; verdict: VerdictName; at: ChainPosition }[];
  validVotes?: number;
  invalidVotes?: number;
  pot?: string;
  slashes: Slash[];
  payouts: Payout[];
}

export interface NodeSummary {
  address: string;
  /** Active stake per role, as the StakeManager's events tell it. */
  stake: Record<RoleName, string>;
  jailed: Record<RoleName, boolean>;
  jobsExecuted: number;
  slashed: string;
}

export interface NodeDetail extends NodeSummary {
  /** Unbonding (requested, not withdrawn) per role. */
  unbonding: Record<RoleName, string>;
  models: string[];
  /** Jobs it was assigned, posted a result for, had finalized. */
  jobsAssigned: number;
  jobsFinalized: number;
  /** Disputes it sat on as a committee member, and those it challenged. */
  disputesVoted: number;
  disputesChallenged: number;
  /** Disputes over its own results: won (Valid) and lost (Invalid). */
  disputesWon: number;
  disputesLost: number;
  slashes: Slash[];
  /** Blocks and seconds from assignment to its posted result: median and max, over its results. */
  latency?: { medianSeconds: number; maxSeconds: number; medianBlocks: number; results: number };
  recentJobs: JobSummary[];
  credited: string;
}

export interface ModelVersion {
  version: number;
  digest: string;
  uri: string;
  deprecated: boolean;
  published: ChainPosition;
}

export interface ModelSummary {
  modelId: string;
  owner: string;
  versions: number;
  jobs: number;
  registered: ChainPosition;
}

export interface ModelDetail extends ModelSummary {
  versionList: ModelVersion[];
  /** The latest policy the registry emitted (PolicySet), JSON-safe. */
  policy?: Record<string, unknown>;
  policyVersion?: number;
  /** Fees requested and paid for this model, wei. */
  feesRequested: string;
  feesPaidToOwner: string;
  recentJobs: JobSummary[];
  executors: string[];
}

export interface NetworkSummary {
  chainId: number;
  /** The newest block the index holds, the chain head, and the difference. */
  indexedBlock: number;
  headBlock: number;
  lagBlocks: number;
  jobs: { total: number; finalized: number; refunded: number; disputed: number; open: number };
  /** Jobs requested per minute of chain time, oldest first: `minute` is the block timestamp / 60 (minutes since the Unix epoch), for the last 60 minutes that had jobs. */
  jobsPerMinute: { minute: number; jobs: number }[];
  /** Median seconds from request to a verified (finalized) result, per mode. */
  medianSecondsToFinal: { mode: ModeName; seconds: number; jobs: number }[];
  stakeByRole: Record<RoleName, string>;
  nodes: number;
  models: number;
  slashes: { count: number; total: string };
  recentJobs: JobSummary[];
}

/** GET /api/config: what a page needs to read the chain itself. */
export interface ExplorerConfig {
  chainId: number;
  /** The JSON-RPC URL the browser reads the chain through (the page checks the verdict itself). */
  rpcUrl: string;
  contracts: Record<string, string>;
  /** The deployment's first block. */
  startBlock: number;
  confirmations: number;
}
