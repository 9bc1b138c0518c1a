import { insuredLimiter } from "@portcullis/core/internal";
import { migrate, PostgresLimiterStore } from "@portcullis/postgres";
import { describeLimiterStoreContract, usePostgres } from "@portcullis/testing";
import type { Pool, PoolClient } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

const counters = async () => (await pool.query("SELECT key, points FROM portcullis.rate_limits ORDER BY key")).rows as { key: string; points: number }[];

describeLimiterStoreContract("PostgresLimiterStore", () => new PostgresLimiterStore(pool), {
  // A lock the counts queue behind: the server takes them and answers none until it is released.
  stall: async () => {
    const admin: PoolClient = await pool.connect();
    await admin.query("BEGIN; LOCK TABLE portcullis.rate_limits IN ACCESS EXCLUSIVE MODE");
    return async () => {
      await admin.query("COMMIT");
      admin.release();
    };
  },
  outage: async () => {
    await pg().kill();
    return () => pg().restart();
  },
});

describe("PostgresLimiterStore", () => {
  test("a pool that is not node-postgres's, or a bad option, is refused at creation, each by name", () => {
    expect(() => new PostgresLimiterStore({} as never)).toThrow(/PostgresLimiterStore: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresLimiterStore(pool, { schema: "Bad-Name" })).toThrow('PostgresLimiterStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresLimiterStore(pool, { timeoutMs: 0 })).toThrow('PostgresLimiterStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresLimiterStore(pool, { prefix: "x" } as never)).toThrow('PostgresLimiterStore: unknown option "prefix"; the options are schema, timeoutMs');
  });

  test("making a limiter sends nothing to PostgreSQL: the table is migrate's, no DDL runs", () => {
    const connects = jest.spyOn(pool, "connect");
    const queries = jest.spyOn(pool, "query");
    insuredLimiter("test", new PostgresLimiterStore(pool, { schema: "never_migrated" }), { name: "login-ip", points: 5, durationSeconds: 60, blockSeconds: 0 });
    expect(connects).not.toHaveBeenCalled();
    expect(queries).not.toHaveBeenCalled();
    connects.mockRestore();
    queries.mockRestore();
  });

  test("counters are rows of rate_limits named <limiter name>:<id>; a login id longer than varchar(255) counts there too", async () => {
    const store = new PostgresLimiterStore(pool);
    const limit = insuredLimiter("test", store, { name: "layout-fails", points: 5, durationSeconds: 60, blockSeconds: 0 });
    const long = `["10.0.0.1","${"ü".repeat(256)}"]`; // loginRateLimit's longest unhashed username
    await limit.count("k1", undefined);
    await limit.count("k1", undefined);
    const counted = await limit.count(long, undefined);
    expect(counted.by).toBe(limit.store); // not the memory insurance
    expect((await counters()).filter((row) => row.key.startsWith("layout-fails:"))).toEqual([
      { key: `layout-fails:${long}`, points: 1 },
      { key: "layout-fails:k1", points: 2 },
    ]);
  });

  test("a schema that was never migrated fails with what to run (the insurance would hide it: there is none here)", async () => {
    const store = new PostgresLimiterStore(pool, { schema: "never_migrated" });
    const limiter = store.limiter({ name: "x", points: 5, durationSeconds: 60, blockSeconds: 0 }, undefined as never);
    const warnings = jest.spyOn(process, "emitWarning").mockImplementation(() => {}); // the next test's subject
    try {
      await expect(limiter.consume("id")).rejects.toThrow(
        /PostgresLimiterStore: the schema "never_migrated" is missing or older than this version of @portcullis\/postgres .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/,
      );
    } finally {
      warnings.mockRestore();
    }
  });

  test("counting on a schema that was never migrated goes on in memory, and warns once that migrate must run", async () => {
    const warnings = jest.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const limit = insuredLimiter("test", new PostgresLimiterStore(pool, { schema: "never_migrated" }), { name: "x", points: 5, durationSeconds: 60, blockSeconds: 0 });
      // Counted by the insurance inside the store's limiter: no table holds them.
      expect((await limit.count("a", undefined)).state.consumedPoints).toBe(1);
      expect((await limit.count("a", undefined)).state.consumedPoints).toBe(2);
      expect(warnings).toHaveBeenCalledTimes(1);
      expect(warnings).toHaveBeenCalledWith(expect.stringMatching(/^PostgresLimiterStore: the schema "never_migrated" is missing .*; run migrate/), { code: "PORTCULLIS_NOT_MIGRATED" });
    } finally {
      warnings.mockRestore();
    }
  });

  test("prune deletes the counters expired more than a minute ago, and leaves live ones and those just expired", async () => {
    const now = Date.now();
    await pool.query("INSERT INTO portcullis.rate_limits (key, points, expire) VALUES ('prune:old', 3, $1), ('prune:recent', 3, $2), ('prune:live', 3, $3)", [
      now - 3_600_000,
      now - 10_000,
      now + 60_000,
    ]);
    await new PostgresLimiterStore(pool).prune();
    expect((await counters()).filter((row) => row.key.startsWith("prune:")).map((row) => row.key)).toEqual(["prune:live", "prune:recent"]);
  });

  test("a store's first count starts a sweep without the count waiting for it", async () => {
    await pool.query("INSERT INTO portcullis.rate_limits (key, points, expire) VALUES ('sweep:old', 1, $1)", [Date.now() - 3_600_000]);
    const limit = insuredLimiter("test", new PostgresLimiterStore(pool), { name: "sweep-count", points: 5, durationSeconds: 60, blockSeconds: 0 });
    await limit.count("a", undefined);
    const keys = async () => (await counters()).map((row) => row.key).filter((key) => key.startsWith("sweep"));
    for (let i = 0; i < 50 && (await keys()).includes("sweep:old"); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await keys()).toEqual(["sweep-count:a"]);
  });
});
