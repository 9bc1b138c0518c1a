import type { Migration } from "./migration";

/**
 * Second factors. One row per user holds the whole enrolment, recovery-code digests included,
 * so that every guarded change (a step used, a code used, a try counted) is an UPDATE of that one
 * row, which PostgreSQL serializes by its row lock. No foreign key to `users`: the store also
 * serves users kept elsewhere (the app's own table, Redis).
 */
export const mfaMigration: Migration = {
  version: 3,
  name: "mfa",
  sql: `
CREATE TABLE mfa_enrolments (
  started_at     timestamptz NOT NULL,
  confirmed_at   timestamptz,
  code_tried_at  timestamptz,
  last_step      bigint,
  code_tries     integer NOT NULL DEFAULT 0,
  user_id        text PRIMARY KEY,
  secret         text NOT NULL,
  recovery_codes text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE mfa_enrolments IS 'portcullis second factors: the TOTP secret sealed by the app, HMAC digests of the unused recovery codes, never a code';

CREATE TABLE mfa_sign_in_codes (
  expires_at timestamptz NOT NULL,
  codes      integer NOT NULL,
  sign_in_id text PRIMARY KEY
);
COMMENT ON TABLE mfa_sign_in_codes IS 'portcullis codes tried per pending sign-in; rows past expires_at are deleted';
-- The sweep of expired sign-ins reads them off this index, a small batch at a time.
CREATE INDEX mfa_sign_in_codes_by_expiry ON mfa_sign_in_codes (expires_at);
`,
};
