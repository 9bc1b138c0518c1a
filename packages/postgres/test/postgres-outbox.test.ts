import { describeOutboxContract, usePostgres } from "@portcullis/testing";
import { migrate, PostgresOutbox } from "@portcullis/postgres";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeOutboxContract("PostgresOutbox", async (options) => {
  await pool.query("TRUNCATE portcullis.outbox");
  return new PostgresOutbox(pool, options);
});

describe("PostgresOutbox", () => {
  test("a pool that is not node-postgres's, or a bad option, is refused at creation", () => {
    expect(() => new PostgresOutbox({} as never)).toThrow(/^PostgresOutbox: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresOutbox(pool, { capacity: 0 })).toThrow(/^PostgresOutbox: "capacity" must be a whole number from 1/);
    expect(() => new PostgresOutbox(pool, { size: 3 } as never)).toThrow('PostgresOutbox: unknown option "size"; the options are schema, capacity, timeoutMs');
  });

  test("the table holds exactly the capacity after twenty sends at once, never more", async () => {
    await pool.query("TRUNCATE portcullis.outbox");
    const outbox = new PostgresOutbox(pool, { capacity: 5 });
    await Promise.all(Array.from({ length: 20 }, (_, n) => outbox.send({ to: `u${n}@example.com`, subject: `S${n}`, text: "t", html: "h" })));
    expect((await pool.query("SELECT count(*)::int AS n FROM portcullis.outbox")).rows[0].n).toBe(5);
    await outbox.send({ to: "last@example.com", subject: "last", text: "t", html: "h" });
    const listed = await outbox.list();
    expect(listed[0]!.subject).toBe("last");
    expect(listed).toHaveLength(5);
  });
});
