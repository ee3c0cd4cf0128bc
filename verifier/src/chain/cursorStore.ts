/**
 * The node's durable memory of the chain, in SQLite (better-sqlite3, synchronous, WAL):
 *   - the cursor: the last block whose logs were fully processed, with its hash;
 *   - the hashes of recent processed blocks, to find where a reorganisation forked;
 *   - the actions already taken, keyed by job and step, so that an event seen twice (after a
 *     restart or a replayed range) never sends a second transaction.
 */
import Database from "better-sqlite3";

export interface Cursor {
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
   * reconsidered). Returns the keys of the actions forgotten.
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

  /** Records that the claimed action `key` was mined (its transaction's hash): it is settled. */
  settleAction(key: string, txHash: string): void {
    this.db.prepare("UPDATE actions SET detail = ? WHERE scope = ? AND key = ?").run(`tx:${txHash}`, this.scope, key);
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
