import { RateLimiterPostgres, type RateLimiterAbstract, type RateLimiterMemory } from "rate-limiter-flexible";
import type { LimiterSettings, LimiterStore } from "@portcullis/core";
import { configError, resolveOptions, timeoutMsOption } from "@portcullis/core/internal";
import type { Pool, QueryResult } from "pg";
import { z } from "zod";
import { ExpiredRows } from "./expired-rows";
import { isPool } from "./is-pool";
import { PostgresTables, RATE_LIMITS_TABLE, schemaOption } from "./postgres-tables";
import { isNotMigrated, TimedPool, type Statement } from "./timed-pool";

/** Options of {@link PostgresLimiterStore}. */
export interface PostgresLimiterStoreOptions {
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * How long one count may take, in milliseconds: getting a connection and the statement. A count
   * that fails or times out is counted by the memory insurance instead.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const postgresLimiterStoreOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
});

/**
 * rate-limiter-flexible names its statements `<table>:rlflx-…`; they are prepared under these
 * names, per schema (a name of its own is too long once a long schema is in front).
 */
const STATEMENT_NAMES: Readonly<Record<string, string>> = {
  "rlflx-upsert": "limit_count",
  "rlflx-upsert-force": "limit_block",
  "rlflx-get": "limit_get",
  "rlflx-delete": "limit_delete",
};

/** Counters are deleted once expired this long: a process whose clock runs behind never loses a live one. */
const EXPIRED_MARGIN_MS = 60_000;

/**
 * The rate limiters' counts in PostgreSQL, for `loginRateLimit` and `keyRateLimit`, on a `Pool`
 * the app passes in: rate-limiter-flexible's `RateLimiterPostgres`, one upsert per count, in
 * `<schema>.rate_limits`, which `migrate` creates (the limiter is told it exists, so no DDL runs at
 * request time). Counts are shared by every process and kept across restarts. Run `migrate(pool)`
 * first.
 *
 * Each count is one statement, bounded like every store's (`timeoutMs` to get a connection and
 * for the answer). A count that fails or times out, or one the request's deadline passes, is
 * counted by the memory insurance instead, so an outage neither fails a request nor opens the
 * gate; those counts are per process and not copied to PostgreSQL later. A count the server
 * finishes after its caller gave up stands: the stricter outcome. Expired counters are deleted in
 * batches of 1000, at most once a minute per process, off the caller's path.
 *
 * @example
 * const limits = new PostgresLimiterStore(pool);
 * app.post("/login", express.json(), loginRateLimit({ store: limits, username: (req) => req.body?.username }), login);
 * app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ store: limits }));
 */
export class PostgresLimiterStore implements LimiterStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #expired: ExpiredRows;
  /** What `RateLimiterPostgres` sends its statements to: the timed pool, with the sweep on the way. */
  readonly #client: { query(statement: Statement): Promise<QueryResult> };
  /** Whether the warning that the schema was never migrated has been given. */
  #warned = false;

  constructor(pool: Pool, options: Readonly<PostgresLimiterStoreOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresLimiterStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs } = resolveOptions("PostgresLimiterStore", postgresLimiterStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresLimiterStore", schema);
    this.#expired = new ExpiredRows(this.#db, this.#tables.rateLimits, "expire < $1::int8");
    this.#client = {
      query: ({ text, values, name }) => {
        this.#expired.due(Date.now() - EXPIRED_MARGIN_MS); // rate-limiter-flexible's clock
        const known = name === undefined ? undefined : STATEMENT_NAMES[name.slice(name.indexOf(":") + 1)];
        return this.#db.query(known === undefined ? { text, values } : { text, values, name: this.#tables.statement(known) }).catch((error: unknown) => {
          // The insurance would count every request in memory without a word: this one is said, once.
          if (isNotMigrated(error) && !this.#warned) {
            this.#warned = true;
            process.emitWarning((error as Error).message, { code: "PORTCULLIS_NOT_MIGRATED" });
          }
          throw error;
        });
      },
    };
  }

  /** A `RateLimiterPostgres` counting under `<name>:<id>`, insured by `insurance`. */
  limiter(settings: Readonly<LimiterSettings>, insurance: RateLimiterMemory): RateLimiterAbstract {
    return new RateLimiterPostgres({
      storeClient: this.#client,
      // Not a pg Pool by its class name, so the type is said: rate-limiter-flexible then calls query().
      storeType: "pool",
      schemaName: this.#tables.schema,
      tableName: RATE_LIMITS_TABLE,
      tableCreated: true, // migrate made it
      clearExpiredByTimeout: false, // its unbatched DELETE is replaced by the store's batched sweep
      keyPrefix: settings.name,
      points: settings.points,
      duration: settings.durationSeconds,
      blockDuration: settings.blockSeconds,
      insuranceLimiter: insurance,
    });
  }

  /**
   * Deletes the counters that expired more than a minute ago, a batch of at most 1000 per DELETE.
   * The store does it at most once a minute as it counts; this runs it now.
   */
  prune(): Promise<void> {
    return this.#expired.sweep(Date.now() - EXPIRED_MARGIN_MS);
  }
}
