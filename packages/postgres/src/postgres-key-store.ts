import { timingSafeEqual } from "node:crypto";
import {
  type DailyUsage,
  type KeyChangeListener,
  type KeyPage,
  type KeyParent,
  type KeyRecordPatch,
  type KeyStore,
  type KeyWatch,
  type ListOptions,
  type StoredApiKey,
  type UpdateOptions,
  type UpdateOutcome,
  type UsageQuery,
} from "@portcullis/core";
import { configError, keyIdOf, type KeyUse, lastDays, resolveOptions, timeoutMsOption, UsageBuffer, USAGE_RETENTION_DAYS, utcDay } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { fromRow, insertKey, KEY_COLUMNS, type KeyRow, planUpdate } from "./key-row";
import { PostgresChangeFeed } from "./postgres-change-feed";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { isPool } from "./is-pool";
import { isStorableText } from "./storable-text";
import { KeyLookup } from "./key-lookup";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresKeyStore}. */
export interface PostgresKeyStoreOptions {
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
   * How often buffered usage (counts, last-used times, daily counts) is written, in milliseconds.
   * Usage is never written on the request path; `close()` writes what is left.
   * @default 1000
   */
  readonly usageFlushIntervalMs?: number;
}

const FLUSH_RULE = "must be a number of milliseconds, at least 10";

/** The options, checked, with their defaults. */
const postgresKeyStoreOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
  usageFlushIntervalMs: z.number({ error: FLUSH_RULE }).min(10, { error: FLUSH_RULE }).default(1000),
});

/** Keys whose usage one statement writes: a flush after a busy second stays well within the timeout. */
const USAGE_BATCH = 1000;

const DIGEST_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * API-key records in PostgreSQL through node-postgres, on a `Pool` the app passes in: one row per
 * key in `<schema>.api_keys`, found by its primary key (the id `keyIdOf` cuts from the digest), so
 * verifying a key is one indexed read, batched with the other lookups of the same turn of the
 * event loop. Owners' keys list page by page on an index, newest first.
 * Usage is buffered and written in batches in the background. A trigger NOTIFYs every change to
 * a key, and `watch` LISTENs over a connection of its own, so caches in every process drop a
 * revoked key at once. Run `migrate(pool)` first.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * watchPostgresPool(pool); // an idle connection that dies must not end the process
 * await migrate(pool);
 * const keys = new ApiKeys({ store: new PostgresKeyStore(pool), secret, prefix: "cpx_live." });
 */
