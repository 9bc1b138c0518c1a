import express from "express";
import request from "supertest";
import { ApiKeys, type ApiKeysOptions } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { migrate, PostgresKeyStore } from "@portcullis/postgres";
import { eventually, usePostgres } from "@portcullis/testing";

const pg = usePostgres();
const SECRET = "test-secret-that-is-at-least-32-bytes-long";
const UNAVAILABLE = { error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." };

/** An app with one route behind apiKeyAuth; its clock stands still, so cached keys never expire by themselves. */
function createApp(store: PostgresKeyStore, options: Partial<ApiKeysOptions> = {}) {
  const keys = new ApiKeys({ store, secret: SECRET, prefix: "cpx_live.", now: () => Date.UTC(2026, 0, 1), ...options });
  const app = express();
  app.get("/whoami", apiKeyAuth({ keys }), (req, res) => void res.json({ owner: req.auth?.owner ?? null }));
  return { app, keys };
}

test("a statement stuck behind a lock is cut off: the request gets 503, and a write the store gave up on is rolled back, not applied later", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const store = new PostgresKeyStore(pool, { timeoutMs: 300 });
  const { app, keys } = createApp(store, { cache: false, timeoutMs: 2000 });
  const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });

  const admin = await pool.connect();
  await admin.query("BEGIN; LOCK TABLE portcullis.api_keys IN ACCESS EXCLUSIVE MODE");
  const res = await request(app).get("/whoami").set("x-api-key", key).expect(503);
  expect(res.body).toEqual(UNAVAILABLE);
  await expect(store.update(record.id, { revokedAt: Date.UTC(2026, 0, 1) })).rejects.toThrow("canceling statement due to statement timeout");
  await admin.query("COMMIT");
  admin.release();

  expect((await store.findById(record.id))?.revokedAt).toBeUndefined();
  await request(app).get("/whoami").set("x-api-key", key).expect(200);
  keys.close();
  await store.close();
});

test("with PostgreSQL stopped mid-run a key it must look up gets 503 auth_unavailable, never 500 or a pass; once it is back the same app answers, and hears revocations again", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const store = new PostgresKeyStore(pool);
  let feedConnections = 0;
  const feedUp = new Promise<void>((resolve) => store.watch({ changed: () => {}, lost: () => void (feedConnections += 1, resolve()) }));
  await feedUp; // its first confirmation clears the cache, which would race the warm-up
  const { app, keys } = createApp(store);
  const warm = await keys.create({ owner: "alice", name: "warm", scopes: ["read"] });
  const cold = await keys.create({ owner: "alice", name: "cold", scopes: ["read"] });
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(200);

  await pg().kill();
  const res = await request(app).get("/whoami").set("x-api-key", cold.key).expect(503);
  expect(res.body).toEqual(UNAVAILABLE);
  expect(res.headers["retry-after"]).toBe("1");
  await request(app).get("/whoami").set("x-api-key", cold.key).expect(503); // and again: nothing was cached as unknown
  await request(app).get("/whoami").set("x-api-key", "cpx_live.garbage").expect(401); // a malformed key never needed the store

  await pg().restart();
  await request(app).get("/whoami").set("x-api-key", cold.key).expect(200);
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(200);

  // The change feed reconnected by itself: a revocation made by another process reaches this
  // app's cache at once (the clock stands still, so its time to live never would).
  await eventually(() => feedConnections >= 2, { timeoutMs: 5000 });
  const elsewhere = new PostgresKeyStore(pg().pool());
  const other = createApp(elsewhere);
  await other.keys.revoke(warm.record.id);
  await eventually(async () => (await request(app).get("/whoami").set("x-api-key", warm.key)).status === 401);

  other.keys.close();
  await elsewhere.close();
  keys.close();
  await store.close();
});
