import type { Migration } from "./migration";

/**
 * API-key records and their daily usage. Fixed-width columns come first so rows carry no
 * alignment padding. Times are `timestamptz` (exact to the millisecond the records use), so an
 * operator can query them as times. `metadata` and `counts_under` are `json`, not `jsonb`: read
 * back exactly as written, and `json` accepts the `\u0000` a host's metadata may hold.
 */
export const apiKeysMigration: Migration = {
  version: 1,
  name: "api keys",
  sql: `
CREATE TABLE api_keys (
  id                 text PRIMARY KEY,
  created_at         timestamptz NOT NULL,
  expires_at         timestamptz,
  revoked_at         timestamptz,
  last_used_at       timestamptz,
  cascaded_at        timestamptz,
  usage_count        bigint NOT NULL DEFAULT 0,
  rate_limit_points  integer,
  rate_limit_seconds integer,
  digest             text NOT NULL,
  owner              text NOT NULL,
  app                text,
  name               text NOT NULL,
  scopes             text[] NOT NULL,
  preview            text NOT NULL,
  metadata           json NOT NULL DEFAULT '{}',
  lineage            text,
  rotated_from       text,
  rotated_to         text,
  created_by         text,
  created_under      text,
  counts_under       json,
  revoked_with       text,
  replaced_by        text,
  replaces           text,
  CONSTRAINT api_keys_rate_limit_whole CHECK ((rate_limit_points IS NULL) = (rate_limit_seconds IS NULL))
);
COMMENT ON TABLE api_keys IS 'portcullis API-key records: never a key, only its HMAC digest; the id is cut from the digest';

-- An owner's keys, newest first, paged by (created_at, id): the cost of a page follows its size.
CREATE INDEX api_keys_by_owner ON api_keys (owner, created_at DESC, id DESC);
CREATE INDEX api_keys_by_owner_app ON api_keys (owner, app, created_at DESC, id DESC) WHERE app IS NOT NULL;
-- The keys made under a rotation chain, revoked with it.
CREATE INDEX api_keys_by_created_under ON api_keys (created_under) WHERE created_under IS NOT NULL;

CREATE TABLE api_key_usage (
  owner    text NOT NULL,
  key_id   text NOT NULL,
  day      date NOT NULL,
  requests bigint NOT NULL,
  PRIMARY KEY (owner, key_id, day)
);
COMMENT ON TABLE api_key_usage IS 'portcullis requests per UTC day per key; key_id * is the owner''s total. Rows older than 90 days are pruned';
CREATE INDEX api_key_usage_by_day ON api_key_usage (day);

-- Caches of verified keys in every process drop a key when it changes, however it changed (through
-- portcullis or by hand). Usage (usage_count, last_used_at) is left out: it changes on every flush
-- and no cache depends on it. A migration adding a column adds it to this list.
CREATE FUNCTION announce_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '.key_changes', OLD.digest);
  RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_changed
  AFTER UPDATE OF id, created_at, expires_at, revoked_at, cascaded_at, rate_limit_points, rate_limit_seconds, digest, owner,
    app, name, scopes, preview, metadata, lineage, rotated_from, rotated_to, created_by, created_under, counts_under,
    revoked_with, replaced_by, replaces
    OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION announce_key_change();
`,
};
