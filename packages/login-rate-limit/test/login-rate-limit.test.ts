import type { Redis } from "ioredis";
import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import type { LoginRateLimitOptions } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail, readyClient } from "./create-app";

const redis = useRedisServer();
let client: Redis;
beforeAll(async () => {
  client = await readyClient(redis());
});
let n = 0;
const stores: [string, () => Partial<LoginRateLimitOptions>][] = [
  ["memory", () => ({})],
  ["Redis", () => ({ store: new RedisLimiterStore(client, { prefix: `t${++n}:` }) })],
];

const POLICY = /^"(\d+)-in-(\d+(?:s|min|h|day))"; q=(\d+); w=(\d+)$/;
const STATUS = /^"(\d+)-in-(\d+(?:s|min|h|day))"; r=(\d+); t=(\d+)$/;

const repeat = <T>(count: number, value: T): T[] => Array.from({ length: count }, () => value);

describe.each(stores)("loginRateLimit on %s", (_store, store) => {
  const app = (limit: Partial<LoginRateLimitOptions> = {}) => createApp({ limit: { ...store(), ...limit } }).app;

  test("ten wrong passwords in a row are answered by the handler; the eleventh is 429 with Retry-After and RateLimit", async () => {
    const login = app();
    expect(await fail(login, 10)).toEqual(repeat(10, 401));
    const refused = await attempt(login).expect(429);
    expect(refused.body).toEqual({ error: "rate_limit_exceeded", detail: "Too many failed attempts; retry later." });
    expect(refused.headers["retry-after"]).toBe("900");
    expect(refused.headers["ratelimit-policy"]).toBe('"10-in-1day"; q=10; w=86400');
    expect(refused.headers["ratelimit"]).toBe('"10-in-1day"; r=0; t=900');
    expect(refused.headers["cache-control"]).toBe("no-store");
    // The right password does not get through a block either.
    await attempt(login, { password: "right" }).expect(429);
  });

  test("allowed attempts carry well-formed RateLimit headers for the closer limit", async () => {
    const login = app({ perIpPerDay: { points: 4 } });
    const first = await attempt(login).expect(401);
    expect(first.headers["ratelimit-policy"]).toMatch(POLICY);
    expect(first.headers["ratelimit"]).toMatch(STATUS);
    expect(first.headers["retry-after"]).toBeUndefined();
    expect(first.headers["ratelimit"]).toBe('"4-in-1day"; r=3; t=86400');
    const [, quota, , q, w] = POLICY.exec(String(first.headers["ratelimit-policy"]))!;
    expect([quota, q, w]).toEqual(["4", "4", "86400"]);
  });

  test("a success clears its count, so its answer carries no stale RateLimit count", async () => {
    const login = app();
    expect(await fail(login, 3)).toEqual(repeat(3, 401));
    const ok = await attempt(login, { password: "right" }).expect(200);
    expect(ok.headers["ratelimit"]).toBeUndefined();
    expect(ok.headers["ratelimit-policy"]).toBeUndefined();
  });

  test("a success resets the count of failures in a row", async () => {
    const login = app();
    expect(await fail(login, 9)).toEqual(repeat(9, 401));
    await attempt(login, { password: "right" }).expect(200);
    expect(await fail(login, 10)).toEqual(repeat(10, 401));
    await attempt(login).expect(429);
  });

  test("successes do not count against the IP's daily limit", async () => {
    const login = app({ perIpPerDay: { points: 5 } });
    for (let i = 0; i < 8; i++) await attempt(login, { username: "bob", password: "right" }).expect(200);
    expect(await fail(login, 5, { username: "carol" })).toEqual(repeat(5, 401));
    await attempt(login, { username: "bob", password: "right" }).expect(429);
  });

  test("case, width and whitespace variants of a username share one counter", async () => {
    const login = app();
    const variants = ["alice", "Alice", " ALICE ", "ａｌｉｃｅ", "alice\t", "aLiCe", "\u00a0alice", "ALICE", "Alice ", "alicE"];
    for (const username of variants) await attempt(login, { username }).expect(401);
    await attempt(login, { username: "alice" }).expect(429);
  });

  test("an unknown username is limited exactly like a known one: same statuses, bodies and headers", async () => {
    const login = app();
    const seen = async (username: string) => {
      const answers = [];
      for (let i = 0; i < 12; i++) {
        const res = await attempt(login, { username });
        answers.push({
          status: res.status,
          body: res.body,
          retryAfter: res.headers["retry-after"],
          policy: res.headers["ratelimit-policy"],
          state: res.headers["ratelimit"],
        });
      }
      return answers;
    };
    const known = await seen("alice");
    expect(await seen("nobody-by-this-name")).toEqual(known);
    expect(known.map((answer) => answer.status)).toEqual([...repeat(10, 401), 429, 429]);
  });

  test("an attack on a username from IP A does not block it from IP B, until B reaches its own daily limit", async () => {
    const login = app({ perIpPerDay: { points: 20 } });
    await fail(login, 10, { ip: "10.0.0.1" });
    await attempt(login, { ip: "10.0.0.1" }).expect(429);
    await attempt(login, { ip: "10.0.0.2" }).expect(401); // B's first failure of the day
    await attempt(login, { ip: "10.0.0.2", password: "right" }).expect(200);
    for (let i = 2; i <= 20; i++) await attempt(login, { ip: "10.0.0.2", username: `user${i}` }).expect(401);
    const blocked = await attempt(login, { ip: "10.0.0.2", password: "right" }).expect(429);
    expect(blocked.headers["retry-after"]).toBe("86400");
    expect(blocked.headers["ratelimit-policy"]).toBe('"20-in-1day"; q=20; w=86400');
  });

  test("the per-IP daily limit blocks an IP spraying one password over many usernames", async () => {
    const login = app();
    for (let i = 0; i < 100; i++) await attempt(login, { username: `victim${i}`, ip: "10.6.6.6" }).expect(401);
    const refused = await attempt(login, { username: "victim100", ip: "10.6.6.6" }).expect(429);
    expect(refused.headers["retry-after"]).toBe("86400");
    expect(refused.headers["ratelimit"]).toBe('"100-in-1day"; r=0; t=86400');
    await attempt(login, { username: "victim0", ip: "10.7.7.7" }).expect(401); // other IPs are not affected
  });

  test("thirty concurrent wrong passwords: exactly ten reach the handler", async () => {
    const login = app();
    const answers = await Promise.all(repeat(30, null).map(() => attempt(login)));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([...repeat(10, 401), ...repeat(20, 429)]);
    await attempt(login, { password: "right" }).expect(429);
  });

  test("attempts refused during a block cost nothing against the IP's daily limit", async () => {
    const login = app({ perIpPerDay: { points: 12 } });
    await fail(login, 10);
    expect(await fail(login, 20)).toEqual(repeat(20, 429));
    expect(await fail(login, 2, { username: "bob" })).toEqual([401, 401]);
    await attempt(login, { username: "bob" }).expect(429);
  });

  test("reset() unlocks a username for an IP; resetIp() clears an IP's day", async () => {
    const { app: login, limiter } = createApp({ limit: { ...store(), perIpPerDay: { points: 15 } } });
    await fail(login, 11, { username: "Alice" });
    await attempt(login).expect(429);
    await limiter.reset(" ALICE", "10.0.0.1");
    await attempt(login).expect(401);
    await fail(login, 4, { username: "bob" });
    await attempt(login, { username: "carol" }).expect(429);
    await limiter.resetIp("10.0.0.1");
    await attempt(login, { username: "carol" }).expect(401);
  });
});
