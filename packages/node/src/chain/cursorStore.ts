/**
 * The node's durable memory of the chain, in SQLite (better-sqlite3, synchronous, WAL):
 *   - the cursor: the last block whose logs were fully processed, with its hash;
 *   - the hashes of recent processed blocks, to find where a reorganisation forked;
 *   - the actions already taken, keyed by job and step, so that an event seen twice (after a
 *     restart or a replayed range) never sends a second transaction;
 *   - for each action mined, the block its transaction was mined in (number and hash), so that a
 *     reorganisation that removes the transaction, even one above the cursor, is noticed and the
 *     action taken again (LogPoller).
 */
import Database from "better-sqlite3";

export interface Cursor {
  block: number;
  hash: string;
}

/** Where an action's transaction was mined. */
export interface Mined {
  block: number;
  hash: string;
}

/** How many recent block hashes are kept to locate a fork point. */
export const DEFAULT_HASH_HISTORY = 256;

export class CursorStore {
  private readonly db: Database.Database;

  /** Opens (creating if needed) the store at `file`; ":memory:" for tests. */
  constructor(
    file: string,
    private readonly scope: string,
    private readonly hashHistory = DEFAULT_HASH_HISTORY,
  ) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS cursor (scope TEXT PRIMARY KEY, block INTEGER NOT NULL, hash TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS block_hashes (scope TEXT NOT NULL, block INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (scope, block));
      CREATE TABLE IF NOT EXISTS actions (scope TEXT NOT NULL, key TEXT NOT NULL, block INTEGER NOT NULL, detail TEXT, PRIMARY KEY (scope, key));
    `);
    // Stores written before the mined block was kept gain its columns (empty for their old rows).
    const columns = (this.db.prepare("PRAGMA table_info(actions)").all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes("mined_block")) this.db.exec("ALTER TABLE actions ADD COLUMN mined_block INTEGER; ALTER TABLE actions ADD COLUMN mined_hash TEXT;");
  }

  /** The last fully processed block, or undefined before the first one. */
  cursor(): Cursor | undefined {
    const row = this.db.prepare("SELECT block, hash FROM cursor WHERE scope = ?").get(this.scope) as Cursor | undefined;
    return row ? { block: Number(row.block), hash: row.hash } : undefined;
  }

  /** Records that every log up to `block` (whose hash is `hash`) has been handled; atomic. */
  advance(blocks: Cursor[]): void {
    if (blocks.length === 0) return;
    const last = blocks[blocks.length - 1];
    const tx = this.db.transaction(() => {
      const put = this.db.prepare("INSERT OR REPLACE INTO block_hashes (scope, block, hash) VALUES (?, ?, ?)");
      for (const b of blocks) put.run(this.scope, b.block, b.hash);
      this.db.prepare("INSERT OR REPLACE INTO cursor (scope, block, hash) VALUES (?, ?, ?)").run(this.scope, last.block, last.hash);
      this.db.prepare("DELETE FROM block_hashes WHERE scope = ? AND block <= ?").run(this.scope, last.block - this.hashHistory);
    });
    tx();
  }

  /** The hash recorded for `block`, if it is still in the history. */
  hashAt(block: number): string | undefined {
    const row = this.db.prepare("SELECT hash FROM block_hashes WHERE scope = ? AND block = ?").get(this.scope, block) as
      | { hash: string }
      | undefined;
    return row?.hash;
  }

  /** The oldest block whose hash is still recorded. */
  oldestRecorded(): number | undefined {
    const row = this.db.prepare("SELECT MIN(block) AS block FROM block_hashes WHERE scope = ?").get(this.scope) as { block: number | null };
    return row.block === null ? undefined : Number(row.block);
  }

  /**
   * Moves the cursor back to `block` after a reorganisation: forgets the hashes above it and the
   * actions recorded in the removed blocks (their transactions may be gone with them and must be
   * reconsidered). Returns the keys of the actions forgotten. An action caused by an event at or
   * below `block` whose transaction was mined above it is not forgotten here: rewind below its
   * event (`replayFrom`) so that the event is handled again.
   */
  rewind(block: number, hash: string): string[] {
    const tx = this.db.transaction(() => {
      const removed = this.db.prepare("SELECT key FROM actions WHERE scope = ? AND block > ?").all(this.scope, block) as { key: string }[];
      this.db.prepare("DELETE FROM actions WHERE scope = ? AND block > ?").run(this.scope, block);
      this.db.prepare("DELETE FROM block_hashes WHERE scope = ? AND block > ?").run(this.scope, block);
      this.db.prepare("INSERT OR REPLACE INTO cursor (scope, block, hash) VALUES (?, ?, ?)").run(this.scope, block, hash);
      return removed.map((r) => r.key);
    });
    return tx();
  }

  /**
   * Claims the action `key` (for example `submit:42:1`) seen in `block`: true the first time,
   * false if it was already claimed, so a handler that runs twice acts once.
   */
  claimAction(key: string, block: number, detail?: string): boolean {
    const result = this.db
      .prepare("INSERT OR IGNORE INTO actions (scope, key, block, detail) VALUES (?, ?, ?, ?)")
      .run(this.scope, key, block, detail ?? null);
    return result.changes === 1;
  }

  /**
   * Records that the claimed action `key` was mined (its transaction's hash, and the block it was
   * mined in): it is settled.
   */
  settleAction(key: string, txHash: string, mined?: Mined): void {
    this.db
      .prepare("UPDATE actions SET detail = ?, mined_block = ?, mined_hash = ? WHERE scope = ? AND key = ?")
      .run(`tx:${txHash}`, mined?.block ?? null, mined?.hash ?? null, this.scope, key);
  }

  /** The blocks this key's settled actions were mined in above `block`, lowest first (one entry per block). */
  minedAbove(block: number): Mined[] {
    const rows = this.db
      .prepare("SELECT DISTINCT mined_block AS block, mined_hash AS hash FROM actions WHERE scope = ? AND mined_block > ? ORDER BY mined_block")
      .all(this.scope, block) as Mined[];
    return rows.map((r) => ({ block: Number(r.block), hash: r.hash }));
  }

  /** The newest block any settled action was mined in, if one was recorded. */
  newestMined(): Mined | undefined {
    const row = this.db
      .prepare("SELECT mined_block AS block, mined_hash AS hash FROM actions WHERE scope = ? AND mined_block IS NOT NULL ORDER BY mined_block DESC LIMIT 1")
      .get(this.scope) as Mined | undefined;
    return row ? { block: Number(row.block), hash: row.hash } : undefined;
  }

  /**
   * The block to replay from after a reorganisation that forked at `forkBlock`: the fork itself,
   * or lower when an action whose transaction was mined above the fork was caused by an event at
   * or below it (that event must be handled again, since its transaction is gone).
   */
  replayFrom(forkBlock: number): number {
    const row = this.db.prepare("SELECT MIN(block) AS block FROM actions WHERE scope = ? AND mined_block > ?").get(this.scope, forkBlock) as { block: number | null };
    return row.block === null ? forkBlock : Math.min(forkBlock, Number(row.block) - 1);
  }

  /**
   * Forgets the claim of `key`: its transaction is known not to have been mined, so the action may
   * be reconsidered (the roles check the chain's state before acting again).
   */
  releaseAction(key: string): void {
    this.db.prepare("DELETE FROM actions WHERE scope = ? AND key = ?").run(this.scope, key);
  }

  /**
   * Forgets every claim that was never settled: after a crash between a claim and its receipt, the
   * roles reconsider those actions against the chain instead of skipping them forever. Call it only
   * when none of this key's transactions is still pending. Returns the keys released.
   */
  releaseUnsettled(): string[] {
    const tx = this.db.transaction(() => {
      const rows = this.db.prepare("SELECT key FROM actions WHERE scope = ? AND detail = 'claimed'").all(this.scope) as { key: string }[];
      this.db.prepare("DELETE FROM actions WHERE scope = ? AND detail = 'claimed'").run(this.scope);
      return rows.map((r) => r.key);
    });
    return tx();
  }

  /** True when `key` was claimed. */
  hasAction(key: string): boolean {
    return this.db.prepare("SELECT 1 FROM actions WHERE scope = ? AND key = ?").get(this.scope, key) !== undefined;
  }

  close(): void {
    this.db.close();
  }
}
