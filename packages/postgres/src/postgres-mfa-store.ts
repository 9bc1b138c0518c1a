import type { CodeAttempt, CodeAttemptPolicy, MfaConfirmation, MfaEnrolment, MfaStore } from "@portcullis/core";
import { configError, resolveOptions, timeoutMsOption } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { msColumn, msParam } from "./sql-time";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresMfaStore}. */
export interface PostgresMfaStoreOptions {
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
const postgresMfaStoreOptions = z.strictObject({
  schema: schemaOption,
  timeoutMs: timeoutMsOption,
});

/** How often, in the callers' clock, expired sign-ins' counts are deleted, and how many at a time. */
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 1000;

interface EnrolmentRow {
  readonly secret: string;
  readonly started_at: string;
  readonly confirmed_at: string | null;
  readonly last_step: string | null;
  readonly recovery_codes: string[];
}

/**
 * Second factors in PostgreSQL through node-postgres, on a `Pool` the app passes in: one row per
 * user in `<schema>.mfa_enrolments` holding the sealed secret, the recovery-code digests (a
 * `text[]`), the last accepted time step and the count of code tries. Each guarded operation is
 * one UPDATE whose WHERE holds the condition, so PostgreSQL's row lock makes it atomic: of
 * concurrent uses of one step or one recovery code, exactly one succeeds. Counting a code try
 * reads the row `FOR UPDATE` in a transaction. Codes per pending sign-in are counted by one upsert
 * in `<schema>.mfa_sign_in_codes`, whose expired rows are deleted in small batches, at most once a
 * minute, without the caller waiting. The users who chose codes by email are rows of
 * `<schema>.mfa_email_codes`, which `remove` leaves. Run `migrate(pool)` first.
 *
 * @example
 * const mfa = totpSecondFactor({ store: new PostgresMfaStore(pool), encryptionKey: process.env.MFA_ENCRYPTION_KEY!, issuer: "Acme" }); // @portcullis/mfa
 * app.use("/api/auth", authRouter({ users, mfa }));
 */
export class PostgresMfaStore implements MfaStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  /** When (in the callers' clock) expired sign-ins were last swept. */
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(pool: Pool, options: Readonly<PostgresMfaStoreOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresMfaStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, timeoutMs } = resolveOptions("PostgresMfaStore", postgresMfaStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresMfaStore", schema);
  }

