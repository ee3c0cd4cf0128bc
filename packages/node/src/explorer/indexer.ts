/**
 * The explorer's indexer: a LogHandler (chain/logPoller.ts) that stores every protocol event in the
 * `events` table and recomputes the derived rows of each job, dispute, node and model the events
 * touched. Event-sourced for reorganisation safety: a handled range replaces whatever the table
 * held for it (so handling a range twice changes nothing), and `onReorg` deletes every event above
 * the fork and recomputes every key those events touched, so no reorged-out step survives.
 *
 * NodeSlashed names no job: it is filed under the job (and dispute) of its transaction, whose other
 * logs (CollateralSlashed, JobTimedOut, DisputeResolved, RoundTallied, ...) name it. Dispute votes
 * name only their dispute: they are filed under the dispute's job (its DisputeOpened).
 */
import type Database from "better-sqlite3";
import type { Log, Provider } from "ethers";
import type { LogHandler } from "../chain/logPoller";
import type { Deployment } from "../deployment";
import { recomputeDispute } from "./deriveDispute";
import { recomputeJob } from "./deriveJob";
import { recomputeModel } from "./deriveModel";
import { recomputeNode } from "./deriveNode";
import { EventDecoder } from "./decode";

/** The keys whose derived rows must be recomputed. */
interface Touched {
  jobs: Set<number>;
  disputes: Set<number>;
  nodes: Set<string>;
  models: Set<number>;
}

/** Events that name no dispute (or job) themselves and are filed under their transaction's. */
const BY_TRANSACTION = ["NodeSlashed", "Credited", "TreasuryAccrued"];

export class ExplorerIndexer implements LogHandler {
  private readonly decoder: EventDecoder;

  /** `db` is an explorer database (schema.ts openExplorerDb); `provider` serves block timestamps. */
  constructor(
    private readonly db: Database.Database,
    private readonly provider: Provider,
    deployment: Pick<Deployment, "contracts">,
  ) {
    this.decoder = new EventDecoder(deployment.contracts);
  }

  /** The contract addresses whose logs this indexer wants (every protocol contract but the token). */
  addresses(): string[] {
    return this.decoder.addresses();
  }

