import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { startRedisServer, useRedisServer } from "@portcullis/testing";
import { runCli } from "../src/cli/run-cli";

const redis = useRedisServer();
const SECRET = "cli-test-secret-0123456789abcdefghijklmnop";
const DAY_MS = 86_400_000;
let installations = 0;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process, as `portcullis <argv>` would with exactly this environment. */
async function cli(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, env, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

/**
 * A fresh installation on the test's redis-server (its own Redis prefix, so tests share nothing),
 * and the server's side of it: an ApiKeys with the same secret and prefixes, to verify keys with.
 */
function installation(keyPrefix = "pk_live_") {
  installations += 1;
  const env = { REDIS_URL: redis().url, PORTCULLIS_SECRET: SECRET, PORTCULLIS_REDIS_PREFIX: `cli${installations}:` };
  return {
    env,
    run: (...argv: string[]) => cli(argv, env),
    async verify(key: string) {
      const store = new RedisKeyStore(redis().client(), { prefix: env.PORTCULLIS_REDIS_PREFIX });
      try {
        return await new ApiKeys({ store, secret: SECRET, prefix: keyPrefix }).verify(key);
      } finally {
        await store.close();
      }
    },
  };
}

/** The one full key in a human-mode output, on its own line. */
function keyLine(stdout: string): string {
  const lines = stdout.split("\n").filter((line) => /^pk_live_[0-9A-Za-z]{38}$/.test(line));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

function expectOneLineError(run: CliRun, code: number, message: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  if (code === 1) expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("portcullis keys create", () => {
  test("prints the key once, on its own line, and the server accepts it", async () => {
    const site = installation();
    const run = await site.run("keys", "create", "--owner", "alice", "--name", "CI deploy", "--scopes", "read,write");
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^Created key key_\w+$/m);
    expect(run.stdout).toMatch(/name +CI deploy/);
    expect(run.stdout).toMatch(/scopes +read,write/);
    expect(run.stdout).toMatch(/expires +never/);
    expect(run.stdout).toMatch(/only time the key is shown/);
    const verified = await site.verify(keyLine(run.stdout));
    expect(verified).toMatchObject({ ok: true, record: { owner: "alice", name: "CI deploy", scopes: ["read", "write"] } });
  });

  test("--json prints one document with the key, its id and ISO times", async () => {
    const site = installation();
    const run = await site.run(
      "keys", "create", "--owner", "ci", "--name", "nightly", "--scopes", "read", "--scopes", "deploy",
      "--expires-in", "30d", "--app", "billing", "--json",
    );
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout);
    expect(created).toMatchObject({ owner: "ci", name: "nightly", scopes: ["read", "deploy"], app: "billing", status: "active" });
    expect(created.key_id).toMatch(/^key_/);
    expect(created.preview).toBe(`${created.key.slice(0, 12)}…${created.key.slice(-4)}`);
    const lifetime = Date.parse(created.expires_at) - Date.parse(created.created_at);
    expect(lifetime).toBeGreaterThan(29 * DAY_MS);
    expect(lifetime).toBeLessThanOrEqual(30 * DAY_MS);
    expect(await site.verify(created.key)).toMatchObject({ ok: true, record: { id: created.key_id } });
  });

  test("--prefix starts the key with another prefix", async () => {
    const site = installation("acme_sk_");
    const run = await site.run("keys", "create", "--owner", "o", "--name", "n", "--scopes", "read", "--prefix", "acme_sk_", "--json");
    const { key } = JSON.parse(run.stdout);
    expect(key).toMatch(/^acme_sk_/);
    expect((await site.verify(key)).ok).toBe(true);
  });

  test.each([
    ["a scope of the wrong shape", "read,re ad", /scopes: "re ad" is not a well-formed scope/],
    ["an empty scope", "read,,write", /scopes: "" is not a well-formed scope/],
    ["a scope with a control character", "read,wr\u0007ite", /scopes: "wr\\u0007ite" is not a well-formed scope/],
  ])("%s is refused by ApiKeys: exit 1, one line", async (_, scopes, message) => {
    const run = await installation().run("keys", "create", "--owner", "o", "--name", "n", "--scopes", scopes);
    expectOneLineError(run, 1, message);
  });
});

describe("portcullis keys list", () => {
  test("shows each key masked on one line, never the full key", async () => {
    const site = installation();
    const created = JSON.parse((await site.run("keys", "create", "--owner", "bob", "--name", "laptop", "--scopes", "read", "--json")).stdout);
    await site.run("keys", "create", "--owner", "bob", "--name", "server", "--scopes", "read,write");

    const human = await site.run("keys", "list", "--owner", "bob");
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID +NAME +PREVIEW +SCOPES +STATUS +CREATED +LAST USED$/);
    expect(lines[2]).toMatch(new RegExp(`^${created.key_id} +laptop +${created.preview} +read +active +\\S+Z +never$`));
    expect(human.stdout).not.toContain(created.key);

    const json = await site.run("keys", "list", "--owner", "bob", "--json");
    const page = JSON.parse(json.stdout);
    expect(page.next_cursor).toBeNull();
    expect(page.keys.map((k: { name: string }) => k.name)).toEqual(["server", "laptop"]);
    expect(page.keys[1]).toMatchObject({ key_id: created.key_id, preview: created.preview, status: "active" });
    expect(page.keys[1]).not.toHaveProperty("key");
    expect(json.stdout).not.toContain(created.key);
  });

  test("--limit and --after page through the keys", async () => {
    const site = installation();
    for (const name of ["one", "two", "three"]) await site.run("keys", "create", "--owner", "carol", "--name", name, "--scopes", "read");
    const first = JSON.parse((await site.run("keys", "list", "--owner", "carol", "--limit", "2", "--json")).stdout);
    expect(first.keys).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = JSON.parse((await site.run("keys", "list", "--owner", "carol", "--after", first.next_cursor, "--json")).stdout);
    expect(second).toEqual({ keys: [expect.objectContaining({ name: "one" })], next_cursor: null });
  });

  test("reads the keys under PORTCULLIS_REDIS_PREFIX and no others", async () => {
    const site = installation();
    await site.run("keys", "create", "--owner", "dan", "--name", "n", "--scopes", "read");
    const elsewhere = await cli(["keys", "list", "--owner", "dan"], { ...site.env, PORTCULLIS_REDIS_PREFIX: "elsewhere:" });
    expect(elsewhere).toEqual({ code: 0, stdout: "No keys.\n", stderr: "" });
  });
});

