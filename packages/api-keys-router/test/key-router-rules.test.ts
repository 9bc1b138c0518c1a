import request from "supertest";
import express from "express";
import { ApiKeys, MemoryKeyStore } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { apiKeysRouter } from "@portcullis/api-keys-router";
import { createApp } from "./create-app";

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const BASE = "/api/auth/api-keys";

async function keyWith(app: Parameters<typeof request>[0], adminKey: string, scopes: string[]) {
  return (await request(app).post(BASE).set(bearer(adminKey)).send({ name: "k", scopes }).expect(201)).body as { key: string; key_id: string };
}

describe("who may manage which keys", () => {
  test("without credentials every route is 401", async () => {
    const { app } = await createApp();
    for (const call of [request(app).get(BASE), request(app).post(BASE).send({}), request(app).delete(`${BASE}/key_x`)]) {
      expect((await call.expect(401)).body.error).toBe("missing_credentials");
    }
  });

  test("another owner's key answers exactly as a key that does not exist", async () => {
    const { app, keys, adminKey } = await createApp();
    const bobs = await keys.create({ owner: "bob", name: "bob's", scopes: ["read"] });
    const foreign = await request(app).get(`${BASE}/${bobs.record.id}`).set(bearer(adminKey)).expect(404);
    const missing = await request(app).get(`${BASE}/key_doesnotexist000`).set(bearer(adminKey)).expect(404);
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.body).toEqual({ error: "not_found", detail: "No API key with this id." });
    await request(app).delete(`${BASE}/${bobs.record.id}`).set(bearer(adminKey)).expect(404);
    await request(app).post(`${BASE}/${bobs.record.id}/rotate`).set(bearer(adminKey)).expect(404);
    expect((await keys.get(bobs.record.id))?.revokedAt).toBeUndefined();
    const listed = await request(app).get(BASE).set(bearer(adminKey)).expect(200);
    expect(listed.body.keys.map((k: { key_id: string }) => k.key_id)).not.toContain(bobs.record.id);
  });

  test("a key can never create or rotate into a scope it does not hold", async () => {
    const { app, adminKey } = await createApp();
    const reader = await keyWith(app, adminKey, ["read"]);
    const res = await request(app).post(BASE).set(bearer(reader.key)).send({ name: "escalate", scopes: ["read", "write"] }).expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "You cannot create a key with scopes you do not hold: write." });
    const writer = await keyWith(app, adminKey, ["read", "write"]);
    await request(app).post(`${BASE}/${writer.key_id}/rotate`).set(bearer(reader.key)).expect(403);
    await request(app).post(BASE).set(bearer(reader.key)).send({ name: "same", scopes: ["read"] }).expect(201);
  });

  test.each([
    ["a NUL", "admin\u0000"],
    ["a line separator", "write\u2028"],
    ["CR LF", "read\r\nSet-Cookie: a=1"],
    ["a letter outside ASCII", "r\u00e9ad"],
    ["a misplaced wildcard", "Models:Tr*in"],
  ])("a scope with %s is a 400 naming scopes, whoever asks, never a 500", async (_what, scope) => {
    const { app, adminKey } = await createApp();
    const reader = await keyWith(app, adminKey, ["read"]);
    for (const key of [reader.key, adminKey]) {
      const res = await request(app).post(BASE).set(bearer(key)).send({ name: "odd", scopes: ["read", scope] }).expect(400);
      expect(res.body.error).toBe("invalid_request");
      expect(res.body.detail).toMatch(/^scopes: "[\x20-\x7e]+" is not a well-formed scope$/); // escaped, printable
      expect(res.headers["www-authenticate"]).toBeUndefined();
    }
  });

  test("a key bound to an app sees, manages and creates only that app's keys", async () => {
    const { app, keys } = await createApp();
    const bound = await keys.create({ owner: "alice", name: "app-1 admin", scopes: ["admin"], app: "app-1" });
    const elsewhere = await keys.create({ owner: "alice", name: "app-2 key", scopes: ["read"], app: "app-2" });
    const listed = await request(app).get(BASE).set(bearer(bound.key)).expect(200);
    expect(listed.body.keys.map((k: { key_id: string }) => k.key_id)).toEqual([bound.record.id]);
    await request(app).get(`${BASE}/${elsewhere.record.id}`).set(bearer(bound.key)).expect(404);
    await request(app).delete(`${BASE}/${elsewhere.record.id}`).set(bearer(bound.key)).expect(404);
    const created = await request(app).post(BASE).set(bearer(bound.key)).send({ name: "child", scopes: ["read"] }).expect(201);
    expect(created.body.app).toBe("app-1");
  });

  test("a key cannot revoke a key with scopes it does not hold (a leaked read key cannot revoke the admin key)", async () => {
    const { app, adminKey, adminId } = await createApp();
    const reader = await keyWith(app, adminKey, ["read"]);
    const res = await request(app).delete(`${BASE}/${adminId}`).set(bearer(reader.key)).expect(403);
    expect(res.body.detail).toBe("You cannot revoke a key with scopes you do not hold: admin.");
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="admin"');
    await request(app).delete(`${BASE}/${reader.key_id}`).set(bearer(reader.key)).expect(204); // itself: yes
  });

  test("a key limited to other endpoints cannot manage keys; an app-bound key cannot read the account's usage", async () => {
    const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "e".repeat(32), prefix: "cpx_live." });
    const app = express();
    app.use(BASE, apiKeyAuth({ keys }), apiKeysRouter({ keys, manageScope: false }));
    const limited = await keys.create({ owner: "alice", name: "one endpoint", scopes: ["read", "GET /api/projects"] });
    const refused = await request(app).get(BASE).set(bearer(limited.key)).expect(403);
    expect(refused.body.detail).toMatch(/^These credentials may not call GET \/api\/auth\/api-keys/);
    const bound = await keys.create({ owner: "alice", name: "bound", scopes: ["read"], app: "app-1" });
    await request(app).get(`${BASE}/usage`).set(bearer(bound.key)).expect(403);
  });

  test("a key cannot mint a key that outlives it or has a looser rate limit; it passes on its own; on the default it may set one", async () => {
    const { app, keys, clock } = await createApp();
    const bounded = await keys.create({ owner: "alice", name: "bounded", scopes: ["admin"], expiresAt: clock.now + 3600_000, rateLimit: { points: 10, durationSeconds: 60 } });
    const as = bearer(bounded.key);
    const looser = await request(app).post(BASE).set(as).send({ name: "x", scopes: ["read"], rate_limit: { points: 1000000, duration_seconds: 1 } }).expect(403);
    expect(looser.body.detail).toBe("A key cannot create a key with a looser rate limit than its own.");
    await request(app).post(BASE).set(as).send({ name: "x", scopes: ["read"], expires_in: 7200 }).expect(403);
    const child = (await request(app).post(BASE).set(as).send({ name: "child", scopes: ["read"] }).expect(201)).body;
    expect(child.rate_limit).toEqual({ points: 10, duration_seconds: 60 });
    expect(Date.parse(child.expires_at)).toBe(clock.now + 3600_000);
    await request(app).post(BASE).set(as).send({ name: "stricter", scopes: ["read"], rate_limit: { points: 5, duration_seconds: 60 } }).expect(201);
    const unlimited = await keys.create({ owner: "alice", name: "default", scopes: ["admin"] });
    const limited = await request(app).post(BASE).set(bearer(unlimited.key)).send({ name: "x", scopes: ["read"], rate_limit: { points: 5, duration_seconds: 60 } }).expect(201);
    expect(limited.body.rate_limit).toEqual({ points: 5, duration_seconds: 60 }); // and it counts under its maker's default too
  });

  test("with manageScope set, a key without that scope cannot manage keys at all", async () => {
    const { app, keys } = await createApp({ router: { manageScope: "admin" } });
    const { key } = await keys.create({ owner: "alice", name: "reader", scopes: ["read"] });
    const res = await request(app).get(BASE).set(bearer(key)).expect(403);
    expect(res.body.detail).toBe("Missing scope: admin.");
  });

  test("Plexe's options: permission_level as scopes, 200 for create and revoke", async () => {
    const { app, adminKey } = await createApp({ router: { createdStatus: 200, revokedStatus: 200 } });
    const created = await request(app).post(BASE).set(bearer(adminKey)).send({ name: "Rotated Key", permission_level: "read_write" }).expect(200);
    expect(created.body.scopes).toEqual(["read", "write"]);
    const revoked = await request(app).delete(`${BASE}/${created.body.key_id}`).set(bearer(adminKey)).expect(200);
    expect(revoked.body).toMatchObject({ key_id: created.body.key_id, status: "revoked" });
  });

  test("usage per day, for the owner and for one key (Plexe's usage tracking)", async () => {
    const { app, adminKey } = await createApp();
    const worker = await keyWith(app, adminKey, ["read"]);
    for (let i = 0; i < 3; i++) await request(app).get("/api/projects").set(bearer(worker.key)).expect(200);
    const ofKey = await request(app).get(`${BASE}/${worker.key_id}/usage?days=2`).set(bearer(adminKey)).expect(200);
    expect(ofKey.body).toEqual({ key_id: worker.key_id, usage: [{ date: "2025-12-31", requests: 0 }, { date: "2026-01-01", requests: 3 }], total: 3 });
    const ofOwner = await request(app).get(`${BASE}/usage?days=1`).set(bearer(adminKey)).expect(200);
    expect(ofOwner.body.owner).toBe("alice");
    expect(ofOwner.body.total).toBeGreaterThanOrEqual(4); // the worker's 3 and the admin key's own calls
    await request(app).get(`${BASE}/usage?days=91`).set(bearer(adminKey)).expect(400);
  });

  test("listing is masked, newest first and paginated", async () => {
    const { app, adminKey } = await createApp();
    const made: string[] = [];
    for (let i = 0; i < 4; i++) made.push((await keyWith(app, adminKey, ["read"])).key);
    const first = await request(app).get(`${BASE}?limit=3`).set(bearer(adminKey)).expect(200);
    expect(first.body.keys).toHaveLength(3);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await request(app).get(`${BASE}?limit=3&cursor=${first.body.next_cursor}`).set(bearer(adminKey)).expect(200);
    expect(second.body.keys).toHaveLength(2); // the fourth key and the bootstrap admin key
    expect(second.body.next_cursor).toBeNull();
    const text = JSON.stringify([first.body, second.body]);
    for (const key of made) expect(text).not.toContain(key);
    for (const k of first.body.keys) expect(k).toMatchObject({ key_id: expect.any(String), preview: expect.stringMatching(/^cpx_live\.\w{4}…\w{4}$/) });
  });
});

