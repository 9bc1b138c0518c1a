import request from "supertest";
import { MemoryKeyStore } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp, permissionLevels } = require("../app") as typeof import("../app");

async function plexe() {
  const clock = { now: Date.UTC(2026, 2, 1), advance: (ms: number) => void (clock.now += ms) };
  const { app, keys, audit } = createApp({ store: new MemoryKeyStore(), secret: "p".repeat(32), now: () => clock.now });
  const readWrite = (await keys.create({ owner: "acct", name: "rw", scopes: permissionLevels.read_write })).key;
  return { app, keys, clock, readWrite, audit };
}

test("a read-only key can GET but not create; a read-write key can do both", async () => {
  const { app, readWrite } = await plexe();
  const created = await request(app).post("/auth/api-keys").set("x-api-key", readWrite).send({ name: "reporting", permission_level: "read_only" }).expect(200);
  expect(created.body.scopes).toEqual(["read"]);
  await request(app).get("/models").set("x-api-key", created.body.key).expect(200);
  const refused = await request(app).post("/models").set("x-api-key", created.body.key).send({ id: "x" }).expect(403);
  expect(refused.body.error).toBe("insufficient_permissions");
  await request(app).post("/models").set("x-api-key", readWrite).send({ id: "x" }).expect(201);
});

test("Plexe's error codes: invalid_key, expired_key, revoked_key (401), insufficient_permissions (403), rate_limit_exceeded (429)", async () => {
  const { app, keys, clock, readWrite } = await plexe();
  expect((await request(app).get("/models").set("x-api-key", "plx_sk_12345abcdef67890ghijklmnop").expect(401)).body.error).toBe("invalid_key");
  const soon = await keys.create({ owner: "acct", name: "1h", scopes: ["read"], expiresAt: clock.now + 3_600_000 });
  clock.advance(3_600_000);
  expect((await request(app).get("/models").set("x-api-key", soon.key).expect(401)).body.error).toBe("expired_key");
  const gone = await keys.create({ owner: "acct", name: "gone", scopes: ["read"] });
  await request(app).delete(`/auth/api-keys/${gone.record.id}`).set("x-api-key", readWrite).expect(200);
  expect((await request(app).get("/models").set("x-api-key", gone.key).expect(401)).body.error).toBe("revoked_key");
  const reader = await keys.create({ owner: "acct", name: "ro", scopes: ["read"] });
  expect((await request(app).post("/models").set("x-api-key", reader.key).expect(403)).body.error).toBe("insufficient_permissions");
  const limited = await keys.create({ owner: "acct", name: "slow", scopes: ["read"], rateLimit: { points: 1, durationSeconds: 60 } });
  await request(app).get("/models").set("x-api-key", limited.key).expect(200);
  const throttled = await request(app).get("/models").set("x-api-key", limited.key).expect(429);
  expect(throttled.body.error).toBe("rate_limit_exceeded");
  expect(throttled.headers["retry-after"]).toEqual(expect.any(String));
});

test("keys are masked in listings (first and last characters) and usage is tracked per key", async () => {
  const { app, readWrite } = await plexe();
  for (let i = 0; i < 4; i++) await request(app).get("/models").set("x-api-key", readWrite).expect(200);
  const listed = await request(app).get("/auth/api-keys").set("x-api-key", readWrite).expect(200);
  const [key] = listed.body.keys;
  expect(key.preview).toBe(`plx_sk_${readWrite.slice(7, 11)}…${readWrite.slice(-4)}`);
  expect(JSON.stringify(listed.body)).not.toContain(readWrite);
  const usage = await request(app).get(`/auth/api-keys/${key.key_id}/usage?days=1`).set("x-api-key", readWrite).expect(200);
  expect(usage.body.total).toBe(6); // four GET /models, the listing, and this usage request itself
});

test("only x-api-key carries a Plexe key: a Bearer header is not read", async () => {
  const { app, readWrite } = await plexe();
  expect((await request(app).get("/models").set("Authorization", `Bearer ${readWrite}`).expect(401)).body.error).toBe("missing_credentials");
});

