import express from "express";
import request from "supertest";
import { MemoryKeyStore, type KeyStore } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { createApp } from "./create-app";

const redis = useRedisServer();
let n = 0;
const stores: [string, () => KeyStore][] = [
  ["memory", () => new MemoryKeyStore()],
  ["redis", () => new RedisKeyStore(redis().client(), { prefix: `auth${++n}:` })],
];

describe.each(stores)("apiKeyAuth on the %s store", (_name, makeStore) => {
  async function withKey(scopes = ["read"]) {
    const ctx = createApp({ store: makeStore() });
    const created = await ctx.keys.create({ owner: "alice", name: "CI", scopes, app: "app-1" });
    return { ...ctx, key: created.key, id: created.record.id };
  }

  test.each([
    ["Authorization: Bearer", (key: string) => ({ Authorization: `Bearer ${key}` })],
    ["x-api-key", (key: string) => ({ "x-api-key": key })],
    ["Authorization: Key", (key: string) => ({ Authorization: `Key ${key}` })],
    ["a lower-case scheme", (key: string) => ({ Authorization: `bearer ${key}` })],
  ])("a valid key in %s sets the principal", async (_how, headers) => {
    const { app, key, id } = await withKey(["read", "predict"]);
    const res = await request(app).get("/whoami").set(headers(key)).expect(200);
    expect(res.body.auth).toEqual({ kind: "api_key", keyId: id, owner: "alice", scopes: ["read", "predict"], app: "app-1" });
  });

  test("a revoked key is refused on the very next request with revoked_key", async () => {
    const { app, keys, key, id } = await withKey();
    await request(app).get("/whoami").set("x-api-key", key).expect(200);
    await keys.revoke(id);
    const res = await request(app).get("/whoami").set("x-api-key", key).expect(401);
    expect(res.body).toEqual({ error: "revoked_key", detail: "The API key has been revoked." });
    expect(res.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  test("an expired key is refused with expired_key", async () => {
    const { app, keys, clock } = createApp({ store: makeStore() });
    const { key } = await keys.create({ owner: "alice", name: "short", scopes: ["read"], expiresAt: clock.now + 60_000 });
    await request(app).get("/whoami").set("x-api-key", key).expect(200);
    clock.advance(60_000);
    const res = await request(app).get("/whoami").set("x-api-key", key).expect(401);
    expect(res.body.error).toBe("expired_key");
  });

  test("a well-formed key that was never issued is invalid_key, as is one issued under another secret", async () => {
    const { app } = createApp({ store: makeStore() });
    const other = await createApp().keys.create({ owner: "mallory", name: "x", scopes: ["read"] });
    const res = await request(app).get("/whoami").set("Authorization", `Bearer ${other.key}`).expect(401);
    expect(res.body).toEqual({ error: "invalid_key", detail: "Invalid API key." });
  });
});

describe("apiKeyAuth refuses bad input with the right 4xx", () => {
  const { app, keys } = createApp();
  let key = "";
  beforeAll(async () => {
    key = (await keys.create({ owner: "alice", name: "CI", scopes: ["read"] })).key;
  });

  test("no credentials: 401 missing_credentials with a challenge per scheme and no error", async () => {
    const res = await request(app).get("/whoami").expect(401);
    expect(res.body).toEqual({ error: "missing_credentials", detail: "Authentication credentials were not provided." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", Key realm="api"');
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  test.each([
    ["an empty Authorization header", { Authorization: "" }],
    ["an empty x-api-key header", { "x-api-key": "   " }],
  ])("%s counts as no credentials", async (_what, headers) => {
    const res = await request(app).get("/whoami").set(headers).expect(401);
    expect(res.body.error).toBe("missing_credentials");
  });

  test("a scheme this middleware does not read: 401 naming the supported schemes", async () => {
    const res = await request(app).get("/whoami").set("Authorization", `Basic ${Buffer.from("a:b").toString("base64")}`).expect(401);
    expect(res.body).toEqual({ error: "missing_credentials", detail: "The Authorization scheme is not supported; use Bearer or Key." });
  });

  test.each([
    ["a scheme without a key", () => "Bearer"],
    ["a scheme and blanks", () => "Bearer    "],
    ["a wrong prefix", () => `Bearer plx_sk_${key.slice("cpx_live.".length)}`],
    ["a bad checksum", () => `Bearer ${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`],
    ["a truncated key", () => `Bearer ${key.slice(0, -3)}`],
    ["a key with junk after it", () => `Bearer ${key} extra`],
    ["a 10 kB value", () => `Bearer cpx_live.${"a".repeat(10_000)}`],
    ["non-ASCII bytes", () => `Bearer cpx_live.\u00e9\u00e8${key.slice(11)}`],
  ])("%s: 401 invalid_key", async (_what, value) => {
    const res = await request(app).get("/whoami").set("Authorization", value()).expect(401);
    // expired_key is its own code: a key that is malformed or unknown is not said to be expired.
    expect(res.body).toEqual({ error: "invalid_key", detail: "Invalid API key." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="invalid_token", Key realm="api", error="invalid_token"');
  });

  test("two credentials at once: 400 invalid_request, even when both are the same valid key", async () => {
    const res = await request(app).get("/whoami").set("Authorization", `Bearer ${key}`).set("x-api-key", key).expect(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.headers["www-authenticate"]).toContain('error="invalid_request"');
  });

  test("two Authorization headers are two credentials: 400, where Node alone would keep the first", async () => {
    const other = (await keys.create({ owner: "bob", name: "other", scopes: ["read"] })).key;
    const res = await request(app).get("/whoami").set("Authorization", [`Bearer ${key}`, `Bearer ${other}`] as unknown as string).expect(400);
    expect(res.body.error).toBe("invalid_request");
  });

  test("a tab between scheme and key is a separator, as RFC 9110 allows", async () => {
    await request(app).get("/whoami").set("Authorization", `Bearer\t${key}`).expect(200);
  });

  test("a repeated x-api-key header is two credentials: 400, not one of them picked", async () => {
    const res = await request(app).get("/whoami").set("x-api-key", [key, key] as unknown as string).expect(400);
    expect(res.body.error).toBe("invalid_request");
  });
});

describe("apiKeyAuth modes and options", () => {
  test("optional mode passes requests without a key on, but still refuses a bad key", async () => {
    const { app } = createApp({ auth: { optional: true } });
    expect((await request(app).get("/whoami").expect(200)).body).toEqual({ auth: null });
    await request(app).get("/whoami").set("x-api-key", "cpx_live.nonsense").expect(401);
  });

  test("sources restrict where a key is read: a Plexe app reads x-api-key only", async () => {
    const { app, keys } = createApp({ prefix: "plx_sk_", auth: { sources: [{ header: "x-api-key" }] } });
    const { key } = await keys.create({ owner: "bob", name: "svc", scopes: ["read"] });
    await request(app).get("/whoami").set("x-api-key", key).expect(200);
    const res = await request(app).get("/whoami").set("Authorization", `Bearer ${key}`).expect(401);
    expect(res.body.error).toBe("missing_credentials");
    expect(res.headers["www-authenticate"]).toBe('APIKey realm="api"');
  });

  test("onError next hands the refusal to the host's error handler", async () => {
    const { app } = createApp({ auth: { onError: "next" } });
    app.use((error: { code?: string; status?: number }, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
      res.status(499).json({ host: error.code });
    });
    const res = await request(app).get("/whoami").expect(499);
    expect(res.body).toEqual({ host: "missing_credentials" });
  });

  test("formatError replaces the body, for a Clarifai-style status object", async () => {
    const { app } = createApp({
      auth: { formatError: (error) => ({ body: { status: { code: 11009, description: error.detail } } }) },
    });
    const res = await request(app).get("/whoami").expect(401);
    expect(res.body).toEqual({ status: { code: 11009, description: "Authentication credentials were not provided." } });
  });

  test("mounted twice on one path, the second apiKeyAuth accepts the principal the first one set", async () => {
    const { keys } = createApp();
    const app = express();
    app.use("/api", apiKeyAuth({ keys }));
    app.get("/api/x", apiKeyAuth({ keys }), (req, res) => void res.json(req.auth));
    const { key } = await keys.create({ owner: "alice", name: "twice", scopes: ["read"] });
    expect((await request(app).get("/api/x").set("x-api-key", key).expect(200)).body.owner).toBe("alice");
  });

  test.each([
    [{ keys: undefined }, /"keys" is required/],
    [{ keys: {} }, /"keys" is required/],
    [{ sources: [] }, /"sources" must be a non-empty array/],
    [{ sources: [{ header: "cookie" }] }, /never read from cookies/],
    [{ sources: [{ header: "bad header" }] }, /"sources\.0" must be \{ authorization: "<scheme>" \} or \{ header: "<name>" \}, the scheme or name a token .*, got \{"header":"bad header"\}$/],
    [{ sources: [{ authorization: "Bearer" }, { header: "Authorization" }] }, /"sources\.1" must not name the Authorization header: use \{ authorization: "<scheme>" \} for it$/],
    [{ realm: 'a"b' }, /"realm" must be/],
    [{ optinal: true }, /unknown option "optinal"/],
    [{ onError: "log" }, /"onError" must be "respond" or "next", got "log"$/],
    [{ optional: "yes" }, /"optional" must be a boolean$/],
    [{ audit: { log() {} } }, /"audit" must be an AuditSink, such as new MemoryAuditSink\(\)$/],
  ])("configuration %j is refused at creation with a message that says how to fix it", (overrides, message) => {
    const { keys } = createApp();
    expect(() => apiKeyAuth({ keys, ...overrides } as never)).toThrow(message);
    expect(() => apiKeyAuth({ keys, ...overrides } as never)).toThrow(/^apiKeyAuth: /);
  });

  test("no options at all are refused with how to call it", () => {
    expect(() => apiKeyAuth(undefined as never)).toThrow(/^apiKeyAuth: options are required: apiKeyAuth\(\{ keys \}\)$/);
  });
});