describe("portcullis keys revoke and rotate", () => {
  test("a revoked key is refused with revoked_key, left out of the listing unless --status asks, and cannot be revoked twice", async () => {
    const site = installation();
    const created = JSON.parse((await site.run("keys", "create", "--owner", "erin", "--name", "n", "--scopes", "read", "--json")).stdout);
    const revoked = await site.run("keys", "revoke", created.key_id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked key ${created.key_id} `));
    expect(await site.verify(created.key)).toMatchObject({ ok: false, code: "revoked_key" });
    const again = await site.run("keys", "revoke", created.key_id, "--json");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("portcullis: The key is already revoked.\n");
    expect(again.stdout).toBe("");
    expect((await site.run("keys", "list", "--owner", "erin")).stdout).toBe("No keys.\n");
    expect((await site.run("keys", "list", "--owner", "erin", "--status", "all")).stdout).toMatch(/ revoked /);
    expect((await site.run("keys", "list", "--owner", "erin", "--status", "revoked")).stdout).toMatch(/ revoked /);
  });

  test("rotate --grace prints a new working key; the old one works until the grace period ends", async () => {
    const site = installation();
    const old = JSON.parse((await site.run("keys", "create", "--owner", "fay", "--name", "n", "--scopes", "read", "--json")).stdout);
    const rotated = JSON.parse((await site.run("keys", "rotate", old.key_id, "--grace", "1h", "--json")).stdout);
    expect(rotated).toMatchObject({ rotated_from: old.key_id, scopes: ["read"], previous: { key_id: old.key_id, rotated_to: rotated.key_id } });
    expect(Date.parse(rotated.previous.expires_at)).toBeGreaterThan(Date.now());
    expect(await site.verify(rotated.key)).toMatchObject({ ok: true, record: { id: rotated.key_id } });
    expect((await site.verify(old.key)).ok).toBe(true);

    // Without --grace the replaced key stops at once.
    const human = await site.run("keys", "rotate", rotated.key_id);
    expect(human.stdout).toMatch(new RegExp(`old key +${rotated.key_id} no longer works`));
    expect(await site.verify(keyLine(human.stdout))).toMatchObject({ ok: true });
    expect(await site.verify(rotated.key)).toMatchObject({ ok: false, code: "expired_key" });
  });

  test("revoking a key again, after a key made with it took its place, revokes that key and names both", async () => {
    const site = installation();
    const old = JSON.parse((await site.run("keys", "create", "--owner", "hal", "--name", "n", "--scopes", "read", "--json")).stdout);
    // What Plexe's rotation script does on the server: a key made with the old one revokes it.
    const store = new RedisKeyStore(redis().client(), { prefix: site.env.PORTCULLIS_REDIS_PREFIX });
    const server = new ApiKeys({ store, secret: SECRET, prefix: "pk_live_" });
    const next = await server.create({ owner: "hal", name: "next", scopes: ["read"], createdBy: old.key_id });
    await server.revoke(old.key_id, { by: next.record.id });
    await store.close();
    const revoked = await site.run("keys", "revoke", old.key_id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked key ${next.record.id} .*which took the place of ${old.key_id} \\(already revoked\\)`));
    expect(await site.verify(next.key)).toMatchObject({ ok: false, code: "revoked_key" });
  });

  test("rotating a revoked key is a conflict: exit 1, one line", async () => {
    const site = installation();
    const { key_id } = JSON.parse((await site.run("keys", "create", "--owner", "gil", "--name", "n", "--scopes", "read", "--json")).stdout);
    await site.run("keys", "revoke", key_id);
    expectOneLineError(await site.run("keys", "rotate", key_id), 1, /The key is revoked and cannot be rotated/);
  });

  test.each(["revoke", "rotate"])("%s of an unknown id exits 1 naming the id", async (action) => {
    expectOneLineError(await installation().run("keys", action, "key_doesNotExist0000"), 1, /No key has the id key_doesNotExist0000/);
  });
});

