/**
 * `portcullis scan` through the real bin (the built CLI), in a directory tree each test makes.
 * The store cases run against the test's own redis-server.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ApiKeys, KeyFormat } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
const BIN = resolve(__dirname, "../bin/portcullis.js");
const SECRET = "cli-scan-secret-0123456789abcdefghijklmnop";
const live = new KeyFormat({ prefix: "pk_live_" });
let trees: string[] = [];
let installations = 0;

beforeAll(() => {
  if (!existsSync(resolve(__dirname, "../dist/cli/main.js"))) throw new Error("run `npm run build` first: this suite runs the built CLI");
});
afterEach(() => {
  for (const tree of trees) rmSync(tree, { recursive: true, force: true });
  trees = [];
});

/** A directory holding `files` (path → content), removed after the test. */
function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), "portcullis-scan-"));
  trees.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** `portcullis scan <args>` in `cwd`, with only `env` (no PORTCULLIS_* from the machine). */
function scan(args: string[], { cwd = tmpdir(), env = {}, input = "" }: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const run = spawnSync(process.execPath, [BIN, "scan", ...args], { cwd, env, input, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function badChecksum(key: string): string {
  return key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");
}

describe("portcullis scan, offline", () => {
  test("a tree without keys: exit 0 and nothing printed", () => {
    const root = tree({ "src/app.ts": `const key = process.env.API_KEY;\n`, "notes.md": `a look-alike: ${badChecksum(live.generate())}\n` });
    expect(scan(["."], { cwd: root })).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("finds keys in a tree, masked, and skips .git, node_modules, binary files and symbolic links", () => {
    const [a, b, hidden] = [live.generate(), live.generate(), live.generate()];
    const root = tree({
      "src/config.ts": `export const config = {\r\n  apiKey: "${a}",\r\n};\r\n`,
      ".env": `API_KEY=${b}\n`,
      ".git/COMMIT_EDITMSG": `${hidden}\n`,
      "node_modules/dep/index.js": `module.exports = "${hidden}";\n`,
      "image.bin": Buffer.concat([Buffer.from([0x89, 0x50, 0x00]), Buffer.from(hidden)]),
      "dump.sql": `${" ".repeat(5 * 1024 * 1024)}${hidden}\n`,
    });
    const outside = tree({ "secret.txt": `${hidden}\n` });
    symlinkSync(outside, join(root, "elsewhere"));
    const run = scan(["."], { cwd: root });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`.env:1:9  ${live.preview(b)}\nsrc/config.ts:2:12  ${live.preview(a)}\n`);
    expect(run.stderr).toBe("portcullis: found 2 keys in 2 files: remove them, and revoke any still active (--check tells which)\n");
    for (const key of [a, b, hidden]) expect(run.stdout + run.stderr).not.toContain(key.slice(-12));

    const verbose = scan(["--verbose", "."], { cwd: root });
    expect(verbose.stderr).toMatch(/^portcullis: skipped \.git: a directory skipped by default$/m);
    expect(verbose.stderr).toMatch(/^portcullis: skipped node_modules: a directory skipped by default$/m);
    expect(verbose.stderr).toMatch(/^portcullis: skipped image\.bin: a binary file$/m);
    expect(verbose.stderr).toMatch(/^portcullis: skipped dump\.sql: larger than 5 MB$/m);
    expect(verbose.stderr).toMatch(/^portcullis: skipped elsewhere: a symbolic link, not followed$/m);
    expect(verbose.stdout).toBe(run.stdout);
  });

  test("a path named on the command line is read even inside node_modules", () => {
    const key = live.generate();
    const root = tree({ "node_modules/dep/index.js": `"${key}"` });
    expect(scan(["node_modules/dep/index.js"], { cwd: root })).toMatchObject({ code: 1, stdout: `node_modules/dep/index.js:1:2  ${live.preview(key)}\n` });
  });

  test("reads standard input with no path, or -, and --prefix picks the prefixes (repeatable)", () => {
    const demo = new KeyFormat({ prefix: "cpx_live." });
    const [key, other] = [demo.generate(), live.generate()];
    const input = `curl -H "Authorization: Bearer ${key}"\nx=${other}\n`;
    expect(scan([], { input, env: { PORTCULLIS_KEY_PREFIX: "cpx_live." } })).toMatchObject({ code: 1, stdout: `<stdin>:1:32  ${demo.preview(key)}\n` });
    const both = scan(["--prefix", "cpx_live.", "--prefix", "pk_live_", "-"], { input });
    expect(both.stdout).toBe(`<stdin>:1:32  ${demo.preview(key)}\n<stdin>:2:3  ${live.preview(other)}\n`);
  });

  test("--json prints an array of findings, and [] when there are none", () => {
    const key = live.generate();
    const root = tree({ "a.json": `{"token": "${key}"}\n` });
    const run = scan(["--json", "a.json"], { cwd: root });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([{ path: "a.json", line: 1, column: 12, prefix: "pk_live_", preview: live.preview(key) }]);
    expect(run.stdout).not.toContain(key);
    expect(scan(["--json", "-"], { input: "nothing\n" })).toMatchObject({ code: 0, stdout: "[]\n" });
  });

  test("exit 2 on a wrong command line; exit 1 on a path that is not there", () => {
    const wrong = scan(["--frobnicate"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^portcullis: unknown option "--frobnicate"\n\nUsage: portcullis scan/);
    expect(scan(["missing.txt"])).toEqual({ code: 1, stdout: "", stderr: "portcullis: cannot read missing.txt: no such file or directory\n" });
  });

  test("--check without a store configured fails before reading anything", () => {
    const run = scan(["--check", "-"], { input: live.generate() });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^portcullis: REDIS_URL is not set, nor DATABASE_URL/);
  });
});

describe("portcullis scan --check and --revoke, on Redis", () => {
  /** A fresh installation on the test's redis-server, and the server's ApiKeys on it. */
  function installation() {
    installations += 1;
    const env = { REDIS_URL: redis().url, PORTCULLIS_SECRET: SECRET, PORTCULLIS_REDIS_PREFIX: `scan${installations}:` };
    const store = new RedisKeyStore(redis().client(), { prefix: env.PORTCULLIS_REDIS_PREFIX });
    // No verified-key cache: each verify below reads what the CLI left in Redis.
    return { env, store, keys: new ApiKeys({ store, secret: SECRET, prefix: "pk_live_", cache: false }) };
  }

  test("--check tells each key's status and changes nothing; --revoke revokes the active one, which then fails to verify", async () => {
    const { env, store, keys } = installation();
    try {
      const active = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
      const revoked = await keys.create({ owner: "alice", name: "old", scopes: ["read"] });
      await keys.revoke(revoked.record.id);
      const unknown = live.generate();
      const root = tree({ "deploy.sh": `export A=${active.key}\nexport B=${revoked.key}\nexport C=${unknown}\n`, "copy.env": `A=${active.key}\n` });

      const checked = scan(["--check", "."], { cwd: root, env });
      expect(checked.code).toBe(1);
      expect(checked.stdout).toBe(
        [
          `copy.env:1:3  ${active.record.preview}  active`,
          `deploy.sh:1:10  ${active.record.preview}  active`,
          `deploy.sh:2:10  ${revoked.record.preview}  revoked`,
          `deploy.sh:3:10  ${live.preview(unknown)}  unknown`,
          "",
        ].join("\n"),
      );
      const before = await keys.get(active.record.id);
      expect(before?.revokedAt).toBeUndefined();
      expect(before?.lastUsedAt).toBeUndefined(); // a check is not a use

      const run = scan(["--revoke", "--json", "deploy.sh", "copy.env"], { cwd: root, env });
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual([
        { path: "deploy.sh", line: 1, column: 10, prefix: "pk_live_", preview: active.record.preview, status: "active", key_id: active.record.id, revoked: true },
        { path: "deploy.sh", line: 2, column: 10, prefix: "pk_live_", preview: revoked.record.preview, status: "revoked", key_id: revoked.record.id, revoked: false },
        { path: "deploy.sh", line: 3, column: 10, prefix: "pk_live_", preview: live.preview(unknown), status: "unknown", revoked: false },
        // The same key found twice is looked up and revoked once.
        { path: "copy.env", line: 1, column: 3, prefix: "pk_live_", preview: active.record.preview, status: "active", key_id: active.record.id, revoked: true },
      ]);
      expect(await keys.verify(active.key)).toMatchObject({ ok: false, code: "revoked_key" });

      const again = scan(["--revoke", "copy.env"], { cwd: root, env });
      expect(again).toMatchObject({ code: 1, stdout: `copy.env:1:3  ${active.record.preview}  revoked\n` });
    } finally {
      await store.close();
    }
  });
});
