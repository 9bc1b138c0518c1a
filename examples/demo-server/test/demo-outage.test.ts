/** The demo on Redis while that Redis goes away and comes back: fail closed, never crash, recover. */
import { eventually, useRedisServer, type ExampleServer } from "@portcullis/testing";
import { DEFAULT_PREFIX } from "@portcullis/core";
import { RedisKeys } from "@portcullis/redis";
import { DEMO_ADMIN, startDemoOnRedis } from "./support/start-demo";

const redis = useRedisServer();
let demo: ExampleServer | undefined;
afterAll(() => demo?.stop());

const json = { "Content-Type": "application/json" };

function login(body: { email: string; password: string }) {
  return fetch(`${demo!.baseUrl}/api/auth/login`, { method: "POST", headers: json, body: JSON.stringify(body) });
}

function get(path: string, headers: Record<string, string>) {
  return fetch(`${demo!.baseUrl}${path}`, { headers });
}

async function statusAndError(response: Promise<Response>): Promise<[number, string | undefined]> {
  const res = await response;
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  return [res.status, body.error];
}

test("with Redis down every request that needs it gets 503 or a limit, nothing crashes, and all recovers once it is back", async () => {
  demo = await startDemoOnRedis(redis().url);
  const signedIn = await login(DEMO_ADMIN);
  expect(signedIn.status).toBe(200);
  const session = { Cookie: signedIn.headers.get("set-cookie")!.split(";")[0]! };
  const createKey = async (name: string) => {
    const res = await fetch(`${demo!.baseUrl}/api/auth/api-keys`, { method: "POST", headers: { ...json, ...session }, body: JSON.stringify({ name, scopes: ["read"] }) });
    return { Authorization: `Bearer ${((await res.json()) as { key: string }).key}` };
  };
  const warm = await createKey("warm");
  const cold = await createKey("cold");
  // The demo's key cache starts afresh once its change feed is confirmed; warm it after that.
  const probe = redis().client();
  const feed = new RedisKeys(DEFAULT_PREFIX).keyChanges();
  expect((await get("/api/projects", warm)).status).toBe(200);
  await eventually(async () => ((await probe.pubsub("NUMSUB", feed)) as [string, number])[1] === 1);
  expect((await get("/api/projects", warm)).status).toBe(200);

  // Persist what is there, so the Redis that comes back is the same one (as with RDB or AOF).
  await probe.save();
  await redis().kill();
  const ready = await fetch(`${demo.baseUrl}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([503, { status: "unavailable", checks: { redis: "failed" } }]);
  expect((await fetch(`${demo.baseUrl}/healthz`)).status).toBe(200);

  expect(await statusAndError(get("/api/projects", cold))).toEqual([503, "auth_unavailable"]);
  expect(await statusAndError(get("/api/projects", session))).toEqual([503, "auth_unavailable"]);
  expect(await statusAndError(get("/api/auth/audit", session))).toEqual([503, "auth_unavailable"]);
  // A key the cache verified serves on, within the cache's time to live (10 s by default).
  expect(await statusAndError(get("/api/projects", warm))).toEqual([200, undefined]);
  // Login cannot tell a right password from a wrong one without Redis: 503, never 401.
  expect(await statusAndError(login(DEMO_ADMIN))).toEqual([503, "auth_unavailable"]);
  expect(await statusAndError(login({ ...DEMO_ADMIN, password: "wrong-password" }))).toEqual([503, "auth_unavailable"]);
  // Guessing goes on counting in the per-process insurance limiter: ten in a row block the pair.
  const guesses: number[] = [];
  for (let i = 0; i < 10; i++) guesses.push((await login({ email: "victim@example.com", password: `guess-${i}` })).status);
  expect(guesses).toEqual(Array(10).fill(503));
  expect(await statusAndError(login({ email: "victim@example.com", password: "guess-10" }))).toEqual([429, "rate_limit_exceeded"]);

  await redis().restart();
  // ioredis reconnects by itself (backing off up to 2 s between tries); no restart of the demo.
  await eventually(async () => (await get("/api/projects", cold)).status === 200, { timeoutMs: 10_000 });
  expect((await get("/api/projects", session)).status).toBe(200);
  expect((await login(DEMO_ADMIN)).status).toBe(200);
  expect((await get("/api/auth/audit", session)).status).toBe(200);

  expect((await fetch(`${demo.baseUrl}/readyz`)).status).toBe(200);

  // The process lived through it and reported no unhandled failure: one line when Redis went,
  // one when it came back, however many reconnection attempts failed in between.
  await eventually(() => demo!.output().includes("the connection to Redis is back"));
  expect(demo.output().match(/lost the connection to Redis/g)).toHaveLength(1);
  expect(demo.output().match(/the connection to Redis is back/g)).toHaveLength(1);
  expect((await fetch(`${demo.baseUrl}/`)).status).toBe(200);
  expect(demo.output()).not.toMatch(/Unhandled|uncaught|TypeError|ReferenceError|at .+\.js:\d+/i);
});