describe("configuration from the environment", () => {
  const env = () => ({ REDIS_URL: redis().url, PORTCULLIS_SECRET: SECRET });
  const list = ["keys", "list", "--owner", "o"];

  test.each([
    ["REDIS_URL missing", { REDIS_URL: undefined }, /REDIS_URL is not set/],
    ["REDIS_URL empty", { REDIS_URL: "" }, /REDIS_URL is not set/],
    ["REDIS_URL not a Redis URL", { REDIS_URL: "http://:pw@host" }, /REDIS_URL is not a redis:\/\/ or rediss:\/\/ URL/],
    ["PORTCULLIS_SECRET missing", { PORTCULLIS_SECRET: undefined }, /PORTCULLIS_SECRET is not set/],
    ["PORTCULLIS_SECRET too short", { PORTCULLIS_SECRET: "short-secret" }, /PORTCULLIS_SECRET must be at least 32 bytes/],
    ["PORTCULLIS_KEY_PREFIX malformed", { PORTCULLIS_KEY_PREFIX: "9lives" }, /PORTCULLIS_KEY_PREFIX must be a letter/],
    ["PORTCULLIS_SCOPES malformed", { PORTCULLIS_SCOPES: "read,has space" }, /PORTCULLIS_SCOPES: a scope must be plain \("read"\), .*, got "has space"/],
  ])("%s: exit 1 with a message naming the variable", async (_, change, message) => {
    const run = await cli(list, { ...env(), ...change });
    expectOneLineError(run, 1, message);
    expect(run.stderr).not.toMatch(/short-secret|:pw@/);
  });

  test("Redis out of reach: exit 1, 'cannot reach Redis', and neither password nor secret printed", async () => {
    const stopped = await startRedisServer();
    await stopped.stop();
    const run = await cli(list, { REDIS_URL: `redis://:hunter2-password@127.0.0.1:${stopped.port}/3`, PORTCULLIS_SECRET: SECRET });
    expectOneLineError(run, 1, new RegExp(`^portcullis: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${stopped.port}/3 \\(`));
    expect(run.stderr).not.toContain("hunter2-password");
    expect(run.stderr).not.toContain(SECRET);
  });
});

