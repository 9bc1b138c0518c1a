import express from "express";
import request from "supertest";
import { ApiKeys, MemoryKeyStore, ScopePolicy } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { accessLogRouter } from "@portcullis/api-keys-router";
import { migrate, PostgresAuditSink } from "@portcullis/postgres";
import { eventually, usePostgres } from "@portcullis/testing";

const pg = usePostgres();

test("with PostgreSQL stopped mid-run the API keeps answering and buffers its access log; reading the log is a 503; once it is back every event is written, none lost", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const audit = new PostgresAuditSink(pool, { flushIntervalMs: 20 });
  const policy = new ScopePolicy({ known: ["read", "admin"], implies: { admin: "*" } });
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "audit-outage-secret-of-at-least-32-bytes", prefix: "cpx_live.", scopes: policy });
  const app = express();
  app.use(apiKeyAuth({ keys, audit }));
  app.get("/api/projects", (_req, res) => void res.json([]));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy }));
  const { key } = await keys.create({ owner: "alice", name: "admin", scopes: ["admin"] });
  const read = () => request(app).get("/api/auth/audit").query({ limit: "100" }).set("Authorization", `Bearer ${key}`);

  await request(app).get("/api/projects").set("x-api-key", key).expect(200);
  await audit.flush();

  await pg().kill();
  for (let i = 0; i < 150; i++) await request(app).get("/api/projects").set("x-api-key", key).expect(200);
  await request(app).get("/api/projects").set("x-api-key", "cpx_live.not-a-key").expect(401); // an event of no owner, buffered apart
  await expect(audit.flush()).rejects.toThrow();
  expect((await read().expect(503)).body.error).toBe("auth_unavailable");
  await new Promise((resolve) => setTimeout(resolve, 100)); // background retries fail, quietly
  expect(audit.pending).toBeGreaterThanOrEqual(151); // the reads were recorded too, while the log could not be written

  await pg().restart();
  const written = async () =>
    (
      await pool.query(
        "SELECT count(*) FILTER (WHERE owner = 'alice' AND route = '/api/projects')::int AS projects, count(*) FILTER (WHERE owner IS NULL)::int AS unowned FROM portcullis.audit_events",
      )
    ).rows[0];
  // The timer's retry writes them: no flush needed.
  await eventually(async () => (await written()).projects === 151, { timeoutMs: 5000 });
  expect(await written()).toEqual({ projects: 151, unowned: 1 });
  expect(audit.dropped).toBe(0);
  // The log reads again: a full page of alice's events, the refused read of the log among them, and more to come.
  const page = (await read().expect(200)).body as { events: { owner: string; route: string }[]; next_cursor: string | null };
  expect(page.events).toHaveLength(100);
  expect(new Set(page.events.map((e) => `${e.owner} ${e.route}`))).toEqual(new Set(["alice /api/projects", "alice /api/auth/audit"]));
  expect(page.next_cursor).not.toBeNull();
  keys.close();
  await audit.close();
});
