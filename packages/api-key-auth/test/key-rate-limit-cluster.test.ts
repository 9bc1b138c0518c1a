import express from "express";
import request from "supertest";
import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore, RedisLimiterStore } from "@portcullis/redis";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { keysPerMaster, useRedisCluster, whenReady } from "@portcullis/testing";

// keyRateLimit (rate-limiter-flexible's RateLimiterRedis) and the key store through ioredis's
// Cluster client on three real masters: each key's counter is one Redis key in a slot of its own.
const cluster = useRedisCluster();
let n = 0;

/** A cluster client once it is ready: before that, requests are counted by the insurance in memory. */
const readyCluster = () => whenReady(cluster().client());

/** One process: its own cluster client, keys and limiter, over the shared prefix. */
async function createApp(prefix: string) {
  const client = await readyCluster();
  const keys = new ApiKeys({ store: new RedisKeyStore(client, { prefix }), secret: "r".repeat(32), prefix: "plx_sk_" });
  const app = express();
  app.get("/models", apiKeyAuth({ keys }), keyRateLimit({ store: new RedisLimiterStore(client, { prefix }), default: { points: 3, durationSeconds: 60 } }), (_req, res) => {
    res.json([]);
  });
  return { app, keys, client };
}

test("a key's limit blocks the request past it, and two processes on the cluster share the count", async () => {
  const prefix = `krc${++n}:`;
  const one = await createApp(prefix);
  const two = await createApp(prefix);
  const { key, record } = await one.keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 4, durationSeconds: 60 } });
  await request(one.app).get("/models").set("x-api-key", key).expect(200);
  await request(two.app).get("/models").set("x-api-key", key).expect(200);
  await request(one.app).get("/models").set("x-api-key", key).expect(200);
  expect((await request(two.app).get("/models").set("x-api-key", key).expect(200)).headers["ratelimit"]).toMatch(/^"4-in-1min"; r=0; t=(5\d|60)$/);
  const refused = await request(one.app).get("/models").set("x-api-key", key).expect(429);
  expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  await request(two.app).get("/models").set("x-api-key", key).expect(429);
  expect(Number(await one.client.get(`${prefix}key-rate:60:${record.id}`))).toBe(6);
});

test("many keys' counters spread over every master, each limited on its own", async () => {
  const prefix = `krc${++n}:`;
  const { app, keys, client } = await createApp(prefix);
  const made = [];
  for (let i = 0; i < 30; i++) made.push((await keys.create({ owner: `acct-${i}`, name: "k", scopes: ["read"] })).key);
  for (const key of made) await request(app).get("/models").set("x-api-key", key).expect(200);
  for (let i = 0; i < 2; i++) await request(app).get("/models").set("x-api-key", made[0]!).expect(200);
  await request(app).get("/models").set("x-api-key", made[0]!).expect(429);
  await request(app).get("/models").set("x-api-key", made[1]!).expect(200);

  const counters = await keysPerMaster(client, `${prefix}key-rate:*`);
  expect(counters.reduce((a, b) => a + b, 0)).toBe(30);
  expect(counters.every((count) => count > 0)).toBe(true); // thirty counters on fewer than three masters: about 1 in 10^5
});
