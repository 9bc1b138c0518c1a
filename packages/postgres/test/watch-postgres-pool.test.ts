/** One warning when PostgreSQL goes away and one when it is back, however many idle connections die. */
import type { Logger } from "@portcullis/core";
import { eventually, usePostgres } from "@portcullis/testing";
import { watchPostgresPool } from "@portcullis/postgres";
import type { Pool } from "pg";

const pg = usePostgres();

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { warn: (message) => void lines.push(`warn ${message}`), error: (message) => void lines.push(`error ${message}`) };
  return { logger, lines };
}

/** Opens `count` connections at once and returns them to the pool, where they sit idle. */
async function idleConnections(pool: Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  for (const client of clients) client.release();
}

test("an outage that kills five idle connections logs one warning, and one when a connection succeeds again; the process lives", async () => {
  const pool = pg().pool({ max: 5 });
  const { logger, lines } = recordingLogger();
  watchPostgresPool(pool, { logger });
  await idleConnections(pool, 5);
  expect(pool.idleCount).toBe(5);

  await pg().kill();
  await eventually(() => pool.totalCount === 0); // every idle connection saw its socket close
  expect(lines).toEqual([expect.stringMatching(/^warn portcullis: lost the connection to PostgreSQL \(.+\); requests that need it are refused with 503 until it is back$/)]);
  await expect(pool.query("SELECT 1")).rejects.toThrow();

  await pg().restart();
  await expect(pool.query("SELECT 1")).resolves.toBeDefined();
  await pool.query("SELECT 1");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe("warn portcullis: the connection to PostgreSQL is back");
});

test("a watch names its database, and stop() removes its listeners and unwraps connect", async () => {
  const pool = pg().pool();
  const before = pool.listenerCount("error");
  const connect = pool.connect;
  const watch = watchPostgresPool(pool, { name: "keys PostgreSQL", logger: recordingLogger().logger });
  expect(pool.listenerCount("error")).toBe(before + 1);
  watch.stop();
  expect(pool.listenerCount("error")).toBe(before);
  expect(pool.listenerCount("connect")).toBe(0);
  expect(pool.listenerCount("acquire")).toBe(0);
  expect(pool.connect).toBe(connect);
});

test("what is not a pool, and bad options, are refused at creation", () => {
  expect(() => watchPostgresPool({} as never)).toThrow("watchPostgresPool: pass a node-postgres Pool: watchPostgresPool(new Pool({ connectionString }))");
  const pool = pg().pool();
  expect(() => watchPostgresPool(pool, { name: "" })).toThrow('watchPostgresPool: "name" must be a string of 1 to 100 characters, such as "keys PostgreSQL"');
  expect(() => watchPostgresPool(pool, { retries: 3 } as never)).toThrow('watchPostgresPool: unknown option "retries"; the options are logger, name');
});
