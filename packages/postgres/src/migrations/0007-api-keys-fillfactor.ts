import type { Migration } from "./migration";

/**
 * Room on every page of `api_keys` for the usage flush's updates. The flush rewrites
 * `usage_count` and `last_used_at`, which no index holds, so with free space on the row's page
 * PostgreSQL updates in place (a HOT update: no new index entries, and the old version is pruned
 * as the page is next read). On full pages each update moves the row and adds to every index,
 * and the table grows until a VACUUM. Measured with 20,000 keys each used ten times through the
 * flush: at 100 % fill 85 % of updates were HOT and the table grew from 374 to 627 bytes per
 * key; at 85 % fill 99.7 % were and it stayed at 415. It applies to pages written from now on;
 * an existing table's pages take it at its next rewrite (VACUUM FULL, or pg_repack online).
 */
export const apiKeysFillfactorMigration: Migration = {
  version: 7,
  name: "api keys fillfactor",
  sql: `ALTER TABLE api_keys SET (fillfactor = 85);`,
};
