import type { Logger } from "@portcullis/core";
import { configError, loggerOption, resolveOptions } from "@portcullis/core/internal";
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
 * when connections start failing, however many idle ones die, and one when a new connection
 * succeeds again. Requests meanwhile get 503 from the stores. Give it the pool once, right after
 * creating it; portcullis's own extra connection (the key-change feed) is already silent.
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * watchPostgresPool(pool);
 * // portcullis: lost connections to PostgreSQL (terminating connection due to administrator command); requests that need it are refused with 503 until it is back
 * // portcullis: connections to PostgreSQL are back
 */
export function watchPostgresPool(pool: Pool, options: Readonly<WatchPostgresPoolOptions> = {}): PostgresPoolWatch {
  const factory = "watchPostgresPool";
  if (!isPool(pool) || typeof (pool as { on?: unknown }).on !== "function") {
    throw configError(factory, "pass a node-postgres Pool: watchPostgresPool(new Pool({ connectionString }))");
  }
  const { logger, name } = resolveOptions(factory, watchPostgresPoolOptions, options ?? {});
  let lost = false;
  const onError = (error: Error) => {
    if (lost) return; // the pool's other idle connections die of the same cause
    lost = true;
    logger.warn(`portcullis: lost connections to ${name} (${error.message || error.name}); requests that need it are refused with 503 until it is back`);
  };
  const onConnect = () => {
    if (!lost) return;
    lost = false;
    logger.warn(`portcullis: connections to ${name} are back`);
  };
  pool.on("error", onError);
  pool.on("connect", onConnect);
  return {
    stop() {
      pool.off("error", onError);
      pool.off("connect", onConnect);
    },
  };
}
