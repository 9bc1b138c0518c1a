/**
 * Installs the packed packages (npm pack of the built dist/) into fresh apps outside the
 * monorepo and uses them from CommonJS, ESM and TypeScript, as a user would after npm install.
 * The root `npm test` builds before jest runs, so dist/ is current.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../../..");
const PACKAGES = ["core", "redis", "postgres", "api-key-auth", "require-scope", "api-keys-router", "session-auth", "mfa", "oauth", "email", "login-rate-limit", "redact-response", "portcullis"];
let work = "";
const tarball: Record<string, string> = {};

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
}

/** A fresh app directory with only the given tarballs (and registry packages) installed. */
function freshApp(name: string, packages: string[], registry: string[] = []): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packages.map((p) => tarball[p]!), ...registry], dir);
  return dir;
}

beforeAll(() => {
  for (const name of PACKAGES) {
    if (!existsSync(join(ROOT, "packages", name, "dist", "index.js"))) {
      throw new Error(`packages/${name}/dist is missing: run \`npm run build\` (the root \`npm test\` does) first`);
    }
  }
  work = mkdtempSync(join(tmpdir(), "portcullis-pack-"));
  const packed = JSON.parse(
    run("npm", ["pack", "--json", "--loglevel=error", "--pack-destination", work, ...PACKAGES.map((p) => `--workspace=packages/${p}`)], ROOT),
  ) as { name: string; filename: string }[];
  for (const { name, filename } of packed) tarball[name.replace(/^@portcullis\//, "")] = join(work, filename);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("@portcullis/core works installed on its own, from CommonJS and ESM", () => {
  const dir = freshApp("core-alone", ["core"]);
  writeFileSync(
    join(dir, "check.cjs"),
    `const { KeyFormat } = require("@portcullis/core");
     const format = new KeyFormat({ prefix: "plx_sk_" });
     console.log(format.isWellFormed(format.generate()));`,
  );
  writeFileSync(join(dir, "check.mjs"), `import { KeyFormat, PortcullisError } from "@portcullis/core"; console.log(typeof KeyFormat, typeof PortcullisError);`);
  expect(run("node", ["check.cjs"], dir).trim()).toBe("true");
  expect(run("node", ["check.mjs"], dir).trim()).toBe("function function");
}, 120_000);

test("the middleware packages compose in a fresh Express app without the umbrella, and type-check", () => {
  const dir = freshApp("middlewares", ["core", "api-key-auth", "require-scope", "api-keys-router"], ["express@5", "@types/express@5", "@types/node@20"]);
  writeFileSync(
    join(dir, "server.mjs"),
    `import express from "express";
     import { ApiKeys, MemoryKeyStore } from "@portcullis/core";
     import { apiKeyAuth } from "@portcullis/api-key-auth";
     import { requireScope } from "@portcullis/require-scope";
     import { apiKeysRouter } from "@portcullis/api-keys-router";
     const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "x".repeat(32), prefix: "cpx_live." });
     const app = express();
     app.use("/api", apiKeyAuth({ keys }));
     app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: false }));
     app.get("/api/projects", requireScope("read"), (req, res) => res.json({ owner: req.auth.owner }));
     const { key } = await keys.create({ owner: "alice", name: "boot", scopes: ["read"] });
     const server = app.listen(0, "127.0.0.1", async () => {
       const base = "http://127.0.0.1:" + server.address().port;
       const ok = await fetch(base + "/api/projects", { headers: { authorization: "Bearer " + key } });
       const created = await fetch(base + "/api/auth/api-keys", { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify({ name: "ci", scopes: ["read"] }) });
       const anonymous = await fetch(base + "/api/projects");
       console.log(JSON.stringify([ok.status, await ok.json(), created.status, anonymous.status, await anonymous.json()]));
       server.close();
     });`,
  );
  expect(JSON.parse(run("node", ["server.mjs"], dir))).toEqual([
    200,
    { owner: "alice" },
    201,
    401,
    { error: "missing_credentials", detail: "Authentication credentials were not provided." },
  ]);

  writeFileSync(
    join(dir, "app.ts"),
    `import express from "express";
     import { ApiKeys, MemoryKeyStore, type Principal } from "@portcullis/core";
     import { apiKeyAuth } from "@portcullis/api-key-auth";
     import { requireScope } from "@portcullis/require-scope";
     const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "x".repeat(32), prefix: "cpx_live." });
     const app = express();
     app.get("/", apiKeyAuth({ keys }), requireScope("read"), (req, res) => {
       const who: Principal | undefined = req.auth; // typed by the global augmentation in core
       res.json({ kind: who?.kind, owner: who?.owner });
     });`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, module: "node16", moduleResolution: "node16", target: "ES2022", noEmit: true, esModuleInterop: true, types: ["node"] }, files: ["app.ts"] }),
  );
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
}, 180_000);

