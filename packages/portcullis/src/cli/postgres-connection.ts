import { postgresPing } from "@portcullis/postgres";
import type { Pool, PoolConfig } from "pg";
import { failure, unreachable } from "./cli-error";
import type { PostgresTarget } from "./config";
import { CONNECT_TIMEOUT_MS } from "./timeouts";

/** A pool on the server's PostgreSQL, known to answer, and how to let go of it. */
export interface PostgresConnection {
  readonly pool: Pool;
  /** Ends the pool, so the process can exit. Never rejects. */
  close(): Promise<void>;
}

/**
 * A small pool on DATABASE_URL, checked with one bounded `SELECT 1` before any work, so a database
 * out of reach is one clear line, never a hang.
 *
 * @throws CliError "cannot reach PostgreSQL at <url>" (exit 1), naming host and port, never the password.
 * @example
 * const db = await connectPostgres(readDatabaseConfig(process.env));
 * try { await migrate(db.pool); } finally { await db.close(); }
 */
export async function connectPostgres(target: PostgresTarget, settings: Pick<PoolConfig, "query_timeout"> = {}): Promise<PostgresConnection> {
  const { Pool } = loadPg();
  const pool = new Pool({
    connectionString: target.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    max: 2,
    // So an operator reading pg_stat_activity can tell the CLI's connections from the servers'.
    application_name: "portcullis-cli",
    ...settings,
  });
  // An idle connection the server drops emits 'error' on the pool: unheard, it would end the process.
  pool.on("error", () => {});
  const close = () => pool.end().catch(() => {});
  try {
    await postgresPing(pool, { timeoutMs: CONNECT_TIMEOUT_MS })();
  } catch (error) {
    await close();
    throw unreachable("PostgreSQL", target.displayUrl, error);
  }
  return { pool, close };
}

/**
 * The error of something that takes the `schema` option (a store, `migrate`) with the variable
 * named instead of the option when the schema is not one they accept: the rule stays theirs.
 * Any other error is returned as it is.
 *
 * @example
 * try { await migrate(pool, { schema: target.schema }); } catch (error) { throw schemaError(error); }
 */
export function schemaError(error: unknown): unknown {
  const rule = /^\w+: "schema" (must .*)$/.exec((error as Error | null)?.message ?? "");
  return error instanceof TypeError && rule ? failure(`PORTCULLIS_POSTGRES_SCHEMA ${rule[1]}`, error) : error;
}

/** pg is an optional peer of portcullis; load it only when a command needs PostgreSQL. */
function loadPg(): typeof import("pg") {
  try {
    return require("pg") as typeof import("pg");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
    throw failure('the portcullis CLI needs pg to reach PostgreSQL: install it with "npm install pg"', error);
  }
}
