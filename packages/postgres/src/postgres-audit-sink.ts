import type { AuditEvent, AuditPage, AuditQuery, AuditRetentionOptions, AuditSink } from "@portcullis/core";
import {
  assertAuditQuery,
  AuditBuffer,
  auditRetentionOptions,
  configError,
  REPLACED_AUDIT_RETENTION_OPTIONS,
  resolveOptions,
  sanitizeAuditEvent,
  timeoutMsOption,
  wholeNumber,
  type AuditRetention,
} from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { AuditEventIds } from "./audit-event-ids";
import { planAuditListing, pageOf, type ListedRow } from "./audit-listing";
import { deleteAged, PRUNE_BATCH, trimLog, type AuditLog } from "./audit-pruning";
import { insertEvents, type RecordedEvent } from "./audit-row";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { isStorableText } from "./storable-text";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresAuditSink}: its own, and the retention options every audit sink takes. */
export interface PostgresAuditSinkOptions extends AuditRetentionOptions {
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * How long one call may take, in milliseconds: getting a connection and each statement (writes
   * also carry it as `statement_timeout`, so the server rolls back what it could not finish).
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * How long a recorded event may wait in this process before it is written, in milliseconds.
   * A batch of 100 is written at once; a write that failed is retried after this long.
   * @default 500
   */
  readonly flushIntervalMs?: number;
  /**
   * How many owners' events, and apart from them how many events of no owner, wait in this
   * process at most while PostgreSQL cannot be written; past it the oldest of that kind are
   * dropped and counted in `dropped`, so a flood of junk never pushes out an owner's waiting events.
   * @default 10000
   */
  readonly maxBuffered?: number;
  /**
   * How often the pruning job runs, in milliseconds: it deletes the events older than `maxAgeMs`
   * and trims the logs this process wrote to since, in small batches. `prune()` runs it at once.
   * @default 60000
   */
  readonly pruneIntervalMs?: number;
}

const INTERVAL_RULE = "must be a number of milliseconds from 1 to 2147483647";
/** A timer's period: Node runs a longer one after 1 ms. */
const interval = z.number({ error: INTERVAL_RULE }).min(1, { error: INTERVAL_RULE }).max(2_147_483_647, { error: INTERVAL_RULE });

/** The options, checked, with their defaults. */
const postgresAuditSinkOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
  flushIntervalMs: interval.default(500),
  maxBuffered: wholeNumber(1, undefined, "events").default(10_000),
  pruneIntervalMs: interval.default(60_000),
  ...auditRetentionOptions,
});

/** The latest time a timestamptz holds that JavaScript counts exactly (the year 287,396). */
const LAST_MS = Number.MAX_SAFE_INTEGER;

/**
 * A log is trimmed to its cap once this process has written a tenth of the cap to it since it
 * last trimmed it: walking the log's index to its cap then costs about ten entries per event
 * written, and a log stays within a tenth of its cap per writing process.
 */
const trimEvery = (cap: number) => Math.max(1, Math.ceil(cap / 10));

/**
 * The access log in PostgreSQL through node-postgres, on a `Pool` the app passes in: one row per
 * event in `<schema>.audit_events`, and three partial indexes over it ordered like the event ids:
 * each owner's log, the overview of every owner's events, and the log of events of no owner
 * (refused unknown keys, failed logins), so a flood of junk never lengthens an owner's listing.
 * Run `migrate(pool)` first.
 *
 * `record` never waits on PostgreSQL: events are buffered, then written by one INSERT per 500
 * when 100 are waiting or after `flushIntervalMs`. While PostgreSQL is down they stay buffered and
 * are retried, up to `maxBuffered` of owners' events and as many of no owner; beyond that the
 * oldest of that kind are dropped and counted. A write whose reply was lost may be retried, so an
 * event can, rarely, appear twice.
 *
 * Retention is a pruning job off the request path, in DELETEs of at most 1000 rows each picked
 * through an index: every `pruneIntervalMs` it deletes events older than `maxAgeMs`, and each log
 * is trimmed back to its cap (`maxEventsPerOwner`, `maxUnownedEvents`) as writes fill it, so it
 * holds at most a tenth more per writing process. Listings never show an event older than
 * `maxAgeMs`, pruned yet or not. The overview is an index over the owners' rows, not a copy, so
 * it takes no space of its own and `maxOverviewEvents` has nothing to cap. Sinks sharing a schema
 * should share their retention options: each prunes by its own.
 *
 * `list` reads its log's index newest first and applies the other filters on the rows it reads:
 * a filtered call reads at most 10 × limit rows (at least 1000) and answers a `next` to continue
 * from where it stopped, which may follow a short or empty page. `since` and `maxAgeMs` bound the
 * scan too. Event ids are `<ms>-<sealed>`: when this sink recorded the event, and the row's
 * sequence number encrypted under the schema's key, so an id tells nothing of other owners' events.
 *
 * @example
 * const audit = new PostgresAuditSink(pool, { maxEventsPerOwner: 50_000 });
 * app.use(apiKeyAuth({ keys, audit }));
 * app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin" }));
 */
