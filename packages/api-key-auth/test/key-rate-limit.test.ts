import express from "express";
import request from "supertest";
import { ApiKeys, MemoryKeyStore, type KeyRateLimit, type KeyStore } from "@portcullis/core";
import { RedisKeyStore, RedisLimiterStore } from "@portcullis/redis";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { useRedisServer, whenReady } from "@portcullis/testing";

const redis = useRedisServer();

function createApp(store: KeyStore, limit: Parameters<typeof keyRateLimit>[0]) {
  const keys = new ApiKeys({ store, secret: "r".repeat(32), prefix: "plx_sk_" });
  const app = express();
  app.get("/models", apiKeyAuth({ keys }), keyRateLimit(limit), (_req, res) => void res.json([]));
  return { app, keys };
}

describe.each([["in memory", false], ["on Redis", true]])("keyRateLimit %s", (_where, onRedis) => {
  let n = 0;
  const setup = (ownLimit?: KeyRateLimit, fallback: KeyRateLimit | false = { points: 5, durationSeconds: 60 }) => {
    const client = onRedis ? redis().client() : undefined;
    const prefix = `krl${++n}-${Date.now()}:`;
    const store = client ? new RedisKeyStore(client, { prefix }) : new MemoryKeyStore();
    return { ...createApp(store, { default: fallback, ...(client ? { store: new RedisLimiterStore(client, { prefix }) } : {}) }), ownLimit };
  };

  test("a key's own limit: the request past it gets 429 with Retry-After and the RateLimit headers", async () => {
    const { app, keys } = setup();
    const { key } = await keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 3, durationSeconds: 60 } });
    for (let i = 0; i < 3; i++) {
      const ok = await request(app).get("/models").set("x-api-key", key).expect(200);
      expect(ok.headers["ratelimit"]).toMatch(new RegExp(`^"3-in-1min"; r=${2 - i}; t=(5\\d|60)$`)); // t counts down from 60 while a loaded machine runs the test
    }
    const refused = await request(app).get("/models").set("x-api-key", key).expect(429);
    expect(refused.body).toEqual({ error: "rate_limit_exceeded", detail: "This key has made too many requests; retry later." });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(refused.headers["ratelimit-policy"]).toBe('"3-in-1min"; q=3; w=60');
  });

  test("keys without a limit of their own get the default, each counted separately", async () => {
    const { app, keys } = setup();
    const a = (await keys.create({ owner: "acct", name: "a", scopes: ["read"] })).key;
    const b = (await keys.create({ owner: "acct", name: "b", scopes: ["read"] })).key;
    for (let i = 0; i < 5; i++) await request(app).get("/models").set("x-api-key", a).expect(200);
    await request(app).get("/models").set("x-api-key", a).expect(429);
    await request(app).get("/models").set("x-api-key", b).expect(200);
  });

  test("rotating a key does not reset its count: the new key goes on from where the old one was", async () => {
    const { app, keys } = setup();
    const old = await keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 3, durationSeconds: 60 } });
    for (let i = 0; i < 2; i++) await request(app).get("/models").set("x-api-key", old.key).expect(200);

    const rotated = (await keys.rotate(old.record.id, { gracePeriodMs: 60_000 }))!;
    const last = await request(app).get("/models").set("x-api-key", rotated.key).expect(200);
    expect(last.headers["ratelimit"]).toMatch(/^"3-in-1min"; r=0; t=(5\d|60)$/);
    await request(app).get("/models").set("x-api-key", rotated.key).expect(429);
    await request(app).get("/models").set("x-api-key", old.key).expect(429); // the same allowance, during the grace period too
  });

  test("children count under their creator's limit: a parent and N children together never pass the parent's limit", async () => {
    const { app, keys } = setup();
    const parent = await keys.create({ owner: "acct", name: "p", scopes: ["read"], rateLimit: { points: 5, durationSeconds: 60 } });
    // A tighter limit of its own, over another window: its requests still use up the parent's minute.
    const own = await keys.create({ owner: "acct", name: "c1", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 3600 }, createdBy: parent.record.id });
    const inherits = await keys.create({ owner: "acct", name: "c2", scopes: ["read"], createdBy: parent.record.id });
    const grandchild = await keys.create({ owner: "acct", name: "g", scopes: ["read"], createdBy: inherits.record.id });
    expect(own.record.countsUnder).toEqual([{ lineage: parent.record.id, rateLimit: { points: 5, durationSeconds: 60 } }]);

    const get = (key: string) => request(app).get("/models").set("x-api-key", key);
    await get(parent.key).expect(200);
    await get(own.key).expect(200);
    await get(own.key).expect(200);
    await get(own.key).expect(429); // its own 2 per hour
    await get(inherits.key).expect(200);
    const last = await get(grandchild.key).expect(200);
    expect(last.headers["ratelimit"]).toMatch(/^"5-in-1min"; r=0; t=(5\d|60)$/);
    for (const key of [parent.key, inherits.key, grandchild.key]) await get(key).expect(429);
    const late = await keys.create({ owner: "acct", name: "c3", scopes: ["read"], createdBy: parent.record.id });
    await get(late.key).expect(429); // a new child brings no fresh allowance
  });

  test("the default is read once, at creation: changing the options object later changes nothing", async () => {
    const fallback = { points: 2, durationSeconds: 60 };
    const { app, keys } = setup(undefined, fallback);
    fallback.points = 1000;
    const { key } = await keys.create({ owner: "acct", name: "k", scopes: ["read"] });
    const first = await request(app).get("/models").set("x-api-key", key).expect(200);
    expect(first.headers["ratelimit-policy"]).toBe('"2-in-1min"; q=2; w=60');
    await request(app).get("/models").set("x-api-key", key).expect(200);
    await request(app).get("/models").set("x-api-key", key).expect(429);
  });

  test("default: false leaves keys without their own limit unlimited", async () => {
    const { app, keys } = setup(undefined, false);
    const { key } = await keys.create({ owner: "acct", name: "k", scopes: ["read"] });
    for (let i = 0; i < 20; i++) await request(app).get("/models").set("x-api-key", key).expect(200);
  });
});

