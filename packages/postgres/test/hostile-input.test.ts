import express from "express";
import request from "supertest";
import { ApiKeys, ScopePolicy } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { accessLogRouter, apiKeysRouter } from "@portcullis/api-keys-router";
import { migrate, PostgresAuditSink, PostgresKeyStore, PostgresUserStore } from "@portcullis/postgres";
import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";
import { recordTelemetry, usePostgres } from "@portcullis/testing";

const pg = usePostgres();
const policy = new ScopePolicy({ known: ["read", "admin"], implies: { admin: "*" } });
const INVALID = { error: "invalid_credentials", detail: "Invalid email or password." };

/** The README's app: keys, users and the access log on PostgreSQL, sessions in memory. */
async function createApp() {
  const pool = pg().pool();
  await migrate(pool);
  const store = new PostgresKeyStore(pool);
  const keys = new ApiKeys({ store, secret: "test-secret-that-is-at-least-32-bytes-long", prefix: "cpx_live.", scopes: policy });
  const users = new PostgresUserStore(pool, { passwords: bcryptPasswords({ cost: 4 }) });
  const audit = new PostgresAuditSink(pool);
  const app = express();
  app.use("/api", apiKeyAuth({ keys, optional: true, audit }), sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: {}, users, audit }));
  app.use("/api/auth", authRouter({ users }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: false, audit }));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy, allOwners: true }));
  const { key } = await keys.create({ owner: "alice", name: "admin", scopes: ["admin"] });
  const close = async () => {
    keys.close();
    await store.close();
    await audit.close();
  };
  return { app, key, close };
}

test("U+0000 in what a request sends is not an outage on PostgreSQL: a login is refused as any unknown email, listings are empty, no store error is counted", async () => {
  const { app, key, close } = await createApp();
  const telemetry = recordTelemetry();
  try {
    // PostgreSQL refuses U+0000 in text; sent on to it, each of these failed the statement and was answered 503.
    const login = await request(app).post("/api/auth/login").send({ email: "ada\u0000@example.com", password: "correct horse" }).expect(401);
    expect(login.body).toEqual(INVALID);
    const bearer = { Authorization: `Bearer ${key}` };
    expect((await request(app).get("/api/auth/api-keys?cursor=%00").set(bearer).expect(200)).body).toEqual({ keys: [], next_cursor: null });
    for (const filter of ["owner", "key_id", "user_id"]) {
      expect((await request(app).get(`/api/auth/audit?${filter}=a%00`).set(bearer).expect(200)).body).toEqual({ events: [], next_cursor: null });
    }
    expect(await telemetry.total("portcullis.store.errors")).toBe(0);
  } finally {
    await telemetry.stop();
    await close();
  }
});
