/**
 * Recomputes one model's rows (`models`, `model_versions`) from its ModelRegistry events: the owner
 * (ModelRegistered, then OwnershipTransferred), its versions (VersionPublished, deprecations) and
 * its latest policy (PolicySet's ModelPolicy, JSON-safe; a ResolverSet adds `resolver`).
 */
import type Database from "better-sqlite3";
import { argsOf, num, positionColumns, positionOf, str, type EventRow } from "./rows";
import type { Json } from "./decode";

/** Rebuilds model `modelId` from its events; deletes its rows when no ModelRegistered is left. */
export function recomputeModel(db: Database.Database, modelId: number): void {
  const events = db.prepare("SELECT * FROM events WHERE model_id = ? AND contract = 'modelRegistry' ORDER BY block, log_index").all(modelId) as EventRow[];
  db.prepare("DELETE FROM model_versions WHERE model_id = ?").run(modelId);
  const registered = events.find((e) => e.name === "ModelRegistered");
  if (!registered) {
    db.prepare("DELETE FROM models WHERE model_id = ?").run(modelId);
    return;
  }
  let owner = str(argsOf(registered).owner);
  let policy: Record<string, Json> | undefined;
  let policyVersion: number | undefined;
  const versions = new Map<number, { digest: string; uri: string; deprecated: boolean; row: EventRow }>();
  for (const e of events) {
    const a = argsOf(e);
    switch (e.name) {
      case "VersionPublished":
        versions.set(num(a.version), { digest: str(a.digest), uri: str(a.uri), deprecated: false, row: e });
        break;
      case "ModelVersionDeprecated": {
        const v = versions.get(num(a.version));
        if (v) v.deprecated = true;
        break;
      }
      case "PolicySet":
        policy = { ...(a.policy as Record<string, Json>), ...(policy?.resolver !== undefined ? { resolver: policy.resolver } : {}) };
        policyVersion = num(a.policyVersion);
        break;
      case "ResolverSet":
        policy = { ...(policy ?? {}), resolver: str(a.resolver) };
        policyVersion = num(a.policyVersion);
        break;
      case "OwnershipTransferred":
        owner = str(a.to);
        break;
      default:
        break;
    }
  }
  const row = {
    model_id: modelId,
    owner,
    versions: versions.size,
    policy: policy ? JSON.stringify(policy) : null,
    policy_version: policyVersion ?? null,
    ...positionColumns("reg_", positionOf(registered)),
  };
  const columns = Object.keys(row);
  db.prepare(`INSERT OR REPLACE INTO models (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`).run(row);
  const put = db.prepare(
    "INSERT INTO model_versions (model_id, version, digest, uri, deprecated, pub_block, pub_time, pub_tx, pub_log) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const [version, v] of versions) {
    put.run(modelId, version, v.digest, v.uri, v.deprecated ? 1 : 0, v.row.block, v.row.time, v.row.tx_hash, v.row.log_index);
  }
}
