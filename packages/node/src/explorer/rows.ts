/**
 * The stored event row and the small helpers every derivation and query shares: reading a row's
 * arguments, its chain position, and a position from the column groups of a derived table.
 */
import type { ChainPosition } from "./types";
import type { Json } from "./decode";

/** One row of the `events` table. */
export interface EventRow {
  block: number;
  log_index: number;
  tx_hash: string;
  time: number;
  address: string;
  contract: string;
  name: string;
  job_id: number | null;
  dispute_id: number | null;
  node: string | null;
  model_id: number | null;
  /** JSON of the decoded arguments. */
  args: string;
  /** JSON array of the log's topics. */
  topics: string;
  data: string;
}

/** A row's arguments. */
export function argsOf(row: EventRow): Record<string, Json> {
  return JSON.parse(row.args) as Record<string, Json>;
}

/** Where a row's event happened. */
export function positionOf(row: Pick<EventRow, "block" | "time" | "tx_hash" | "log_index">): ChainPosition {
  return { block: row.block, time: row.time, txHash: row.tx_hash, logIndex: row.log_index };
}

/** The four position columns a derived table stores under `prefix` (req_, end_, open_, ...). */
export function positionColumns(prefix: string, p: ChainPosition | undefined): Record<string, number | string | null> {
  return {
    [`${prefix}block`]: p?.block ?? null,
    [`${prefix}time`]: p?.time ?? null,
    [`${prefix}tx`]: p?.txHash ?? null,
    [`${prefix}log`]: p?.logIndex ?? null,
  };
}

/** The position stored under `prefix` in a derived row, or undefined when its block is null. */
export function positionFrom(row: Record<string, unknown>, prefix: string): ChainPosition | undefined {
  const block = row[`${prefix}block`];
  if (block === null || block === undefined) return undefined;
  return { block: Number(block), time: Number(row[`${prefix}time`]), txHash: String(row[`${prefix}tx`]), logIndex: Number(row[`${prefix}log`]) };
}

/** A JSON argument as a string (addresses, hashes, decimal amounts). */
export function str(v: Json | undefined): string {
  return typeof v === "string" ? v : String(v ?? "");
}

/** A JSON argument as a number (small integers: enums, counts, times). */
export function num(v: Json | undefined): number {
  return Number(v ?? 0);
}

/** Named parameters for better-sqlite3 (`@name`), from an object. */
export type SqlParams = Record<string, string | number | bigint | null>;
