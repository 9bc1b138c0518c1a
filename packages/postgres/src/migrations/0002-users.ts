import type { Migration } from "./migration";

/**
 * Users for hosts without a user table of their own. The email is stored as `normalizeEmail`
 * leaves it (trimmed, NFKC, lower-cased, done by the store, not by SQL, whose `lower()` follows
 * the database's locale), so the unique constraint is the one account per address the port
 * promises, and concurrent sign-ups with one address race on it, not in the application.
 */
export const usersMigration: Migration = {
  version: 2,
  name: "users",
  sql: `
CREATE TABLE users (
  created_at          timestamptz NOT NULL,
  password_changed_at timestamptz,
  id                  text PRIMARY KEY,
  email               text NOT NULL,
  role                text NOT NULL,
  password_hash       text NOT NULL,
  CONSTRAINT users_email_unique UNIQUE (email)
);
COMMENT ON TABLE users IS 'portcullis users: the email normalized by the store (trimmed, NFKC, lower-cased) and unique; a password hash, never a password';
`,
};