test("on Redis the count is shared by every process: two apps on one Redis share one limit", async () => {
  const client = redis().client();
  const store = new RedisKeyStore(client, { prefix: "shared:" });
  const one = createApp(store, { store: new RedisLimiterStore(client, { prefix: "shared:" }) });
  const two = createApp(store, { store: new RedisLimiterStore(redis().client(), { prefix: "shared:" }) });
  const { key } = await one.keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 60 } });
  await request(one.app).get("/models").set("x-api-key", key).expect(200);
  await request(two.app).get("/models").set("x-api-key", key).expect(200);
  await request(one.app).get("/models").set("x-api-key", key).expect(429);
  await request(two.app).get("/models").set("x-api-key", key).expect(429);
});

test("a key's limit is validated when the key is created, and the host default when the limiter is", async () => {
  const { keys } = createApp(new MemoryKeyStore(), {});
  await expect(keys.create({ owner: "a", name: "k", scopes: ["read"], rateLimit: { points: 0, durationSeconds: 60 } })).rejects.toMatchObject({ code: "invalid_request" });
  await expect(keys.create({ owner: "a", name: "k", scopes: ["read"], rateLimit: { points: 5, durationSeconds: 30 } })).rejects.toMatchObject({ code: "invalid_request" });
  expect(() => keyRateLimit({ default: { points: -1, durationSeconds: 60 } })).toThrow(/^keyRateLimit: "default.points" must be a whole number from 1 to 1000000, or pass default: false$/);
  expect(() => keyRateLimit({ default: { points: 5, durationSeconds: 30 } as never })).toThrow(/^keyRateLimit: "default.durationSeconds" must be one of 1, 60, 3600, 86400, or pass default: false$/);
  expect(() => keyRateLimit({ default: true } as never)).toThrow(/^keyRateLimit: "default" must be false or an object$/);
  expect(() => keyRateLimit({ default: { points: 5, durationSeconds: 60, burst: 2 } } as never)).toThrow(/^keyRateLimit: unknown option "default.burst"; the options are points, durationSeconds$/);
  expect(() => keyRateLimit({ limit: 5 } as never)).toThrow(/unknown option "limit"/);
  expect(() => keyRateLimit({ timeoutMs: 1.5 })).toThrow(/^keyRateLimit: "timeoutMs" must be a whole number/);
  expect(() => keyRateLimit({ store: "redis://localhost" } as never)).toThrow(/^keyRateLimit: "store" must be a LimiterStore, such as new RedisLimiterStore\(redis\)/);
});

test("the options of earlier versions are refused with what replaced them", () => {
  expect(() => keyRateLimit({ redis: {} } as never)).toThrow(
    /^keyRateLimit: "redis" was replaced by "store": pass new RedisLimiterStore\(redis\) from @portcullis\/redis$/,
  );
  expect(() => keyRateLimit({ keyPrefix: "myapp:" } as never)).toThrow(
    /^keyRateLimit: "keyPrefix" was replaced by the "prefix" of the store: new RedisLimiterStore\(redis, \{ prefix \}\)$/,
  );
});

