import session from "express-session";
import type { TakingSessionStore } from "@portcullis/core";
import { guardStore, SessionCreations, SessionGone } from "@portcullis/core/internal";
import type { QueryResult, QueryResultRow } from "pg";
import { ExpiredRows } from "./expired-rows";
import type { PostgresTables } from "./postgres-tables";
import { msParam } from "./sql-time";
import type { Statement, TimedPool } from "./timed-pool";

/** The options of connect-pg-simple's store this one sets (connect-pg-simple ships no types). */
interface PgStoreOptions {
  readonly pool: { query(text: string, values?: unknown[]): Promise<QueryResult> };
  readonly schemaName: string;
  readonly tableName: string;
  readonly createTableIfMissing: false;
  readonly pruneSessionInterval: false;
  readonly disableTouch: true;
}
type PgStoreClass = new (options: PgStoreOptions) => session.Store;

// connect-pg-simple 10 extends the Store of the express-session it is handed.
const PgStore = (require("connect-pg-simple") as (expressSession: typeof session) => PgStoreClass)(session);

interface SessionRow {
  readonly sess: session.SessionData | string;
}

/**
 * connect-pg-simple 10 on the app's pool, in `<schema>.sessions` (its layout, made by `migrate`:
 * `createTableIfMissing: false`), with what it lacks, as `GuardedRedisStore` adds it to
 * connect-redis: a session is only written over one that still exists (an UPDATE) unless it is
 * being created at login, so a revoked session stays revoked (connect-pg-simple's save is an
 * upsert); every call is bounded by `timeoutMs`, so a stalled database is a 503 and not a hang;
 * `take` deletes a session and says whether it was there; and a session lives as long as its own
 * timeouts say (`ttlSeconds`, in the app's clock, to the millisecond), where connect-pg-simple
 * keeps it for the cookie's lifetime, in whole seconds of the server's clock. Its touch is off
 * (`sessionAuth` saves a used session at most once a minute) and its unbatched prune is replaced
 * by a sweep of small batches. Made by `postgresSessionStorage`.
 */
export class PostgresSessionStore extends PgStore implements TakingSessionStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #ttlSeconds: (data: session.SessionData) => number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #creations = new SessionCreations();
  readonly #expired: ExpiredRows;

  constructor(options: { db: TimedPool; tables: PostgresTables; ttlSeconds: (data: session.SessionData) => number; timeoutMs: number; now: () => number }) {
    const { db, tables } = options;
    super({
      // Only its own prune and query() would use it (both unused here): bounded all the same.
      pool: { query: (text, values) => db.query({ text, values }) },
      schemaName: tables.schema,
      tableName: "sessions",
      createTableIfMissing: false,
      pruneSessionInterval: false,
      disableTouch: true,
    });
    this.#db = db;
    this.#tables = tables;
    this.#ttlSeconds = options.ttlSeconds;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now;
    this.#expired = new ExpiredRows(db, tables.sessions, `expire <= ${msParam(1)}`);
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const at = this.#now();
    this.#expired.due(at);
    this.#guarded({
      name: this.#tables.statement("get_session"),
      text: `SELECT sess FROM ${this.#tables.sessions} WHERE sid = $1 AND expire > ${msParam(2)}`,
      values: [sid, at],
    }).then(
      ({ rows }: QueryResult<SessionRow>) => {
        const sess = rows[0]?.sess;
        // A host that changed node-postgres's json parser gets the text: read alike.
        callback(null, sess === undefined ? null : typeof sess === "string" ? (JSON.parse(sess) as session.SessionData) : sess);
      },
      (error: unknown) => callback(error),
    );
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    const creating = this.#creations.take(sid); // at once: `creating` allows the one save it wraps
    const at = this.#now();
    const values = [sid, JSON.stringify(data), at + this.#ttlSeconds(data) * 1000, at];
    const write: Statement = creating
      ? {
          text: `INSERT INTO ${this.#tables.sessions} (sid, sess, expire) VALUES ($1, $2::json, ${msParam(3)})
ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expire = excluded.expire`,
          values: values.slice(0, 3),
        }
      : {
          // Only over a session still there: one logged out or revoked meanwhile stays gone.
          name: this.#tables.statement("save_session"),
          text: `UPDATE ${this.#tables.sessions} SET sess = $2::json, expire = ${msParam(3)} WHERE sid = $1 AND expire > ${msParam(4)}`,
          values,
        };
    this.#guarded(write, true).then(
      ({ rowCount }) => callback?.(rowCount === 1 ? undefined : new SessionGone()),
      (error: unknown) => callback?.(error),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.#guarded({ text: `DELETE FROM ${this.#tables.sessions} WHERE sid = $1`, values: [sid] }, true).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  async take(sid: string): Promise<boolean> {
    const { rows } = await this.#guarded<{ live: boolean }>(
      { text: `DELETE FROM ${this.#tables.sessions} WHERE sid = $1 RETURNING expire > ${msParam(2)} AS live`, values: [sid, this.#now()] },
      true,
    );
    return rows[0]?.live === true;
  }

  creating<T>(sid: string, save: () => Promise<T>): Promise<T> {
    return this.#creations.during(sid, save);
  }

  /** One statement within `timeoutMs`; a write in a transaction the server rolls back if it runs longer. */
  #guarded<Row extends QueryResultRow = SessionRow>(statement: Statement, write = false): Promise<QueryResult<Row>> {
    const sent = write ? this.#db.transaction((run) => run<Row>(statement)) : this.#db.query<Row>(statement);
    return guardStore(sent, this.#timeoutMs);
  }
}
