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

/**
 * Every table, channel and prepared-statement name portcullis uses in PostgreSQL is named here,
 * and nowhere else. All live in one schema (`portcullis` by default), created by `migrate`.
 *
 * | name                        | kind    | holds                                                        |
 * | --------------------------- | ------- | ------------------------------------------------------------ |
 * | `<schema>.api_keys`         | table   | one row per API-key record, its primary key the id cut from the key's HMAC digest (`keyIdOf`) |
 * | `<schema>.api_key_usage`    | table   | requests per UTC day per key id, and per owner under the key id `*`; 90 days kept |
 * | `<schema>.schema_migrations`| table   | the migrations applied, by version                           |
 * | `<schema>.key_changes`      | channel | NOTIFY of the digest of each key changed or removed, sent by a trigger on `api_keys` |
 *
 * The migrations themselves (src/migrations) create these objects with unqualified names, under
 * `SET LOCAL search_path` to the schema.
 */
export class PostgresTables {
  readonly apiKeys: string;
  readonly apiKeyUsage: string;
  readonly migrations: string;
  /** The channel the `api_keys` trigger notifies: `TG_TABLE_SCHEMA || '.key_changes'`. */
  readonly keyChanges: string;

  constructor(readonly schema: string = DEFAULT_SCHEMA) {
    this.apiKeys = `"${schema}".api_keys`;
    this.apiKeyUsage = `"${schema}".api_key_usage`;
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
