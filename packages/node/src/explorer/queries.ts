/**
 * The explorer's read side: every answer of the API (types.ts) from the index's SQLite database,
 * with SQL over indexed columns (a page reads only its own rows). Read-only: it never writes, so it
 * may run over the indexer's connection or over a read-only one of another process.
 * Paging: `page` counts from 1, `limit` is 1..100 (the HTTP layer validates them; any page past the
 * end answers no items and the right total).
 */
import type Database from "better-sqlite3";
import { getAddress } from "ethers";
import type { ProgressSources } from "../sdk/events";
import { namesOf, Role } from "../sdk/enums";
import type {
  DisputeDetail,
  DisputeSummary,
  JobDetail,
  JobStatusName,
  JobSummary,
  ModeName,
  ModelDetail,
  ModelSummary,
  NetworkSummary,
  NodeDetail,
  NodeSummary,
  Page,
  Payout,
  RoleName,
  Slash,
  VerdictName,
} from "./types";
import { argsOf, positionFrom, positionOf, str, type EventRow } from "./rows";
import { timelineOf } from "./timeline";
import type { Json } from "./decode";

const ROLE_NAMES = namesOf(Role);
/** How many recent jobs a detail page lists. */
export const RECENT_JOBS = 10;
/** How many minute buckets `summary().jobsPerMinute` answers. */
export const JOBS_PER_MINUTE_BUCKETS = 60;

/** Filters of `jobs()`; addresses in any case. */
export interface JobFilter {
  status?: JobStatusName;
  mode?: ModeName;
  modelId?: string | number;
  /** A node assigned to the job (any attempt). */
  node?: string;
  requester?: string;
}

type Row = Record<string, unknown>;

export class ExplorerQueries {
  private readonly sources: ProgressSources;

  /** `db` is the explorer's database; `contracts` the deployment's addresses (the timeline reads logs by contract). */
  constructor(
    private readonly db: Database.Database,
    contracts: ProgressSources,
  ) {
    this.sources = { jobRegistry: contracts.jobRegistry, disputeManager: contracts.disputeManager, quorumManager: contracts.quorumManager };
  }

  /** The newest block the index holds (-1 before the first range). */
  indexedBlock(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'indexedBlock'").get() as { value: string } | undefined;
    return row ? Number(row.value) : -1;
  }

