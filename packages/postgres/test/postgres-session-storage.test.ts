import type session from "express-session";
import type { SessionStorageParts } from "@portcullis/core";
import { migrate, postgresSessionStorage } from "@portcullis/postgres";
import { describeSessionStorageContract, usePostgres } from "@portcullis/testing";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});
// The contract's storages start empty: its tests reuse session ids and user ids.
beforeEach(() => pool.query("TRUNCATE portcullis.sessions, portcullis.user_sessions"));

// The full contract: a save over a destroyed session is refused in one statement, and sessions
// expire by the TTL of their latest save, in the clock sessionAuth gives.
describeSessionStorageContract("postgresSessionStorage", () => postgresSessionStorage(pool));

const T = Date.UTC(2026, 0, 1);
const data = { cookie: { originalMaxAge: 60_000 } } as session.SessionData;

function open(clock: { now: number }, ttlSeconds = 120): SessionStorageParts {
  return postgresSessionStorage(pool)({ ttlSeconds: () => ttlSeconds, timeoutMs: 1000, now: () => clock.now });
}
const save = (parts: SessionStorageParts, sid: string) =>
  parts.store.creating(sid, () => new Promise<void>((resolve, reject) => parts.store.set(sid, data, (error) => (error ? reject(error) : resolve()))));
const read = (parts: SessionStorageParts, sid: string) => new Promise((resolve, reject) => parts.store.get(sid, (error, found) => (error ? reject(error) : resolve(found ?? null))));

describe("postgresSessionStorage", () => {
  test("a session is a row of sessions expiring ttlSeconds after its save in the app's clock; each user's entries are rows of user_sessions", async () => {
    const parts = open({ now: T });
    await save(parts, "sid1");
    await parts.index.add("usr_1", "sid1", T + 3_600_000);
    const sessions = await pool.query("SELECT sid, sess, expire FROM portcullis.sessions");
    expect(sessions.rows).toEqual([{ sid: "sid1", sess: data, expire: new Date(T + 120_000) }]);
    const entries = await pool.query("SELECT user_id, session_id, forget_at FROM portcullis.user_sessions");
    expect(entries.rows).toEqual([{ user_id: "usr_1", session_id: "sid1", forget_at: new Date(T + 3_600_000) }]);
  });

  test("expired sessions and index entries are deleted by a sweep in the app's clock, off the request path; live ones stay", async () => {
    const clock = { now: T };
    const parts = open(clock, 60);
    await save(parts, "short"); // kept until T + 60 s
    await parts.index.add("usr_1", "short", T + 60_000);
    expect(await read(parts, "short")).not.toBeNull(); // the store's first read: a sweep, with nothing expired yet
    clock.now = T + 50_000;
    await save(parts, "long"); // kept until T + 110 s
    await parts.index.add("usr_2", "long", T + 3_600_000);

    clock.now = T + 100_000; // "short" expired, "long" not yet; a minute since the first sweeps
    const rows = async () => {
      const sessions = await pool.query("SELECT sid FROM portcullis.sessions ORDER BY sid");
      const entries = await pool.query("SELECT session_id FROM portcullis.user_sessions ORDER BY session_id");
      return { sessions: sessions.rows.map((row) => row.sid), entries: entries.rows.map((row) => row.session_id) };
    };
    expect(await read(parts, "long")).not.toBeNull();
    await parts.index.add("usr_3", "other", T + 3_600_000);
    for (let i = 0; i < 50 && (await rows()).sessions.includes("short"); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 50 && (await rows()).entries.includes("short"); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await rows()).toEqual({ sessions: ["long"], entries: ["long", "other"] });
  });

  test("a pool that is not node-postgres's, or a bad option, is refused at creation, each by name", () => {
    expect(() => postgresSessionStorage({} as never)).toThrow(/postgresSessionStorage: the first argument must be a node-postgres Pool/);
    expect(() => postgresSessionStorage(pool, { schema: "Bad-Name" })).toThrow('postgresSessionStorage: "schema" must be a lowercase SQL name');
    expect(() => postgresSessionStorage(pool, { prefix: "x" } as never)).toThrow('postgresSessionStorage: unknown option "prefix"; the options are schema');
  });

  test("nothing is sent to PostgreSQL until a session is used: the tables are migrate's, no DDL runs", () => {
    const connects = jest.spyOn(pool, "connect");
    const queries = jest.spyOn(pool, "query");
    postgresSessionStorage(pool, { schema: "never_migrated" })({ ttlSeconds: () => 60, timeoutMs: 1000, now: Date.now });
    expect(connects).not.toHaveBeenCalled();
    expect(queries).not.toHaveBeenCalled();
    connects.mockRestore();
    queries.mockRestore();
  });

  test("a schema that was never migrated fails with what to run, not a bare SQL error", async () => {
    const parts = postgresSessionStorage(pool, { schema: "never_migrated" })({ ttlSeconds: () => 60, timeoutMs: 1000, now: Date.now });
    const failure = (await read(parts, "sid").catch((error: unknown) => error)) as Error;
    expect(failure).toMatchObject({ code: "auth_unavailable" }); // a 503 for the request
    expect((failure.cause as Error).message).toMatch(/postgresSessionStorage: the schema "never_migrated" is missing .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/);
    await expect(parts.index.list("usr_1", Date.now())).rejects.toThrow(/run migrate\(pool, \{ schema: "never_migrated" \}\) first/);
  });
});