// One app for both sign-in plug-ins of authRouter: a fresh install each costs half a minute.
test("@portcullis/oauth loads openid-client (an ES module) from CommonJS on Node 20.19+ and answers a provider that is down with 503; @portcullis/email sends a reset link through an outbox; both type-check", () => {
  const dir = freshApp("sign-in", ["core", "require-scope", "session-auth", "oauth", "email"], ["express@5", "@types/express@5", "@types/express-session", "@types/node@20"]);
  writeFileSync(
    join(dir, "server.cjs"),
    `const express = require("express");
     const { MemoryIdentityStore, MemoryUserStore } = require("@portcullis/core");
     const { authRouter, bcryptPasswords, sessionAuth } = require("@portcullis/session-auth");
     const { oauthSignIn, oidcProvider, githubProvider } = require("@portcullis/oauth");
     const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
     const oauth = oauthSignIn({
       providers: [
         oidcProvider({ id: "down", name: "Down", issuer: "http://127.0.0.1:1", clientId: "c", clientSecret: "s", allowHttpOnLoopback: true, timeoutMs: 2000 }),
         githubProvider({ clientId: "c", clientSecret: "s" }),
       ],
       identities: new MemoryIdentityStore(),
       callbackBaseUrl: "http://127.0.0.1:1/api/auth/oauth",
     });
     const app = express();
     app.use("/api", sessionAuth({ secret: "s".repeat(32), roles: {}, secure: false }));
     app.use("/api/auth", authRouter({ users, oauth }));
     const server = app.listen(0, "127.0.0.1", async () => {
       const base = "http://127.0.0.1:" + server.address().port;
       const providers = await (await fetch(base + "/api/auth/oauth/providers")).json();
       const down = await fetch(base + "/api/auth/oauth/down");
       console.log(JSON.stringify([providers.providers.map((p) => p.id), down.status, (await down.json()).error]));
       server.close();
     });`,
  );
  expect(JSON.parse(run("node", ["server.cjs"], dir))).toEqual([["down", "github"], 503, "provider_unavailable"]);

  writeFileSync(
    join(dir, "email-server.cjs"),
    `const express = require("express");
     const { MemoryEmailTokenStore, MemoryOutbox, MemoryUserStore } = require("@portcullis/core");
     const { authRouter, bcryptPasswords, sessionAuth } = require("@portcullis/session-auth");
     const { emailFlows } = require("@portcullis/email");
     const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
     const outbox = new MemoryOutbox();
     const app = express();
     app.use("/api", sessionAuth({ secret: "s".repeat(32), roles: {}, secure: false }));
     app.use("/api/auth", authRouter({ users, email: emailFlows({ mailer: outbox, tokens: new MemoryEmailTokenStore(), appUrl: "http://127.0.0.1:1" }) }));
     const server = app.listen(0, "127.0.0.1", async () => {
       await users.create({ email: "ada@example.test", password: "ada's password", role: "member" });
       const base = "http://127.0.0.1:" + server.address().port;
       const post = (path, body) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
       const asked = await post("/api/auth/password/forgot", { email: "ada@example.test" });
       await new Promise((resolve) => setTimeout(resolve, 50));
       const [message] = await outbox.list();
       const token = /#token=([\\w-]+)/.exec(message.text)[1];
       const reset = await post("/api/auth/password/reset", { token, new_password: "a new password" });
       console.log(JSON.stringify([asked.status, message.subject, reset.status]));
       server.close();
     });`,
  );
  expect(JSON.parse(run("node", ["email-server.cjs"], dir))).toEqual([202, "Reset your portcullis password", 200]);

  writeFileSync(
    join(dir, "app.ts"),
    `import { MemoryIdentityStore } from "@portcullis/core";
     import { oauthSignIn, googleProvider, type OAuthProvider } from "@portcullis/oauth";
     const google: OAuthProvider = googleProvider({ clientId: "c", clientSecret: "s", hostedDomain: "example.com" });
     export const oauth = oauthSignIn({ providers: [google], identities: new MemoryIdentityStore(), callbackBaseUrl: "https://app.example.com/api/auth/oauth" });`,
  );
  writeFileSync(
    join(dir, "email-app.ts"),
    `import { MemoryEmailTokenStore, type Mailer } from "@portcullis/core";
     import { emailFlows, smtpMailer } from "@portcullis/email";
     const mailer: Mailer = smtpMailer({ url: "smtp://mail.example.com:587", from: "Acme <no-reply@example.com>" });
     export const email = emailFlows({ mailer, tokens: new MemoryEmailTokenStore(), appUrl: "https://app.example.com", signUp: { role: "viewer" } });`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, module: "node16", moduleResolution: "node16", target: "ES2022", noEmit: true, esModuleInterop: true, types: ["node"] }, files: ["app.ts", "email-app.ts"] }),
  );
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
}, 180_000);

test("the umbrella package re-exports everything and installs the portcullis CLI", () => {
  const dir = freshApp("umbrella", PACKAGES, ["express@5", "ioredis@6"]);
  writeFileSync(
    join(dir, "check.cjs"),
    `const p = require("portcullis");
     const names = ["apiKeyAuth", "requireScope", "apiKeysRouter", "ApiKeys", "MemoryKeyStore", "RedisKeyStore", "PostgresKeyStore", "migrate", "PortcullisError", "sessionAuth", "authRouter", "loginRateLimit", "bcryptPasswords", "redactResponse"];
     console.log(names.map((n) => typeof p[n]).join(" "));`,
  );
  expect(run("node", ["check.cjs"], dir).trim()).toBe(Array(14).fill("function").join(" "));
  expect(run(join(dir, "node_modules/.bin/portcullis"), ["--help"], dir)).toMatch(/keys create/);
}, 180_000);