test("a limit's window is one of a fixed set, and many keys with distinct limits never reset another key's count", async () => {
  const { app, keys } = createApp(new MemoryKeyStore(), {});
  await expect(keys.create({ owner: "a", name: "k", scopes: ["read"], rateLimit: { points: 5, durationSeconds: 61 } })).rejects.toMatchObject({ code: "invalid_request" });
  const victim = (await keys.create({ owner: "victim", name: "v", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 3600 } })).key;
  await request(app).get("/models").set("x-api-key", victim).expect(200);
  await request(app).get("/models").set("x-api-key", victim).expect(200);
  await request(app).get("/models").set("x-api-key", victim).expect(429);
  for (let points = 1000; points < 1100; points++) {
    const { key } = await keys.create({ owner: "attacker", name: `k${points}`, scopes: ["read"], rateLimit: { points, durationSeconds: 60 } });
    await request(app).get("/models").set("x-api-key", key).expect(200);
  }
  await request(app).get("/models").set("x-api-key", victim).expect(429);
});

test("a Redis that takes commands but does not answer them: after timeoutMs the memory limiter counts, and still limits", async () => {
  const client = redis().client();
  const { app, keys } = createApp(new MemoryKeyStore(), { store: new RedisLimiterStore(client, { prefix: "stalled:" }), timeoutMs: 50 });
  const { key, record } = await keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 60 } });
  const admin = redis().client();
  await admin.client("PAUSE", 20_000, "WRITE"); // scripts and writes wait; reads, like KEYS below, still answer
  try {
    await request(app).get("/models").set("x-api-key", key).expect(200);
    await request(app).get("/models").set("x-api-key", key).expect(200);
    await request(app).get("/models").set("x-api-key", key).expect(429);
    // Answered while Redis still held every count: the memory limiter made those decisions.
    expect(await admin.keys(`stalled:*${record.id}*`)).toEqual([]);
  } finally {
    await admin.client("UNPAUSE");
  }
});

test("a request its maker's limit refuses uses none of the key's own allowance: the counts that passed are given back", async () => {
  const client = await whenReady(redis().client());
  const { app, keys } = createApp(new MemoryKeyStore(), { store: new RedisLimiterStore(client, { prefix: "given-back:" }) });
  const parent = await keys.create({ owner: "acct", name: "p", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 60 } });
  const child = await keys.create({ owner: "acct", name: "c", scopes: ["read"], rateLimit: { points: 1, durationSeconds: 60 }, createdBy: parent.record.id });
  const get = (key: string) => request(app).get("/models").set("x-api-key", key);
  await get(parent.key).expect(200);
  await get(parent.key).expect(200);
  for (let i = 0; i < 3; i++) expect((await get(child.key).expect(429)).headers["ratelimit-policy"]).toBe('"2-in-1min"; q=2; w=60');
  // The same connection: the give-backs, sent before each answer, have run by now.
  expect(Number(await client.get(`given-back:key-rate:60:${child.record.id}`))).toBe(0);
  expect(Number(await client.get(`given-back:key-rate:60:${parent.record.id}`))).toBe(5); // refused where it was refused
});

test("a key hammering past its own tighter limit, many requests at once, leaves its maker's allowance as it was", async () => {
  const client = await whenReady(redis().client());
  const { app, keys } = createApp(new MemoryKeyStore(), { store: new RedisLimiterStore(client, { prefix: "hammer:" }) });
  const parent = await keys.create({ owner: "acct", name: "p", scopes: ["read"], rateLimit: { points: 20, durationSeconds: 60 } });
  const child = await keys.create({ owner: "acct", name: "c", scopes: ["read"], rateLimit: { points: 1, durationSeconds: 60 }, createdBy: parent.record.id });
  const get = (key: string) => request(app).get("/models").set("x-api-key", key);
  // Forty in flight at once: while they are, the maker's counter briefly holds all forty points.
  const statuses = await Promise.all(Array.from({ length: 40 }, () => get(child.key).then((res) => res.status)));
  expect(statuses.filter((status) => status === 200)).toHaveLength(1);
  expect(Number(await client.get(`hammer:key-rate:60:${parent.record.id}`))).toBe(1); // only the one served
  expect((await get(parent.key).expect(200)).headers.ratelimit).toMatch(/^"20-in-1min"; r=18; t=(5\d|60)$/);
});
