import { migrate } from "@portcullis/postgres";
import type { Pool, QueryConfig } from "pg";
import { failure, messageOf } from "./cli-error";
import type { CliIo } from "./commands";
import type { PostgresTarget } from "./config";
import { formatJson } from "./format";
import type { MigrateCommand } from "./parse-args";
import { connectPostgres, schemaError } from "./postgres-connection";
import { COMMAND_TIMEOUT_MS } from "./timeouts";

interface Applied {
  readonly version: number;
  readonly name: string;
}

/**
 * `portcullis migrate`: brings the schema on DATABASE_URL up to this version of portcullis (the
 * same `migrate(pool)` a server may run as it starts; replicas and this command take turns on its
 * lock) and prints each migration it applied, or that there was none to apply.
 *
 * @throws CliError (exit 1) when PostgreSQL is out of reach or a migration fails (rolled back whole).
 * @example
 * await runMigrateCommand(readDatabaseConfig(process.env), { kind: "migrate", json: false }, io);
 */
export async function runMigrateCommand(target: PostgresTarget, command: MigrateCommand, io: CliIo): Promise<void> {
  const db = await connectPostgres(target);
  try {
    let versions: readonly number[];
    try {
      ({ applied: versions } = await migrate(db.pool, { schema: target.schema }));
    } catch (error) {
      const renamed = schemaError(error);
      throw renamed === error ? failure(`could not migrate the schema "${target.schema}" at ${target.displayUrl}: ${messageOf(error)}`, error) : renamed;
    }
    const applied = await namesOf(db.pool, target.schema, versions);
    io.stdout(command.json ? formatJson({ schema: target.schema, applied }) : formatMigrated(target, applied));
  } finally {
    await db.close();
  }
}

/** The applied versions with their names, as the schema's own record of them says. */
async function namesOf(pool: Pool, schema: string, versions: readonly number[]): Promise<Applied[]> {
  if (versions.length === 0) return [];
  // node-postgres honours query_timeout per query; @types/pg omits it.
  const query: QueryConfig & { query_timeout: number } = {
    text: `SELECT version, name FROM "${schema}".schema_migrations WHERE version = ANY($1::int[]) ORDER BY version`,
    values: [versions],
    query_timeout: COMMAND_TIMEOUT_MS,
  };
  const { rows } = await pool.query<Applied>(query);
  return rows;
}

function formatMigrated({ schema, displayUrl }: PostgresTarget, applied: readonly Applied[]): string {
  if (applied.length === 0) return `The schema "${schema}" at ${displayUrl} is up to date: no migration to apply.\n`;
  const lines = applied.map(({ version, name }) => `  applied ${version}  ${name}`);
  return [`Migrated the schema "${schema}" at ${displayUrl}:`, ...lines, ""].join("\n");
}