describe("bad input gets a 4xx naming the problem, never a 500", () => {
  let ctx: Awaited<ReturnType<typeof createApp>>;
  beforeAll(async () => {
    ctx = await createApp();
  });

  test.each([
    ["name of the wrong type", { name: 5, scopes: ["read"] }, /^name: /],
    ["missing name", { scopes: ["read"] }, /^name: /],
    ["scopes as a string", { name: "x", scopes: "read" }, /^scopes: /],
    ["a scope that is a number", { name: "x", scopes: [1] }, /^scopes\.0: /],
    ["an unknown scope", { name: "x", scopes: ["reed"] }, /^scopes: unknown scope "reed"/],
    // One length limit for scopes, the grammar's: a long scope is judged as a scope, a longer one by length.
    ["an unknown scope of 150 characters", { name: "x", scopes: ["r".repeat(150)] }, /^scopes: unknown scope "r{150}"/],
    ["a scope past the grammar's 200 characters", { name: "x", scopes: ["r".repeat(201)] }, /^scopes\.0: /],
    ["no scopes and no permission level", { name: "x" }, /^scopes: give either scopes or permission_level/],
    ["both scopes and a permission level", { name: "x", scopes: ["read"], permission_level: "read_write" }, /^scopes: /],
    ["an unknown permission level", { name: "x", permission_level: "god_mode" }, /^permission_level: use one of read_write/],
    ["an unknown field", { name: "x", scopes: ["read"], scope: "admin" }, /^body: /],
    ["expires_at that is not a date", { name: "x", scopes: ["read"], expires_at: "tomorrow" }, /^expires_at: /],
    ["expires_at in the past", { name: "x", scopes: ["read"], expires_at: "2020-01-01T00:00:00Z" }, /^expires_at: must be a time in the future/],
    ["expires_in as a string", { name: "x", scopes: ["read"], expires_in: "3600" }, /^expires_in: /],
    ["a name of control characters", { name: "\u0000\u0007", scopes: ["read"] }, /^name: /],
    ["nested metadata", { name: "x", scopes: ["read"], metadata: { a: { b: 1 } } }, /^metadata\.a: /],
    ["a body that is an array", [1, 2], /^body: /],
    ["a body that is null (the strict JSON parser refuses it)", null, /^The request body is not valid JSON/],
  ])("create with %s: 400", async (_what, body, detail) => {
    const res = await request(ctx.app).post(BASE).set(bearer(ctx.adminKey)).set("Content-Type", "application/json").send(JSON.stringify(body)).expect(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.detail).toMatch(detail);
  });

  test("a body that is not JSON: 400; not declared as JSON: 415; too large: 413", async () => {
    const post = () => request(ctx.app).post(BASE).set(bearer(ctx.adminKey));
    expect((await post().set("Content-Type", "application/json").send("{name: oops").expect(400)).body.detail).toBe("The request body is not valid JSON.");
    expect((await post().set("Content-Type", "text/plain").send("name=x").expect(415)).body.error).toBe("unsupported_media_type");
    expect((await post().type("form").send({ name: "x" }).expect(415)).body.error).toBe("unsupported_media_type");
    const huge = JSON.stringify({ name: "x", scopes: ["read"], metadata: { a: "y".repeat(20_000) } });
    expect((await post().set("Content-Type", "application/json").send(huge).expect(413)).body.error).toBe("payload_too_large");
    expect((await post().set("Content-Type", "application/json; charset=latin2").send("{}").expect(415)).body.error).toBe("unsupported_media_type");
    const utf16 = Buffer.from(JSON.stringify({ name: "x", scopes: ["read"] }), "utf16le");
    for (const charset of ["utf-16le", "utf-16", "utf-32"]) {
      const res = await post().set("Content-Type", `application/json; charset=${charset}`).send(utf16).expect(415);
      expect(res.body).toEqual({ error: "unsupported_media_type", detail: "The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8)." });
    }
    await post().set("Content-Type", "application/json; charset=UTF-8").send(JSON.stringify({ name: "x", scopes: ["read"] })).expect(201);
  });

  test.each([["0"], ["101"], ["abc"], ["1.5"]])("listing with limit=%s: 400", async (limit) => {
    const res = await request(ctx.app).get(`${BASE}?limit=${limit}`).set(bearer(ctx.adminKey)).expect(400);
    expect(res.body.detail).toMatch(/^limit: /);
  });

  // Express 4's query parser (qs) makes these an object or an array: a 400 naming the field.
  // Express 5's keeps "limit[a]" as a name of its own, which the listing ignores as unknown.
  test.each([["limit[a]=1", "limit"], ["status[]=active&status[]=all", "status"], ["cursor[$gt]=", "cursor"]])(
    "listing with the nested query %s: a 400 naming the field on Express 4, an ordinary listing on 5",
    async (query, field) => {
      const expressMajor = Number((require("express/package.json") as { version: string }).version.split(".")[0]);
      const res = await request(ctx.app).get(`${BASE}?${query}`).set(bearer(ctx.adminKey));
      if (expressMajor === 4) {
        expect(res.status).toBe(400);
        expect(res.body.detail).toMatch(new RegExp(`^${field}: `));
      } else {
        expect(res.status).toBe(200);
        expect(res.body.keys.map((k: { key_id: string }) => k.key_id)).toContain(ctx.adminId);
      }
    },
  );

  test.each([["a malformed id", "not-a-key-id"], ["an id that is too long", `key_${"a".repeat(200)}`]])("%s: 404", async (_what, id) => {
    await request(ctx.app).get(`${BASE}/${encodeURIComponent(id)}`).set(bearer(ctx.adminKey)).expect(404);
  });

  test("rotating with a negative, fractional or excessive grace period: 400", async () => {
    const { key_id } = await keyWith(ctx.app, ctx.adminKey, ["read"]);
    for (const grace of [-1, 1.5, "60", 40 * 24 * 3600]) {
      const res = await request(ctx.app).post(`${BASE}/${key_id}/rotate`).set(bearer(ctx.adminKey)).send({ grace_period_seconds: grace }).expect(400);
      expect(res.body.detail).toMatch(/^grace_period_seconds: /);
    }
  });

  test("rotating with a body that is not JSON: 415, rather than ignoring the grace period it asked for", async () => {
    const { key_id, key } = await keyWith(ctx.app, ctx.adminKey, ["read"]);
    const res = await request(ctx.app).post(`${BASE}/${key_id}/rotate`).set(bearer(ctx.adminKey)).type("form").send({ grace_period_seconds: 3600 }).expect(415);
    expect(res.body.error).toBe("unsupported_media_type");
    await request(ctx.app).get("/api/projects").set(bearer(key)).expect(200); // the old key was not touched
    await request(ctx.app).post(`${BASE}/${key_id}/rotate`).set(bearer(ctx.adminKey)).expect(201); // no body at all is fine
  });

  test("an expiry past the year 9999 is a 400, so no stored time can break a later listing", async () => {
    const res = await request(ctx.app).post(BASE).set(bearer(ctx.adminKey)).send({ name: "x", scopes: ["read"], expires_at: "9999-12-31T23:59:59.999Z" }).expect(201);
    expect(res.body.expires_at).toBe("9999-12-31T23:59:59.999Z");
    await request(ctx.app).get(BASE).set(bearer(ctx.adminKey)).expect(200);
    expect((await ctx.keys.create({ owner: "alice", name: "x", scopes: ["read"], expiresAt: 8.7e15 }).catch((e) => e)).code).toBe("invalid_request");
  });

  test("rotating a revoked key, or a key twice: 409 conflict", async () => {
    const { key_id } = await keyWith(ctx.app, ctx.adminKey, ["read"]);
    await request(ctx.app).post(`${BASE}/${key_id}/rotate`).set(bearer(ctx.adminKey)).send({ grace_period_seconds: 60 }).expect(201);
    expect((await request(ctx.app).post(`${BASE}/${key_id}/rotate`).set(bearer(ctx.adminKey)).expect(409)).body.error).toBe("conflict");
    const other = await keyWith(ctx.app, ctx.adminKey, ["read"]);
    await request(ctx.app).delete(`${BASE}/${other.key_id}`).set(bearer(ctx.adminKey)).expect(204);
    await request(ctx.app).post(`${BASE}/${other.key_id}/rotate`).set(bearer(ctx.adminKey)).expect(409);
  });
});

