import type { EmailCodeIssue, EmailCodeUse, EmailToken, EmailTokenPurpose, EmailTokenStore } from "@portcullis/core";
import { configError, resolveOptions, timeoutMsOption } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { ExpiredRows } from "./expired-rows";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { msColumn, msParam } from "./sql-time";
import { isStorableText } from "./storable-text";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresEmailTokenStore}. */
export interface PostgresEmailTokenStoreOptions {
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
const postgresEmailTokenStoreOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
});

interface TokenRow {
  readonly purpose: EmailTokenPurpose;
  readonly email: string;
  readonly user_id: string | null;
  readonly role: string | null;
  readonly issued_at: string;
  readonly expires_at: string;
}

/**
 * Emailed tokens and codes in PostgreSQL through node-postgres, on a `Pool` the app passes in:
 * one row per link's token in `<schema>.email_tokens`, by the token's digest, and one row per
 * code key in `<schema>.email_codes`. `take` is one `DELETE … WHERE digest AND purpose
 * RETURNING`, so of concurrent takes exactly one gets the row. A code try is one UPDATE that
 * counts the try and spends the code in the same statement, so concurrent tries queue on the
 * row lock and cannot overshoot `maxTries`; `issueCode` is one upsert whose WHERE holds the
 * cool-down. Expired rows are deleted in small batches, at most once a minute, without the
 * caller waiting. Run `migrate(pool)` first.
 *
 * @example
 * const tokens = new PostgresEmailTokenStore(pool);
 * app.use("/api/auth", authRouter({ users, email: emailFlows({ mailer, tokens, appUrl }) }));
 */
export class PostgresEmailTokenStore implements EmailTokenStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #expiredTokens: ExpiredRows;
  readonly #forgottenCodes: ExpiredRows;

  constructor(pool: Pool, options: Readonly<PostgresEmailTokenStoreOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresEmailTokenStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs } = resolveOptions("PostgresEmailTokenStore", postgresEmailTokenStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresEmailTokenStore", schema);
    this.#expiredTokens = new ExpiredRows(this.#db, this.#tables.emailTokens, `expires_at <= ${msParam(1)}`);
    this.#forgottenCodes = new ExpiredRows(this.#db, this.#tables.emailCodes, `forget_at <= ${msParam(1)}`);
  }

  async issue(digest: string, token: EmailToken): Promise<void> {
    this.#expiredTokens.due(token.issuedAt);
    const { purpose, email, userId, role, issuedAt, expiresAt } = token;
    await this.#db.transaction((run) =>
      run({
        text: `INSERT INTO ${this.#tables.emailTokens} (digest, purpose, email, user_id, role, issued_at, expires_at)
VALUES ($1, $2, $3, $4, $5, ${msParam(6)}, ${msParam(7)})
ON CONFLICT (digest) DO UPDATE SET purpose = excluded.purpose, email = excluded.email, user_id = excluded.user_id, role = excluded.role,
  issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
        values: [digest, purpose, email, userId ?? null, role ?? null, issuedAt, expiresAt],
      }),
    );
  }

  async take(digest: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | undefined> {
    if (!isStorableText(digest, purpose)) return undefined;
    // An expired token is deleted too, as a used one: either way it can never be taken again.
    const { rows } = await this.#db.transaction((run) =>
      run<TokenRow>({
        text: `DELETE FROM ${this.#tables.emailTokens} WHERE digest = $1 AND purpose = $2
RETURNING purpose, email, user_id, role, ${msColumn("issued_at")}, ${msColumn("expires_at")}`,
        values: [digest, purpose],
      }),
    );
    const token = rows[0] && tokenOf(rows[0]);
    return token && at < token.expiresAt ? token : undefined;
  }

  async issueCode(key: string, digest: string, at: number, expiresAt: number, cooldownMs: number): Promise<EmailCodeIssue> {
    this.#forgottenCodes.due(at);
    const table = this.#tables.emailCodes;
    return this.#db.transaction(async (run) => {
      // The upsert locks an existing row even when its WHERE (the cool-down is over) fails, so the
      // read after it sees the row as it stays until this transaction ends: retryAt is exact.
      const { rowCount } = await run({
        text: `INSERT INTO ${table} AS c (key, digest, issued_at, expires_at, forget_at, tries) VALUES ($1, $2, ${msParam(3)}, ${msParam(4)}, ${msParam(6)}, 0)
ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
  forget_at = excluded.forget_at, tries = 0
WHERE c.issued_at + $5::float8 * interval '1 millisecond' <= excluded.issued_at`,
        values: [key, digest, at, expiresAt, cooldownMs, Math.max(expiresAt, at + cooldownMs)],
      });
      if (rowCount === 1) return { issued: true };
      const { rows } = await run<{ issued_at: string }>({ text: `SELECT ${msColumn("issued_at")} FROM ${table} WHERE key = $1`, values: [key] });
      return { issued: false, retryAt: Number(rows[0]!.issued_at) + cooldownMs };
    });
  }

  async useCode(key: string, digest: string, at: number, maxTries: number): Promise<EmailCodeUse> {
    if (!isStorableText(key, digest)) return "spent";
    // SET reads the row as it was: the try is counted, and the code spent when this try is one
    // too many or right, in one statement. A concurrent try waits for the row lock, then finds
    // the row as this one left it (READ COMMITTED re-checks the WHERE).
    const { rows } = await this.#db.transaction((run) =>
      run<{ tries: number; spent: boolean }>({
        text: `UPDATE ${this.#tables.emailCodes}
SET tries = tries + 1, digest = CASE WHEN tries + 1 > $4::int4 OR digest = $2 THEN NULL ELSE digest END
WHERE key = $1 AND digest IS NOT NULL AND expires_at > ${msParam(3)}
RETURNING tries, digest IS NULL AS spent`,
        values: [key, digest, at, maxTries],
      }),
    );
    const row = rows[0];
    if (!row || row.tries > maxTries) return "spent";
    return row.spent ? "accepted" : "rejected";
  }
}

function tokenOf(row: TokenRow): EmailToken {
  return {
    purpose: row.purpose,
    email: row.email,
    ...(row.user_id === null ? {} : { userId: row.user_id }),
    ...(row.role === null ? {} : { role: row.role }),
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
  };
}
