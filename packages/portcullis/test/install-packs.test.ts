/**
 * Installs portcullis the way the root README's "Install" section says for a checkout
 * (`scripts/pack.js`, then `npm install <clone>/packs/*.tgz express`) into fresh apps outside the
 * monorepo: each published package on its own, with only the portcullis packages it depends on,
 * used from CommonJS, ESM and TypeScript with `skipLibCheck: false`; and every package, running
 * the README's quick start as written. The root `npm test` builds before jest runs.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT, publishedPackages } from "./published-packages";

const PACKAGES = publishedPackages();
const README = readFileSync(join(ROOT, "README.md"), "utf8");
let work = "";
let packs = "";
const tarball = new Map<string, string>();

async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false", ...env } });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
}

/** A fresh app with the given npm install arguments installed, the cache preferred. */
async function freshApp(name: string, install: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true }));
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...install], dir);
  return dir;
}

/** The package and the portcullis packages it depends on, directly or not. */
function withPortcullisDependencies(name: string, seen = new Set<string>()): Set<string> {
  seen.add(name);
  const { manifest } = PACKAGES.find((p) => p.manifest.name === name)!;
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (tarball.has(dependency) && !seen.has(dependency)) withPortcullisDependencies(dependency, seen);
  }
  return seen;
}

/** The body of the section under a `## ` heading of the root README. */
function readmeSection(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${heading}" section`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "portcullis-install-"));
  packs = join(work, "packs");
  await run(process.execPath, [join(ROOT, "scripts/pack.js"), "--out", packs], ROOT);
  for (const file of readdirSync(packs)) {
    const manifest = JSON.parse(await run("tar", ["-xOzf", join(packs, file), "package/package.json"], work)) as { name: string };
    tarball.set(manifest.name, join(packs, file));
  }
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("scripts/pack.js packs every published package, and only those", () => {
  expect([...tarball.keys()].sort()).toEqual(PACKAGES.map((p) => p.manifest.name).sort());
});

/** Runs the tasks given to it at most `limit` at a time. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

interface AloneResult {
  readonly fromCommonJs: string[];
  readonly fromEsm: string[];
  /** tsc's diagnostics, empty when the app type-checks. */
  readonly typeErrors: string;
}

/**
 * Installs the package with only the portcullis packages it depends on into a fresh app, lists its
 * exports from CommonJS and from ESM, and type-checks a file that loads every declaration it ships.
 */
async function installAlone(name: string): Promise<AloneResult> {
  const own = withPortcullisDependencies(name);
  const registry = ["express@5", "@types/express@5", "@types/node@20"];
  // ioredis's own declarations import redis-errors, which ships no types (the README says so).
  if (own.has("@portcullis/redis")) registry.push("@types/redis-errors@1");
  // @types/pg is an optional peer of @portcullis/postgres: TypeScript apps add it.
  if (own.has("@portcullis/postgres")) registry.push("@types/pg@8");
  const dir = await freshApp(name.replace("@portcullis/", "alone-"), [...[...own].map((p) => tarball.get(p)!), ...registry]);

  writeFileSync(join(dir, "check.cjs"), `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)})).filter((k) => k !== "__esModule").sort()));`);
  writeFileSync(
    join(dir, "check.mjs"),
    `import * as m from ${JSON.stringify(name)};
     console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default" && k !== "module.exports" && k !== "__esModule").sort()));`,
  );
  // The global req.auth comes from core's declarations, which every package's load.
  writeFileSync(
    join(dir, "app.ts"),
    `import * as portcullis from ${JSON.stringify(name)};
     import type { Request } from "express";
     export const names: string[] = Object.keys(portcullis);
     export const ownerOf = (req: Request): string | undefined => req.auth?.owner;`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, module: "node16", moduleResolution: "node16", target: "ES2022", noEmit: true, types: ["node"] }, files: ["app.ts"] }),
  );
  const typeErrors = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir).then(
    () => "",
    (error: Error) => error.message,
  );
  return {
    fromCommonJs: JSON.parse(await run("node", ["check.cjs"], dir)) as string[],
    fromEsm: JSON.parse(await run("node", ["check.mjs"], dir)) as string[],
    typeErrors,
  };
}