test("configuration mistakes are refused when the router is created", async () => {
  const { keys } = await createApp();
  expect(() => apiKeysRouter({ keys } as never)).toThrow(/apiKeysRouter: "manageScope" is required/);
  expect(() => apiKeysRouter({ keys, manageScope: false, createdStatus: 202 } as never)).toThrow(/"createdStatus" must be 200 or 201/);
  expect(() => apiKeysRouter({ keys, manageScope: false, permissionLevels: { x: ["nope"] } })).toThrow(/permissionLevels\.x.*unknown scope "nope"/);
  expect(() => apiKeysRouter({ keys, manageScope: false, revokeStatus: 200 } as never)).toThrow(/unknown option "revokeStatus"/);
  expect(() => apiKeysRouter({ keys, manageScope: "admn" })).toThrow(/apiKeysRouter: "manageScope": unknown scope "admn"/);
  expect(() => apiKeysRouter({ keys, manageScope: false, maxGracePeriodSeconds: Number.MAX_SAFE_INTEGER })).toThrow(/at most ten years/);
  expect(() => apiKeysRouter({ keys, manageScope: false, realm: 'a"b' })).toThrow(/apiKeysRouter: "realm" must be/);
  expect(() => apiKeysRouter({ keys, manageScope: false, permissionLevels: { x: [] } })).toThrow(/^apiKeysRouter: "permissionLevels\.x" must be a non-empty array of scopes$/);
  expect(() => apiKeysRouter({ keys, manageScope: false, permissionLevels: ["read"] } as never)).toThrow(/^apiKeysRouter: "permissionLevels" must be an object of named scope lists/);
  expect(() => apiKeysRouter({ keys, manageScope: false, revokedStatus: 201 } as never)).toThrow(/^apiKeysRouter: "revokedStatus" must be 200 or 204, got 201$/);
  expect(() => apiKeysRouter({ keys, manageScope: false, recentAuth: true } as never)).toThrow(/^apiKeysRouter: "recentAuth" must be a middleware such as requireRecentAuth\(\{ maxAgeMs \}\), or false$/);
  expect(() => apiKeysRouter({ keys, manageScope: false, audit: {} } as never)).toThrow(/^apiKeysRouter: "audit" must be an AuditSink, such as new MemoryAuditSink\(\)$/);
  expect(() => apiKeysRouter({ manageScope: false } as never)).toThrow(/^apiKeysRouter: "keys" is required: pass the same ApiKeys as apiKeyAuth$/);
  expect(() => apiKeysRouter(undefined as never)).toThrow(/^apiKeysRouter: options are required$/);
  // The scopes are checked against the keys' policy only once the options themselves are sound.
  expect(() => apiKeysRouter({ keys, manageScope: "admn", createdStatus: 202 } as never)).toThrow(/^apiKeysRouter: "createdStatus" must be 200 or 201/);
});