test("the access log records every authentication attempt and key change, newest first, filterable, and never a key", async () => {
  const { app, keys, readWrite, audit } = await plexe();
  await request(app).get("/models").set("x-api-key", readWrite).expect(200);
  await request(app).get("/models").set("x-api-key", "plx_sk_12345abcdef67890ghijklmnop").expect(401);
  const created = await request(app).post("/auth/api-keys").set("x-api-key", readWrite).send({ name: "ci", permission_level: "read_only" }).expect(200);
  await request(app).delete(`/auth/api-keys/${created.body.key_id}`).set("x-api-key", readWrite).expect(200);
  await request(app).get("/models").set("x-api-key", created.body.key).expect(401);
  await audit.flush();

  const log = await request(app).get("/auth/access-log?limit=100").set("x-api-key", readWrite).expect(200);
  const actions = log.body.events.map((e: { action: string; outcome: string; code: string | null }) => [e.action, e.outcome, e.code]);
  expect(actions).toContainEqual(["api_key.create", "success", null]);
  expect(actions).toContainEqual(["api_key.revoke", "success", null]);
  expect(actions).toContainEqual(["api_key.authenticate", "failure", "revoked_key"]);
  expect(log.body.events[0]).toMatchObject({ route: "/auth/access-log", method: "GET", outcome: "success" }); // this very request, newest first
  const failures = await request(app).get("/auth/access-log?outcome=failure").set("x-api-key", readWrite).expect(200);
  expect(failures.body.events.map((e: { code: string }) => e.code)).toEqual(["revoked_key"]); // the made-up key belongs to no owner
  const byKey = await request(app).get(`/auth/access-log?key_id=${created.body.key_id}`).set("x-api-key", readWrite).expect(200);
  expect(byKey.body.events.every((e: { key_id: string }) => e.key_id === created.body.key_id)).toBe(true);

  const everything = JSON.stringify((await audit.list({ limit: 100 })).events);
  for (const key of [readWrite, created.body.key]) expect(everything).not.toContain(key);
  const reader = await keys.create({ owner: "acct", name: "ro", scopes: ["read"] });
  await request(app).get("/auth/access-log").set("x-api-key", reader.key).expect(403);
});

test("the rotation script's requests after the README's steps revoke the old key, and the new key keeps working", async () => {
  const { app, readWrite } = await plexe();
  // The README's steps: a key created, listed, revoked.
  const reporting = await request(app).post("/auth/api-keys").set("x-api-key", readWrite).send({ name: "reporting", permission_level: "read_only" }).expect(200);
  await request(app).get("/auth/api-keys").set("x-api-key", readWrite).expect(200);
  await request(app).delete(`/auth/api-keys/${reporting.body.key_id}`).set("x-api-key", readWrite).expect(200);
  // The script: create with the old key, list with the new one, revoke the first other key listed.
  const created = await request(app).post("/auth/api-keys").set("x-api-key", readWrite).send({ name: "Rotated Key", permission_level: "read_write" }).expect(200);
  const listed = await request(app).get("/auth/api-keys").set("x-api-key", created.body.key).expect(200);
  const others = listed.body.keys.filter((k: { key_id: string }) => k.key_id !== created.body.key_id);
  expect(others.map((k: { status: string }) => k.status)).toEqual(["active"]);
  await request(app).delete(`/auth/api-keys/${others[0].key_id}`).set("x-api-key", created.body.key).expect(200);
  expect((await request(app).get("/models").set("x-api-key", readWrite).expect(401)).body.error).toBe("revoked_key");
  await request(app).get("/models").set("x-api-key", created.body.key).expect(200);
  // Running the script twice is no fresh success: the old key is already revoked.
  expect((await request(app).delete(`/auth/api-keys/${others[0].key_id}`).set("x-api-key", created.body.key).expect(409)).body.error).toBe("conflict");
});

test("the rotation script's requests, run ten times in a row, leave each new key working and counting under no dead key", async () => {
  const { app, readWrite } = await plexe();
  let current = readWrite;
  for (let run = 0; run < 10; run++) {
    const created = await request(app).post("/auth/api-keys").set("x-api-key", current).send({ name: `Rotated Key ${run}`, permission_level: "read_write" }).expect(200);
    await request(app).get("/models").set("x-api-key", created.body.key).expect(200);
    const listed = await request(app).get("/auth/api-keys").set("x-api-key", created.body.key).expect(200);
    const others = listed.body.keys.filter((k: { key_id: string }) => k.key_id !== created.body.key_id);
    await request(app).delete(`/auth/api-keys/${others[0].key_id}`).set("x-api-key", created.body.key).expect(200);
    expect((await request(app).get("/models").set("x-api-key", current).expect(401)).body.error).toBe("revoked_key");
    current = created.body.key;
  }
  const mine = await request(app).get("/auth/api-keys").set("x-api-key", current).expect(200);
  expect(mine.body.keys).toHaveLength(1);
  expect(mine.body.keys[0].created_by).toBeNull();
});
