import type { AuditEvent, StoredAuditEvent } from "@portcullis/core";
import { sanitizeAuditEvent } from "@portcullis/core/internal";
import { msColumn } from "./sql-time";
import type { Statement } from "./timed-pool";
import type { AuditEventIds } from "./audit-event-ids";

// How an access-log event maps onto a row of `audit_events`, both ways, in one place so the
// reader and the writer agree.

/** The optional text fields of an event and their columns. */
const TEXT_COLUMNS = {
  code: "code",
  keyId: "key_id",
  userId: "user_id",
  owner: "owner",
  targetId: "target_id",
  ip: "ip",
  userAgent: "user_agent",
  method: "method",
  route: "route",
} as const satisfies Record<Exclude<keyof AuditEvent, "at" | "action" | "outcome">, string>;

const TEXT_FIELDS = Object.keys(TEXT_COLUMNS) as (keyof typeof TEXT_COLUMNS)[];
const TEXT_COLUMN_LIST = Object.values(TEXT_COLUMNS).join(", ");

/** The columns as stored, for a query that filters and orders on them before `EVENT_COLUMNS` converts them. */
export const STORED_COLUMNS = `seq, recorded_at, at, action, outcome, ${TEXT_COLUMN_LIST}`;

/** The columns an event is read from, times as bigint milliseconds. */
export const EVENT_COLUMNS = `seq, ${msColumn("recorded_at")}, ${msColumn("at")}, action, outcome, ${TEXT_COLUMN_LIST}`;

export type AuditRow = {
  readonly seq: string;
  readonly recorded_at: string;
  readonly at: string;
  readonly action: string;
  readonly outcome: string;
} & { readonly [Column in (typeof TEXT_COLUMNS)[keyof typeof TEXT_COLUMNS]]: string | null };

/** An event waiting to be written, with when this sink recorded it (the first half of its id). */
export interface RecordedEvent {
  readonly event: AuditEvent;
  readonly recordedAt: number;
}

/**
 * One INSERT for a batch, its values as one array per column. Rows are inserted in the batch's
 * order (`WITH ORDINALITY`), so `seq` follows it among events recorded in one millisecond.
 */
export function insertEvents(table: string, batch: readonly RecordedEvent[]): Statement {
  const time = (column: string) => `'epoch'::timestamptz + e.${column} * interval '1 millisecond'`;
  const columns = ["recorded_at", "at", "action", "outcome", ...Object.values(TEXT_COLUMNS)];
  return {
    text: `INSERT INTO ${table} (${columns.join(", ")})
SELECT ${[time("recorded_at"), time("at"), ...columns.slice(2).map((column) => `e.${column}`)].join(", ")}
FROM unnest(${columns.map((_, i) => `$${i + 1}::${i < 2 ? "float8" : "text"}[]`).join(", ")}) WITH ORDINALITY AS e(${columns.join(", ")}, n)
ORDER BY e.n`,
    values: [
      batch.map(({ recordedAt }) => recordedAt),
      batch.map(({ event }) => event.at),
      batch.map(({ event }) => event.action),
      batch.map(({ event }) => event.outcome),
      ...TEXT_FIELDS.map((field) => batch.map(({ event }) => event[field] ?? null)),
    ],
  };
}

/** A row read back, passed through the same sanitizer: a row written by anyone else is checked too. */
export function eventOf(row: AuditRow, ids: AuditEventIds): StoredAuditEvent | undefined {
  const raw: Record<string, unknown> = { at: Number(row.at), action: row.action, outcome: row.outcome };
  for (const field of TEXT_FIELDS) {
    const value = row[TEXT_COLUMNS[field]];
    if (value !== null) raw[field] = value;
  }
  const event = sanitizeAuditEvent(raw);
  return event && { id: ids.idOf(row), ...event };
}
