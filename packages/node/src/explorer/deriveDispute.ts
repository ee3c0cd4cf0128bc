/**
 * Recomputes one dispute's derived rows (`disputes`, `dispute_members`) from its events: the
 * DisputeManager's round (opened, committee, verdict) and the hub's AuditStarted. The executor whose
 * result is judged is the job's last poster before the dispute opened.
 */
import type Database from "better-sqlite3";
import { namesOf, Verdict } from "../sdk/enums";
import { argsOf, num, positionColumns, positionOf, str, type EventRow } from "./rows";

const VERDICT_NAMES = namesOf(Verdict);

/** Rebuilds dispute `disputeId` from its events; deletes its rows when no DisputeOpened is left. */
export function recomputeDispute(db: Database.Database, disputeId: number): void {
  const events = db.prepare("SELECT * FROM events WHERE dispute_id = ? ORDER BY block, log_index").all(disputeId) as EventRow[];
  db.prepare("DELETE FROM dispute_members WHERE dispute_id = ?").run(disputeId);
  const opened = events.find((e) => e.name === "DisputeOpened" && e.contract === "disputeManager");
  if (!opened) {
    db.prepare("DELETE FROM disputes WHERE dispute_id = ?").run(disputeId);
    return;
  }
  const o = argsOf(opened);
  const jobId = num(o.jobId);
  const challenger = /^0x0{40}$/i.test(str(o.challenger)) ? null : str(o.challenger);
  const poster = db
    .prepare(
      "SELECT args FROM events WHERE job_id = ? AND name = 'ResultSubmitted' AND (block < ? OR (block = ? AND log_index < ?)) ORDER BY block DESC, log_index DESC LIMIT 1",
    )
    .get(jobId, opened.block, opened.block, opened.log_index) as { args: string } | undefined;
  const row: Record<string, string | number | null> = {
    dispute_id: disputeId,
    job_id: jobId,
    challenger,
    audit: challenger === null ? 1 : 0,
    executor: poster ? str((JSON.parse(poster.args) as { executor: string }).executor) : null,
    verdict: null,
    committee: "[]",
    seats: null,
    commit_end: null,
    reveal_end: null,
    valid_votes: null,
    invalid_votes: null,
    pot: null,
    ...positionColumns("open_", positionOf(opened)),
    ...positionColumns("res_", undefined),
  };
  let members: string[] = [];
  for (const e of events) {
    const a = argsOf(e);
    if (e.name === "AuditStarted") row.audit = 1;
    if (e.contract !== "disputeManager") continue;
    if (e.name === "CommitteeDrawn") {
      members = (a.members as string[]).map(String);
      Object.assign(row, { committee: JSON.stringify(members), seats: num(a.seats), commit_end: num(a.commitEnd), reveal_end: num(a.revealEnd) });
    } else if (e.name === "DisputeResolved") {
      Object.assign(row, {
        verdict: VERDICT_NAMES[num(a.verdict)] ?? "Undecided",
        valid_votes: num(a.validVotes),
        invalid_votes: num(a.invalidVotes),
        pot: str(a.pot),
        ...positionColumns("res_", positionOf(e)),
      });
    }
  }
  const columns = Object.keys(row);
  db.prepare(`INSERT OR REPLACE INTO disputes (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`).run(row);
  const put = db.prepare("INSERT OR IGNORE INTO dispute_members (node, dispute_id) VALUES (?, ?)");
  for (const m of members) put.run(m, disputeId);
}
