/**
 * The CLI on PostgreSQL: `portcullis migrate` on DATABASE_URL, and the keys commands on the
 * server's PostgreSQL when DATABASE_URL is set (even beside REDIS_URL). Each test works in a
 * schema of its own (PORTCULLIS_POSTGRES_SCHEMA) on one harness PostgreSQL.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ApiKeys } from "@portcullis/core";
import { PostgresKeyStore } from "@portcullis/postgres";
import { freePort, usePostgres } from "@portcullis/testing";
import { secretsIn } from "../src/cli/config";
import { runCli } from "../src/cli/run-cli";

const pg = usePostgres();
const SECRET = "cli-postgres-secret-0123456789abcdefghijk";
const MIGRATIONS = ["api keys", "users", "mfa", "audit events", "sessions", "rate limits", "api keys fillfactor", "audit event ids", "identities", "email"];
let schemas = 0;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, env, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

/** The built command, as npm links it, in a process of its own: it must also exit by itself. */
function bin(argv: string[], env: Record<string, string>): Promise<CliRun> {
  const main = join(__dirname, "..", "dist", "cli", "main.js");
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` at the repository root first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "..", "bin", "portcullis.js"), ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A schema of its own on the harness PostgreSQL, and the server's side of it, to verify keys with. */
function installation() {
  schemas += 1;
  const schema = `cli_${schemas}`;
  const env = { DATABASE_URL: pg().url, PORTCULLIS_SECRET: SECRET, PORTCULLIS_POSTGRES_SCHEMA: schema };
  return {
    schema,
    env,
    run: (...argv: string[]) => cli(argv, env),
    async verify(key: string) {
      const store = new PostgresKeyStore(pg().pool(), { schema });
      try {
        return await new ApiKeys({ store, secret: SECRET, prefix: "pk_live_", cache: false }).verify(key);
      } finally {
        await store.close();
      }
    },
  };
}

function expectOneLineError(run: CliRun, message: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("portcullis migrate", () => {
  test("creates the schema and applies every migration, naming each; run again, it has nothing to apply", async () => {
    const site = installation();
    const first = await site.run("migrate");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    const where = `schema "${site.schema}" at postgres://postgres@127.0.0.1:${pg().port}/postgres`;
    expect(first.stdout).toBe([`Migrated the ${where}:`, ...MIGRATIONS.map((name, i) => `  applied ${i + 1}  ${name}`), ""].join("\n"));
    const { rows } = await pg().pool().query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'api_keys'", [site.schema]);
    expect(rows[0].n).toBe(1);

    expect(await site.run("migrate")).toEqual({ code: 0, stdout: `The ${where} is up to date: no migration to apply.\n`, stderr: "" });
    expect(JSON.parse((await site.run("migrate", "--json")).stdout)).toEqual({ schema: site.schema, applied: [] });
  });

  test("--json lists what it applied; it needs neither the secret nor Redis", async () => {
    const { schema } = installation();
    const run = await cli(["migrate", "--json"], { DATABASE_URL: pg().url, PORTCULLIS_POSTGRES_SCHEMA: schema });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(run.stdout)).toEqual({ schema, applied: MIGRATIONS.map((name, i) => ({ version: i + 1, name })) });
  });

  test("without DATABASE_URL: exit 1 naming it, even with REDIS_URL set", async () => {
    expectOneLineError(await cli(["migrate"], { REDIS_URL: "redis://127.0.0.1:6379" }), /^portcullis: DATABASE_URL is not set: set it to the PostgreSQL/);
  });

  test("PostgreSQL out of reach: exit 1, 'cannot reach PostgreSQL', the password never printed", async () => {
    const port = await freePort(); // nothing listens there
    const run = await cli(["migrate"], { DATABASE_URL: `postgres://admin:hunter2-password@127.0.0.1:${port}/app?sslpassword=other-secret` });
    expectOneLineError(run, new RegExp(`^portcullis: cannot reach PostgreSQL at postgres://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app \\(.*ECONNREFUSED`));
    expect(run.stderr).not.toMatch(/hunter2-password|other-secret/);
  });

  test("a role that may not create the schema: exit 1 saying the migration failed and why", async () => {
    await pg().pool().query("DROP ROLE IF EXISTS weak; CREATE ROLE weak LOGIN");
    const { schema } = installation();
    const url = `postgres://weak:weak-password@127.0.0.1:${pg().port}/postgres`;
    const run = await cli(["migrate"], { DATABASE_URL: url, PORTCULLIS_POSTGRES_SCHEMA: schema });
    expectOneLineError(run, new RegExp(`^portcullis: could not migrate the schema "${schema}" at postgres://weak:\\*\\*\\*@127\\.0\\.0\\.1:${pg().port}/postgres: permission denied`));
    expect(run.stderr).not.toContain("weak-password");
  });

  test.each([
    ["DATABASE_URL not a PostgreSQL URL", { DATABASE_URL: "mysql://root:pw-secret@db/app" }, /^portcullis: DATABASE_URL is not a postgres:\/\/ or postgresql:\/\/ URL/],
    ["a schema the stores refuse", { PORTCULLIS_POSTGRES_SCHEMA: "Public; DROP" }, /^portcullis: PORTCULLIS_POSTGRES_SCHEMA must be a lowercase SQL name/],
  ])("%s: exit 1 naming the variable", async (_, change, message) => {
    const run = await cli(["migrate"], { DATABASE_URL: pg().url, ...change });
    expectOneLineError(run, message);
    expect(run.stderr).not.toContain("pw-secret");
  });

  test("the built binary migrates and exits by itself (its pool ended)", async () => {
    const { schema } = installation();
    const run = await bin(["migrate", "--json"], { PATH: process.env.PATH ?? "", DATABASE_URL: pg().url, PORTCULLIS_POSTGRES_SCHEMA: schema });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(run.stdout).applied).toHaveLength(MIGRATIONS.length);
  });
});

