import type { SessionStorage } from "@portcullis/core";
import { configError, resolveOptions } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { PostgresSessionIndex } from "./postgres-session-index";
import { PostgresSessionStore } from "./postgres-session-store";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { TimedPool } from "./timed-pool";

/** Options of {@link postgresSessionStorage}. */
export interface PostgresSessionStorageOptions {
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
}

/** The options, checked, with their defaults. */
const postgresSessionStorageOptions = z.strictObject({
  schema: schemaOption,
});

/**
 * Sessions in PostgreSQL for `sessionAuth`'s `sessions` option, on a `Pool` the app passes in:
 * connect-pg-simple's store in `<schema>.sessions`, guarded as the Redis storage is (a logged-out
 * or revoked session is never written back, every call answers within `sessionAuth`'s
 * `timeoutMs`, a session's lifetime follows its own timeouts), with each user's sessions listed in
 * `<schema>.user_sessions`, so they can be listed and revoked. Expired rows of both tables are
 * deleted in batches of 1000, at most once a minute per process, off the request path. Times are
 * `sessionAuth`'s clock (`now`). Run `migrate(pool)` first.
 *
 * @example
 * app.use("/api", sessionAuth({ secret, roles, users, sessions: postgresSessionStorage(pool) }));
 * app.use("/api/auth", authRouter({ users }));
 */
export function postgresSessionStorage(pool: Pool, options: Readonly<PostgresSessionStorageOptions> = {}): SessionStorage {
  if (!isPool(pool)) throw configError("postgresSessionStorage", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
  const { schema } = resolveOptions("postgresSessionStorage", postgresSessionStorageOptions, options ?? {});
  const tables = new PostgresTables(schema);
  return ({ ttlSeconds, timeoutMs, now }) => {
    const db = new TimedPool(pool, timeoutMs, "postgresSessionStorage", schema);
    return {
      store: new PostgresSessionStore({ db, tables, ttlSeconds, timeoutMs, now }),
      index: new PostgresSessionIndex(db, tables, now),
    };
  };
}
