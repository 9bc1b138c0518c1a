import { describeMfaStoreContract, usePostgres } from "@portcullis/testing";
import { migrate, PostgresMfaStore } from "@portcullis/postgres";
import type { Pool } from "pg";

const pg = usePostgres();
let pool: Pool;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

describeMfaStoreContract("PostgresMfaStore", async () => {
  await pool.query("TRUNCATE portcullis.mfa_enrolments, portcullis.mfa_sign_in_codes, portcullis.mfa_email_codes");
  return new PostgresMfaStore(pool);
});

describe("PostgresMfaStore", () => {
  test("a pool that is not node-postgres's, or an unknown option, is refused at creation", () => {
    expect(() => new PostgresMfaStore({} as never)).toThrow(/PostgresMfaStore: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresMfaStore(pool, { schema: "Bad-Name" })).toThrow('PostgresMfaStore: "schema" must be a lowercase SQL name');
    expect(() => new PostgresMfaStore(pool, { timeoutMs: 60_001 })).toThrow('PostgresMfaStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
    expect(() => new PostgresMfaStore(pool, { prefix: "x" } as never)).toThrow('PostgresMfaStore: unknown option "prefix"; the options are schema, timeoutMs');
  });

  test("twenty code tries at once past the limit: exactly as many are allowed as the policy leaves", async () => {
    const store = new PostgresMfaStore(pool);
    const policy = { maxFailures: 5, lockMs: 60_000 };
    await store.startEnrolment("usr_many", "sealed", 1);
    await store.confirm("usr_many", { secret: "sealed", recoveryCodes: ["a"], at: 2, step: 10 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.beginCodeAttempt("usr_many", 1000, policy)));
    expect(answers.filter((answer) => answer.allowed)).toHaveLength(5);
    expect(answers.filter((answer) => !answer.allowed)).toEqual(Array(15).fill({ allowed: false, retryAt: 61_000 }));
  });

  test("counts of sign-ins that have expired are deleted by a later count, off the caller's path; live ones stay", async () => {
    const store = new PostgresMfaStore(pool);
    const t = 1_800_000_000_000;
    await store.countSignInCode("expired", t, t + 300_000);
    await store.countSignInCode("live", t + 200_000, t + 500_000);
    await store.countSignInCode("later", t + 400_000, t + 700_000); // a minute on: the sweep deletes "expired"
    const remaining = async () => (await pool.query("SELECT sign_in_id FROM portcullis.mfa_sign_in_codes WHERE sign_in_id IN ('expired', 'live', 'later') ORDER BY sign_in_id")).rows.map((row) => row.sign_in_id);
    for (let i = 0; i < 50 && (await remaining()).includes("expired"); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await remaining()).toEqual(["later", "live"]);
  });

  test("the stored row holds what the router gave it and nothing else: a sealed secret and digests", async () => {
    const store = new PostgresMfaStore(pool);
    await store.startEnrolment("usr_row", "v1.sealed", 1_700_000_000_000);
    await store.confirm("usr_row", { secret: "v1.sealed", recoveryCodes: ["d1", "d2"], at: 1_700_000_060_000, step: 56_666_668 });
    const { rows } = await pool.query("SELECT * FROM portcullis.mfa_enrolments WHERE user_id = 'usr_row'");
    expect(rows[0]).toMatchObject({ secret: "v1.sealed", recovery_codes: ["d1", "d2"], last_step: "56666668", code_tries: 0 });
    expect(rows[0].confirmed_at.getTime()).toBe(1_700_000_060_000);
  });
});

test("the choice of codes by email is a row of mfa_email_codes, which removing TOTP leaves", async () => {
  const store = new PostgresMfaStore(pool);
  await store.startEnrolment("usr_emailed", "sealed", 1);
  await store.setEmailCodes("usr_emailed", true);
  await store.remove("usr_emailed");
  expect((await pool.query("SELECT user_id FROM portcullis.mfa_email_codes WHERE user_id = 'usr_emailed'")).rows).toEqual([{ user_id: "usr_emailed" }]);
  await store.setEmailCodes("usr_emailed", false);
  expect((await pool.query("SELECT user_id FROM portcullis.mfa_email_codes WHERE user_id = 'usr_emailed'")).rows).toEqual([]);
});
