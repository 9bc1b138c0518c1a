import { describeKeyStoreContract, sampleRecord, usePostgres } from "@portcullis/testing";
import { migrate, PostgresKeyStore } from "@portcullis/postgres";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeKeyStoreContract("PostgresKeyStore", async () => {
  await pool.query("TRUNCATE portcullis.api_keys, portcullis.api_key_usage");
  return new PostgresKeyStore(pool);
});

describe("PostgresKeyStore", () => {
  test("a pool that is not node-postgres's is refused at creation", () => {
    expect(() => new PostgresKeyStore({} as never)).toThrow(/PostgresKeyStore: the first argument must be a node-postgres Pool/);
  });

  test("options are checked at creation, each by name", () => {
    const fake = { connect: () => undefined, query: () => undefined, options: {} } as never;
    expect(() => new PostgresKeyStore(fake, { schema: "Bad-Name" })).toThrow('PostgresKeyStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresKeyStore(fake, { schema: "a".repeat(49) })).toThrow('PostgresKeyStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresKeyStore(fake, { timeoutMs: 0 })).toThrow('PostgresKeyStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresKeyStore(fake, { usageFlushIntervalMs: 9 })).toThrow('PostgresKeyStore: "usageFlushIntervalMs" must be a number of milliseconds, at least 10');
    expect(() => new PostgresKeyStore(fake, { prefix: "x" } as never)).toThrow('PostgresKeyStore: unknown option "prefix"; the options are schema, timeoutMs, usageFlushIntervalMs');
  });

  test("a schema that was never migrated fails with what to run, not a bare SQL error", async () => {
    const store = new PostgresKeyStore(pool, { schema: "never_migrated" });
    await expect(store.findById("key_x")).rejects.toThrow(
      /PostgresKeyStore: the schema "never_migrated" is missing or older than this version of @portcullis\/postgres .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/,
    );
    await store.close();
  });

  test("metadata a host may write that PostgreSQL's text types refuse (NUL, a lone surrogate) reads back as written", async () => {
    const store = new PostgresKeyStore(pool);
    const record = sampleRecord({ metadata: { "nul\u0000key": "a\u0000b", lone: "\ud800", order: 1, after: true } });
    await store.insert(record);
    const found = await store.findById(record.id);
    expect(found?.metadata).toEqual(record.metadata);
    expect(Object.keys(found!.metadata)).toEqual(Object.keys(record.metadata));
    await store.close();
  });

  test("usage is written by the background timer without an explicit flush", async () => {
    const store = new PostgresKeyStore(pool, { usageFlushIntervalMs: 20 });
    const record = sampleRecord();
    await store.insert(record);
    store.recordUse(record, record.createdAt + 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.findById(record.id))?.usageCount).toBe(1);
    await store.close();
  });

  test("one flush writes many keys' usage in one transaction, with their owners' daily totals", async () => {
    const store = new PostgresKeyStore(pool);
    const day = Date.UTC(2026, 5, 10, 12);
    const records = Array.from({ length: 30 }, (_, i) => sampleRecord({ owner: i % 2 === 0 ? "even" : "odd" }));
    for (const record of records) await store.insert(record);
    const connections = jest.spyOn(pool, "connect");
    for (const record of records) for (let n = 0; n < 3; n++) store.recordUse(record, day + n);
    await store.flush();
    expect(connections).toHaveBeenCalledTimes(2); // the batch, and the day's retention sweep
    connections.mockRestore();
    expect((await store.findById(records[7]!.id))?.usageCount).toBe(3);
    expect(await store.usage("even", { days: 1, now: day })).toEqual([{ date: "2026-06-10", requests: 45 }]);
    await store.close();
  });

  test("daily usage older than the retention is deleted by a flush, and newer days are kept", async () => {
    const store = new PostgresKeyStore(pool);
    const now = Date.UTC(2026, 5, 10, 12);
    const record = sampleRecord({ owner: "old" });
    await store.insert(record);
    store.recordUse(record, now - 91 * 86_400_000);
    store.recordUse(record, now - 89 * 86_400_000);
    await store.flush(); // the latest use then is 89 days ago: both kept
    store.recordUse(record, now);
    await store.flush();
    const { rows } = await pool.query("SELECT day::text AS day FROM portcullis.api_key_usage WHERE owner = 'old' AND key_id = '*' ORDER BY day");
    expect(rows.map((row) => row.day)).toEqual(["2026-03-13", "2026-06-10"]);
    await store.close();
  });

  test("the lookups of one turn share one statement, and each gets its own record (or none)", async () => {
    const store = new PostgresKeyStore(pool);
    const records = Array.from({ length: 5 }, () => sampleRecord());
    for (const record of records) await store.insert(record);
    const missing = sampleRecord();
    const connections = jest.spyOn(pool, "connect");
    const found = await Promise.all([
      ...records.map((record) => store.findByDigest(record.digest)),
      store.findById(records[2]!.id), // the same id twice in a batch
      store.findByDigest(missing.digest),
      store.findById("key_\u0000"), // never reaches the statement
    ]);
    expect(connections).toHaveBeenCalledTimes(1);
    connections.mockRestore();
    expect(found.map((record) => record?.id)).toEqual([...records.map((record) => record.id), records[2]!.id, undefined, undefined]);
    await store.close();
  });

  test("a failed lookup statement fails every lookup of its batch, and the next batch runs afresh", async () => {
    const store = new PostgresKeyStore(pool);
    const record = sampleRecord();
    await store.insert(record);
    const connect = jest.spyOn(pool, "connect").mockImplementationOnce(() => Promise.reject(new Error("connection refused")));
    const outcomes = await Promise.allSettled([store.findById(record.id), store.findByDigest(record.digest)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    connect.mockRestore();
    expect((await store.findByDigest(record.digest))?.id).toBe(record.id);
    await store.close();
  });
});
