import type { Pool } from "pg";
import type { Migration } from "./migrations";
import { PostgresTables } from "./postgres-tables";

export interface MigrationSettings {
  readonly schema: string;
  readonly timeoutMs: number;
  readonly lockTimeoutMs: number;
}

/**
 * Applies the migrations not yet recorded in `<schema>.schema_migrations`, in version order, each
 * in its own transaction with its record, so a failure rolls that one back whole and leaves the
 * ones before it applied. A session advisory lock per schema makes replicas that start together
 * take turns: the first migrates, the others wait, then find nothing left to do. Answers the
 * versions applied now.
 */
export async function runMigrations(pool: Pool, migrations: readonly Migration[], { schema, timeoutMs, lockTimeoutMs }: MigrationSettings): Promise<number[]> {
  const tables = new PostgresTables(schema);
  const client = await pool.connect();
  let failure: Error | undefined;
  const onError = (error: Error) => void (failure ??= error); // the connection died between statements
  client.on("error", onError);
  try {
    // Session settings: they end with this connection, which is closed afterwards, never pooled.
    await client.query(`SET statement_timeout = ${timeoutMs}`);
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`portcullis migrate ${schema}`]);
    // A migration that waits for a lock held by a long transaction would queue every request
    // behind it: it gives up instead, and the next deploy tries again.
    await client.query(`SET lock_timeout = ${lockTimeoutMs}`);
    // Creating a schema needs CREATE on the database even when it exists: ask first, so a schema an
    // administrator made for a less privileged user is enough.
    const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${tables.migrations}`);
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      try {
        await client.query("BEGIN");
        await client.query(`SET LOCAL search_path TO "${schema}"`);
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`migrate: migration ${migration.version} (${migration.name}) failed and was rolled back: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.version);
    }
    return applied;
  } finally {
    client.off("error", onError);
    // Closed rather than pooled: its advisory lock and settings go with the session.
    client.release(failure ?? true);
  }
}
