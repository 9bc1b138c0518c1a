import type { Statement } from "./timed-pool";
import { msParam } from "./sql-time";

/**
 * Rows one pruning DELETE removes at most: each is a short transaction of its own, so a large
 * backlog never holds locks or a connection for long, and requests never wait on it.
 */
export const PRUNE_BATCH = 1000;

/** An owner's log, or (null) the log of events of no owner. */
export type AuditLog = string | null;

/**
 * Deletes a batch of rows picked by `pick`, a query over `table` answering `ctid`s through an
 * index. Rows another pruner has locked are skipped, not waited for: it is deleting them.
 */
function deletePicked(table: string, pick: string): string {
  return `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(${pick} LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED))`;
}

/**
 * A batch of one log's events past its newest `cap`: those at or before its (cap + 1)-th newest,
 * found by walking the log's index that far.
 */
export function trimLog(table: string, log: AuditLog, cap: number): Statement {
  const inLog = log === null ? "owner IS NULL" : "owner = $2";
  const boundary = `SELECT recorded_at, seq FROM ${table} WHERE ${inLog} ORDER BY recorded_at DESC, seq DESC OFFSET $1 LIMIT 1`;
  return {
    text: deletePicked(table, `SELECT ctid FROM ${table} WHERE ${inLog} AND (recorded_at, seq) <= (${boundary})`),
    values: log === null ? [cap] : [cap, log],
  };
}

/** A batch of events recorded before `cutoff` (ms), owners' or (`owned` false) those of no owner, each on its own index. */
export function deleteAged(table: string, owned: boolean, cutoff: number): Statement {
  return {
    text: deletePicked(table, `SELECT ctid FROM ${table} WHERE owner IS ${owned ? "NOT NULL" : "NULL"} AND recorded_at < ${msParam(1)}`),
    values: [cutoff],
  };
}
