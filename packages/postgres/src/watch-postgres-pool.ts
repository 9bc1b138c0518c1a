import type { Logger } from "@portcullis/core";
import { configError, loggerOption, OutageLog, resolveOptions } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";

/** Options of {@link watchPostgresPool}. */
export interface WatchPostgresPoolOptions {
  /**
   * Where the two lines of an outage go.
   * @default console
   */
  readonly logger?: Logger;
  /**
   * How the lines name this database, for a process with several.
   * @default "PostgreSQL"
   */
  readonly name?: string;
}

const NAME_RULE = 'must be a string of 1 to 100 characters, such as "keys PostgreSQL"';

/** The options, checked, with their defaults. */
const watchPostgresPoolOptions = z.strictObject({
  logger: loggerOption,
  name: z.string({ error: NAME_RULE }).min(1, { error: NAME_RULE }).max(100, { error: NAME_RULE }).default("PostgreSQL"),
});

/** A watch on one pool. */
export interface PostgresPoolWatch {
  /** Removes the watch's listeners; give the pool an 'error' listener of your own first. */
  stop(): void;
}

/**
 * The pool's 'error' listener, which node-postgres requires (without one, an idle connection that
 * dies, in a restart or a failover, ends the process), turning an outage into two warnings: one
 * when connections start failing, however many idle ones die or new ones are refused, and one
 * when a connection is had again. pg emits no event for a connection it could not open, so the
 * watch also wraps `pool.connect` (which `pool.query` and every store go through) to hear those:
 * an outage that begins while no connection is idle is logged too. Requests meanwhile get 503
 * from the stores. Give it the pool once, right after creating it; portcullis's own extra
 * connection (the key-change feed) is already silent.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * watchPostgresPool(pool);
 * // portcullis: lost the connection to PostgreSQL (connect ECONNREFUSED 127.0.0.1:5432); requests that need it are refused with 503 until it is back
 * // portcullis: the connection to PostgreSQL is back
 */
export function watchPostgresPool(pool: Pool, options: Readonly<WatchPostgresPoolOptions> = {}): PostgresPoolWatch {
  const factory = "watchPostgresPool";
  if (!isPool(pool) || typeof (pool as { on?: unknown }).on !== "function") {
    throw configError(factory, "pass a node-postgres Pool: watchPostgresPool(new Pool({ connectionString }))");
  }
  const { logger, name } = resolveOptions(factory, watchPostgresPoolOptions, options ?? {});
  // The pool's other connections fail of the same cause: one line for all.
  const outage = new OutageLog(logger, name);
  const onError = (error: Error) => outage.lost(error.message || error.name);
  const onConnected = () => outage.back();
  const connect = pool.connect as unknown as (this: Pool, callback?: ConnectCallback) => Promise<unknown> | undefined;
  const watchedConnect = function (this: Pool, callback?: ConnectCallback) {
    if (typeof callback === "function") {
      return connect.call(this, (error: Error | undefined, client: unknown, done: unknown) => {
        if (error) onError(error);
        callback(error, client, done);
      });
    }
    return connect.call(this)!.catch((error: Error) => {
      onError(error);
      throw error;
    });
  };
  pool.connect = watchedConnect as unknown as Pool["connect"];
  pool.on("error", onError);
  // 'connect' is a new connection opened; 'acquire' a connection handed out, idle ones included.
  pool.on("connect", onConnected);
  pool.on("acquire", onConnected);
  return {
    stop() {
      if (pool.connect === (watchedConnect as Pool["connect"])) pool.connect = connect as unknown as Pool["connect"];
      pool.off("error", onError);
      pool.off("connect", onConnected);
      pool.off("acquire", onConnected);
    },
  };
}

type ConnectCallback = (error: Error | undefined, client: unknown, done: unknown) => void;