export class PostgresAuditSink implements AuditSink {
  /** The retention options, resolved: what the pruning job and the listings apply. */
  readonly retention: AuditRetention;
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #buffer: AuditBuffer<RecordedEvent>;
  /** Events this process wrote to each log since it last trimmed it. */
  #untrimmed = new Map<AuditLog, number>();
  /** The last recording time handed out: ids never go back when the clock does. */
  #lastMs = 0;
  #pruning: Promise<void> | undefined;
  readonly #pruneTimer: NodeJS.Timeout;
  /** The schema's id key, read on the first listing; read again after a failed read. */
  #ids: Promise<AuditEventIds> | undefined;

  constructor(pool: Pool, options: Readonly<PostgresAuditSinkOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresAuditSink", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs, flushIntervalMs, maxBuffered, pruneIntervalMs, ...retention } = resolveOptions(
      "PostgresAuditSink",
      postgresAuditSinkOptions,
      options ?? {},
      REPLACED_AUDIT_RETENTION_OPTIONS,
    );
    this.retention = retention;
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresAuditSink", schema);
    this.#buffer = new AuditBuffer((owned, unowned) => this.#write(owned, unowned), { flushIntervalMs, maxBuffered });
    this.#pruneTimer = setInterval(() => void this.prune().catch(() => {}), pruneIntervalMs);
    this.#pruneTimer.unref();
  }

  /** Events lost: malformed, recorded after `close()`, or dropped from a full buffer. */
  get dropped(): number {
    return this.#buffer.dropped;
  }

  /** Events waiting in this process to be written. */
  get pending(): number {
    return this.#buffer.pending;
  }

  record(event: AuditEvent): void {
    try {
      const now = this.retention.now();
      const clean = sanitizeAuditEvent(event, now);
      if (!clean) {
        this.#buffer.drop();
        return;
      }
      const recordedAt = this.#stamp(now);
      // A time past what PostgreSQL holds is no more valid than none: it becomes now, as the sanitizer does.
      const recorded = { event: clean.at > LAST_MS ? { ...clean, at: recordedAt } : clean, recordedAt };
      this.#buffer.add(recorded, clean.owner !== undefined);
    } catch {
      this.#buffer.drop();
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    assertAuditQuery("PostgresAuditSink", query);
    if (Number.isNaN(query.since) || Number.isNaN(query.until)) return { events: [] }; // no time is at or after NaN
    if (!isStorableText(query.owner, query.keyId, query.userId)) return { events: [] }; // no event holds U+0000 there
    const ids = await this.#eventIds();
    let before: readonly [number, number] | undefined;
    if (query.before !== undefined) {
      before = ids.parse(query.before);
      if (!before) return { events: [] };
    }
    const retainedFrom = Math.max(0, Math.floor(this.retention.now() - this.retention.maxAgeMs));
    const listing = planAuditListing(this.#tables.auditEvents, query, before, retainedFrom);
    const { rows } = await this.#db.query<ListedRow>(listing);
    return pageOf(rows, query.limit, listing.budget, ids);
  }

  #eventIds(): Promise<AuditEventIds> {
    this.#ids ??= this.#readIdKey().catch((error: unknown) => {
      this.#ids = undefined;
      throw error;
    });
    return this.#ids;
  }

  async #readIdKey(): Promise<AuditEventIds> {
    const { rows } = await this.#db.query<{ key: Buffer }>({ text: `SELECT key FROM ${this.#tables.auditIdKey}` });
    if (!rows[0]) throw new Error(`PostgresAuditSink: ${this.#tables.auditIdKey} holds no key; run migrate(pool) again`);
    return new AuditEventIds(rows[0].key);
  }

  /** Writes every event recorded before the call; rejects if PostgreSQL refused them (they stay buffered for a retry). */
  flush(): Promise<void> {
    return this.#buffer.flush();
  }

  /**
   * The pruning job, now: deletes the events older than `maxAgeMs`, then trims each log this
   * process wrote to since the last run back to its cap, a batch of at most 1000 rows per DELETE.
   * The sink runs it every `pruneIntervalMs`; a call while it runs joins that run.
   */
  prune(): Promise<void> {
    this.#pruning ??= this.#prune().finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  /** Stops the timers and writes what is left; rejects, keeping them counted in `pending`, if it cannot. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    try {
      await this.#buffer.close();
    } finally {
      await this.#pruning?.catch(() => {});
    }
  }

  /** The recording time of an event: the sink's clock, never earlier than the last one, within what PostgreSQL holds. */
  #stamp(now: number): number {
    if (Number.isFinite(now)) this.#lastMs = Math.min(Math.max(Math.floor(now), this.#lastMs), LAST_MS);
    return this.#lastMs;
  }

  /** One INSERT for a batch of events, then the trims it makes due. */
  async #write(owned: readonly RecordedEvent[], unowned: readonly RecordedEvent[]): Promise<void> {
    await this.#db.transaction((run) => run(insertEvents(this.#tables.auditEvents, [...owned, ...unowned])));
    for (const { event } of [...owned, ...unowned]) {
      const log = event.owner ?? null;
      this.#untrimmed.set(log, (this.#untrimmed.get(log) ?? 0) + 1);
    }
    // The logs this batch filled by a tenth of their cap are trimmed now, so a flush leaves each
    // within its cap; one that fails stays counted for the next write or the pruning job.
    for (const [log, written] of this.#untrimmed) {
      if (written < trimEvery(this.#capOf(log))) continue;
      try {
        await this.#trim(log);
        this.#untrimmed.delete(log);
      } catch {
        break; // the events are written: a trim that failed is no failure of the flush
      }
    }
  }

  async #prune(): Promise<void> {
    const cutoff = Math.floor(this.retention.now() - this.retention.maxAgeMs);
    for (const owned of [true, false]) {
      for (;;) {
        const { rowCount } = await this.#db.transaction((run) => run(deleteAged(this.#tables.auditEvents, owned, cutoff)));
        if ((rowCount ?? 0) < PRUNE_BATCH || this.#buffer.closed) break;
      }
    }
    // The rest of the logs written to since the last run, however little: so this map only holds
    // the logs written to in one interval.
    const logs = [...this.#untrimmed];
    this.#untrimmed.clear();
    for (const [i, [log]] of logs.entries()) {
      try {
        await this.#trim(log);
      } catch (error) {
        for (const [left, written] of logs.slice(i)) this.#untrimmed.set(left, (this.#untrimmed.get(left) ?? 0) + written);
        throw error;
      }
    }
  }

  /** Deletes a log's events past its cap, a batch at a time. */
  async #trim(log: AuditLog): Promise<void> {
    for (;;) {
      const { rowCount } = await this.#db.transaction((run) => run(trimLog(this.#tables.auditEvents, log, this.#capOf(log))));
      if ((rowCount ?? 0) < PRUNE_BATCH) return;
    }
  }

  #capOf(log: AuditLog): number {
    return log === null ? this.retention.maxUnownedEvents : this.retention.maxEventsPerOwner;
  }
}