export class PostgresKeyStore implements KeyStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #find: string;
  readonly #lookup: KeyLookup;
  readonly #usage: UsageBuffer;
  /** The UTC day usage older than the retention was last deleted on. */
  #prunedOn = "";
  readonly #watchers = new Set<KeyChangeListener>();
  #feed: PostgresChangeFeed | undefined;

  constructor(pool: Pool, options: Readonly<PostgresKeyStoreOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresKeyStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs, usageFlushIntervalMs } = resolveOptions("PostgresKeyStore", postgresKeyStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresKeyStore", schema);
    this.#usage = new UsageBuffer((uses, unwritten) => this.#writeUsage(uses, unwritten), usageFlushIntervalMs);
    this.#find = `SELECT ${KEY_COLUMNS} FROM ${this.#tables.apiKeys} WHERE id = $1`;
    this.#lookup = new KeyLookup(this.#db, this.#tables.apiKeys, { one: this.#tables.statement("find_key"), many: this.#tables.statement("find_keys") });
  }

  async insert(record: StoredApiKey): Promise<void> {
    if (!DIGEST_SHAPE.test(record.digest) || record.id !== keyIdOf(record.digest)) {
      throw new Error(`PostgresKeyStore: the id of ${record.id} is not the one its digest gives (keyIdOf)`);
    }
    try {
      // One row and its index entries at once: listed by its maker's chain as soon as it exists.
      await this.#db.transaction((run) => run(insertKey(this.#tables.apiKeys, record)));
    } catch (error) {
      if ((error as { code?: unknown }).code === "23505") throw new Error(`PostgresKeyStore: a key with id ${record.id} already exists`);
      throw error;
    }
  }

  async listCreatedUnder(lineage: string): Promise<string[]> {
    if (!isStorableText(lineage)) return [];
    const { rows } = await this.#db.query<{ id: string }>({ text: `SELECT id FROM ${this.#tables.apiKeys} WHERE created_under = $1`, values: [lineage] });
    return rows.map((row) => row.id);
  }

  async findByDigest(digest: string): Promise<StoredApiKey | undefined> {
    if (!DIGEST_SHAPE.test(digest)) return undefined;
    const record = await this.findById(keyIdOf(digest));
    // The id holds 95 bits of the digest; the rest must match too.
    return record && sameDigest(record.digest, digest) ? record : undefined;
  }

  async findById(id: string): Promise<StoredApiKey | undefined> {
    if (!isStorableText(id)) return undefined;
    return this.#lookup.find(id);
  }

  async listByOwner(owner: string, { limit, after, app }: ListOptions): Promise<KeyPage> {
    // A cursor no key id can be (`?cursor=%00`) ends the listing, as any unknown cursor does.
    if (!isStorableText(owner, after, app)) return { records: [] };
    const values: unknown[] = [owner, limit + 1];
    const inListing = (table: string) => {
      if (app === undefined) return `${table}.owner = $1`;
      values.push(app);
      return `${table}.owner = $1 AND ${table}.app = $${values.length}`;
    };
    let where = inListing("k");
    if (after !== undefined) {
      // Keyset: the rows past the cursor's (created_at, id), read off the index. A cursor that is
      // not one of this listing's keys gives nothing to compare with: an empty page.
      values.push(after);
      where += ` AND (k.created_at, k.id) < (SELECT c.created_at, c.id FROM ${this.#tables.apiKeys} AS c WHERE c.id = $${values.length} AND ${inListing("c")})`;
    }
    const { rows } = await this.#db.query<KeyRow>({
      text: `SELECT ${KEY_COLUMNS} FROM ${this.#tables.apiKeys} AS k WHERE ${where} ORDER BY k.created_at DESC, k.id DESC LIMIT $2`,
      values,
    });
    const records = rows.slice(0, limit).map(fromRow);
    return rows.length > limit ? { records, next: records[records.length - 1]!.id } : { records };
  }

  async update(id: string, patch: KeyRecordPatch, options: UpdateOptions = {}): Promise<UpdateOutcome> {
    const { assignments, condition, values } = planUpdate(id, patch, options);
    if (assignments.length === 0) {
      // Nothing to write: whether the condition holds is the whole answer.
      const { rows } = await this.#db.query<KeyRow & { applied: boolean }>({
        text: `SELECT ${KEY_COLUMNS}, (${condition}) AS applied FROM ${this.#tables.apiKeys} WHERE id = $1`,
        values,
      });
      const row = rows[0];
      if (!row) return { applied: false, record: undefined };
      return row.applied ? { applied: true, record: fromRow(row) } : { applied: false, record: fromRow(row) };
    }
    return this.#db.transaction(async (run) => {
      // The condition is checked by the UPDATE itself: of racing updates, each sees the row as the
      // one before it left it, so exactly one guarded update applies.
      const changed = await run<KeyRow>({
        text: `UPDATE ${this.#tables.apiKeys} SET ${assignments.join(", ")} WHERE ${condition} RETURNING ${KEY_COLUMNS}`,
        values,
      });
      if (changed.rows[0]) return { applied: true, record: fromRow(changed.rows[0]) };
      // A statement of its own, so it sees the row as the update that won left it.
      const current = await run<KeyRow>({ text: this.#find, values: [id] });
      return { applied: false, record: current.rows[0] && fromRow(current.rows[0]) };
    });
  }

  async reparent(id: string, { createdBy, createdUnder, countsUnder }: KeyParent): Promise<StoredApiKey | undefined> {
    // One statement moves the row and its created_under index entry together.
    const { rows } = await this.#db.transaction((run) =>
      run<KeyRow>({
        text: `UPDATE ${this.#tables.apiKeys} SET created_by = $2, created_under = $3, counts_under = $4::json WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
        values: [id, createdBy ?? null, createdUnder ?? null, countsUnder.length === 0 ? null : JSON.stringify(countsUnder)],
      }),
    );
    return rows[0] && fromRow(rows[0]);
  }

  async remove(id: string): Promise<void> {
    await this.#db.transaction((run) => run({ text: `DELETE FROM ${this.#tables.apiKeys} WHERE id = $1`, values: [id] }));
  }

  /**
   * Hears every change to a key in this schema, from any process (the trigger on `api_keys`
   * NOTIFYs it), over a connection of its own opened on the first call with the pool's settings.
   * Each time that connection is (re)established the listeners are told changes may have been
   * lost, so caches start afresh.
   */
  watch(listener: KeyChangeListener): KeyWatch {
    this.#watchers.add(listener);
    this.#feed ??= new PostgresChangeFeed(this.#db.pool, this.#tables.keyChanges, {
      changed: (digest) => {
        for (const watcher of this.#watchers) watcher.changed(digest);
      },
      lost: () => {
        for (const watcher of this.#watchers) watcher.lost();
      },
    });
    return { close: () => void this.#watchers.delete(listener) };
  }

  recordUse(record: StoredApiKey, at: number): void {
    this.#usage.record(record, at);
  }

  /** Writes buffered usage, a batch of keys per statement. Uses that could not be written stay buffered for the next flush. */
  flush(): Promise<void> {
    return this.#usage.flush();
  }

  async #writeUsage(batch: readonly KeyUse[], unwritten: (use: KeyUse) => void): Promise<void> {
    for (let start = 0; start < batch.length; start += USAGE_BATCH) {
      const uses = batch.slice(start, start + USAGE_BATCH);
      try {
        await this.#db.transaction((run) => run(this.#usageStatement(uses)));
      } catch (error) {
        for (const use of batch.slice(start)) unwritten(use);
        throw error;
      }
    }
    // Retention: once a day, delete the days past it (an indexed range, off the request path).
    const latest = batch.reduce((max, use) => Math.max(max, use.last), 0);
    if (utcDay(latest) !== this.#prunedOn) {
      const oldest = utcDay(latest - USAGE_RETENTION_DAYS * 86_400_000);
      await this.#db.transaction((run) => run({ text: `DELETE FROM ${this.#tables.apiKeyUsage} WHERE day < $1::date`, values: [oldest] }));
      this.#prunedOn = utcDay(latest);
    }
  }

  /**
   * One statement for a batch: each key's count and last use, then its daily counts and its
   * owner's, for the keys that still exist (a use of a removed key resurrects nothing).
   */
  #usageStatement(uses: readonly KeyUse[]): { text: string; values: unknown[] } {
    const keyDays = uses.flatMap((use) => [...use.days].map(([day, requests]) => ({ id: use.id, day, requests })));
    const { apiKeys, apiKeyUsage } = this.#tables;
    return {
      text: `
WITH used AS (
  UPDATE ${apiKeys} AS k
  SET usage_count = k.usage_count + u.uses,
      last_used_at = greatest(k.last_used_at, 'epoch'::timestamptz + u.last * interval '1 millisecond')
  FROM unnest($1::text[], $2::int8[], $3::float8[]) AS u(id, uses, last)
  WHERE k.id = u.id
  RETURNING k.id, k.owner
), days AS (
  SELECT used.owner, d.key_id, d.day, d.requests
  FROM unnest($4::text[], $5::date[], $6::int8[]) AS d(key_id, day, requests) JOIN used ON used.id = d.key_id
)
INSERT INTO ${apiKeyUsage} AS total (owner, key_id, day, requests)
SELECT owner, key_id, day, requests FROM days
UNION ALL
SELECT owner, '*', day, sum(requests)::int8 FROM days GROUP BY owner, day
ON CONFLICT (owner, key_id, day) DO UPDATE SET requests = total.requests + excluded.requests`,
      values: [
        uses.map((use) => use.id),
        uses.map((use) => use.count),
        uses.map((use) => use.last),
        keyDays.map((entry) => entry.id),
        keyDays.map((entry) => entry.day),
        keyDays.map((entry) => entry.requests),
      ],
    };
  }

  async usage(owner: string, { days, keyId, now }: UsageQuery): Promise<DailyUsage[]> {
    const dates = lastDays(now, days);
    const { rows } = await this.#db.query<{ day: string; requests: string }>({
      text: `SELECT day::text AS day, requests FROM ${this.#tables.apiKeyUsage} WHERE owner = $1 AND key_id = $2 AND day BETWEEN $3::date AND $4::date`,
      values: [owner, keyId ?? "*", dates[0], dates[dates.length - 1]],
    });
    const byDay = new Map(rows.map((row) => [row.day, Number(row.requests)]));
    return dates.map((date) => ({ date, requests: byDay.get(date) ?? 0 }));
  }

  async close(): Promise<void> {
    this.#feed?.close();
    this.#feed = undefined;
    this.#watchers.clear();
    await this.#usage.close();
  }
}

function sameDigest(stored: string, presented: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
