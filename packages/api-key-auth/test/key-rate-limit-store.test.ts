import express from "express";
import request from "supertest";
import { ApiKeys, MemoryKeyStore, type LimiterStore } from "@portcullis/core";
import { RATE_LIMIT_WINDOWS } from "@portcullis/core/internal";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { testLimiterStore } from "@portcullis/testing";

// Any LimiterStore plugs in: here stores of the test's own, as an adapter for another database
// (RateLimiterPostgres, …) would, with no change to keyRateLimit.

async function setup(store: LimiterStore, timeoutMs?: number) {
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "r".repeat(32), prefix: "plx_sk_" });
  const app = express();
  app.get("/models", apiKeyAuth({ keys }), keyRateLimit({ store, default: false, ...(timeoutMs ? { timeoutMs } : {}) }), (_req, res) => void res.json([]));
  const { key } = await keys.create({ owner: "acct", name: "k", scopes: ["read"], rateLimit: { points: 2, durationSeconds: 60 } });
  return { get: () => request(app).get("/models").set("x-api-key", key) };
}

test("a store of the host's own gets one limiter per window and counts every request", async () => {
  const store = testLimiterStore();
  const { get } = await setup(store);
  expect(store.made.map((settings) => settings.name)).toEqual(RATE_LIMIT_WINDOWS.map((window) => `key-rate:${window}`));
  await get().expect(200);
  await get().expect(200);
  await get().expect(429);
  expect(store.consumed()).toBe(3);
});

test("a store that never answers: after timeoutMs the memory limiter counts, and still limits", async () => {
  const { get } = await setup(testLimiterStore("stall"), 20);
  await get().expect(200);
  await get().expect(200);
  await get().expect(429);
});

test("a store that fails with no insurance of its own: 503 auth_unavailable, never served", async () => {
  const { get } = await setup(testLimiterStore("error"));
  expect((await get().expect(503)).body.error).toBe("auth_unavailable");
});
