import { bcryptPasswords } from "@portcullis/session-auth";
import { describeUserStoreContract, usePostgres } from "@portcullis/testing";
import { migrate, PostgresUserStore } from "@portcullis/postgres";
import type { Pool } from "pg";

const passwords = bcryptPasswords({ cost: 4 }); // the lowest cost: these tests are about behaviour, not strength
const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeUserStoreContract("PostgresUserStore", async (hasher = passwords) => {
  await pool.query("TRUNCATE portcullis.users");
  return new PostgresUserStore(pool, { passwords: hasher });
});

describe("PostgresUserStore", () => {
  test("a pool that is not node-postgres's, or a missing hasher, is refused at creation", () => {
    expect(() => new PostgresUserStore({} as never, { passwords })).toThrow(/PostgresUserStore: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresUserStore(pool, {} as never)).toThrow('PostgresUserStore: "passwords" is required: pass bcryptPasswords() from @portcullis/session-auth');
  });

  test("options are checked at creation, each by name", () => {
    expect(() => new PostgresUserStore(pool, { passwords, schema: "Bad-Name" })).toThrow('PostgresUserStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresUserStore(pool, { passwords, timeoutMs: 0 })).toThrow('PostgresUserStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresUserStore(pool, { passwords, now: 5 as never })).toThrow('PostgresUserStore: "now" must be a function returning milliseconds');
    expect(() => new PostgresUserStore(pool, { passwords, prefix: "x" } as never)).toThrow(
      'PostgresUserStore: unknown option "prefix"; the options are passwords, schema, now, timeoutMs',
    );
  });

  test("the row holds the normalized email, a bcrypt hash and the injected clock's times, never the password", async () => {
    const users = new PostgresUserStore(pool, { passwords, now: () => Date.UTC(2026, 0, 2) });
    const created = await users.create({ email: " Zoë@Example.COM", password: "correct horse", role: "member" });
    await users.changePassword(created.id, "battery staple");
    const { rows } = await pool.query("SELECT email, password_hash, created_at, password_changed_at FROM portcullis.users WHERE id = $1", [created.id]);
    expect(rows[0].email).toBe("zoë@example.com");
    expect(rows[0].password_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(JSON.stringify(rows)).not.toContain("battery staple");
    expect(rows[0].created_at.getTime()).toBe(Date.UTC(2026, 0, 2));
    expect((await users.findById(created.id))?.passwordChangedAt).toBe(Date.UTC(2026, 0, 2));
  });

  test("a passwordless user's row holds no hash (null) until a password is set; a role holding U+0000 is refused, not a 500", async () => {
    const users = new PostgresUserStore(pool, { passwords });
    const created = await users.create({ email: "nopass@example.com", role: "member" });
    const hashOf = async () => (await pool.query("SELECT password_hash FROM portcullis.users WHERE id = $1", [created.id])).rows[0].password_hash;
    expect(await hashOf()).toBeNull();
    await users.changePassword(created.id, "correct horse");
    expect(await hashOf()).toMatch(/^\$2[aby]\$04\$/);
    await expect(users.setRole(created.id, "ad\u0000min")).rejects.toMatchObject({ code: "invalid_request" });
    await expect(users.create({ email: "nulrole@example.com", role: "\u0000" })).rejects.toMatchObject({ code: "invalid_request" });
    expect(await users.setRole(`${created.id}\u0000`, "admin")).toBe(false);
    expect((await users.findById(created.id))?.role).toBe("member");
  });

  test("an address taken by a row written outside the store is refused too: the constraint decides, not a read before", async () => {
    const users = new PostgresUserStore(pool, { passwords });
    await pool.query("INSERT INTO portcullis.users (id, email, role, password_hash, created_at) VALUES ('usr_byhand', 'taken@example.com', 'member', 'x', now())");
    await expect(users.create({ email: "Taken@example.com", password: "correct horse", role: "member" })).rejects.toMatchObject({ code: "conflict" });
  });

  test("a slow password check is not held to timeoutMs: only PostgreSQL's calls are", async () => {
    const slow = { ...passwords, verify: async (password: string, hash: string) => (await new Promise((r) => setTimeout(r, 150)), passwords.verify(password, hash)) };
    const users = new PostgresUserStore(pool, { passwords: slow, timeoutMs: 50 });
    await users.create({ email: "slow@example.com", password: "correct horse", role: "member" });
    expect(await users.verifyCredentials("slow@example.com", "correct horse")).toMatchObject({ email: "slow@example.com" });
  });

  test("a schema that was never migrated fails with what to run, not a bare SQL error", async () => {
    const users = new PostgresUserStore(pool, { passwords, schema: "never_migrated" });
    await expect(users.findByEmail("a@example.com")).rejects.toThrow(
      /PostgresUserStore: the schema "never_migrated" is missing or older than this version of @portcullis\/postgres .*; run migrate\(pool, \{ schema: "never_migrated" \}\) first/,
    );
  });
});
