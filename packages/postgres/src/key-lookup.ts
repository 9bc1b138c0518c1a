import DataLoader from "dataloader";
import type { StoredApiKey } from "@portcullis/core";
import { fromRow, KEY_COLUMNS, type KeyRow } from "./key-row";
import type { TimedPool } from "./timed-pool";

/** Ids one statement looks up at most: a burst bigger than this is split. */
const MAX_BATCH = 256;

/**
 * Finds keys by id, the lookups of one turn of the event loop in one primary-key statement
 * (`id = ANY($1)`), as ioredis's auto-pipelining does for Redis: under load the requests read from
 * many sockets in one turn cost one round trip and one pooled connection, not one each. A lookup
 * alone waits for nothing but the end of the turn (`setImmediate`) and goes by `id = $1`:
 * PostgreSQL plans `ANY` with a parameter afresh at each execution (its generic plan assumes ten
 * elements, so the one-element custom plan looks cheaper), which costs a lone lookup about as much
 * as the statement itself. Nothing is cached: each lookup reads the row as it is when its
 * statement runs.
 */
export class KeyLookup {
  readonly #loader: DataLoader<string, StoredApiKey | undefined>;

  constructor(db: TimedPool, table: string, statements: { readonly one: string; readonly many: string }) {
    const one = `SELECT ${KEY_COLUMNS} FROM ${table} WHERE id = $1`;
    const many = `SELECT ${KEY_COLUMNS} FROM ${table} WHERE id = ANY($1::text[])`;
    this.#loader = new DataLoader(
      async (ids) => {
        const { rows } = await db.query<KeyRow>(
          ids.length === 1 ? { name: statements.one, text: one, values: [ids[0]] } : { name: statements.many, text: many, values: [ids] },
        );
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => {
          const row = byId.get(id);
          return row && fromRow(row);
        });
      },
      { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (dispatch) => void setImmediate(dispatch) },
    );
  }

  find(id: string): Promise<StoredApiKey | undefined> {
    return this.#loader.load(id);
  }
}
