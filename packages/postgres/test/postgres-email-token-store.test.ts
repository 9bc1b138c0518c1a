import { describeEmailTokenStoreContract, usePostgres } from "@portcullis/testing";
import { migrate, PostgresEmailTokenStore } from "@portcullis/postgres";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeEmailTokenStoreContract("PostgresEmailTokenStore", async () => {
  await pool.query("TRUNCATE portcullis.email_tokens, portcullis.email_codes");
  return new PostgresEmailTokenStore(pool);
});

describe("PostgresEmailTokenStore", () => {
  const T = 1_800_000_000_000;

  test("a pool that is not node-postgres's, or an unknown option, is refused at creation", () => {
    expect(() => new PostgresEmailTokenStore({} as never)).toThrow(/^PostgresEmailTokenStore: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresEmailTokenStore(pool, { schema: "Bad-Name" })).toThrow('PostgresEmailTokenStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresEmailTokenStore(pool, { timeoutMs: 0 })).toThrow('PostgresEmailTokenStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresEmailTokenStore(pool, { prefix: "x" } as never)).toThrow('PostgresEmailTokenStore: unknown option "prefix"; the options are schema, timeoutMs');
  });

  test("the rows hold digests and the injected clock's times, never a token or a code", async () => {
    const store = new PostgresEmailTokenStore(pool);
    await store.issue("token-digest", { purpose: "invitation", email: "ada@example.com", role: "editor", issuedAt: T, expiresAt: T + 1000 });
    await store.issueCode("si_row", "code-digest", T, T + 600_000, 60_000);
    const token = (await pool.query("SELECT * FROM portcullis.email_tokens WHERE digest = 'token-digest'")).rows[0];
    expect(token).toMatchObject({ purpose: "invitation", email: "ada@example.com", user_id: null, role: "editor" });
    expect([token.issued_at.getTime(), token.expires_at.getTime()]).toEqual([T, T + 1000]);
    const code = (await pool.query("SELECT * FROM portcullis.email_codes WHERE key = 'si_row'")).rows[0];
    expect(code).toMatchObject({ digest: "code-digest", tries: 0 });
    expect([code.issued_at.getTime(), code.expires_at.getTime(), code.forget_at.getTime()]).toEqual([T, T + 600_000, T + 600_000]);
    expect(await store.useCode("si_row", "code-digest", T + 1, 5)).toBe("accepted");
    expect((await pool.query("SELECT digest, tries FROM portcullis.email_codes WHERE key = 'si_row'")).rows[0]).toEqual({ digest: null, tries: 1 });
  });

  test("expired tokens and codes past their cool-down are deleted by a later issue, off the caller's path; live ones stay", async () => {
    const store = new PostgresEmailTokenStore(pool);
    const t = T + 10_000_000;
    await store.issue("expired-token", { purpose: "sign_up", email: "a@example.com", issuedAt: t, expiresAt: t + 60_000 });
    await store.issue("live-token", { purpose: "sign_up", email: "b@example.com", issuedAt: t, expiresAt: t + 3_600_000 });
    await store.issueCode("forgotten-code", "c", t, t + 60_000, 60_000);
    await store.issueCode("cooling-code", "c", t, t + 60_000, 600_000);
    // Two minutes on: a sweep of each table starts.
    await store.issue("later-token", { purpose: "sign_up", email: "c@example.com", issuedAt: t + 120_000, expiresAt: t + 3_600_000 });
    await store.issueCode("later-code", "c", t + 120_000, t + 180_000, 60_000);
    const remaining = async () => [
      ...(await pool.query("SELECT digest AS name FROM portcullis.email_tokens WHERE digest LIKE '%-token'")).rows,
      ...(await pool.query("SELECT key AS name FROM portcullis.email_codes WHERE key LIKE '%-code'")).rows,
    ].map((row) => row.name as string).sort();
    const swept = ["cooling-code", "later-code", "later-token", "live-token"];
    for (let i = 0; i < 50 && (await remaining()).length > swept.length; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await remaining()).toEqual(swept);
  });

  test("a digest or key holding U+0000 finds nothing rather than failing", async () => {
    const store = new PostgresEmailTokenStore(pool);
    expect(await store.take("bad\u0000digest", "sign_up", T)).toBeUndefined();
    expect(await store.useCode("bad\u0000key", "digest", T, 5)).toBe("spent");
  });

  test("a schema that was never migrated fails with what to run, not a bare SQL error", async () => {
    const store = new PostgresEmailTokenStore(pool, { schema: "never_migrated" });
    await expect(store.take("digest", "sign_up", T)).rejects.toThrow(/PostgresEmailTokenStore: the schema "never_migrated" is missing .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/);
  });
});
