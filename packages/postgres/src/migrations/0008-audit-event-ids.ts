import type { Migration } from "./migration";

/**
 * The key the access log's public event ids are sealed with. An id was `<ms>-<seq>`, and `seq` is
 * one counter for the whole table: an owner reading two of its own events' ids learned how many
 * events every other owner had in between. Ids now carry `seq` encrypted (AES-256 on one block)
 * under this key, so they still name a position in the log, for paging, and tell nothing else.
 * One row, made here from two `gen_random_uuid()` (the server's strong random source, PostgreSQL
 * 13 and later), so every process on the database shares it with nothing to configure. Cursors
 * handed out before this migration no longer parse: they end their listing.
 */
export const auditEventIdsMigration: Migration = {
  version: 8,
  name: "audit event ids",
  sql: `
CREATE TABLE audit_id_key (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  key      bytea NOT NULL CHECK (length(key) = 32)
);
COMMENT ON TABLE audit_id_key IS 'portcullis: the key access-log event ids are sealed with, so an id does not reveal how many events other owners had';
INSERT INTO audit_id_key (key) VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));
`,
};
