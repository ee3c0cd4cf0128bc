/**
 * Timed actions that must survive a restart: a QUORUM reveal (with its output and salt), a
 * committee reveal (with its verdict and salt), a finalize, a resolve, an audit check (their kinds
 * and payloads: timedActions.ts). Kept in the node's SQLite file, next to the CursorStore's tables
 * (its own table, same file), as a kind and a JSON payload, so a node restarted between a commit
 * and its reveal can still reveal. Rows of the kinds an older node wrote are rewritten to today's
 * kinds when the file is opened.
 *
 * An action done is kept a while, with the head block it was done at: a reorganisation that
 * removes that block may have removed its transaction, so the node puts it back (`restoreSince`)
 * and the role checks the chain again before acting.
 *
 * Salts are secrets until revealed: the file must be readable by the operator only.
 */
import Database from "better-sqlite3";
import { LEGACY_KINDS, readPendingAction, type PendingAction, type TimedActionKind } from "./timedActions";

/** A stored row this node cannot run (see `readPendingAction`); `unreadable` says what is wrong with it. */
export interface UnreadableAction {
  key: string;
  kind: string;
  unreadable: string;
}

export class PendingStore {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly scope: string,
  ) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS pending_actions (
      scope TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, not_before INTEGER NOT NULL, payload TEXT NOT NULL,
      PRIMARY KEY (scope, key));
      CREATE TABLE IF NOT EXISTS done_actions (
      scope TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, not_before INTEGER NOT NULL, payload TEXT NOT NULL, done_block INTEGER NOT NULL,
      PRIMARY KEY (scope, key))`);
    this.migrateLegacyKinds();
  }

  /** Rewrites the kinds of rows an older node wrote (`executor.reveal`...) to today's, in both tables. */
  private migrateLegacyKinds(): void {
    const tx = this.db.transaction(() => {
      for (const table of ["pending_actions", "done_actions"]) {
        const update = this.db.prepare(`UPDATE ${table} SET kind = ? WHERE kind = ?`);
        for (const [legacy, kind] of Object.entries(LEGACY_KINDS)) update.run(kind, legacy);
      }
    });
    tx();
  }

  /** Records an action; a second put with the same key keeps the first (its salt must not change). */
  put(action: PendingAction): void {
    this.db
      .prepare("INSERT OR IGNORE INTO pending_actions (scope, key, kind, not_before, payload) VALUES (?, ?, ?, ?, ?)")
      .run(this.scope, action.key, action.kind, action.notBefore, JSON.stringify(action.payload));
  }

  /** The pending action `key`, if it is there and of `kind`. */
  get<K extends TimedActionKind>(key: string, kind: K): PendingAction<K> | undefined {
    const row = this.db.prepare("SELECT key, kind, not_before, payload FROM pending_actions WHERE scope = ? AND key = ?").get(this.scope, key) as
      | Row
      | undefined;
    const action = row && fromRow(row);
    return action && !("unreadable" in action) && action.kind === kind ? (action as PendingAction<K>) : undefined;
  }

  /** Every action whose `notBefore` is at most `now`, oldest key first; a row this node cannot run comes as an UnreadableAction. */
  due(now: number): (PendingAction | UnreadableAction)[] {
    const rows = this.db
      .prepare("SELECT key, kind, not_before, payload FROM pending_actions WHERE scope = ? AND not_before <= ? ORDER BY rowid")
      .all(this.scope, now) as Row[];
    return rows.map(fromRow);
  }

  /** Drops an action that will never be needed (the chain refused it): not kept, never restored. */
  delete(key: string): void {
    this.db.prepare("DELETE FROM pending_actions WHERE scope = ? AND key = ?").run(this.scope, key);
  }

  /** Moves a finished action out of the due list, keeping it with the head block it finished at. */
  complete(key: string, headBlock: number): void {
    const tx = this.db.transaction(() => {
      this.db
        .prepare("INSERT OR REPLACE INTO done_actions (scope, key, kind, not_before, payload, done_block) SELECT scope, key, kind, not_before, payload, ? FROM pending_actions WHERE scope = ? AND key = ?")
        .run(headBlock, this.scope, key);
      this.db.prepare("DELETE FROM pending_actions WHERE scope = ? AND key = ?").run(this.scope, key);
    });
    tx();
  }

  /**
   * Puts back every action finished at a head above `block` (a reorganisation removed those blocks,
   * and perhaps the actions' transactions): they are due again. Returns their keys.
   */
  restoreSince(block: number): string[] {
    const tx = this.db.transaction(() => {
      const rows = this.db.prepare("SELECT key FROM done_actions WHERE scope = ? AND done_block > ?").all(this.scope, block) as { key: string }[];
      this.db
        .prepare("INSERT OR IGNORE INTO pending_actions (scope, key, kind, not_before, payload) SELECT scope, key, kind, not_before, payload FROM done_actions WHERE scope = ? AND done_block > ?")
        .run(this.scope, block);
      this.db.prepare("DELETE FROM done_actions WHERE scope = ? AND done_block > ?").run(this.scope, block);
      return rows.map((r) => r.key);
    });
    return tx();
  }

  /** Forgets finished actions done at or below `block` (older than any reorganisation the node handles). */
  pruneDone(block: number): void {
    this.db.prepare("DELETE FROM done_actions WHERE scope = ? AND done_block <= ?").run(this.scope, block);
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  key: string;
  kind: string;
  not_before: number;
  payload: string;
}

function fromRow(row: Row): PendingAction | UnreadableAction {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    return { key: row.key, kind: row.kind, unreadable: "payload is not JSON" };
  }
  const action = readPendingAction(row.key, row.kind, Number(row.not_before), payload);
  return "unreadable" in action ? { key: row.key, kind: row.kind, unreadable: action.unreadable } : action;
}
