import { configError, resolveOptions, wholeNumber } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { runMigrations } from "./migration-runner";
import { MIGRATIONS } from "./migrations";
import { schemaOption } from "./postgres-tables";

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The schema to create (if missing) and migrate; the stores take the same option.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * How long one statement may run, in milliseconds, waiting for another replica's migration
   * included.
   * @default 300000
   */
  readonly timeoutMs?: number;
  /**
   * How long a migration may wait for a table lock, in milliseconds, before it gives up (and
   * `migrate` rejects) rather than hold up every query queued behind it.
   * @default 5000
   */
  readonly lockTimeoutMs?: number;
}

/** What `migrate` did. */
export interface MigrateResult {
  /** The versions applied by this call, oldest first; empty when the schema was up to date. */
  readonly applied: readonly number[];
}

/** The options, checked, with their defaults. */
const migrateOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: wholeNumber(1, 3_600_000, "milliseconds").default(300_000),
  lockTimeoutMs: wholeNumber(1, 3_600_000, "milliseconds").default(5000),
});

/**
 * Brings the portcullis tables in `schema` up to this version of the package: creates the schema
 * if it is missing and applies, in order, each migration not yet applied, each in a transaction
 * of its own. Forward only. Safe to call at every start of every replica: calls at the same time
 * take turns on an advisory lock, and a schema already up to date is left alone. Needs a role that
 * may create tables in the schema (and the schema itself, or CREATE on the database).
 *
 * @example
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * const { applied } = await migrate(pool); // every version the first time, [] afterwards
 */
export async function migrate(pool: Pool, options: Readonly<MigrateOptions> = {}): Promise<MigrateResult> {
  if (!isPool(pool)) throw configError("migrate", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
  const settings = resolveOptions("migrate", migrateOptions, options ?? {});
  return { applied: await runMigrations(pool, MIGRATIONS, settings) };
}
