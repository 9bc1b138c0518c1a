import { PortcullisError, type NewUser, type PasswordHasher, type ProvisioningUserStore, type UserRecord } from "@portcullis/core";
import {
  checked,
  configError,
  functionOption,
  newUserId,
  normalizeEmail,
  resolveOptions,
  timeoutMsOption,
  validateEmail,
  validateNewUser,
} from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { msColumn, msParam } from "./sql-time";
import { isStorableText } from "./storable-text";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresUserStore}. */
export interface PostgresUserStoreOptions {
  /** Hashes and checks passwords: `bcryptPasswords()` from `@portcullis/session-auth`. */
  readonly passwords: PasswordHasher;
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * Stamps sign-ups and password changes; pass the clock sessions use.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * How long one call to PostgreSQL may take, in milliseconds: getting a connection and each
   * statement. Password hashes and checks are not counted: under load they queue for bcrypt's
   * threads, and a slow bcrypt is no outage.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

const isPasswordHasher = (value: unknown): value is PasswordHasher => value !== null && typeof value === "object";

/** The options, checked, with their defaults. */
const postgresUserStoreOptions = z.strictObject({
  passwords: checked(isPasswordHasher, "is required: pass bcryptPasswords() from @portcullis/session-auth"),
  schema: schemaOption,
  now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
  timeoutMs: timeoutMsOption,
});

/** A user's columns, the hash included. */
const USER_COLUMNS = `id, email, role, password_hash, ${msColumn("password_changed_at")}`;

interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  /** Null for a passwordless user. */
  readonly password_hash: string | null;
  readonly password_changed_at: string | null;
}

/**
 * Users in PostgreSQL through node-postgres, on a `Pool` the app passes in: one row per user in
 * `<schema>.users`, the email normalized as the port says and unique, so two sign-ups with one
 * address race on the constraint and exactly one wins. A passwordless user's `password_hash` is
 * null. For hosts without a user table of their own; a host with one implements `UserStore` over
 * it instead. Run `migrate(pool)` first.
 *
 * @example
 * const users = new PostgresUserStore(pool, { passwords: bcryptPasswords() });
 * await users.create({ email: "ada@example.com", password: "correct horse", role: "admin" });
 * app.use("/api/auth", authRouter({ users }));
 */
export class PostgresUserStore implements ProvisioningUserStore {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #passwords: PasswordHasher;
  readonly #now: () => number;
  readonly #byEmail: string;

