import request from "supertest";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();
const MINUTE = 60_000;

function login(app: Parameters<typeof request>[0], cookie?: string, credentials = { email: EMAIL, password: PASSWORD }) {
  const req = request(app).post("/api/auth/login").send(credentials);
  if (cookie) req.set("Cookie", cookie);
  return req;
}

test("fixation: the session id changes at login, and a cookie planted before login is worthless after it", async () => {
  const { app } = await createApp();
  const planted = sessionCookie(await login(app, undefined, { email: "member@example.com", password: "member-password" }));
  const fresh = sessionCookie(await login(app, planted).expect(200));
  expect(fresh).not.toBe(planted);
  const asPlanted = await request(app).get("/api/auth/me").set("Cookie", planted).expect(401);
  expect(asPlanted.body.error).toBe("session_expired"); // its session ended at the login
  expect((await request(app).get("/api/auth/me").set("Cookie", fresh).expect(200)).body.user.email).toBe(EMAIL);
});

test("enumeration: an unknown email and a wrong password get the same status, body and headers", async () => {
  const { app } = await createApp();
  const unknown = await login(app, undefined, { email: "nobody@example.com", password: PASSWORD });
  const wrong = await login(app, undefined, { email: EMAIL, password: "wrong-password" });
  expect(unknown.status).toBe(401);
  expect(wrong.status).toBe(401);
  expect(unknown.body).toEqual({ error: "invalid_credentials", detail: "Invalid email or password." });
  expect(wrong.body).toEqual(unknown.body);
  const comparable = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h !== "date" && h !== "etag").sort();
  expect(comparable(wrong.headers)).toEqual(comparable(unknown.headers));
  expect(unknown.headers["set-cookie"]).toBeUndefined();
});

test("logout destroys the session and clears the cookie; replaying the old cookie is refused", async () => {
  const { app } = await createApp();
  const cookie = sessionCookie(await login(app));
  const out = await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  expect((out.headers["set-cookie"] as unknown as string[])[0]).toMatch(/^portcullis\.sid=;.*Expires=Thu, 01 Jan 1970/);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
});

test("idle timeout: a session unused for 30 minutes answers session_expired, and is gone", async () => {
  const { app, clock } = await createApp();
  const cookie = sessionCookie(await login(app));
  clock.advance(29 * MINUTE);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  clock.advance(29 * MINUTE); // 58 minutes after login, but only 29 idle: the last request slid it
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  clock.advance(30 * MINUTE);
  const res = await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  expect(res.body).toEqual({ error: "session_expired", detail: "The session has expired; sign in again." });
  // Gone from the store now; the cookie is still ours, so the answer stays the same.
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("absolute lifetime: a session busy every 10 minutes still ends 8 hours after login", async () => {
  const { app, clock } = await createApp();
  const cookie = sessionCookie(await login(app));
  for (let elapsed = 0; elapsed < 8 * 60; elapsed += 10) {
    await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
    clock.advance(10 * MINUTE);
  }
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("an expired cookie does not stand in the way of signing in again", async () => {
  const { app, clock } = await createApp();
  const cookie = sessionCookie(await login(app));
  clock.advance(31 * MINUTE);
  await login(app, cookie).expect(200);
});

test("the sliding expiry writes to Redis at most once a minute per session, not on every request", async () => {
  const client = redis().client();
  const { app, clock } = await createApp({ redis: client });
  const cookie = sessionCookie(await login(app));
  const sets = async () => Number(/cmdstat_set:calls=(\d+)/.exec(await client.info("commandstats"))?.[1] ?? 0);
  const before = await sets();
  for (let i = 0; i < 10; i++) {
    clock.advance(5_000);
    await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  }
  expect(await sets()).toBe(before + 0); // 50 seconds of requests: no write
  clock.advance(15_000);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  expect(await sets()).toBe(before + 1); // past a minute: one write, which extends the TTL
  // The TTL is the idle deadline (30 minutes from this request) plus the hour an expired session is kept.
  const ttl = await client.ttl((await client.keys("portcullis:sess:*"))[0]!);
  expect(ttl).toBeGreaterThan(89 * 60);
  expect(ttl).toBeLessThanOrEqual(90 * 60);
});

test("re-authentication: a sensitive action needs a password check from the last 5 minutes; /reauthenticate renews it", async () => {
  const { app, clock } = await createApp();
  const session = request.agent(app);
  await session.post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  await session.post("/api/account/danger").expect(200);
  clock.advance(6 * MINUTE);
  const refused = await session.post("/api/account/danger").expect(401);
  expect(refused.body.error).toBe("reauthentication_required");
  expect(refused.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication", max_age="300"');
  expect((await session.post("/api/auth/reauthenticate").send({ password: "wrong-password" }).expect(401)).body.error).toBe("invalid_credentials");
  await session.post("/api/auth/reauthenticate").send({ password: PASSWORD }).expect(200);
  await session.post("/api/account/danger").expect(200);
});

test("creating an API key from a session needs a recent password check; a key creating a key does not", async () => {
  const { app, clock, keys } = await createApp();
  const session = request.agent(app);
  await session.post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  clock.advance(16 * MINUTE);
  expect((await session.post("/api/auth/api-keys").send({ name: "late", scopes: ["read"] }).expect(401)).body.error).toBe("reauthentication_required");
  await session.post("/api/auth/reauthenticate").send({ password: PASSWORD }).expect(200);
  await session.post("/api/auth/api-keys").send({ name: "now", scopes: ["read"] }).expect(201);
  const { key } = await keys.create({ owner: "someone", name: "k", scopes: ["read"] });
  await request(app).post("/api/auth/api-keys").set("x-api-key", key).send({ name: "by key", scopes: ["read"] }).expect(201);
});

test("/me describes a key principal as well as a session one", async () => {
  const { app, keys } = await createApp();
  const { key, record } = await keys.create({ owner: "acct_1", name: "k", scopes: ["read"] });
  const me = await request(app).get("/api/auth/me").set("Authorization", `Bearer ${key}`).expect(200);
  expect(me.body).toEqual({ kind: "api_key", key_id: record.id, owner: "acct_1", scopes: ["read"], app: null });
});

test("with loginRateLimit on the router, the eleventh wrong password in a row answers 429 with Retry-After", async () => {
  const { app } = await createApp({ rateLimit: loginRateLimit({ username: (req) => req.body?.email }) });
  const attempt = (password: string) => request(app).post("/api/auth/login").send({ email: EMAIL, password });
  for (let i = 1; i <= 10; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
  const eleventh = await attempt("wrong-11");
  expect(eleventh.status).toBe(429);
  expect(eleventh.body.error).toBe("rate_limit_exceeded");
  expect(Number(eleventh.headers["retry-after"])).toBeGreaterThan(0);
  expect(eleventh.headers["ratelimit-policy"]).toEqual(expect.any(String));
  expect((await attempt(PASSWORD)).status).toBe(429); // even the right password waits out the block
});
