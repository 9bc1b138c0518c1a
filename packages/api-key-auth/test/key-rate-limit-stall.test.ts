import express from "express";
import request from "supertest";
import { ApiKeys, MemoryKeyStore } from "@portcullis/core";
import { MAX_KEY_DEPTH } from "@portcullis/core/internal";
import { RedisLimiterStore } from "@portcullis/redis";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { useRedisServer, whenReady } from "@portcullis/testing";

// A stalled Redis (SIGSTOP: connected, never answering) under a key made by keys, which counts
// under its own chain and under each maker's. The request must wait for one timeout, not one per
// count. Timeouts are counted as they fire, not timed: a timer of TIMEOUT_MS is the limiter's.
const redis = useRedisServer();
const TIMEOUT_MS = 97;

async function setup(prefix: string) {
  const client = await whenReady(redis().client());
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "r".repeat(32), prefix: "plx_sk_" });
  const app = express();
  const limit = keyRateLimit({ store: new RedisLimiterStore(client, { prefix }), timeoutMs: TIMEOUT_MS, default: false });
  app.get("/models", apiKeyAuth({ keys }), limit, (_req, res) => void res.json([]));
  const root = await keys.create({ owner: "acct", name: "root", scopes: ["read"], rateLimit: { points: 100, durationSeconds: 60 } });
  let deepest = root;
  for (let depth = 1; depth <= MAX_KEY_DEPTH; depth++) {
    // The deepest key has a tighter limit of its own; the others inherit the root's.
    const rateLimit = depth === MAX_KEY_DEPTH ? { rateLimit: { points: 3, durationSeconds: 60 } } : {};
    deepest = await keys.create({ owner: "acct", name: `k${depth}`, scopes: ["read"], createdBy: deepest.record.id, ...rateLimit });
  }
  expect(deepest.record.countsUnder).toHaveLength(MAX_KEY_DEPTH); // nine counts per request
  return { app, client, root, deepest };
}

/** Runs `during` with every timer of TIMEOUT_MS counted as it fires. */
async function countingTimeouts(during: (fired: () => number) => Promise<void>): Promise<void> {
  const realSetTimeout = globalThis.setTimeout;
  let fired = 0;
  const spy = jest.spyOn(globalThis, "setTimeout").mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetTimeout(ms === TIMEOUT_MS ? () => (fired++, callback(...args)) : callback, ms, ...args)) as typeof setTimeout);
  try {
    await during(() => fired);
  } finally {
    spy.mockRestore();
  }
}

/** Calls of the rate-limit script Redis has run so far. */
async function scriptCalls(client: { info(section: string): Promise<string> }): Promise<number> {
  const stats = await client.info("commandstats");
  return [...stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)].reduce((sum, [, calls]) => sum + Number(calls), 0);
}

test("a stalled Redis holds a deep key's request for one timeout, not one per count, and memory still limits it", async () => {
  const { app, root, deepest } = await setup("stall-deep:");
  await countingTimeouts(async (fired) => {
    redis().stall();
    try {
      const ok = await request(app).get("/models").set("x-api-key", deepest.key).expect(200);
      expect(fired()).toBe(1);
      expect(ok.headers["ratelimit"]).toMatch(/^"3-in-1min"; r=2; t=(5\d|60)$/); // the tightest, as counted in memory
      await request(app).get("/models").set("x-api-key", deepest.key).expect(200);
      await request(app).get("/models").set("x-api-key", deepest.key).expect(200);
      await request(app).get("/models").set("x-api-key", deepest.key).expect(429);
      expect(fired()).toBe(4);
      // The refused request was given back under the root, in memory: the root has used three.
      expect((await request(app).get("/models").set("x-api-key", root.key).expect(200)).headers["ratelimit"]).toMatch(/^"100-in-1min"; r=96; t=(5\d|60)$/);
    } finally {
      redis().resume();
    }
  });
});

test("a key made by no key counts once; a deep key once per chain, and both answer from Redis", async () => {
  const { app, client, root, deepest } = await setup("stall-count:");
  await countingTimeouts(async (fired) => {
    const before = await scriptCalls(client);
    await request(app).get("/models").set("x-api-key", root.key).expect(200);
    const afterRoot = await scriptCalls(client);
    expect(afterRoot - before).toBe(1);
    await request(app).get("/models").set("x-api-key", deepest.key).expect(200);
    expect((await scriptCalls(client)) - afterRoot).toBe(MAX_KEY_DEPTH + 1);
    expect(fired()).toBe(0);
  });
});
