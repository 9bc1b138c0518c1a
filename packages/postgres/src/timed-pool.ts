import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from "pg";
import { DEFAULT_SCHEMA } from "./postgres-tables";

/** A statement a store sends: a name makes it prepared once per connection (for the hot reads). */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
  readonly name?: string;
}

export type RunStatement = <Row extends QueryResultRow>(statement: Statement) => Promise<QueryResult<Row>>;

/**
 * The client's own limit is this much later than the server's, so that where the server enforces
 * one (in transactions, or the app's `statement_timeout`) it cancels first and the connection
 * stays usable; the client's catches a server that does not answer at all.
 */
const CLIENT_GRACE_MS = 500;

/** SQLSTATEs of a schema that `migrate` has not brought up to date: undefined table, column, schema, function. */
const NOT_MIGRATED = new Set(["42P01", "42703", "3F000", "42883"]);

/** True for the error a store call fails with when the schema was never migrated (or is older than the package). */
export function isNotMigrated(error: unknown): boolean {
  const code = ((error as { cause?: unknown } | null)?.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && NOT_MIGRATED.has(code);
}

/**
 * The app's pool with a time limit on everything a store sends: getting a connection, each
 * statement (pg's `query_timeout`), and in transactions `SET LOCAL statement_timeout`, so the
 * server rolls back a write that ran too long instead of applying it after its caller gave up.
 * Nothing it sets outlives the transaction, so the app's own use of the pool is untouched. A
 * connection that saw an error is closed, not returned to the pool.
 */
export class TimedPool {
  constructor(
    readonly pool: Pool,
    readonly timeoutMs: number,
    /** Names the store in the error for a schema that was never migrated. */
    readonly owner: string,
    readonly schema: string,
  ) {}

  /** One statement, on its own. */
  query<Row extends QueryResultRow>(statement: Statement): Promise<QueryResult<Row>> {
    return this.#withClient((client) => this.#send<Row>(client, statement));
  }

  /** Statements in one transaction, bounded by the server too; any failure rolls it all back. */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    return this.#withClient(async (client) => {
      await this.#send(client, { text: `BEGIN; SET LOCAL statement_timeout = ${this.timeoutMs}` });
      const result = await work((statement) => this.#send(client, statement));
      await this.#send(client, { text: "COMMIT" });
      return result;
    });
  }

  async #withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let failure: Error | undefined;
    // Between two statements nobody else listens: an unheard 'error' would end the process.
    const onError = (error: Error) => void (failure ??= error);
    client.on("error", onError);
    try {
      return await work(client);
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
      throw this.#explain(error);
    } finally {
      client.off("error", onError);
      // With an error the pool closes the connection: the server then rolls back any open
      // transaction, and an abandoned statement can never leave a later one a surprise.
      client.release(failure);
    }
  }

  #send<Row extends QueryResultRow>(client: PoolClient, { text, values, name }: Statement): Promise<QueryResult<Row>> {
    // node-postgres honours query_timeout per query as well as per client; @types/pg omits it.
    const config: QueryConfig & { query_timeout: number } = { text, values: values as unknown[] | undefined, query_timeout: this.timeoutMs + CLIENT_GRACE_MS };
    if (name !== undefined) config.name = name;
    return client.query<Row>(config);
  }

  /** `pool.connect()` with a limit: a pool without `connectionTimeoutMillis` would wait forever. */
  #connect(): Promise<PoolClient> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new Error(`PostgreSQL gave no connection within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pool.connect().then(
        (client) => {
          if (late) return client.release();
          clearTimeout(timer);
          resolve(client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #explain(error: unknown): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== "string" || !NOT_MIGRATED.has(code)) return error;
    return new Error(
      `${this.owner}: the schema "${this.schema}" is missing or older than this version of @portcullis/postgres (${(error as Error).message}); ` +
        `run migrate(pool${this.schema === DEFAULT_SCHEMA ? "" : `, { schema: "${this.schema}" }`}) first`,
      { cause: error },
    );
  }
}
