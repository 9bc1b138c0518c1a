import type { Pool } from "pg";
import type { HealthCheck } from "@portcullis/core";
import { configError } from "@portcullis/core/internal";
import { isPool } from "./is-pool";
import { DEFAULT_SCHEMA } from "./postgres-tables";
import { TimedPool } from "./timed-pool";

/**
 * A readiness check for `healthRoutes`: a `SELECT 1` that must answer. Getting a connection and
 * the statement are bounded by `timeoutMs` (default 1 s, as `healthRoutes` waits), so probes
 * during an outage do not pile up waiting on the pool.
 *
 * @example
 * app.use(healthRoutes({ checks: { postgres: postgresPing(pool) } }));
 */
export function postgresPing(pool: Pool, options: { readonly timeoutMs?: number } = {}): HealthCheck {
  if (!isPool(pool)) throw configError("postgresPing", "pass a node-postgres Pool: postgresPing(new Pool({ connectionString }))");
  const timeoutMs = options.timeoutMs ?? 1000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw configError("postgresPing", `"timeoutMs" must be a whole number of milliseconds from 1 to 60000`);
  }
  const timed = new TimedPool(pool, timeoutMs, "postgresPing", DEFAULT_SCHEMA);
  return () => timed.query({ text: "SELECT 1" });
}