  /** The network's overview. */
  summary(chain: { chainId: number; headBlock: number }): NetworkSummary {
    const indexedBlock = this.indexedBlock();
    const count = (where: string) => (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE ${where}`).get() as { n: number }).n;
    const perMinute = this.db
      .prepare("SELECT req_time / 60 AS minute, COUNT(*) AS jobs FROM jobs GROUP BY minute ORDER BY minute DESC LIMIT ?")
      .all(JOBS_PER_MINUTE_BUCKETS) as { minute: number; jobs: number }[];
    const stakeByRole: Record<RoleName, bigint> = { EXECUTOR: 0n, VERIFIER: 0n };
    for (const n of this.db.prepare("SELECT active_executor, active_verifier FROM nodes").all() as { active_executor: string; active_verifier: string }[]) {
      stakeByRole.EXECUTOR += BigInt(n.active_executor);
      stakeByRole.VERIFIER += BigInt(n.active_verifier);
    }
    const slashAmounts = this.db.prepare("SELECT json_extract(args, '$.amount') AS amount FROM events WHERE name = 'NodeSlashed' AND contract = 'stakeManager'").all() as { amount: string }[];
    return {
      chainId: chain.chainId,
      indexedBlock,
      headBlock: chain.headBlock,
      lagBlocks: Math.max(0, chain.headBlock - indexedBlock),
      jobs: {
        total: count("1"),
        finalized: count("status = 'Finalized'"),
        refunded: count("status = 'Refunded'"),
        disputed: count("disputed = 1"),
        open: count("status NOT IN ('Finalized', 'Refunded')"),
      },
      jobsPerMinute: perMinute.reverse(),
      medianSecondsToFinal: this.medianSecondsToFinal(),
      stakeByRole: { EXECUTOR: stakeByRole.EXECUTOR.toString(), VERIFIER: stakeByRole.VERIFIER.toString() },
      nodes: (this.db.prepare("SELECT COUNT(*) AS n FROM nodes").get() as { n: number }).n,
      models: (this.db.prepare("SELECT COUNT(*) AS n FROM models").get() as { n: number }).n,
      slashes: { count: slashAmounts.length, total: slashAmounts.reduce((s, r) => s + BigInt(r.amount), 0n).toString() },
      recentJobs: this.jobRows("1", [], RECENT_JOBS, 0),
    };
  }

  /** A page of jobs matching `filter`, newest first. */
  jobs(filter: JobFilter, page: number, limit: number): Page<JobSummary> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.status !== undefined) (where.push("status = ?"), params.push(filter.status));
    if (filter.mode !== undefined) (where.push("mode = ?"), params.push(filter.mode));
    if (filter.modelId !== undefined) (where.push("model_id = ?"), params.push(Number(filter.modelId)));
    for (const [column, value] of [["requester", filter.requester], ["node", filter.node]] as const) {
      if (value === undefined) continue;
      const address = checksummed(value);
      if (address === undefined) return pageOf([], page, limit, 0);
      if (column === "requester") where.push("requester = ?");
      else where.push("job_id IN (SELECT job_id FROM job_nodes WHERE node = ? AND assigned = 1)");
      params.push(address);
    }
    const clause = where.length > 0 ? where.join(" AND ") : "1";
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE ${clause}`).get(...params) as { n: number }).n;
    return pageOf(this.jobRows(clause, params, limit, (page - 1) * limit), page, limit, total);
  }

  /** Job `id` with its timeline, disputes, payouts and slashes; undefined when unknown. */
  job(id: string | number | bigint): JobDetail | undefined {
    const jobId = idOf(id);
    if (jobId === undefined) return undefined;
    const row = this.db.prepare("SELECT * FROM jobs WHERE job_id = ?").get(jobId) as Row | undefined;
    if (!row) return undefined;
    const summary = jobSummaryOf(row);
    const events = this.db.prepare("SELECT * FROM events WHERE job_id = ? ORDER BY block, log_index").all(jobId) as EventRow[];
    const model = this.db.prepare("SELECT owner FROM models WHERE model_id = ?").get(row.model_id) as { owner: string } | undefined;
    const version = this.db.prepare("SELECT digest, uri FROM model_versions WHERE model_id = ? AND version = ?").get(row.model_id, row.model_version) as
      | { digest: string; uri: string }
      | undefined;
    const policy = this.db
      .prepare("SELECT args FROM events WHERE model_id = ? AND name = 'PolicySet' AND contract = 'modelRegistry' AND json_extract(args, '$.policyVersion') = ?")
      .get(row.model_id, String(row.policy_version)) as { args: string } | undefined;
    const disputes = (this.db.prepare("SELECT * FROM disputes WHERE job_id = ? ORDER BY dispute_id").all(jobId) as Row[]).map(disputeSummaryOf);
    const detail: JobDetail = {
      ...summary,
      policyVersion: Number(row.policy_version),
      inputHash: String(row.input_hash),
      inputSize: Number(row.input_size),
      model: {
        modelId: String(row.model_id),
        version: Number(row.model_version),
        digest: version?.digest ?? "",
        uri: version?.uri ?? "",
        owner: model?.owner ?? "",
        ...(policy ? { policy: (JSON.parse(policy.args) as { policy: Record<string, unknown> }).policy } : {}),
      },
      timeline: timelineOf(jobId, events, this.sources),
      disputes,
      payouts: [...this.feeSplitPayouts(jobId, events, model?.owner), ...this.payoutsOf(events.filter((e) => e.name === "Credited"), events, model?.owner)].sort(
        (a, b) => a.at.block - b.at.block || a.at.logIndex - b.at.logIndex,
      ),
      slashes: events.filter((e) => e.name === "NodeSlashed").map(slashOf),
    };
    if (row.input_uri) detail.inputURI = String(row.input_uri);
    if (row.output_uri) detail.outputURI = String(row.output_uri);
    if (row.callback) detail.callback = String(row.callback);
    if (row.fee_split) detail.feeSplit = JSON.parse(String(row.fee_split)) as JobDetail["feeSplit"];
    if (row.end_time !== null) detail.seconds = Number(row.end_time) - Number(row.req_time);
    return detail;
  }

  /** A page of the nodes that ever staked, oldest first. */
  nodes(page: number, limit: number): Page<NodeSummary> {
    const total = (this.db.prepare("SELECT COUNT(*) AS n FROM nodes").get() as { n: number }).n;
    const rows = this.db.prepare("SELECT * FROM nodes ORDER BY first_block, first_log LIMIT ? OFFSET ?").all(limit, (page - 1) * limit) as Row[];
    return pageOf(rows.map((r) => this.nodeSummaryOf(r)), page, limit, total);
  }

  /** Node `address` (any case); undefined when it never staked or the address is malformed. */
  node(address: string): NodeDetail | undefined {
    const a = checksummed(address);
    if (a === undefined) return undefined;
    const row = this.db.prepare("SELECT * FROM nodes WHERE address = ?").get(a) as Row | undefined;
    if (!row) return undefined;
    const count = (sql: string) => (this.db.prepare(sql).get(a) as { n: number }).n;
    const latencies = this.db.prepare("SELECT posted_seconds AS s, posted_blocks AS b FROM job_nodes WHERE node = ? AND posted_seconds IS NOT NULL").all(a) as { s: number; b: number }[];
    const credits = this.db.prepare("SELECT json_extract(args, '$.amount') AS amount FROM events WHERE node = ? AND name = 'Credited' AND contract = 'paymentVault'").all(a) as { amount: string }[];
    const detail: NodeDetail = {
      ...this.nodeSummaryOf(row),
      unbonding: { EXECUTOR: String(row.unbonding_executor), VERIFIER: String(row.unbonding_verifier) },
      models: (this.db.prepare("SELECT model_id FROM node_models WHERE node = ? ORDER BY model_id").all(a) as { model_id: number }[]).map((m) => String(m.model_id)),
      jobsAssigned: count("SELECT COUNT(*) AS n FROM job_nodes WHERE node = ? AND assigned = 1"),
      jobsFinalized: count("SELECT COUNT(*) AS n FROM job_nodes WHERE node = ? AND finalized = 1"),
      disputesVoted: count("SELECT COUNT(*) AS n FROM dispute_members WHERE node = ?"),
      disputesChallenged: count("SELECT COUNT(*) AS n FROM disputes WHERE challenger = ?"),
      disputesWon: count("SELECT COUNT(*) AS n FROM disputes WHERE executor = ? AND verdict = 'Valid'"),
      disputesLost: count("SELECT COUNT(*) AS n FROM disputes WHERE executor = ? AND verdict = 'Invalid'"),
      slashes: (this.db.prepare("SELECT * FROM events WHERE node = ? AND name = 'NodeSlashed' AND contract = 'stakeManager' ORDER BY block, log_index").all(a) as EventRow[]).map(slashOf),
      recentJobs: this.jobRows("job_id IN (SELECT job_id FROM job_nodes WHERE node = ?)", [a], RECENT_JOBS, 0),
      // Fee-split shares are credited without a Credited event (PaymentVault.payFee).
      credited: credits.reduce((s, c) => s + BigInt(c.amount), this.feeSplitCredits(a)).toString(),
    };
    if (latencies.length > 0) {
      detail.latency = {
        medianSeconds: median(latencies.map((l) => l.s)),
        maxSeconds: Math.max(...latencies.map((l) => l.s)),
        medianBlocks: median(latencies.map((l) => l.b)),
        results: latencies.length,
      };
    }
    return detail;
  }

  /** A page of models, by id. */
  models(page: number, limit: number): Page<ModelSummary> {
    const total = (this.db.prepare("SELECT COUNT(*) AS n FROM models").get() as { n: number }).n;
    const rows = this.db.prepare("SELECT * FROM models ORDER BY model_id LIMIT ? OFFSET ?").all(limit, (page - 1) * limit) as Row[];
    return pageOf(rows.map((r) => this.modelSummaryOf(r)), page, limit, total);
  }

  /** Model `id` with its versions, latest policy, fees and executors; undefined when unknown. */
  model(id: string | number | bigint): ModelDetail | undefined {
    const modelId = idOf(id);
    if (modelId === undefined) return undefined;
    const row = this.db.prepare("SELECT * FROM models WHERE model_id = ?").get(modelId) as Row | undefined;
    if (!row) return undefined;
    const versions = this.db.prepare("SELECT * FROM model_versions WHERE model_id = ? ORDER BY version").all(modelId) as Row[];
    const fees = this.db.prepare("SELECT fee, json_extract(fee_split, '$.modelOwner') AS owner_part FROM jobs WHERE model_id = ?").all(modelId) as { fee: string; owner_part: string | null }[];
    const detail: ModelDetail = {
      ...this.modelSummaryOf(row),
      versionList: versions.map((v) => ({
        version: Number(v.version),
        digest: String(v.digest),
        uri: String(v.uri),
        deprecated: Number(v.deprecated) === 1,
        published: positionFrom(v, "pub_")!,
      })),
      feesRequested: fees.reduce((s, f) => s + BigInt(f.fee), 0n).toString(),
      feesPaidToOwner: fees.reduce((s, f) => s + BigInt(f.owner_part ?? "0"), 0n).toString(),
      recentJobs: this.jobRows("model_id = ?", [modelId], RECENT_JOBS, 0),
      executors: (this.db.prepare("SELECT node FROM node_models WHERE model_id = ? ORDER BY node").all(modelId) as { node: string }[]).map((n) => n.node),
    };
    if (row.policy !== null) detail.policy = JSON.parse(String(row.policy)) as Record<string, unknown>;
    if (row.policy_version !== null) detail.policyVersion = Number(row.policy_version);
    return detail;
  }

  /** A page of disputes, newest first. */
  disputes(page: number, limit: number): Page<DisputeSummary> {
    const total = (this.db.prepare("SELECT COUNT(*) AS n FROM disputes").get() as { n: number }).n;
    const rows = this.db.prepare("SELECT * FROM disputes ORDER BY dispute_id DESC LIMIT ? OFFSET ?").all(limit, (page - 1) * limit) as Row[];
    return pageOf(rows.map(disputeSummaryOf), page, limit, total);
  }

  /** Dispute `id` with its committee, votes, slashes and payouts; undefined when unknown. */
  dispute(id: string | number | bigint): DisputeDetail | undefined {
    const disputeId = idOf(id);
    if (disputeId === undefined) return undefined;
    const row = this.db.prepare("SELECT * FROM disputes WHERE dispute_id = ?").get(disputeId) as Row | undefined;
    if (!row) return undefined;
    const events = this.db.prepare("SELECT * FROM events WHERE dispute_id = ? ORDER BY block, log_index").all(disputeId) as EventRow[];
    const jobEvents = this.db.prepare("SELECT * FROM events WHERE job_id = ? ORDER BY block, log_index").all(row.job_id) as EventRow[];
    const owner = this.db.prepare("SELECT m.owner FROM models m JOIN jobs j ON j.model_id = m.model_id WHERE j.job_id = ?").get(row.job_id) as { owner: string } | undefined;
    const detail: DisputeDetail = {
      ...disputeSummaryOf(row),
      committee: JSON.parse(String(row.committee)) as string[],
      commitments: events.filter((e) => e.name === "VoteCommitted").map((e) => ({ voter: str(argsOf(e).voter), at: positionOf(e) })),
      reveals: events.filter((e) => e.name === "VoteRevealed").map((e) => ({ voter: str(argsOf(e).voter), verdict: verdictName(argsOf(e).verdict), at: positionOf(e) })),
      slashes: events.filter((e) => e.name === "NodeSlashed").map(slashOf),
      payouts: this.payoutsOf(events.filter((e) => e.name === "Credited"), jobEvents, owner?.owner),
    };
    for (const [key, column] of [["seats", "seats"], ["commitEnd", "commit_end"], ["revealEnd", "reveal_end"], ["validVotes", "valid_votes"], ["invalidVotes", "invalid_votes"]] as const) {
      if (row[column] !== null) detail[key] = Number(row[column]);
    }
    if (row.pot !== null) detail.pot = String(row.pot);
    return detail;
  }

  /** The inline input bytes of job `id`'s request (hex), or undefined (unknown job, or input by reference). */
  jobInputBytes(id: string | number | bigint): string | undefined {
    const jobId = idOf(id);
    if (jobId === undefined) return undefined;
    const row = this.db.prepare("SELECT json_extract(args, '$.params.input') AS input FROM events WHERE job_id = ? AND name = 'JobRequested' AND contract = 'jobRegistry'").get(jobId) as
      | { input: string | null }
      | undefined;
    return row?.input && row.input !== "0x" ? row.input : undefined;
  }

  /** The output bytes (hex) a QUORUM job's winning members revealed, or undefined (no winner yet, or another mode). */
  revealedOutput(id: string | number | bigint): string | undefined {
    const jobId = idOf(id);
    if (jobId === undefined) return undefined;
    const job = this.outputOf(jobId);
    if (!job || job.mode !== "QUORUM" || !job.output_hash) return undefined;
    return this.revealed(jobId, job.output_hash);
  }

  /** A job's mode and output hash. */
  private outputOf(jobId: number): { mode: string; output_hash: string | null } | undefined {
    return this.db.prepare("SELECT mode, output_hash FROM jobs WHERE job_id = ?").get(jobId) as { mode: string; output_hash: string | null } | undefined;
  }

  /** The newest output bytes a quorum member revealed for `outputHash`. */
  private revealed(jobId: number, outputHash: string): string | undefined {
    const row = this.db
      .prepare(
        "SELECT json_extract(args, '$.output') AS output FROM events WHERE job_id = ? AND name = 'ResultRevealed' AND contract = 'quorumManager' AND json_extract(args, '$.outputHash') = ? ORDER BY block DESC, log_index DESC LIMIT 1",
      )
      .get(jobId, outputHash) as { output: string } | undefined;
    return row?.output;
  }

  /**
   * The job's current output bytes (hex) when the chain's logs hold them: the inline output of the
   * ResultSubmitted that posted the job's output hash, or a QUORUM's revealed winner; undefined for
   * an output posted by reference (its URI is the job's outputURI) or no output yet.
   */
  jobOutputBytes(id: string | number | bigint): string | undefined {
    const jobId = idOf(id);
    if (jobId === undefined) return undefined;
    const job = this.outputOf(jobId);
    if (!job || !job.output_hash) return undefined;
    if (job.mode === "QUORUM") return this.revealed(jobId, job.output_hash);
    const row = this.db
      .prepare(
        "SELECT json_extract(args, '$.output') AS output FROM events WHERE job_id = ? AND name = 'ResultSubmitted' AND contract = 'jobRegistry' AND json_extract(args, '$.outputHash') = ? ORDER BY block DESC, log_index DESC LIMIT 1",
      )
      .get(jobId, job.output_hash) as { output: string | null } | undefined;
    return row?.output && row.output !== "0x" ? row.output : undefined;
  }

  /** Whether `uri` is a model version's URI or a job's input or output URI seen in the logs. */
  isKnownUri(uri: string): boolean {
    if (uri.length === 0) return false;
    const hit = this.db
      .prepare(
        `SELECT 1 FROM model_versions WHERE uri = @uri
         UNION ALL SELECT 1 FROM jobs WHERE input_uri = @uri
         UNION ALL SELECT 1 FROM jobs WHERE output_uri = @uri
         UNION ALL SELECT 1 FROM events WHERE name = 'ResultSubmitted' AND json_extract(args, '$.outputURI') = @uri
         LIMIT 1`,
      )
      .get({ uri });
    return hit !== undefined;
  }

  /** JobSummary rows matching `where`, newest first. */
  private jobRows(where: string, params: (string | number)[], limit: number, offset: number): JobSummary[] {
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE ${where} ORDER BY job_id DESC LIMIT ? OFFSET ?`).all(...params, limit, offset) as Row[];
    return rows.map(jobSummaryOf);
  }

  private nodeSummaryOf(row: Row): NodeSummary {
    const address = String(row.address);
    const slashed = this.db.prepare("SELECT json_extract(args, '$.amount') AS amount FROM events WHERE node = ? AND name = 'NodeSlashed' AND contract = 'stakeManager'").all(address) as { amount: string }[];
    return {
      address,
      stake: { EXECUTOR: String(row.active_executor), VERIFIER: String(row.active_verifier) },
      jailed: { EXECUTOR: Number(row.jailed_executor) === 1, VERIFIER: Number(row.jailed_verifier) === 1 },
      jobsExecuted: (this.db.prepare("SELECT COUNT(*) AS n FROM job_nodes WHERE node = ? AND posted = 1").get(address) as { n: number }).n,
      slashed: slashed.reduce((s, r) => s + BigInt(r.amount), 0n).toString(),
    };
  }

  private modelSummaryOf(row: Row): ModelSummary {
    return {
      modelId: String(row.model_id),
      owner: String(row.owner),
      versions: Number(row.versions),
      jobs: (this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE model_id = ?").get(row.model_id) as { n: number }).n,
      registered: positionFrom(row, "reg_")!,
    };
  }

  /**
   * The payouts of a job's fee split: PaymentVault.payFee credits the executors (equal shares of
   * `executorPart`) and the model owner without a Credited event, so they are read from FeePaid and
   * the job's paid executors (its last poster, or a QUORUM's majority).
   */
  private feeSplitPayouts(jobId: number, events: EventRow[], modelOwner: string | undefined): Payout[] {
    const paid = events.find((e) => e.name === "FeePaid" && e.contract === "paymentVault");
    if (!paid) return [];
    const a = argsOf(paid);
    const executors = (this.db.prepare("SELECT node FROM job_nodes WHERE job_id = ? AND finalized = 1 ORDER BY node").all(jobId) as { node: string }[]).map((r) => r.node);
    const out: Payout[] = executors.map((account) => ({ account, amount: (BigInt(str(a.executorPart)) / BigInt(executors.length)).toString(), as: "executor", at: positionOf(paid) }));
    if (modelOwner !== undefined && str(a.modelOwnerPart) !== "0") out.push({ account: modelOwner, amount: str(a.modelOwnerPart), as: "modelOwner", at: positionOf(paid) });
    return out;
  }

  /** What `address` earned from fee splits: its equal share of `executorPart` of every job it was paid for. */
  private feeSplitCredits(address: string): bigint {
    const rows = this.db
      .prepare(
        `SELECT json_extract(j.fee_split, '$.executor') AS part, (SELECT COUNT(*) FROM job_nodes x WHERE x.job_id = j.job_id AND x.finalized = 1) AS n
         FROM job_nodes jn JOIN jobs j ON j.job_id = jn.job_id WHERE jn.node = ? AND jn.finalized = 1 AND j.fee_split IS NOT NULL`,
      )
      .all(address) as { part: string; n: number }[];
    return rows.reduce((s, r) => s + BigInt(r.part) / BigInt(r.n), 0n);
  }

  /**
   * Payouts from Credited events, each labelled by what the logs tell: a credit in the transaction
   * of a fee split goes to the executor or the model owner; in a dispute's resolution to the
   * challenger or a voter; in a refund's to the requester.
   */
  private payoutsOf(credits: EventRow[], jobEvents: EventRow[], modelOwner: string | undefined): Payout[] {
    const byTx = new Map<string, Set<string>>();
    for (const e of jobEvents) {
      const names = byTx.get(e.tx_hash) ?? new Set<string>();
      names.add(e.name);
      byTx.set(e.tx_hash, names);
    }
    const challengers = new Set<string>();
    const voters = new Set<string>();
    let requester: string | undefined;
    for (const e of jobEvents) {
      const a = argsOf(e);
      if (e.name === "JobRequested") requester = str(a.requester);
      if (e.name === "DisputeOpened") challengers.add(str(a.challenger));
      if (e.name === "VoteCommitted" || e.name === "VoteRevealed") voters.add(str(a.voter));
    }
    return credits.map((e) => {
      const a = argsOf(e);
      const account = str(a.account);
      const names = byTx.get(e.tx_hash) ?? new Set<string>();
      let as = "other";
      if (names.has("FeePaid")) as = account === modelOwner ? "modelOwner" : "executor";
      else if (names.has("DisputeResolved")) as = challengers.has(account) ? "challenger" : voters.has(account) ? "voter" : "other";
      else if (names.has("JobRefunded") && account === requester) as = "requester";
      else if (names.has("RoundTallied")) as = "executor";
      return { account, amount: str(a.amount), as, at: positionOf(e) };
    });
  }

  private medianSecondsToFinal(): NetworkSummary["medianSecondsToFinal"] {
    const modes = this.db.prepare("SELECT mode, COUNT(*) AS n FROM jobs WHERE status = 'Finalized' GROUP BY mode ORDER BY mode").all() as { mode: ModeName; n: number }[];
    const at = this.db.prepare("SELECT end_time - req_time AS s FROM jobs WHERE status = 'Finalized' AND mode = ? ORDER BY s LIMIT 1 OFFSET ?");
    return modes.map(({ mode, n }) => {
      const middle = (at.get(mode, Math.floor(n / 2)) as { s: number }).s;
      const seconds = n % 2 === 1 ? middle : ((at.get(mode, n / 2 - 1) as { s: number }).s + middle) / 2;
      return { mode, seconds, jobs: n };
    });
  }
}

function jobSummaryOf(row: Row): JobSummary {
  const summary: JobSummary = {
    jobId: String(row.job_id),
    modelId: String(row.model_id),
    modelVersion: Number(row.model_version),
    mode: row.mode as ModeName,
    status: row.status as JobStatusName,
    requester: String(row.requester),
    fee: String(row.fee),
    requested: positionFrom(row, "req_")!,
    executors: JSON.parse(String(row.executors)) as string[],
    disputed: Number(row.disputed) === 1,
  };
  const ended = positionFrom(row, "end_");
  if (ended) summary.ended = ended;
  if (row.refund_reason !== null) summary.refundReason = String(row.refund_reason);
  if (row.output_hash !== null) summary.outputHash = String(row.output_hash);
  return summary;
}

function disputeSummaryOf(row: Row): DisputeSummary {
  const summary: DisputeSummary = { disputeId: String(row.dispute_id), jobId: String(row.job_id), audit: Number(row.audit) === 1, opened: positionFrom(row, "open_")! };
  if (row.challenger !== null) summary.challenger = String(row.challenger);
  if (row.verdict !== null) summary.verdict = row.verdict as VerdictName;
  const resolved = positionFrom(row, "res_");
  if (resolved) summary.resolved = resolved;
  return summary;
}

function slashOf(e: EventRow): Slash {
  const a = argsOf(e);
  const slash: Slash = { node: str(a.node), role: (ROLE_NAMES[Number(a.role)] ?? "EXECUTOR") as RoleName, amount: str(a.amount), recipient: str(a.recipient), at: positionOf(e) };
  if (e.job_id !== null) slash.jobId = String(e.job_id);
  if (e.dispute_id !== null) slash.disputeId = String(e.dispute_id);
  return slash;
}

function verdictName(v: Json | undefined): VerdictName {
  return (["Undecided", "Valid", "Invalid"] as const)[Number(v)] ?? "Undecided";
}

function pageOf<T>(items: T[], page: number, limit: number, total: number): Page<T> {
  return { items, page, limit, total, pages: Math.ceil(total / limit) };
}

/** A positive integer id from a string or number, or undefined. */
function idOf(id: string | number | bigint): number | undefined {
  const n = typeof id === "number" ? id : typeof id === "bigint" ? Number(id) : /^[0-9]+$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function checksummed(address: string): string | undefined {
  try {
    return getAddress(address.toLowerCase());
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