  constructor(pool: Pool, options: Readonly<PostgresUserStoreOptions>) {
    if (!isPool(pool)) throw configError("PostgresUserStore", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { passwords, schema, now, timeoutMs } = resolveOptions("PostgresUserStore", postgresUserStoreOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresUserStore", schema);
    this.#passwords = passwords;
    this.#now = now;
    this.#byEmail = `SELECT ${USER_COLUMNS} FROM ${this.#tables.users} WHERE email = $1`;
  }

  /** Adds a user, passwordless without `password`. @throws PortcullisError `conflict` when the email is taken. */
  async create(user: NewUser): Promise<UserRecord> {
    validateNewUser(user, this.#passwords);
    if (!isStorableText(user.role)) throw new PortcullisError("invalid_request", "role: must not hold U+0000");
    const email = normalizeEmail(user.email);
    // Hashed first, outside any transaction: a failed hash writes nothing, and bcrypt's time holds no lock.
    const hash = user.password === undefined ? null : await this.#passwords.hash(user.password);
    const id = newUserId();
    const { rows } = await this.#db.transaction((run) =>
      run<{ id: string }>({
        text: `INSERT INTO ${this.#tables.users} (id, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, ${msParam(5)})
ON CONFLICT (email) DO NOTHING RETURNING id`,
        values: [id, email, user.role, hash, this.#now()],
      }),
    );
    if (rows.length === 0) throw new PortcullisError("conflict", "email: already registered");
    return hash === null ? { id, email, role: user.role, passwordless: true } : { id, email, role: user.role };
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    if (!isStorableText(id)) return undefined;
    const { rows } = await this.#db.query<UserRow>({
      name: this.#tables.statement("find_user"),
      text: `SELECT ${USER_COLUMNS} FROM ${this.#tables.users} WHERE id = $1`,
      values: [id],
    });
    return rows[0] && publicUser(rows[0]);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    if (!isStorableText(email)) return undefined;
    const { rows } = await this.#db.query<UserRow>({ name: this.#tables.statement("find_user_by_email"), text: this.#byEmail, values: [normalizeEmail(email)] });
    return rows[0] && publicUser(rows[0]);
  }

  async verifyCredentials(email: string, password: string): Promise<UserRecord | undefined> {
    // One indexed read whether or not the address exists; an unknown one is checked against the
    // dummy hash, as are a passwordless user (which never matches) and an address no row can hold
    // (it would fail the read).
    const row = isStorableText(email)
      ? (await this.#db.query<UserRow>({ name: this.#tables.statement("find_user_by_email"), text: this.#byEmail, values: [normalizeEmail(email)] })).rows[0]
      : undefined;
    const matches = await this.#passwords.verify(password, row?.password_hash ?? this.#passwords.dummyHash);
    return matches && row && row.password_hash !== null ? publicUser(row) : undefined;
  }

  async changePassword(userId: string, newPassword: string): Promise<boolean> {
    this.#passwords.assertStorable(newPassword);
    if (!isStorableText(userId)) return false;
    const hash = await this.#passwords.hash(newPassword);
    const { rowCount } = await this.#db.transaction((run) =>
      run({
        text: `UPDATE ${this.#tables.users} SET password_hash = $2, password_changed_at = ${msParam(3)} WHERE id = $1`,
        values: [userId, hash, this.#now()],
      }),
    );
    return rowCount === 1;
  }

  async setRole(userId: string, role: string): Promise<boolean> {
    if (typeof role !== "string" || role === "") throw new PortcullisError("invalid_request", "role: is required");
    if (!isStorableText(role)) throw new PortcullisError("invalid_request", "role: must not hold U+0000");
    if (!isStorableText(userId)) return false;
    const { rowCount } = await this.#db.transaction((run) =>
      run({ text: `UPDATE ${this.#tables.users} SET role = $2 WHERE id = $1`, values: [userId, role] }),
    );
    return rowCount === 1;
  }

  /** @throws PortcullisError `conflict` when another user has the address: the unique email decides between concurrent changes. */
  async setEmail(userId: string, email: string): Promise<boolean> {
    validateEmail(email);
    if (!isStorableText(userId)) return false;
    const users = this.#tables.users;
    let answer: { found: boolean; moved: boolean } | undefined;
    try {
      // One statement tells an unknown user from a taken address; a concurrent change to the same
      // address that this one did not see fails the unique index instead.
      const { rows } = await this.#db.transaction((run) =>
        run<{ found: boolean; moved: boolean }>({
          text: `WITH moved AS (
  UPDATE ${users} SET email = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM ${users} WHERE email = $2 AND id <> $1) RETURNING id
)
SELECT EXISTS (SELECT 1 FROM ${users} WHERE id = $1) AS found, EXISTS (SELECT 1 FROM moved) AS moved`,
          values: [userId, normalizeEmail(email)],
        }),
      );
      answer = rows[0];
    } catch (error) {
      if (uniqueViolation(error)) throw new PortcullisError("conflict", "email: already registered");
      throw error;
    }
    if (!answer?.found) return false;
    if (!answer.moved) throw new PortcullisError("conflict", "email: already registered");
    return true;
  }
}

/** PostgreSQL's unique_violation (SQLSTATE 23505). */
function uniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505";
}

function publicUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    ...(row.password_changed_at === null ? {} : { passwordChangedAt: Number(row.password_changed_at) }),
    ...(row.password_hash === null ? { passwordless: true } : {}),
  };
}