  /** The newest block indexed, or undefined before the first range. */
  indexedBlock(): number | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'indexedBlock'").get() as { value: string } | undefined;
    return row ? Number(row.value) : undefined;
  }

  /** Stores the logs of blocks `range.from..range.to` (replacing any stored for them) and recomputes what they touched. */
  async onLogs(logs: Log[], range: { from: number; to: number }): Promise<void> {
    const times = await this.blockTimes(logs);
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO events (block, log_index, tx_hash, time, address, contract, name, job_id, dispute_id, node, model_id, args, topics, data)
       VALUES (@block, @log_index, @tx_hash, @time, @address, @contract, @name, @job_id, @dispute_id, @node, @model_id, @args, @topics, @data)`,
    );
    this.db.transaction(() => {
      const touched = this.keysFrom("block BETWEEN ? AND ?", range.from, range.to);
      this.db.prepare("DELETE FROM events WHERE block BETWEEN ? AND ?").run(range.from, range.to);
      for (const log of logs) {
        const event = this.decoder.decode(log);
        if (!event) continue;
        insert.run({
          block: log.blockNumber,
          log_index: log.index,
          tx_hash: log.transactionHash,
          time: times.get(log.blockNumber) ?? 0,
          address: log.address,
          contract: event.contract,
          name: event.name,
          job_id: event.jobId ?? null,
          dispute_id: event.disputeId ?? null,
          node: event.node ?? null,
          model_id: event.modelId ?? null,
          args: JSON.stringify(event.args),
          topics: JSON.stringify(log.topics),
          data: log.data,
        });
      }
      this.attribute(range.from, range.to);
      merge(touched, this.keysFrom("block BETWEEN ? AND ?", range.from, range.to));
      this.recompute(touched);
      this.setIndexedBlock(range.to);
    })();
  }

  /** Forgets every event and block above `forkBlock` and recomputes every key they touched. */
  async onReorg(forkBlock: number): Promise<void> {
    this.db.transaction(() => {
      const touched = this.keysFrom("block > ?", forkBlock);
      this.db.prepare("DELETE FROM events WHERE block > ?").run(forkBlock);
      this.db.prepare("DELETE FROM blocks WHERE number > ?").run(forkBlock);
      this.recompute(touched);
      this.setIndexedBlock(forkBlock);
    })();
  }

  /**
   * The timestamp of every block that carried a log, from the `blocks` cache or the provider.
   * Throws when the provider's block is not the one the log came from (a reorganisation since the
   * logs were read): the poll fails and the range is read again.
   */
  private async blockTimes(logs: Log[]): Promise<Map<number, number>> {
    const wanted = new Map<number, string>();
    for (const l of logs) wanted.set(l.blockNumber, l.blockHash);
    const times = new Map<number, number>();
    const cached = this.db.prepare("SELECT hash, time FROM blocks WHERE number = ?");
    const put = this.db.prepare("INSERT OR REPLACE INTO blocks (number, hash, time) VALUES (?, ?, ?)");
    for (const [number, hash] of wanted) {
      const row = cached.get(number) as { hash: string; time: number } | undefined;
      if (row?.hash === hash) {
        times.set(number, row.time);
        continue;
      }
      const block = await this.provider.getBlock(number);
      if (!block || block.hash !== hash) throw new Error(`block ${number} changed while its logs were read (a reorganisation): read the range again`);
      put.run(number, hash, block.timestamp);
      times.set(number, block.timestamp);
    }
    return times;
  }

  /** Files dispute events under their job, and NodeSlashed/Credited/TreasuryAccrued under their transaction's dispute and job. */
  private attribute(from: number, to: number): void {
    const names = BY_TRANSACTION.map((n) => `'${n}'`).join(", ");
    this.db
      .prepare(
        `UPDATE events SET job_id = (SELECT o.job_id FROM events o WHERE o.dispute_id = events.dispute_id AND o.name = 'DisputeOpened' AND o.contract = 'disputeManager')
         WHERE block BETWEEN ? AND ? AND job_id IS NULL AND dispute_id IS NOT NULL`,
      )
      .run(from, to);
    for (const key of ["dispute_id", "job_id"] as const) {
      this.db
        .prepare(
          `UPDATE events SET ${key} = (SELECT MIN(t.${key}) FROM events t WHERE t.tx_hash = events.tx_hash AND t.${key} IS NOT NULL)
           WHERE block BETWEEN ? AND ? AND ${key} IS NULL AND name IN (${names})
             AND (SELECT COUNT(DISTINCT t.${key}) FROM events t WHERE t.tx_hash = events.tx_hash AND t.${key} IS NOT NULL) = 1`,
        )
        .run(from, to);
    }
  }

  /** The keys of the stored events matching `where`. */
  private keysFrom(where: string, ...params: number[]): Touched {
    const rows = this.db.prepare(`SELECT DISTINCT job_id, dispute_id, node, model_id, contract FROM events WHERE ${where}`).all(...params) as {
      job_id: number | null;
      dispute_id: number | null;
      node: string | null;
      model_id: number | null;
      contract: string;
    }[];
    const touched: Touched = { jobs: new Set(), disputes: new Set(), nodes: new Set(), models: new Set() };
    for (const r of rows) {
      if (r.job_id !== null) touched.jobs.add(r.job_id);
      if (r.dispute_id !== null) touched.disputes.add(r.dispute_id);
      if (r.node !== null && r.contract === "stakeManager") touched.nodes.add(r.node);
      if (r.model_id !== null && r.contract === "modelRegistry") touched.models.add(r.model_id);
    }
    return touched;
  }

  private recompute(touched: Touched): void {
    for (const id of touched.models) recomputeModel(this.db, id);
    for (const address of touched.nodes) recomputeNode(this.db, address);
    for (const id of touched.jobs) recomputeJob(this.db, id);
    for (const id of touched.disputes) recomputeDispute(this.db, id);
  }

  private setIndexedBlock(block: number): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('indexedBlock', ?)").run(String(block));
  }
}

function merge(into: Touched, from: Touched): void {
  for (const k of ["jobs", "disputes", "nodes", "models"] as const) {
    for (const v of from[k] as Set<number | string>) (into[k] as Set<number | string>).add(v);
  }
}
