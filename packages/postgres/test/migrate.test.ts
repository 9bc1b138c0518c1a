import { usePostgres } from "@portcullis/testing";
import { migrate } from "@portcullis/postgres";
import type { Pool } from "pg";
import { runMigrations } from "../src/migration-runner";
import { MIGRATIONS } from "../src/migrations";

const pg = usePostgres();
let pool: Pool;

beforeAll(() => {
  pool = pg().pool();
});

const settings = (schema: string) => ({ schema, timeoutMs: 10_000, lockTimeoutMs: 1000 });

async function recorded(schema: string): Promise<number[]> {
  const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
  return rows.map((row) => row.version);
}

test("the shipped migrations have distinct versions, in order", () => {
  const versions = MIGRATIONS.map((migration) => migration.version);
  expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  expect(versions[0]).toBe(1);
});

test("migrate creates the schema and its tables; migrating again is a no-op", async () => {
  expect(await migrate(pool, { schema: "twice" })).toEqual({ applied: MIGRATIONS.map((m) => m.version) });
  const before = await pool.query("SELECT 'twice.api_keys'::regclass::oid AS oid");
  expect(await migrate(pool, { schema: "twice" })).toEqual({ applied: [] });
  const after = await pool.query("SELECT 'twice.api_keys'::regclass::oid AS oid");
  expect(after.rows[0].oid).toBe(before.rows[0].oid);
  expect(await recorded("twice")).toEqual(MIGRATIONS.map((m) => m.version));
});

test("api_keys leaves room on each page for the usage flush's in-place (HOT) updates", async () => {
  await migrate(pool, { schema: "roomy" });
  const { rows } = await pool.query("SELECT reloptions FROM pg_class WHERE oid = 'roomy.api_keys'::regclass");
  expect(rows[0].reloptions).toEqual(["fillfactor=85"]);
});

test("replicas migrating at the same moment take turns: one applies, the others find nothing to do", async () => {
  const results = await Promise.all([1, 2, 3].map(() => migrate(pool, { schema: "together" })));
  expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
  expect(await recorded("together")).toEqual(MIGRATIONS.map((m) => m.version));
});

test("a failed migration rolls back whole and is not recorded; those before it stay, and a fixed one applies later", async () => {
  const first = { version: 1, name: "first", sql: "CREATE TABLE first (n int)" };
  const broken = { version: 2, name: "broken", sql: "CREATE TABLE half (n int); INSERT INTO first VALUES (1); SELECT 1 / 0" };
  await expect(runMigrations(pool, [first, broken], settings("failing"))).rejects.toThrow(
    "migrate: migration 2 (broken) failed and was rolled back: division by zero",
  );
  expect(await recorded("failing")).toEqual([1]);
  expect((await pool.query("SELECT to_regclass('failing.half') AS half")).rows[0].half).toBeNull();
  expect((await pool.query("SELECT count(*)::int AS n FROM failing.first")).rows[0].n).toBe(0);

  const fixed = { ...broken, sql: "CREATE TABLE half (n int)" };
  expect(await runMigrations(pool, [first, fixed], settings("failing"))).toEqual([2]);
  expect(await recorded("failing")).toEqual([1, 2]);
});

test("migrations run in version order whatever order they are listed in, with unqualified names inside the schema", async () => {
  const second = { version: 2, name: "second", sql: "ALTER TABLE t ADD COLUMN b int" };
  const first = { version: 1, name: "first", sql: "CREATE TABLE t (a int)" };
  expect(await runMigrations(pool, [second, first], settings("ordered"))).toEqual([1, 2]);
  const { rows } = await pool.query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'ordered' AND table_name = 't' ORDER BY ordinal_position");
  expect(rows.map((row) => row.column_name)).toEqual(["a", "b"]);
  expect((await pool.query("SELECT to_regclass('public.t') AS t")).rows[0].t).toBeNull();
});

test("the connection migrate used is closed, not handed back to the app's pool with its settings", async () => {
  const own = pg().pool({ max: 1 });
  await migrate(own, { schema: "settings" });
  const { rows } = await own.query("SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock");
  expect(rows[0]).toEqual({ statement: "0", lock: "0" });
  await own.end();
});

test("options are checked, each by name", async () => {
  await expect(migrate({} as never)).rejects.toThrow("migrate: the first argument must be a node-postgres Pool");
  await expect(migrate(pool, { schema: "Robert'); DROP TABLE students;--" })).rejects.toThrow('migrate: "schema" must be a lowercase SQL name');
  await expect(migrate(pool, { timeoutMs: -1 })).rejects.toThrow('migrate: "timeoutMs" must be a whole number of milliseconds from 1 to 3600000');
  await expect(migrate(pool, { lock: 1 } as never)).rejects.toThrow('migrate: unknown option "lock"; the options are schema, timeoutMs, lockTimeoutMs');
});
