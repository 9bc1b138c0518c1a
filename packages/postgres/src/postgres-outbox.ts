import type { MailMessage, Outbox, OutboxMessage } from "@portcullis/core";
import { configError, isMailMessage, OUTBOX_CAPACITY, resolveOptions, timeoutMsOption, wholeNumber } from "@portcullis/core/internal";
import type { Pool } from "pg";
import { z } from "zod";
import { isPool } from "./is-pool";
import { PostgresTables, schemaOption } from "./postgres-tables";
import { msColumn, msParam } from "./sql-time";
import { TimedPool } from "./timed-pool";

/** Options of {@link PostgresOutbox}. */
export interface PostgresOutboxOptions {
  /**
   * The schema `migrate` created the tables in.
   * @default "portcullis"
   */
  readonly schema?: string;
  /**
   * How many of the newest messages are kept; older ones are deleted as new ones come.
   * @default 200
   */
  readonly capacity?: number;
  /**
   * How long one call may take, in milliseconds: getting a connection and each statement.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const postgresOutboxOptions = z.strictObject({
  schema: schemaOption,
  capacity: wholeNumber(1, 100_000).default(OUTBOX_CAPACITY),
  timeoutMs: timeoutMsOption,
});

interface MessageRow {
  readonly id: string;
  readonly sent_at: string;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * An outbox in PostgreSQL, shared by every process of the app: one row per message in
 * `<schema>.outbox`, numbered in insertion order. Each `send` is one transaction that locks the
 * table against other sends (reads go on), inserts its message and deletes all but the newest
 * `capacity`, so the table never holds more. Sends are few (it is a development mailer), so
 * taking turns costs nothing that matters. For development and demos only: it keeps the links
 * and codes the messages carry. Run `migrate(pool)` first.
 *
 * @example
 * const outbox = new PostgresOutbox(pool, { capacity: 50 });
 * app.get("/dev/outbox", async (_req, res) => res.json(await outbox.list(20)));
 */
export class PostgresOutbox implements Outbox {
  readonly #db: TimedPool;
  readonly #tables: PostgresTables;
  readonly #capacity: number;

  constructor(pool: Pool, options: Readonly<PostgresOutboxOptions> = {}) {
    if (!isPool(pool)) throw configError("PostgresOutbox", "the first argument must be a node-postgres Pool: new Pool({ connectionString })");
    const { schema, capacity, timeoutMs } = resolveOptions("PostgresOutbox", postgresOutboxOptions, options ?? {});
    this.#tables = new PostgresTables(schema);
    this.#db = new TimedPool(pool, timeoutMs, "PostgresOutbox", schema);
    this.#capacity = capacity;
  }

  async send(message: MailMessage): Promise<void> {
    if (!isMailMessage(message)) throw new TypeError("PostgresOutbox.send: a message is { to, subject, text, html }");
    const { to, subject, text, html } = message;
    const table = this.#tables.outbox;
    await this.#db.transaction(async (run) => {
      // Sends take turns (the lock conflicts with itself, not with reads): each trim then sees
      // every message sent before it, which concurrent statements' snapshots would not.
      await run({ text: `LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE` });
      await run({
        text: `INSERT INTO ${table} (sent_at, recipient, subject, text, html) VALUES (${msParam(1)}, $2, $3, $4, $5)`,
        values: [Date.now(), to, subject, text, html],
      });
      await run({
        text: `DELETE FROM ${table} WHERE id < (SELECT id FROM ${table} ORDER BY id DESC OFFSET $1::int8 - 1 LIMIT 1)`,
        values: [this.#capacity],
      });
    });
  }

  async list(limit = this.#capacity): Promise<OutboxMessage[]> {
    const count = Math.min(Math.floor(limit), this.#capacity);
    if (!(count > 0)) return [];
    const { rows } = await this.#db.query<MessageRow>({
      text: `SELECT id, ${msColumn("sent_at")}, recipient, subject, text, html FROM ${this.#tables.outbox} ORDER BY id DESC LIMIT $1`,
      values: [count],
    });
    return rows.map((row) => ({ id: `msg_${row.id}`, sentAt: Number(row.sent_at), to: row.recipient, subject: row.subject, text: row.text, html: row.html }));
  }
}
