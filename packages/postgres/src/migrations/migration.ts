/**
 * One step of the schema, applied once, in its own transaction, in version order. Forward only:
 * a released migration is never edited or removed; a change is a new migration. Its SQL names
 * objects without a schema: the runner sets `search_path` to the schema being migrated.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