describe("the keys commands with DATABASE_URL", () => {
  test("create, list, rotate and revoke work on the server's PostgreSQL, as the server sees them", async () => {
    const site = installation();
    expect((await site.run("migrate")).code).toBe(0);
    const created = JSON.parse((await site.run("keys", "create", "--owner", "alice", "--name", "CI deploy", "--scopes", "read,write", "--json")).stdout);
    expect(await site.verify(created.key)).toMatchObject({ ok: true, record: { id: created.key_id, owner: "alice", scopes: ["read", "write"] } });

    const listed = await site.run("keys", "list", "--owner", "alice");
    expect(listed.stdout).toMatch(new RegExp(`^${created.key_id} +CI deploy +${created.preview} +read,write +active `, "m"));
    expect(listed.stdout).not.toContain(created.key);

    const rotated = JSON.parse((await site.run("keys", "rotate", created.key_id, "--json")).stdout);
    expect(await site.verify(created.key)).toMatchObject({ ok: false, code: "expired_key" });
    expect(await site.verify(rotated.key)).toMatchObject({ ok: true });
    expect((await site.run("keys", "revoke", rotated.key_id)).code).toBe(0);
    expect(await site.verify(rotated.key)).toMatchObject({ ok: false, code: "revoked_key" });
  });

  test("with REDIS_URL set too, the keys are in PostgreSQL and Redis is never reached", async () => {
    const site = installation();
    await site.run("migrate");
    const nowhere = `redis://127.0.0.1:${await freePort()}`; // a Redis the CLI would fail to reach
    const run = await cli(["keys", "create", "--owner", "bob", "--name", "n", "--scopes", "read", "--json"], { ...site.env, REDIS_URL: nowhere });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await site.verify(JSON.parse(run.stdout).key)).toMatchObject({ ok: true });
  });

  test("before migrate: exit 1 saying to run portcullis migrate", async () => {
    const site = installation();
    expectOneLineError(
      await site.run("keys", "list", "--owner", "o"),
      new RegExp(`^portcullis: PostgreSQL at postgres://postgres@127\\.0\\.0\\.1:${pg().port}/postgres has no portcullis tables in the schema "${site.schema}": run "portcullis migrate" first\n$`),
    );
  });

  test("PostgreSQL out of reach: exit 1, neither password nor secret printed", async () => {
    const port = await freePort();
    const run = await cli(["keys", "list", "--owner", "o"], { DATABASE_URL: `postgresql://ops:hunter2-password@127.0.0.1:${port}/keys`, PORTCULLIS_SECRET: SECRET });
    expectOneLineError(run, new RegExp(`^portcullis: cannot reach PostgreSQL at postgresql://ops:\\*\\*\\*@127\\.0\\.0\\.1:${port}/keys \\(`));
    expect(run.stderr).not.toContain("hunter2-password");
    expect(run.stderr).not.toContain(SECRET);
  });

  test("the built binary makes a key the server accepts, and exits by itself (no connection left open)", async () => {
    const site = installation();
    await site.run("migrate");
    const run = await bin(["keys", "create", "--owner", "ci", "--name", "pipeline", "--scopes", "deploy", "--json"], { PATH: process.env.PATH ?? "", ...site.env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await site.verify(JSON.parse(run.stdout).key)).toMatchObject({ ok: true, record: { scopes: ["deploy"] } });
  });
});

test("secretsIn hides DATABASE_URL's password, encoded or not, and one given in its query", () => {
  const secrets = secretsIn({ DATABASE_URL: "postgres://app:p%40ss-word-1@db:5432/app?sslpassword=key-passphrase&password=query-password" });
  expect(secrets).toEqual(expect.arrayContaining(["p%40ss-word-1", "p@ss-word-1", "key-passphrase", "query-password"]));
});
