import type { Redis } from "ioredis";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { loginRedisKeys } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail, readyClient } from "./create-app";

const redis = useRedisServer();
let n = 0;

async function disconnect(client: Redis): Promise<void> {
  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
}

test("with Redis unreachable the insurance limiter in memory still enforces the limits, and Redis takes over again when it is back", async () => {
  const client = await readyClient(redis(), { enableOfflineQueue: false });
  const prefix = `down${++n}:`;
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
  expect(await fail(app, 3)).toEqual([401, 401, 401]); // counted in Redis

  await disconnect(client);
  // The insurance starts from zero: its counts are per process and separate from Redis's.
  expect(await fail(app, 10)).toEqual(Array(10).fill(401));
  const refused = await attempt(app).expect(429);
  expect(refused.headers["retry-after"]).toBe("900");
  await attempt(app, { username: "bob", password: "right" }).expect(200); // others still sign in

  await client.connect();
  // Back on Redis, where alice had three failures: seven more are allowed, not ten.
  expect(await fail(app, 7)).toEqual(Array(7).fill(401));
  await attempt(app).expect(429);
  expect(await client.exists(loginRedisKeys("10.0.0.1", "alice", prefix).consecutiveFailures)).toBe(1);
});

test("a host client with ioredis's default offline queue fails over at once instead of waiting for Redis", async () => {
  const client = await readyClient(redis()); // enableOfflineQueue left at its default, true
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix: `queue${++n}:` }) } });
  await disconnect(client);
  expect(await fail(app, 10)).toEqual(Array(10).fill(401));
  await attempt(app).expect(429);
  await client.connect(); // leave it connected: the server's stop() cannot close an ended client promptly
});

test("if the insurance failed too, the attempt is refused with 503 auth_unavailable, never let in", async () => {
  const client = await readyClient(redis(), { enableOfflineQueue: false });
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix: `both${++n}:` }) } });
  await disconnect(client);
  const broken = jest.spyOn(RateLimiterMemory.prototype, "consume").mockRejectedValue(new Error("out of memory"));
  try {
    const res = await attempt(app, { password: "right" }).expect(503);
    expect(res.body.error).toBe("auth_unavailable");
  } finally {
    broken.mockRestore();
    await client.connect();
  }
});

test("a Redis that takes commands but does not answer them: after timeoutMs the insurance counts, and still blocks", async () => {
  const client = await readyClient(redis());
  const prefix = `stalled${++n}:`;
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }), timeoutMs: 50, consecutiveFailures: { points: 2, blockSeconds: 900 } } });
  const admin = await readyClient(redis());
  await admin.client("PAUSE", 20_000, "WRITE"); // scripts and writes wait; reads, like the EXISTS below, still answer
  try {
    expect(await fail(app, 2)).toEqual([401, 401]);
    await attempt(app).expect(429);
    // Answered while Redis still held every count: the memory insurance made those decisions.
    expect(await admin.exists(loginRedisKeys("10.0.0.1", "alice", prefix).consecutiveFailures)).toBe(0);
  } finally {
    await admin.client("UNPAUSE");
  }
});
