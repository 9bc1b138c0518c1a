import { z } from "zod";

/** Where portcullis keeps its tables unless told otherwise: a schema of its own, apart from the app's. */
export const DEFAULT_SCHEMA = "portcullis";

const SCHEMA_RULE = 'must be a lowercase SQL name of 1 to 48 letters, digits and underscores, not starting with a digit, such as "portcullis"';

/**
 * The `schema` option of `migrate` and of every store. Plain lowercase names only: they go into
 * SQL text and a NOTIFY channel name (at most 63 bytes) without quoting rules to get wrong.
 */
export const schemaOption = z
  .string({ error: SCHEMA_RULE })
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, { error: SCHEMA_RULE })
  .default(DEFAULT_SCHEMA);

/** The rate limiters' table, unqualified: `RateLimiterPostgres` takes it apart from the schema. */
export const RATE_LIMITS_TABLE = "rate_limits";

/**
 * Every table, channel and prepared-statement name portcullis uses in PostgreSQL is named here,
 * and nowhere else. All live in one schema (`portcullis` by default), created by `migrate`.
 *
 * | name                        | kind    | holds                                                        |
 * | --------------------------- | ------- | ------------------------------------------------------------ |
 * | `<schema>.api_keys`         | table   | one row per API-key record, its primary key the id cut from the key's HMAC digest (`keyIdOf`) |
 * | `<schema>.api_key_usage`    | table   | requests per UTC day per key id, and per owner under the key id `*`; 90 days kept |
 * | `<schema>.users`            | table   | one row per user: the normalized email (unique), the role and the password hash (null when passwordless) |
 * | `<schema>.identities`       | table   | one row per sign-in provider account linked to a user, its primary key (provider, subject) |
 * | `<schema>.mfa_enrolments`   | table   | one row per user with a second factor: the sealed secret, the recovery-code digests, the replay and try counters |
 * | `<schema>.mfa_sign_in_codes`| table   | codes counted per pending sign-in, until the sign-in expires  |
 * | `<schema>.mfa_email_codes`  | table   | one row per user who chose codes by email as a second factor (apart from `mfa_enrolments`, which removing TOTP deletes) |
 * | `<schema>.email_tokens`     | table   | one row per emailed link's token, by the token's digest: purpose, email, user, role, times; deleted once expired |
 * | `<schema>.email_codes`      | table   | one row per email code key: the code's digest (null once spent), tries, times; deleted once its cool-down is over too |
 * | `<schema>.outbox`           | table   | `PostgresOutbox`'s newest messages, by insertion order          |
 * | `<schema>.audit_events`     | table   | the access log: one row per event, in each owner's log or in the log of no owner |
 * | `<schema>.audit_id_key`     | table   | one row: the key the access log's public event ids are sealed with |
 * | `<schema>.sessions`         | table   | one row per session (connect-pg-simple's layout): its id, its data as JSON, when it expires |
 * | `<schema>.user_sessions`    | table   | each user's session ids and when each may be forgotten, to list and revoke them |
 * | `<schema>.rate_limits`      | table   | one row per rate-limit counter (rate-limiter-flexible's layout): `<limiter name>:<id>`, points, expiry |
 * | `<schema>.schema_migrations`| table   | the migrations applied, by version                           |
 * | `<schema>.key_changes`      | channel | NOTIFY of the digest of each key changed or removed, sent by a trigger on `api_keys` |
 *
 * The migrations themselves (src/migrations) create these objects with unqualified names, under
 * `SET LOCAL search_path` to the schema.
 */
export class PostgresTables {
  readonly apiKeys: string;
  readonly apiKeyUsage: string;
  readonly users: string;
  readonly identities: string;
  readonly mfaEnrolments: string;
  readonly mfaSignInCodes: string;
  readonly mfaEmailCodes: string;
  readonly emailTokens: string;
  readonly emailCodes: string;
  readonly outbox: string;
  readonly auditEvents: string;
  readonly auditIdKey: string;
  readonly sessions: string;
  readonly userSessions: string;
  readonly rateLimits: string;
  readonly migrations: string;
  /** The channel the `api_keys` trigger notifies: `TG_TABLE_SCHEMA || '.key_changes'`. */
  readonly keyChanges: string;

  constructor(readonly schema: string = DEFAULT_SCHEMA) {
    this.apiKeys = `"${schema}".api_keys`;
    this.apiKeyUsage = `"${schema}".api_key_usage`;
    this.users = `"${schema}".users`;
    this.identities = `"${schema}".identities`;
    this.mfaEnrolments = `"${schema}".mfa_enrolments`;
    this.mfaSignInCodes = `"${schema}".mfa_sign_in_codes`;
    this.mfaEmailCodes = `"${schema}".mfa_email_codes`;
    this.emailTokens = `"${schema}".email_tokens`;
    this.emailCodes = `"${schema}".email_codes`;
    this.outbox = `"${schema}".outbox`;
    this.auditEvents = `"${schema}".audit_events`;
    this.auditIdKey = `"${schema}".audit_id_key`;
    this.sessions = `"${schema}".sessions`;
    this.userSessions = `"${schema}".user_sessions`;
    this.rateLimits = `"${schema}".${RATE_LIMITS_TABLE}`;
    this.migrations = `"${schema}".schema_migrations`;
    this.keyChanges = `${schema}.key_changes`;
  }

  /**
   * The name of a statement prepared once per connection. Per schema: two stores on one pool with
   * different schemas must not share a name for different SQL.
   */
  statement(name: string): string {
    return `${this.schema}.${name}`;
  }
}