describe("each published package installed alone", () => {
  // Three apps at a time: one installing while others type-check keeps both cores busy, and the
  // file takes a few minutes less than one app after another.
  const results = new Map<string, Promise<AloneResult>>();
  beforeAll(() => {
    const slot = limiter(3);
    for (const { manifest } of PACKAGES) {
      const result = slot(() => installAlone(manifest.name));
      result.catch(() => undefined); // reported by the test that awaits it, not as unhandled first
      results.set(manifest.name, result);
    }
  });

  test.each(PACKAGES.map((p) => p.manifest.name))("%s: CommonJS and ESM see the same exports, and it type-checks with skipLibCheck: false", async (name) => {
    const { fromCommonJs, fromEsm, typeErrors } = await results.get(name)!;
    expect(fromCommonJs.length).toBeGreaterThan(0);
    expect(fromEsm).toEqual(fromCommonJs);
    expect(typeErrors).toBe("");
  }, 300_000);
});

test("the README's install from a checkout runs the README's quick start", async () => {
  const install = readmeSection("Install").match(/^npm install (\S+)\/packs\/\*\.tgz ([^#\n]+?)\s*(?:#.*)?$/m);
  expect(install).not.toBeNull();
  const registry = install![2]!.split(/\s+/);
  expect(registry).toEqual(["express"]);
  // What the shell makes of packs/*.tgz.
  const dir = await freshApp("quick-start", [...readdirSync(packs).filter((f) => f.endsWith(".tgz")).map((f) => join(packs, f)), ...registry]);

  const code = readmeSection("Quick start").match(/^```js\n([\s\S]*?)^```$/m)?.[1];
  expect(code).toContain('require("portcullis")');
  expect(code).toContain("app.listen(3000);");
  // The app as written, handed to the test rather than listening on a fixed port.
  writeFileSync(join(dir, "app.js"), code!.replace("app.listen(3000);", "module.exports = { app, keys };"));
  writeFileSync(
    join(dir, "walk.js"),
    `const { app, keys } = require("./app.js");
     (async () => {
       const admin = (await keys.create({ owner: "admin", name: "bootstrap", scopes: ["admin"] })).key;
       const reader = (await keys.create({ owner: "alice", name: "ci", scopes: ["read"] })).key;
       const server = app.listen(0, "127.0.0.1");
       await new Promise((resolve) => server.once("listening", resolve));
       const base = "http://127.0.0.1:" + server.address().port;
       const call = async (method, path, key, body) => {
         const headers = key ? { authorization: "Bearer " + key, "content-type": "application/json" } : {};
         const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
         return [response.status, await response.json()];
       };
       const created = await call("POST", "/api/auth/api-keys", admin, { name: "predictor", scopes: ["predict"] });
       console.log(JSON.stringify({
         anonymous: await call("GET", "/api/projects"),
         reader: await call("GET", "/api/projects", reader),
         readerPredicts: (await call("POST", "/api/models/m1/predict", reader))[0],
         created: [created[0], typeof created[1].key],
         predictor: await call("POST", "/api/models/m1/predict", created[1].key),
         unknownRoute: (await call("GET", "/api/nowhere", admin))[0],
       }));
       server.close();
     })();`,
  );
  const walk = JSON.parse(await run("node", ["walk.js"], dir, { PORTCULLIS_SECRET: "quick-start-secret-0123456789abcdef" }));
  expect(walk).toEqual({
    anonymous: [401, { error: "missing_credentials", detail: "Authentication credentials were not provided." }],
    reader: [200, []],
    readerPredicts: 403,
    created: [201, "string"],
    predictor: [200, { p: 0.42 }],
    unknownRoute: 404,
  });
}, 240_000);
