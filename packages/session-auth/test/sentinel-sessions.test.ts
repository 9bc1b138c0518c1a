import request from "supertest";
import type { Redis } from "ioredis";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { RedisLimiterStore } from "@portcullis/redis";
import { useRedisSentinel } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

// Sessions, users and the login limiter through Redis Sentinel: the client asks the sentinel where
// the master is. Everything a login writes is checked on that master.
const sentinel = useRedisSentinel();

/** A sentinel client once it is connected: before that, the login limiter counts in memory. */
async function readySentinelClient(): Promise<Redis> {
  const client = sentinel().client();
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  return client;
}

test("login, a session request, the session list and logout, with the session and users on the master", async () => {
  const client = await readySentinelClient();
  const { app, admin } = await createApp({ redis: client, redisUsers: true });
  const login = await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  const cookie = sessionCookie(login);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  expect((await request(app).get("/api/auth/sessions").set("Cookie", cookie).expect(200)).body.sessions).toHaveLength(1);
  expect(await client.zcard(`portcullis:user-sessions:${admin.id}`)).toBe(1);
  expect(await client.keys("portcullis:sess:*")).toHaveLength(1);

  await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  expect(await client.keys("portcullis:sess:*")).toEqual([]);
});

test("loginRateLimit counts on the master: the eleventh wrong password in a row is refused", async () => {
  const client = await readySentinelClient();
  const { app } = await createApp({ redis: client, rateLimit: loginRateLimit({ store: new RedisLimiterStore(client, { prefix: "sentinel:" }), username: (req) => req.body?.email }) });
  const attempt = (password: string) => request(app).post("/api/auth/login").send({ email: EMAIL, password });
  for (let i = 1; i <= 10; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
  expect((await attempt("wrong-11")).status).toBe(429);
  expect((await attempt(PASSWORD)).status).toBe(429);
  const [counter, ...others] = await client.keys("sentinel:login-fails:*");
  expect(others).toEqual([]);
  expect(counter).toContain(JSON.stringify(EMAIL));
  expect(await client.ttl(counter!)).toBeGreaterThan(800); // the 15-minute block, set on the master
  expect(await client.ttl(counter!)).toBeLessThanOrEqual(900);
});
