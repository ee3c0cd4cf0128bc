/**
 * The explorer index's SQLite schema (better-sqlite3, WAL), event-sourced:
 *   - `events`: every decoded log, keyed by (block, log_index), with the keys it is filed under
 *     (job, dispute, node, model) and its arguments as JSON; the single source of truth;
 *   - `blocks`: the timestamp (and hash) of every block that carried a log;
 *   - derived tables (`jobs`, `job_nodes`, `disputes`, `dispute_members`, `nodes`, `node_models`,
 *     `models`, `model_versions`): recomputed from `events` for each key a batch or a reorg touched;
 *   - `meta`: the newest block indexed.
 * Job, dispute and model ids are counters and are stored as integers; amounts are decimal strings.
 */
import Database from "better-sqlite3";

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, time INTEGER NOT NULL,
  address TEXT NOT NULL, contract TEXT NOT NULL, name TEXT NOT NULL,
  job_id INTEGER, dispute_id INTEGER, node TEXT, model_id INTEGER,
  args TEXT NOT NULL, topics TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, block, log_index);
CREATE INDEX IF NOT EXISTS events_dispute ON events (dispute_id, block, log_index);
CREATE INDEX IF NOT EXISTS events_node ON events (node, block, log_index);
CREATE INDEX IF NOT EXISTS events_model ON events (model_id, block, log_index);
CREATE INDEX IF NOT EXISTS events_tx ON events (tx_hash);
CREATE INDEX IF NOT EXISTS events_name ON events (name, block, log_index);

CREATE TABLE IF NOT EXISTS jobs (
  job_id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, model_version INTEGER NOT NULL, mode TEXT NOT NULL,
  status TEXT NOT NULL, requester TEXT NOT NULL, fee TEXT NOT NULL, policy_version INTEGER NOT NULL,
  input_hash TEXT NOT NULL, input_size INTEGER NOT NULL, input_uri TEXT, output_uri TEXT, callback TEXT,
  output_hash TEXT, executors TEXT NOT NULL, disputed INTEGER NOT NULL, refund_reason TEXT, fee_split TEXT,
  req_block INTEGER NOT NULL, req_time INTEGER NOT NULL, req_tx TEXT NOT NULL, req_log INTEGER NOT NULL,
  end_block INTEGER, end_time INTEGER, end_tx TEXT, end_log INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, job_id);
CREATE INDEX IF NOT EXISTS jobs_mode ON jobs (mode, job_id);
CREATE INDEX IF NOT EXISTS jobs_model ON jobs (model_id, job_id);
CREATE INDEX IF NOT EXISTS jobs_requester ON jobs (requester, job_id);
CREATE INDEX IF NOT EXISTS jobs_input_uri ON jobs (input_uri);
CREATE INDEX IF NOT EXISTS jobs_output_uri ON jobs (output_uri);
CREATE INDEX IF NOT EXISTS jobs_req_time ON jobs (req_time);
CREATE TABLE IF NOT EXISTS job_nodes (
  node TEXT NOT NULL, job_id INTEGER NOT NULL, assigned INTEGER NOT NULL, posted INTEGER NOT NULL, finalized INTEGER NOT NULL,
  posted_seconds INTEGER, posted_blocks INTEGER,
  PRIMARY KEY (node, job_id)
);
CREATE INDEX IF NOT EXISTS job_nodes_job ON job_nodes (job_id);

CREATE TABLE IF NOT EXISTS disputes (
  dispute_id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, challenger TEXT, audit INTEGER NOT NULL, executor TEXT,
  verdict TEXT, committee TEXT NOT NULL, seats INTEGER, commit_end INTEGER, reveal_end INTEGER,
  valid_votes INTEGER, invalid_votes INTEGER, pot TEXT,
  open_block INTEGER NOT NULL, open_time INTEGER NOT NULL, open_tx TEXT NOT NULL, open_log INTEGER NOT NULL,
  res_block INTEGER, res_time INTEGER, res_tx TEXT, res_log INTEGER
);
CREATE INDEX IF NOT EXISTS disputes_job ON disputes (job_id);
CREATE INDEX IF NOT EXISTS disputes_challenger ON disputes (challenger);
CREATE INDEX IF NOT EXISTS disputes_executor ON disputes (executor, verdict);
CREATE TABLE IF NOT EXISTS dispute_members (node TEXT NOT NULL, dispute_id INTEGER NOT NULL, PRIMARY KEY (node, dispute_id));
CREATE INDEX IF NOT EXISTS dispute_members_dispute ON dispute_members (dispute_id);

CREATE TABLE IF NOT EXISTS nodes (
  address TEXT PRIMARY KEY, active_executor TEXT NOT NULL, active_verifier TEXT NOT NULL,
  unbonding_executor TEXT NOT NULL, unbonding_verifier TEXT NOT NULL,
  jailed_executor INTEGER NOT NULL, jailed_verifier INTEGER NOT NULL,
  first_block INTEGER NOT NULL, first_log INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_first ON nodes (first_block, first_log);
CREATE TABLE IF NOT EXISTS node_models (node TEXT NOT NULL, model_id INTEGER NOT NULL, PRIMARY KEY (node, model_id));
CREATE INDEX IF NOT EXISTS node_models_model ON node_models (model_id);

CREATE TABLE IF NOT EXISTS models (
  model_id INTEGER PRIMARY KEY, owner TEXT NOT NULL, versions INTEGER NOT NULL, policy TEXT, policy_version INTEGER,
  reg_block INTEGER NOT NULL, reg_time INTEGER NOT NULL, reg_tx TEXT NOT NULL, reg_log INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_versions (
  model_id INTEGER NOT NULL, version INTEGER NOT NULL, digest TEXT NOT NULL, uri TEXT NOT NULL, deprecated INTEGER NOT NULL,
  pub_block INTEGER NOT NULL, pub_time INTEGER NOT NULL, pub_tx TEXT NOT NULL, pub_log INTEGER NOT NULL,
  PRIMARY KEY (model_id, version)
);
CREATE INDEX IF NOT EXISTS model_versions_uri ON model_versions (uri);
`;

/** Opens (creating if needed) the explorer's database at `file` (":memory:" for a throwaway one). */
export function openExplorerDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec(DDL);
  return db;
}

/** Opens an existing explorer database read-only (for a process that serves queries only). */
export function openExplorerDbReadOnly(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}
