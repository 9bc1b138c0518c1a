import type { Migration } from "./migration";

/**
 * Sign-in through providers. A user made through one has no password, so `users.password_hash`
 * becomes nullable. `identities` links each provider account to its user: the primary key
 * (provider, subject) is what makes two concurrent links of one account race on the constraint,
 * so exactly one wins. No foreign key to `users`: the store also serves users kept elsewhere.
 */
export const identitiesMigration: Migration = {
  version: 9,
  name: "identities",
  sql: `
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
COMMENT ON TABLE users IS 'portcullis users: the email normalized by the store (trimmed, NFKC, lower-cased) and unique; a password hash, never a password, or null for an account that signs in only through a provider';

CREATE TABLE identities (
  linked_at timestamptz NOT NULL,
  provider  text NOT NULL,
  subject   text NOT NULL,
  user_id   text NOT NULL,
  email     text,
  PRIMARY KEY (provider, subject)
);
COMMENT ON TABLE identities IS 'portcullis sign-in provider accounts linked to users: the provider id as configured, the provider''s subject, the user, the email it asserted when linked';
-- A user's identities are listed, and counted by unlink, off this index.
CREATE INDEX identities_by_user ON identities (user_id, linked_at);
`,
};
