import type { AuditPage, AuditQuery, StoredAuditEvent } from "@portcullis/core";
import type { AuditEventIds } from "./audit-event-ids";
import { EVENT_COLUMNS, STORED_COLUMNS, eventOf, type AuditRow } from "./audit-row";
import { msParam } from "./sql-time";
import type { Statement } from "./timed-pool";

/**
 * How far the clocks of the processes writing the log may disagree: an event is recorded no
 * earlier than its `at` minus this, so `since` can bound the scan.
 */
const CLOCK_SLACK_MS = 10 * 60 * 1000;

/** The most rows one filtered `list` call reads, whatever its filters: 10 × limit, at least 1000. */
const scanBudget = (limit: number) => Math.max(1000, 10 * limit);

/** A bound a reader passed, within what timestamptz holds; every stored time lies inside. */
const storable = (ms: number) => Math.min(Math.max(ms, -1), 2 ** 53);

export interface AuditListing extends Statement {
  /** How many rows of the log the statement reads at most. */
  readonly budget: number;
}

export type ListedRow = AuditRow & { readonly matches: boolean; readonly scanned: string };

/**
 * The statement for one page: it walks the log's index newest first (an owner's, the overview or
 * the log of no owner) from the cursor, no further back than `oldest` (the retention) or what
 * `since` allows, reading at most the budget; answers the rows that pass the filters, up to one
 * past the page, and the last row it read, so a page can say where the next one starts.
 */
export function planAuditListing(table: string, query: AuditQuery, before: readonly [number, number] | undefined, retainedFrom: number): AuditListing {
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const time = (ms: number) => msParam(values.push(storable(ms)));

  const where = [query.unowned === true ? "owner IS NULL" : query.owner === undefined ? "owner IS NOT NULL" : `owner = ${param(query.owner)}`];
  const since = query.since === undefined ? Number.NEGATIVE_INFINITY : Math.floor(query.since - CLOCK_SLACK_MS);
  where.push(`recorded_at >= ${time(Math.max(retainedFrom, since))}`);
  if (before) where.push(`(recorded_at, seq) < (${time(before[0])}, ${param(Math.min(before[1], Number.MAX_SAFE_INTEGER))}::int8)`);

  const filters: string[] = [];
  if (query.keyId !== undefined) filters.push(`key_id = ${param(query.keyId)}`);
  if (query.userId !== undefined) filters.push(`user_id = ${param(query.userId)}`);
  if (query.outcome !== undefined) filters.push(`outcome = ${param(query.outcome)}`);
  if (query.action !== undefined) filters.push(`action = ${param(query.action)}`);
  if (query.since !== undefined) filters.push(`at >= ${time(query.since)}`);
  if (query.until !== undefined) filters.push(`at <= ${time(query.until)}`);

  // Unfiltered, a page reads one row past itself; filtered, up to the budget, like a Redis stream scan.
  const budget = filters.length === 0 ? query.limit + 1 : scanBudget(query.limit);
  const matches = filters.length === 0 ? "true" : `coalesce(${filters.join(" AND ")}, false)`;
  return {
    text: `
SELECT ${EVENT_COLUMNS}, matches, scanned
FROM (
  SELECT s.*, ${matches} AS matches, row_number() OVER (ORDER BY s.recorded_at DESC, s.seq DESC) AS n, count(*) OVER () AS scanned
  FROM (SELECT ${STORED_COLUMNS} FROM ${table} WHERE ${where.join(" AND ")} ORDER BY recorded_at DESC, seq DESC LIMIT ${budget}) AS s
) AS t
WHERE matches OR n = scanned
ORDER BY n
LIMIT ${query.limit + 1}`,
    values,
    budget,
  };
}

/**
 * The page the rows of a listing make: the matching events, and `next` when a further match
 * follows, or when the scan stopped at its budget (a short or empty page then still has a next).
 */
export function pageOf(rows: readonly ListedRow[], limit: number, budget: number, ids: AuditEventIds): AuditPage {
  const events: StoredAuditEvent[] = [];
  for (const row of rows) {
    const event = row.matches ? eventOf(row, ids) : undefined;
    if (!event) continue;
    if (events.length === limit) return { events, next: events[limit - 1]!.id };
    events.push(event);
  }
  const last = rows[rows.length - 1];
  return last && Number(last.scanned) === budget ? { events, next: ids.idOf(last) } : { events };
}