describe("the command line", () => {
  const env = () => ({ REDIS_URL: redis().url, PORTCULLIS_SECRET: SECRET });

  test.each([
    [["--help"], /^Usage: portcullis <command>/],
    [["keys", "--help"], /^Usage: portcullis keys <create\|list\|revoke\|rotate>/],
    [["keys", "create", "--help"], /^Usage: portcullis keys create --owner/],
    [["keys", "rotate", "-h"], /^Usage: portcullis keys rotate <key-id>/],
  ])("%j prints usage on stdout, without needing any configuration", async (argv, usage) => {
    const run = await cli(argv, {});
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(usage);
  });

  test.each([
    [[], /missing command/],
    [["users"], /unknown command "users"/],
    [["keys", "delete", "key_x"], /unknown command "keys delete"/],
    [["keys", "list", "--owner", "o", "--colour"], /unknown option "--colour"/],
    [["keys", "list"], /keys list: --owner is required/],
    [["keys", "list", "--owner", "o", "--limit", "many"], /--limit: must be a whole number from 1 to 100/],
    [["keys", "create", "--owner", "o", "--name", "n", "--scopes", "r", "--expires-in", "soon"], /--expires-in: "soon" is not a duration/],
    [["keys", "create", "--owner", "o", "--name", "n", "--scopes", "r", "--expires-in", "0s"], /--expires-in: must be longer than 0s/],
    [["keys", "rotate", "key_xxxxxxxxxxxxxxxx", "--grace", "1.5h"], /--grace: "1.5h" is not a duration/],
    [["keys", "revoke"], /keys revoke: the key id is required/],
  ])("%j is a usage error: exit 2, the message and the usage on stderr", async (argv, message) => {
    const run = await cli(argv, env());
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^Usage: portcullis/m);
  });

  test("a full key given where an id belongs is refused without being printed back", async () => {
    const key = `pk_live_${"a".repeat(38)}`;
    const run = await cli(["keys", "revoke", key], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the argument is not a key id/);
    expect(run.stderr).not.toContain(key);
  });
});

describe("the built binary", () => {
  // The command npm links: a committed shim that loads dist/cli/main.js.
  const bin = join(__dirname, "..", "bin", "portcullis.js");
  const main = join(__dirname, "..", "dist", "cli", "main.js");

  function node(argv: string[], env: Record<string, string>): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  beforeAll(() => {
    if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` at the repository root first`);
  });

  test("portcullis keys create makes a key the server accepts, and exits", async () => {
    expect(readFileSync(bin, "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    const site = installation();
    const run = await node(["keys", "create", "--owner", "ci", "--name", "pipeline", "--scopes", "deploy", "--json"], site.env);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await site.verify(JSON.parse(run.stdout).key)).toMatchObject({ ok: true, record: { scopes: ["deploy"] } });
  });

  test("an unknown option sets exit status 2, with no stack trace", async () => {
    const run = await node(["keys", "create", "--bogus"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^portcullis: unknown option "--bogus"/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
