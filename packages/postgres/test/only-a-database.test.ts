import express from "express";
import request from "supertest";
import { ApiKeys, ScopePolicy } from "@portcullis/core";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { accessLogRouter, apiKeysRouter } from "@portcullis/api-keys-router";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { pendingMfaLogin, totpSecondFactor } from "@portcullis/mfa";
import {
  migrate,
  PostgresAuditSink,
  PostgresKeyStore,
  PostgresLimiterStore,
  PostgresMfaStore,
  postgresSessionStorage,
  PostgresUserStore,
} from "@portcullis/postgres";
import { requireScope } from "@portcullis/require-scope";
import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";
import { usePostgres } from "@portcullis/testing";
import type { Pool } from "pg";

const pg = usePostgres();
const EMAIL = "you@example.com";
const PASSWORD = "your-password";

/** The README's "Only a database" app: everything portcullis keeps is on one pool, and there is no Redis. */
async function createApp(pool: Pool) {
  await migrate(pool);
  const policy = new ScopePolicy({ known: ["read", "admin"], implies: { admin: "*" } });
  const store = new PostgresKeyStore(pool);
  const keys = new ApiKeys({ store, secret: "only-a-database-secret-of-at-least-32-bytes", prefix: "cpx_live.", scopes: policy });
  const users = new PostgresUserStore(pool, { passwords: bcryptPasswords({ cost: 4 }) });
  const audit = new PostgresAuditSink(pool);
  const limits = new PostgresLimiterStore(pool);
  const mfa = totpSecondFactor({ store: new PostgresMfaStore(pool), encryptionKey: "mfa-encryption-key-of-at-least-32-bytes!", issuer: "Acme" });
  await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });

  const app = express();
  app.use(
    "/api",
    apiKeyAuth({ keys, optional: true, audit }),
    sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["admin"] }, users, audit, sessions: postgresSessionStorage(pool) }),
    keyRateLimit({ store: limits, default: { points: 3, durationSeconds: 60 } }),
  );
  const rateLimit = loginRateLimit({ store: limits, username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email });
  app.use("/api/auth", authRouter({ users, rateLimit, mfa }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: false, audit }));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy }));
  app.get("/api/projects", requireScope("read", { policy }), (_req, res) => void res.json([{ id: "p1" }]));
  const close = async () => {
    keys.close();
    await store.close();
    await audit.close();
  };
  return { app, audit, close };
}

test("an app with PostgreSQL and no Redis: sessions, users, second factors, keys, rate limits and the access log all live in its tables", async () => {
  const pool = pg().pool();
  const { app, audit, close } = await createApp(pool);
  try {
    await signInAndUseEverything(app, audit, pool);
  } finally {
    await close();
  }
});

async function signInAndUseEverything(app: express.Express, audit: PostgresAuditSink, pool: Pool) {
  const rows = async (table: string) => Number((await pool.query(`SELECT count(*) FROM portcullis.${table}`)).rows[0].count);

  await request(app).post("/api/auth/login").send({ email: EMAIL, password: "wrong" }).expect(401);
  expect(await rows("rate_limits")).toBeGreaterThan(0); // the failure is counted in PostgreSQL
  const login = await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  const cookie = ((login.headers["set-cookie"] ?? []) as string[]).find((c) => c.startsWith("portcullis.sid="))!.split(";")[0]!;
  expect(await rows("sessions")).toBe(1);
  expect(await rows("user_sessions")).toBe(1);

  await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200);
  expect(await rows("mfa_enrolments")).toBe(1);

  const created = await request(app).post("/api/auth/api-keys").set("Cookie", cookie).send({ name: "CI", scopes: ["read"] }).expect(201);
  expect(await rows("api_keys")).toBe(1);
  const key = created.body.key as string;
  for (let i = 0; i < 3; i++) await request(app).get("/api/projects").set("Authorization", `Bearer ${key}`).expect(200);
  await request(app).get("/api/projects").set("Authorization", `Bearer ${key}`).expect(429); // the key's limit
  expect((await pool.query("SELECT points FROM portcullis.rate_limits WHERE key LIKE 'key-rate:%'")).rows).toEqual([{ points: 4 }]);

  await audit.flush();
  const log = await request(app).get("/api/auth/audit").query({ limit: "100" }).set("Cookie", cookie).expect(200);
  expect((log.body.events as { action: string }[]).map((event) => event.action)).toEqual(expect.arrayContaining(["session.login", "api_key.create", "api_key.authenticate"]));

  await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  expect(await rows("sessions")).toBe(0);
}
