/**
 * Recomputes one node's stake rows (`nodes`, `node_models`) from its StakeManager events, following
 * StakeManager.sol: Staked carries the new active stake; UnstakeRequested moves `amount` from active
 * to unbonding; Withdrawn takes `amount` out of unbonding; NodeSlashed takes `amount - fromUnbonding`
 * from active and `fromUnbonding` from unbonding; NodeJailed/NodeUnjailed set the jail flag;
 * ModelOptedIn/Out edit the node's model pools.
 */
import type Database from "better-sqlite3";
import { namesOf, Role } from "../sdk/enums";
import type { RoleName } from "./types";
import { argsOf, num, str, type EventRow } from "./rows";

const ROLE_NAMES = namesOf(Role);

interface RoleStake {
  active: bigint;
  unbonding: bigint;
  jailed: boolean;
}

/** Rebuilds node `address` from its StakeManager events; deletes its rows when none is left. */
export function recomputeNode(db: Database.Database, address: string): void {
  const events = db.prepare("SELECT * FROM events WHERE node = ? AND contract = 'stakeManager' ORDER BY block, log_index").all(address) as EventRow[];
  db.prepare("DELETE FROM node_models WHERE node = ?").run(address);
  if (events.length === 0) {
    db.prepare("DELETE FROM nodes WHERE address = ?").run(address);
    return;
  }
  const stake: Record<RoleName, RoleStake> = {
    EXECUTOR: { active: 0n, unbonding: 0n, jailed: false },
    VERIFIER: { active: 0n, unbonding: 0n, jailed: false },
  };
  const models = new Set<number>();
  for (const e of events) {
    const a = argsOf(e);
    const r = stake[ROLE_NAMES[num(a.role)] ?? "EXECUTOR"];
    switch (e.name) {
      case "Staked":
        r.active = BigInt(str(a.active));
        break;
      case "UnstakeRequested":
        r.active -= BigInt(str(a.amount));
        r.unbonding += BigInt(str(a.amount));
        break;
      case "Withdrawn":
        r.unbonding -= BigInt(str(a.amount));
        break;
      case "NodeSlashed": {
        const fromUnbonding = BigInt(str(a.fromUnbonding));
        r.active -= BigInt(str(a.amount)) - fromUnbonding;
        r.unbonding -= fromUnbonding;
        break;
      }
      case "NodeJailed":
        r.jailed = true;
        break;
      case "NodeUnjailed":
        r.jailed = false;
        break;
      case "ModelOptedIn":
        models.add(num(a.modelId));
        break;
      case "ModelOptedOut":
        models.delete(num(a.modelId));
        break;
      default:
        break;
    }
  }
  db.prepare(
    `INSERT OR REPLACE INTO nodes (address, active_executor, active_verifier, unbonding_executor, unbonding_verifier, jailed_executor, jailed_verifier, first_block, first_log)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    address,
    stake.EXECUTOR.active.toString(),
    stake.VERIFIER.active.toString(),
    stake.EXECUTOR.unbonding.toString(),
    stake.VERIFIER.unbonding.toString(),
    stake.EXECUTOR.jailed ? 1 : 0,
    stake.VERIFIER.jailed ? 1 : 0,
    events[0].block,
    events[0].log_index,
  );
  const put = db.prepare("INSERT OR IGNORE INTO node_models (node, model_id) VALUES (?, ?)");
  for (const m of models) put.run(address, m);
}