  async find(userId: string): Promise<MfaEnrolment | undefined> {
    const { rows } = await this.#db.query<EnrolmentRow>({
      name: this.#tables.statement("find_mfa"),
      text: `SELECT secret, ${msColumn("started_at")}, ${msColumn("confirmed_at")}, last_step, recovery_codes FROM ${this.#tables.mfaEnrolments} WHERE user_id = $1`,
      values: [userId],
    });
    return rows[0] && enrolmentOf(rows[0]);
  }

  startEnrolment(userId: string, sealedSecret: string, at: number): Promise<boolean> {
    // A pending enrolment is replaced whole; a confirmed one fails the upsert's WHERE and stays.
    return this.#changed({
      text: `INSERT INTO ${this.#tables.mfaEnrolments} AS e (user_id, secret, started_at) VALUES ($1, $2, ${msParam(3)})
ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, started_at = excluded.started_at, confirmed_at = NULL, last_step = NULL,
  recovery_codes = '{}', code_tries = 0, code_tried_at = NULL
WHERE e.confirmed_at IS NULL`,
      values: [userId, sealedSecret, at],
    });
  }

  confirm(userId: string, { secret, recoveryCodes, at, step }: MfaConfirmation): Promise<boolean> {
    return this.#changed({
      text: `UPDATE ${this.#tables.mfaEnrolments} SET confirmed_at = ${msParam(3)}, last_step = $4::int8, recovery_codes = $5::text[]
WHERE user_id = $1 AND secret = $2 AND confirmed_at IS NULL`,
      values: [userId, secret, at, step, [...recoveryCodes]],
    });
  }

  useStep(userId: string, step: number): Promise<boolean> {
    // Of concurrent uses of one step, the first takes the row lock; the others then find last_step already there.
    return this.#changed({
      text: `UPDATE ${this.#tables.mfaEnrolments} SET last_step = $2::int8, code_tries = 0
WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2::int8)`,
      values: [userId, step],
    });
  }

  useRecoveryCode(userId: string, digest: string): Promise<boolean> {
    return this.#changed({
      text: `UPDATE ${this.#tables.mfaEnrolments} SET recovery_codes = array_remove(recovery_codes, $2::text)
WHERE user_id = $1 AND confirmed_at IS NOT NULL AND $2::text = ANY (recovery_codes)`,
      values: [userId, digest],
    });
  }

  replaceRecoveryCodes(userId: string, digests: readonly string[]): Promise<boolean> {
    return this.#changed({
      text: `UPDATE ${this.#tables.mfaEnrolments} SET recovery_codes = $2::text[] WHERE user_id = $1 AND confirmed_at IS NOT NULL`,
      values: [userId, [...digests]],
    });
  }

  remove(userId: string): Promise<boolean> {
    return this.#changed({ text: `DELETE FROM ${this.#tables.mfaEnrolments} WHERE user_id = $1`, values: [userId] });
  }

  beginCodeAttempt(userId: string, at: number, policy: CodeAttemptPolicy): Promise<CodeAttempt> {
    return this.#db.transaction(async (run) => {
      // The row lock holds concurrent tries back until this one is counted: none can overshoot.
      const { rows } = await run<{ code_tries: number; code_tried_at: string | null }>({
        text: `SELECT code_tries, ${msColumn("code_tried_at")} FROM ${this.#tables.mfaEnrolments} WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE`,
        values: [userId],
      });
      const row = rows[0];
      if (!row) return { allowed: true };
      const attempt = decideCodeAttempt(row.code_tries, Number(row.code_tried_at ?? 0), at, policy);
      if (attempt.allowed) {
        await run({
          text: `UPDATE ${this.#tables.mfaEnrolments} SET code_tries = code_tries + 1, code_tried_at = ${msParam(2)} WHERE user_id = $1`,
          values: [userId, at],
        });
      }
      return attempt;
    });
  }

  async countSignInCode(signInId: string, at: number, expiresAt: number): Promise<number> {
    if (at - this.#sweptAt >= SWEEP_INTERVAL_MS) {
      this.#sweptAt = at;
      void this.#sweep(at).catch(() => {}); // housekeeping: the next sweep tries again
    }
    // One statement: the upsert's row lock gives concurrent codes distinct numbers. A count whose
    // sign-in has expired starts again at 1.
    const { rows } = await this.#db.transaction((run) =>
      run<{ codes: number }>({
        text: `INSERT INTO ${this.#tables.mfaSignInCodes} AS c (sign_in_id, codes, expires_at) VALUES ($1, 1, ${msParam(3)})
ON CONFLICT (sign_in_id) DO UPDATE SET
  codes = CASE WHEN c.expires_at > ${msParam(2)} THEN c.codes + 1 ELSE 1 END,
  expires_at = CASE WHEN c.expires_at > ${msParam(2)} THEN c.expires_at ELSE excluded.expires_at END
RETURNING codes`,
        values: [signInId, at, expiresAt],
      }),
    );
    return rows[0]!.codes;
  }

  async emailCodesEnabled(userId: string): Promise<boolean> {
    const { rows } = await this.#db.query({
      name: this.#tables.statement("mfa_email_codes_enabled"),
      text: `SELECT 1 FROM ${this.#tables.mfaEmailCodes} WHERE user_id = $1`,
      values: [userId],
    });
    return rows.length === 1;
  }

  async setEmailCodes(userId: string, enabled: boolean): Promise<void> {
    const table = this.#tables.mfaEmailCodes;
    await this.#db.transaction((run) =>
      run(
        enabled
          ? { text: `INSERT INTO ${table} (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, values: [userId] }
          : { text: `DELETE FROM ${table} WHERE user_id = $1`, values: [userId] },
      ),
    );
  }

  /** Deletes a batch of counts whose sign-in has expired, read off the expiry index. */
  async #sweep(at: number): Promise<void> {
    const table = this.#tables.mfaSignInCodes;
    await this.#db.transaction((run) =>
      run({
        text: `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE expires_at <= ${msParam(1)} LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED))`,
        values: [at],
      }),
    );
  }

  /** Runs one guarded write: true when it changed a row. */
  async #changed(statement: { text: string; values: unknown[] }): Promise<boolean> {
    const { rowCount } = await this.#db.transaction((run) => run(statement));
    return rowCount === 1;
  }
}

/** The port's rule for a code try, from the tries in a row so far and when the last was. */
function decideCodeAttempt(tries: number, lastAt: number, at: number, { maxFailures, lockMs }: CodeAttemptPolicy): CodeAttempt {
  if (tries < maxFailures) return { allowed: true };
  const retryAt = lastAt + lockMs * (tries - maxFailures + 1);
  return at < retryAt ? { allowed: false, retryAt } : { allowed: true };
}

function enrolmentOf(row: EnrolmentRow): MfaEnrolment {
  return {
    secret: row.secret,
    startedAt: Number(row.started_at),
    recoveryCodes: row.recovery_codes,
    ...(row.confirmed_at === null ? {} : { confirmedAt: Number(row.confirmed_at) }),
    ...(row.last_step === null ? {} : { lastStep: Number(row.last_step) }),
  };
}
