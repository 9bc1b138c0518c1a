import type { Migration } from "./migration";

/**
 * The email flows. `email_tokens` holds emailed links' tokens by the digest of the token, and
 * `email_codes` the second factor's codes by their key (a pending sign-in's, a user's), so that
 * every spend is one DELETE or UPDATE of one row, serialized by its row lock. A code's row stays
 * until `forget_at`, the end of the code or of its cool-down, whichever is later; the stores
 * delete rows past it, reading them off the expiry indexes. `outbox` keeps the newest messages of
 * `PostgresOutbox` in insertion order (`id`). `mfa_email_codes` lists the users who chose codes by
 * email, apart from `mfa_enrolments`, whose row removing TOTP deletes. No foreign keys to
 * `users`: the stores also serve users kept elsewhere.
 */
export const emailMigration: Migration = {
  version: 10,
  name: "email",
  sql: `
CREATE TABLE email_tokens (
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  digest     text PRIMARY KEY,
  purpose    text NOT NULL,
  email      text NOT NULL,
  user_id    text,
  role       text
);
COMMENT ON TABLE email_tokens IS 'portcullis emailed links: the SHA-256 digest of each token, never a token; rows past expires_at are deleted';
CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at);

CREATE TABLE email_codes (
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  forget_at  timestamptz NOT NULL,
  tries      integer NOT NULL DEFAULT 0,
  key        text PRIMARY KEY,
  digest     text
);
COMMENT ON TABLE email_codes IS 'portcullis email codes: the digest of the live code (null once spent), tries, and the issue time the cool-down reads; rows past forget_at are deleted';
CREATE INDEX email_codes_by_forget ON email_codes (forget_at);

CREATE TABLE outbox (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sent_at   timestamptz NOT NULL,
  recipient text NOT NULL,
  subject   text NOT NULL,
  text      text NOT NULL,
  html      text NOT NULL
);
COMMENT ON TABLE outbox IS 'portcullis development outbox: the newest messages, with the links and codes they carry; never for production';

CREATE TABLE mfa_email_codes (
  user_id text PRIMARY KEY
);
COMMENT ON TABLE mfa_email_codes IS 'portcullis users who chose codes by email as a second factor';
`,
};
