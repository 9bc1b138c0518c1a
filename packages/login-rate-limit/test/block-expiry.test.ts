import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { loginRedisKeys } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail, readyClient } from "./create-app";

describe("in memory, under jest's fake clock", () => {
  // rate-limiter-flexible's memory store reads Date.now() and expires counts with setTimeout;
  // jest's modern fake timers replace both, so a block can be waited out without sleeping.
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z") });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test("a Retry-After that is honoured: after that many seconds the next attempt is allowed", async () => {
    const { app } = createApp();
    await fail(app, 10);
    const refused = await attempt(app).expect(429);
    const wait = Number(refused.headers["retry-after"]);
    expect(wait).toBe(900);
    jest.advanceTimersByTime(wait * 1000 - 1);
    await attempt(app).expect(429);
    jest.advanceTimersByTime(1);
    const allowed = await attempt(app).expect(401);
    expect(allowed.headers["ratelimit"]).toBe('"10-in-1day"; r=9; t=86400'); // counting starts again
  });

  test("attempts during a block do not extend it", async () => {
    const { app } = createApp();
    await fail(app, 11);
    const seen: string[] = [];
    for (let minute = 0; minute < 15; minute += 5) {
      seen.push((await attempt(app, { password: "right" }).expect(429)).headers["retry-after"]!);
      jest.advanceTimersByTime(5 * 60_000);
    }
    expect(seen).toEqual(["900", "600", "300"]);
    await attempt(app, { password: "right" }).expect(200);
  });

  test("a day's block of a spraying IP ends after a day", async () => {
    const { app } = createApp({ limit: { perIpPerDay: { points: 5 } } });
    for (let i = 0; i < 5; i++) await attempt(app, { username: `user${i}` }).expect(401);
    const refused = await attempt(app, { username: "bob", password: "right" }).expect(429);
    expect(refused.headers["retry-after"]).toBe("86400");
    jest.advanceTimersByTime(86_399_000);
    await attempt(app, { username: "bob", password: "right" }).expect(429);
    jest.advanceTimersByTime(1_000);
    await attempt(app, { username: "bob", password: "right" }).expect(200);
  });

  test("failures spread wider apart than the window never add up to a block", async () => {
    const { app } = createApp({ limit: { consecutiveFailures: { points: 3, windowSeconds: 3_600 } } });
    for (let hour = 0; hour < 5; hour++) {
      expect(await fail(app, 3)).toEqual([401, 401, 401]);
      jest.advanceTimersByTime(3_600_000);
    }
    await fail(app, 3);
    await attempt(app).expect(429);
  });
});

describe("on Redis", () => {
  const redis = useRedisServer();
  let n = 0;

  test("the block's TTL in Redis is the Retry-After the client was given, and later attempts do not extend it", async () => {
    const client = await readyClient(redis());
    const prefix = `ttl${++n}:`;
    const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
    await fail(app, 10);
    const refused = await attempt(app).expect(429);
    const key = loginRedisKeys("10.0.0.1", "alice", prefix).consecutiveFailures;
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBe(Math.ceil(ttl / 1000));
    expect(ttl).toBeLessThanOrEqual(900_000);

    await fail(app, 5);
    const later = await client.pttl(key);
    expect(later).toBeLessThanOrEqual(ttl);
    // The IP's count did not move while the username was blocked (ten failures, no more).
    expect(await client.get(loginRedisKeys("10.0.0.1", "alice", prefix).perIpPerDay)).toBe("10");
  });

  test("the day's count of an IP lives as long as the day", async () => {
    const client = await readyClient(redis());
    const prefix = `day${++n}:`;
    const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
    await attempt(app).expect(401);
    const ttl = await client.pttl(loginRedisKeys("10.0.0.1", undefined, prefix).perIpPerDay);
    expect(ttl).toBeGreaterThan(86_390_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
  });

  test("a block survives a restart: a new limiter on the same Redis still refuses", async () => {
    const prefix = `restart${++n}:`;
    const first = createApp({ limit: { store: new RedisLimiterStore(await readyClient(redis()), { prefix }) } });
    await fail(first.app, 11);
    const second = createApp({ limit: { store: new RedisLimiterStore(await readyClient(redis()), { prefix }) } });
    const refused = await attempt(second.app, { password: "right" }).expect(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(890);
    await attempt(second.app, { username: "bob", password: "right" }).expect(200);
  });

  test("a success deletes the username's counter from Redis", async () => {
    const client = await readyClient(redis());
    const prefix = `ok${++n}:`;
    const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix }) } });
    await fail(app, 3);
    const key = loginRedisKeys("10.0.0.1", "alice", prefix).consecutiveFailures;
    expect(await client.get(key)).toBe("3");
    await attempt(app, { password: "right" }).expect(200);
    // The delete is sent when the response finishes; a command on the same connection runs after it.
    expect(await client.exists(key)).toBe(0);
  });
});
