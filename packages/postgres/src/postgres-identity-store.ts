import type { IdentityStore, LinkedIdentity, UnlinkOutcome } from "@portcullis/core";
import { configError, isStorableIdentityText, resolveOptions, timeoutMsOption, validateIdentity } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { msColumn, msParam } from "./sql-time";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresIdentityStore}. */
export interface PostgresIdentityStoreOptions {
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * How long one call may take, in milliseconds: getting a connection and each statement (writes
   * also carry it as `statement_timeout`, so the server rolls back what it could not finish).
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const postgresIdentityStoreOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
});

const IDENTITY_COLUMNS = `provider, subject, user_id, email, ${msColumn("linked_at")}`;

interface IdentityRow {
  readonly provider: string;
  readonly subject: string;
  readonly user_id: string;
  readonly email: string | null;
  readonly linked_at: string;
}

/**
 * Linked sign-in identities in PostgreSQL through node-postgres, on a `Pool` the app passes in:
 * one row per identity in `<schema>.identities`, its primary key (provider, subject), so of
 * concurrent links of one identity the constraint lets exactly one in (`INSERT … ON CONFLICT DO
 * NOTHING`). `unlink` runs in one transaction that first locks all of the user's rows
 * (`SELECT … FOR UPDATE`, in a fixed order): a concurrent unlink of the same user waits, then
 * counts what the first left, so `keepOne` always keeps one. No foreign key to `users`: the
 * store serves users kept anywhere. Run `migrate(pool)` first.
 *
 * @example
 * const identities = new PostgresIdentityStore(pool);
 */
export class PostgresIdentityStore implements IdentityStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;

  constructor(pool: Pool, options: Readonly<PostgresIdentityStoreOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresIdentityStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs } = resolveOptions("PostgresIdentityStore", postgresIdentityStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresIdentityStore", schema);
  }

  async find(provider: string, subject: string): Promise<LinkedIdentity | undefined> {
    // Text no row can hold finds nothing, without a statement PostgreSQL would fail (U+0000) or
    // answer for what UTF-8 makes of it (half a surrogate pair).
    if (!isStorableIdentityText(provider, subject)) return undefined;
    const { rows } = await this.#db.query<IdentityRow>({
      name: this.#tables.statement("find_identity"),
      text: `SELECT ${IDENTITY_COLUMNS} FROM ${this.#tables.identities} WHERE provider = $1 AND subject = $2`,
      values: [provider, subject],
    });
    return rows[0] && identityOf(rows[0]);
  }

  async listByUser(userId: string): Promise<LinkedIdentity[]> {
    if (!isStorableIdentityText(userId)) return [];
    const { rows } = await this.#db.query<IdentityRow>({
      name: this.#tables.statement("list_identities"),
      text: `SELECT ${IDENTITY_COLUMNS} FROM ${this.#tables.identities} WHERE user_id = $1 ORDER BY linked_at, provider, subject`,
      values: [userId],
    });
    return rows.map(identityOf);
  }

  async link(identity: LinkedIdentity): Promise<boolean> {
    validateIdentity(identity);
    const { provider, subject, userId, email, linkedAt } = identity;
    const { rowCount } = await this.#db.transaction((run) =>
      run({
        text: `INSERT INTO ${this.#tables.identities} (provider, subject, user_id, email, linked_at) VALUES ($1, $2, $3, $4, ${msParam(5)})
ON CONFLICT (provider, subject) DO NOTHING`,
        values: [provider, subject, userId, email ?? null, linkedAt],
      }),
    );
    return rowCount === 1;
  }

  async unlink(userId: string, provider: string, subject: string, options: { readonly keepOne?: boolean } = {}): Promise<UnlinkOutcome> {
    if (!isStorableIdentityText(userId, provider, subject)) return "not_found";
    const keepOne = options?.keepOne === true;
    return this.#db.transaction(async (run) => {
      // Locks every row of the user, always in one order (so two unlinks cannot deadlock). A
      // second unlink waits here; under READ COMMITTED it then reads the rows without the one the
      // first removed, and its count is the true one.
      const { rows } = await run<{ provider: string; subject: string }>({
        text: `SELECT provider, subject FROM ${this.#tables.identities} WHERE user_id = $1 ORDER BY provider, subject FOR UPDATE`,
        values: [userId],
      });
      if (!rows.some((row) => row.provider === provider && row.subject === subject)) return "not_found";
      if (keepOne && rows.length <= 1) return "last";
      await run({
        text: `DELETE FROM ${this.#tables.identities} WHERE provider = $1 AND subject = $2 AND user_id = $3`,
        values: [provider, subject, userId],
      });
      return "unlinked";
    });
  }
}

function identityOf(row: IdentityRow): LinkedIdentity {
  const identity = { provider: row.provider, subject: row.subject, userId: row.user_id, linkedAt: Number(row.linked_at) };
  return row.email === null ? identity : { ...identity, email: row.email };
}
