import { expect } from "chai";
import Database from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PendingStore } from "../src/roles/pendingStore";
import { LEGACY_KINDS, type PendingAction } from "../src/roles/timedActions";

const action = (key: string, notBefore = 0): PendingAction<"revealVote"> => ({
  key,
  kind: "revealVote",
  notBefore,
  payload: { disputeId: "1", jobId: "1", verdict: "1", salt: `salt-${key}` },
});

const tempDirs: string[] = [];

/** A SQLite file with the tables and rows a node stored before timed actions were typed. */
function legacyFile(rows: { table: "pending_actions" | "done_actions"; key: string; kind: string; payload: string }[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-pending-"));
  tempDirs.push(dir);
  const file = path.join(dir, "node.sqlite");
  const db = new Database(file);
  db.exec(`CREATE TABLE pending_actions (scope TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, not_before INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (scope, key));
    CREATE TABLE done_actions (scope TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, not_before INTEGER NOT NULL, payload TEXT NOT NULL, done_block INTEGER NOT NULL, PRIMARY KEY (scope, key))`);
  for (const row of rows) {
    if (row.table === "pending_actions") db.prepare("INSERT INTO pending_actions VALUES ('test', ?, ?, 0, ?)").run(row.key, row.kind, row.payload);
    else db.prepare("INSERT INTO done_actions VALUES ('test', ?, ?, 0, ?, 20)").run(row.key, row.kind, row.payload);
  }
  db.close();
  return file;
}

describe("PendingStore: finished actions and reorganisations", function () {
  it("takes a completed action out of the due list and keeps it with the head it finished at", function () {
    const store = new PendingStore(":memory:", "test");
    store.put(action("a"));
    store.put(action("b"));
    store.complete("a", 10);
    expect(store.due(100).map((a) => a.key)).to.deep.equal(["b"]);
    expect(store.get("a", "revealVote")).to.equal(undefined);
    store.close();
  });

  it("puts back, unchanged, every action finished above a fork, and only those", function () {
    const store = new PendingStore(":memory:", "test");
    for (const key of ["below", "at", "above"]) store.put(action(key));
    store.complete("below", 8);
    store.complete("at", 10);
    store.complete("above", 11);
    expect(store.restoreSince(10)).to.deep.equal(["above"]);
    expect(store.due(100)).to.deep.equal([action("above")]); // same payload: a salt never changes
    expect(store.restoreSince(10)).to.deep.equal([]);
    store.close();
  });

  it("never restores an action the chain refused (deleted) or one pruned as older than any reorganisation", function () {
    const store = new PendingStore(":memory:", "test");
    store.put(action("refused"));
    store.delete("refused");
    store.put(action("old"));
    store.complete("old", 5);
    store.pruneDone(5);
    expect(store.restoreSince(0)).to.deep.equal([]);
    expect(store.due(100)).to.deep.equal([]);
    store.close();
  });
});

describe("PendingStore: rows an older node wrote", function () {
  after(function () {
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads a row of a role-prefixed kind (executor.reveal) as today's kind with its payload unchanged, pending or done", function () {
    const payload = { jobId: "7", output: "0x0102", salt: `0x${"ab".repeat(32)}` };
    const file = legacyFile([
      { table: "pending_actions", key: "reveal:7", kind: "executor.reveal", payload: JSON.stringify(payload) },
      { table: "done_actions", key: "draw:3", kind: "verifier.draw", payload: JSON.stringify({ disputeId: "3", jobId: "8" }) },
    ]);
    const store = new PendingStore(file, "test");
    expect(store.due(0)).to.deep.equal([{ key: "reveal:7", kind: "revealResult", notBefore: 0, payload }]);
    expect(store.get("reveal:7", "revealResult")?.payload.salt).to.equal(payload.salt);
    expect(store.restoreSince(10)).to.deep.equal(["draw:3"]);
    expect(store.get("draw:3", "drawCommittee")?.payload).to.deep.equal({ disputeId: "3", jobId: "8" });
    store.close();
  });

  it("maps every kind an older node wrote to a kind of today", function () {
    const rows = Object.keys(LEGACY_KINDS).map((kind, i) => ({ table: "pending_actions" as const, key: `k${i}`, kind, payload: "{}" }));
    const store = new PendingStore(legacyFile(rows), "test");
    // Payloads of `{}` are unreadable, but by their fields, never by their kind.
    expect(store.due(0).map((a) => ("unreadable" in a ? a.unreadable : a.kind)).every((why) => !why.startsWith("unknown kind"))).to.equal(true);
    store.close();
  });

  it("gives a row of an unknown kind, or without its kind's payload, as unreadable, never as an action to run", function () {
    const file = legacyFile([
      { table: "pending_actions", key: "a", kind: "executor.teleport", payload: "{}" },
      { table: "pending_actions", key: "b", kind: "timeout", payload: JSON.stringify({ jobId: "1" }) },
      { table: "pending_actions", key: "c", kind: "finalize", payload: "not json" },
    ]);
    const store = new PendingStore(file, "test");
    expect(store.due(0)).to.deep.equal([
      { key: "a", kind: "executor.teleport", unreadable: 'unknown kind "executor.teleport"' },
      { key: "b", kind: "timeout", unreadable: "timeout without attempt" },
      { key: "c", kind: "finalize", unreadable: "payload is not JSON" },
    ]);
    expect(store.get("b", "timeout")).to.equal(undefined);
    store.close();
  });

  it("gets an action only as the kind it was stored as", function () {
    const store = new PendingStore(":memory:", "test");
    store.put(action("v"));
    expect(store.get("v", "revealVote")?.payload.verdict).to.equal("1");
    expect(store.get("v", "revealResult")).to.equal(undefined);
    store.close();
  });
});