test("on Express 4 the packed packages install without ERESOLVE, and API keys, scopes and a session login answer as on 5", () => {
  // @types/express-session is named here because session-auth's types need it and the app installs it.
  const dir = freshApp("express4", ["core", "api-key-auth", "require-scope", "session-auth"], ["express@4", "@types/express@4", "@types/express-session", "@types/node@20"]);
  writeFileSync(
    join(dir, "server.cjs"),
    `const express = require("express");
     const { ApiKeys, MemoryKeyStore, MemoryUserStore } = require("@portcullis/core");
     const { apiKeyAuth } = require("@portcullis/api-key-auth");
     const { requireScope } = require("@portcullis/require-scope");
     const { authRouter, bcryptPasswords, sessionAuth } = require("@portcullis/session-auth");
     (async () => {
       const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "x".repeat(32), prefix: "cpx_live." });
       const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
       const user = await users.create({ email: "you@example.com", password: "your-password", role: "member" });
       const app = express();
       app.use("/api", apiKeyAuth({ keys, optional: true }), sessionAuth({ secret: "s".repeat(32), roles: { member: ["read"] }, secure: false }));
       app.use("/api/auth", authRouter({ users }));
       app.get("/api/projects", requireScope("read"), (req, res) => res.json({ kind: req.auth.kind, owner: req.auth.owner === user.id ? "you" : req.auth.owner }));
       app.post("/api/projects", requireScope("write"), (req, res) => res.status(201).json({}));
       const { key } = await keys.create({ owner: "alice", name: "ci", scopes: ["read"] });
       const server = app.listen(0, "127.0.0.1", async () => {
         const base = "http://127.0.0.1:" + server.address().port;
         const answer = async (path, init = {}) => {
           const res = await fetch(base + path, init);
           return [res.status, res.status === 204 ? null : await res.json()];
         };
         const login = (body, type = "application/json") => ({ method: "POST", headers: { "content-type": type }, body });
         const right = await fetch(base + "/api/auth/login", login(JSON.stringify({ email: "you@example.com", password: "your-password" })));
         const cookie = right.headers.get("set-cookie").split(";", 1)[0];
         console.log(JSON.stringify({
           express: require("express/package.json").version.split(".")[0],
           key: await answer("/api/projects", { headers: { authorization: "Bearer " + key } }),
           keyWrite: await answer("/api/projects", { method: "POST", headers: { authorization: "Bearer " + key } }),
           anonymous: await answer("/api/projects"),
           wrongPassword: await answer("/api/auth/login", login(JSON.stringify({ email: "you@example.com", password: "nope" }))),
           form: await answer("/api/auth/login", login("email=you%40example.com&password=your-password", "application/x-www-form-urlencoded")),
           login: [right.status, (await right.json()).kind],
           session: await answer("/api/projects", { headers: { cookie } }),
         }));
         server.close();
       });
     })();`,
  );
  const seen = JSON.parse(run("node", ["server.cjs"], dir));
  expect(seen).toEqual({
    express: "4",
    key: [200, { kind: "api_key", owner: "alice" }],
    keyWrite: [403, { error: "insufficient_permissions", detail: "Missing scope: write." }],
    anonymous: [401, { error: "missing_credentials", detail: "Authentication credentials were not provided." }],
    wrongPassword: [401, { error: "invalid_credentials", detail: "Invalid email or password." }],
    form: [415, { error: "unsupported_media_type", detail: "Send the body as JSON (Content-Type: application/json)." }],
    login: [200, "session"],
    session: [200, { kind: "session", owner: "you" }],
  });

  // The declarations type-check against @types/express 4 as well, libraries included.
  writeFileSync(
    join(dir, "app.ts"),
    `import express from "express";
     import { ApiKeys, MemoryKeyStore, MemoryUserStore, type Principal } from "@portcullis/core";
     import { apiKeyAuth } from "@portcullis/api-key-auth";
     import { requireScope } from "@portcullis/require-scope";
     import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";
     const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "x".repeat(32), prefix: "cpx_live." });
     const app = express();
     app.use("/api", apiKeyAuth({ keys, optional: true }), sessionAuth({ secret: "s".repeat(32), roles: { member: ["read"] } }));
     app.use("/api/auth", authRouter({ users: new MemoryUserStore({ passwords: bcryptPasswords() }) }));
     app.get("/api/projects", requireScope("read"), (req, res) => {
       const who: Principal | undefined = req.auth;
       res.json({ kind: who?.kind, session: req.session?.id });
     });`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "node16", moduleResolution: "node16", target: "ES2022", noEmit: true, esModuleInterop: true, skipLibCheck: false, types: ["node"] }, files: ["app.ts"] }),
  );
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
}, 180_000);
