import { guardStore } from "@portcullis/core/internal";
import { migrate, PostgresIdentityStore } from "@portcullis/postgres";
import { describeIdentityStoreContract, usePostgres } from "@portcullis/testing";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeIdentityStoreContract("PostgresIdentityStore", async () => {
  await pool.query("TRUNCATE portcullis.identities");
  return new PostgresIdentityStore(pool);
});

describe("PostgresIdentityStore", () => {
  test("a pool that is not node-postgres's, or an unknown option, is refused at creation", () => {
    expect(() => new PostgresIdentityStore({} as never)).toThrow(/PostgresIdentityStore: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresIdentityStore(pool, { schema: "Bad-Name" })).toThrow('PostgresIdentityStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresIdentityStore(pool, { timeoutMs: 60_001 })).toThrow('PostgresIdentityStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresIdentityStore(pool, { prefix: "x" } as never)).toThrow('PostgresIdentityStore: unknown option "prefix"; the options are schema, timeoutMs');
  });

  test("the row holds what link was given: provider, subject, user, email (null when absent) and the time as timestamptz", async () => {
    const store = new PostgresIdentityStore(pool);
    await store.link({ provider: "google", subject: "sub-row", userId: "usr_row", email: "row@example.com", linkedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    await store.link({ provider: "github", subject: "sub-row", userId: "usr_row", linkedAt: 1 });
    const { rows } = await pool.query("SELECT * FROM portcullis.identities WHERE user_id = 'usr_row' ORDER BY linked_at");
    expect(rows).toEqual([
      { provider: "github", subject: "sub-row", user_id: "usr_row", email: null, linked_at: new Date(1) },
      { provider: "google", subject: "sub-row", user_id: "usr_row", email: "row@example.com", linked_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) },
    ]);
  });

  test("concurrent keepOne unlinks of each of a user's identities, from separate connections: all but one go, every time", async () => {
    const store = new PostgresIdentityStore(pool);
    for (let round = 0; round < 10; round++) {
      const userId = `usr_race${round}`;
      const providers = ["a", "b", "c", "d"];
      for (const [i, provider] of providers.entries()) await store.link({ provider, subject: `s${round}`, userId, linkedAt: 1000 + i });
      const answers = await Promise.all(providers.map((provider) => store.unlink(userId, provider, `s${round}`, { keepOne: true })));
      expect([...answers].sort()).toEqual(["last", "unlinked", "unlinked", "unlinked"]);
      expect(await store.listByUser(userId)).toHaveLength(1);
    }
  });

  test("a link written by hand outside the store is honoured: the primary key decides, not a read before", async () => {
    const store = new PostgresIdentityStore(pool);
    await pool.query("INSERT INTO portcullis.identities (provider, subject, user_id, linked_at) VALUES ('corp', 'by-hand', 'usr_hand', now())");
    expect(await store.link({ provider: "corp", subject: "by-hand", userId: "usr_other", linkedAt: 1 })).toBe(false);
    expect((await store.find("corp", "by-hand"))?.userId).toBe("usr_hand");
  });

  test("a schema that was never migrated fails with what to run, not a bare SQL error", async () => {
    const store = new PostgresIdentityStore(pool, { schema: "never_migrated" });
    await expect(store.find("google", "sub")).rejects.toThrow(
      /PostgresIdentityStore: the schema "never_migrated" is missing or older than this version of @portcullis\/postgres .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/,
    );
  });

  test("an unlink stuck behind a lock is cut off after timeoutMs and rolled back, not applied later", async () => {
    const store = new PostgresIdentityStore(pool, { timeoutMs: 300 });
    await store.link({ provider: "google", subject: "sub-locked", userId: "usr_locked", linkedAt: 1 });
    const admin = await pool.connect();
    try {
      await admin.query("BEGIN; LOCK TABLE portcullis.identities IN ACCESS EXCLUSIVE MODE");
      await expect(store.unlink("usr_locked", "google", "sub-locked")).rejects.toThrow(/statement timeout/);
      await admin.query("COMMIT");
    } finally {
      admin.release();
    }
    expect((await store.find("google", "sub-locked"))?.userId).toBe("usr_locked");
  });

  // Last: the server is stopped, then started again on the same data.
  test("with PostgreSQL stopped every call fails promptly (a 503 auth_unavailable once guarded, as the router calls it), and the same store answers once it is back", async () => {
    const store = new PostgresIdentityStore(pool, { timeoutMs: 1000 });
    await store.link({ provider: "google", subject: "sub-down", userId: "usr_down", linkedAt: 1 });
    await pg().kill();
    const unavailable = { code: "auth_unavailable", status: 503 };
    await expect(guardStore(store.find("google", "sub-down"), 2000)).rejects.toMatchObject(unavailable);
    await expect(guardStore(store.listByUser("usr_down"), 2000)).rejects.toMatchObject(unavailable);
    await expect(guardStore(store.link({ provider: "google", subject: "sub-new", userId: "usr_down", linkedAt: 2 }), 2000)).rejects.toMatchObject(unavailable);
    await expect(guardStore(store.unlink("usr_down", "google", "sub-down", { keepOne: true }), 2000)).rejects.toMatchObject(unavailable);

    await pg().restart();
    expect((await store.find("google", "sub-down"))?.userId).toBe("usr_down");
    expect(await store.link({ provider: "google", subject: "sub-new", userId: "usr_down", linkedAt: 2 })).toBe(true);
    expect(await store.unlink("usr_down", "google", "sub-down", { keepOne: true })).toBe("unlinked");
  });
});
