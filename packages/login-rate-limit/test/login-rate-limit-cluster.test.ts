import { eventually, keysPerMaster, useRedisCluster, whenReady } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { loginRedisKeys } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail } from "./create-app";

// rate-limiter-flexible's RateLimiterRedis through ioredis's Cluster client on three real masters:
// its Lua increment and its MULTI (a block) each touch one key, so the counters spread over slots.
const cluster = useRedisCluster();
let n = 0;

/** A cluster client once it is ready: before that, attempts are counted by the insurance in memory. */
const readyCluster = () => whenReady(cluster().client());

test("ten wrong passwords in a row pass, the eleventh is blocked for 15 minutes, and the counts are on the cluster", async () => {
  const client = await readyCluster();
  const prefix = `lc${++n}:`;
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
  expect(await fail(app, 10)).toEqual(Array(10).fill(401));
  const refused = await attempt(app).expect(429);
  expect(refused.headers["retry-after"]).toBe("900");
  await attempt(app, { password: "right" }).expect(429);

  const keys = loginRedisKeys("10.0.0.1", "alice", prefix);
  // The block replaced the day's window on the same key (a MULTI of SET and PTTL).
  expect(await client.ttl(keys.consecutiveFailures)).toBeGreaterThan(800);
  expect(await client.ttl(keys.consecutiveFailures)).toBeLessThanOrEqual(900);
  expect(Number(await client.get(keys.perIpPerDay))).toBe(10); // the refused attempts were refunded
});

test("two processes on the cluster share one count, and reset() clears it for both", async () => {
  const prefix = `lc${++n}:`;
  const one = createApp({ limit: { store: new RedisLimiterStore(await readyCluster(), { prefix }) } });
  const two = createApp({ limit: { store: new RedisLimiterStore(await readyCluster(), { prefix }) } });
  expect(await fail(one.app, 5)).toEqual(Array(5).fill(401));
  expect(await fail(two.app, 5)).toEqual(Array(5).fill(401));
  await attempt(one.app).expect(429);
  await attempt(two.app).expect(429);
  await one.limiter.reset("alice", "10.0.0.1");
  await attempt(two.app).expect(401);
});

test("a success clears the failures in a row and gives the IP its point back", async () => {
  const client = await readyCluster();
  const prefix = `lc${++n}:`;
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
  await fail(app, 3);
  await attempt(app, { password: "right" }).expect(200);
  const keys = loginRedisKeys("10.0.0.1", "alice", prefix);
  // Both are written after the answer is sent.
  await eventually(async () => (await client.exists(keys.consecutiveFailures)) === 0);
  await eventually(async () => Number(await client.get(keys.perIpPerDay)) === 3);
});

test("the per-IP daily limit blocks a spray over many usernames, whose counters spread over every master", async () => {
  const client = await readyCluster();
  const prefix = `lc${++n}:`;
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }), perIpPerDay: { points: 30 } } });
  for (let i = 0; i < 30; i++) await attempt(app, { username: `victim${i}`, ip: "10.6.6.6" }).expect(401);
  await attempt(app, { username: "victim30", ip: "10.6.6.6" }).expect(429);
  await attempt(app, { username: "victim0", ip: "10.7.7.7" }).expect(401);

  const counters = await keysPerMaster(client, `${prefix}login-fails:*`);
  expect(counters.reduce((a, b) => a + b, 0)).toBe(31); // thirty from the sprayer, one from 10.7.7.7
  expect(counters.every((count) => count > 0)).toBe(true); // thirty counters on fewer than three masters: about 1 in 10^5
});
