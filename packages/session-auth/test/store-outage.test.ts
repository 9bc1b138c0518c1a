import express from "express";
import request from "supertest";
import { MemoryUserStore } from "@portcullis/core";
import { authRouter, bcryptPasswords, sessionAuth, type AuthRouterOptions } from "@portcullis/session-auth";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();

/** The session id in a `name=value` session cookie, whose value is `s:<session id>.<signature>`, URL-encoded. */
function sessionIdOf(cookie: string): string {
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
  return signed.slice(2, signed.lastIndexOf("."));
}

test("with the session store unreachable, a session request and a login get 503, never a pass; both recover", async () => {
  const client = redis().client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once("ready", resolve));
  const { app } = await createApp({ redis: client });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));

  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  expect(refused.body.error).toBe("auth_unavailable");
  expect(refused.headers["retry-after"]).toBe("1");
  expect((await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD })).status).toBe(503);

  await client.connect();
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
});

test("a stored session that is not JSON is a 503, never a pass or a crash; an empty one is a session that ended", async () => {
  const client = redis().client();
  const { app } = await createApp({ redis: client });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  const [key] = await client.keys(`*sess:${sessionIdOf(cookie)}`); // this file's other tests left sessions too
  expect(key).toBeDefined();

  await client.set(key!, "{not json");
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  expect(refused.body.error).toBe("auth_unavailable");

  await client.set(key!, "");
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("a session read that times out is one 503 after one timeout: the session is neither destroyed nor rewritten, and works once Redis answers", async () => {
  const client = redis().client();
  const { app } = await createApp({ redis: client, session: { timeoutMs: 200 } });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  const key = `portcullis:sess:${sessionIdOf(cookie)}`;
  const probe = redis().client();
  expect(await probe.exists(key)).toBe(1);
  // Every call the session store makes: reads, writes and deletes, whether or not Redis answers.
  const calls = (["get", "set", "del"] as const).map((command) => jest.spyOn(client, command));

  redis().stall();
  try {
    const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
    expect(refused.body.error).toBe("auth_unavailable");
    expect(refused.headers["set-cookie"]).toBeUndefined();
    // One read, and its timeout is the answer: no delete (express-session's unset: "destroy"
    // on a request left without a session), whose own timeout would come second.
    expect(calls.map((spy) => spy.mock.calls.length)).toEqual([1, 0, 0]);
  } finally {
    redis().resume();
  }
  await client.ping(); // the app's own connection: whatever it had queued has now run
  expect(calls.map((spy) => spy.mock.calls.length)).toEqual([1, 0, 0]);
  expect(await probe.exists(key)).toBe(1);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  for (const spy of calls) spy.mockRestore();
});

describe("a password check slower than the store's time limit", () => {
  /** An app whose bcrypt takes `delayMs` longer than usual, as on a busy machine. */
  async function appWithSlowBcrypt(delayMs: number, router: Partial<AuthRouterOptions> = {}) {
    const passwords = bcryptPasswords({ cost: 4 });
    const slow = { ...passwords, verify: async (password: string, hash: string) => (await sleep(delayMs), passwords.verify(password, hash)) };
    const users = new MemoryUserStore({ passwords: slow });
    await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
    const app = express();
    app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["admin"] }, timeoutMs: 50 }));
    app.use("/api/auth", authRouter({ users, ...router }));
    return app;
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test("is no outage: the login succeeds, bounded by passwordTimeoutMs and not by the store's timeoutMs", async () => {
    const app = await appWithSlowBcrypt(150);
    await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  });

  test("past passwordTimeoutMs it is a 503, never a pass", async () => {
    const app = await appWithSlowBcrypt(300, { passwordTimeoutMs: 100 });
    const res = await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(503);
    expect(res.body.error).toBe("auth_unavailable");
  });
});

test("a user check that failed is not skipped afterwards: the next request checks the user again", async () => {
  const { app, users, clock } = await createApp();
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  clock.advance(2 * 60_000); // past the once-a-minute pace of the user check

  jest.spyOn(users, "findById").mockRejectedValueOnce(new Error("user store down"));
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(503)).body.error).toBe("auth_unavailable");
  // The password changes while the check could not run; the session's next request must see it.
  const admin = await users.findByEmail(EMAIL);
  clock.advance(1_000);
  await users.changePassword(admin!.id, "a-new-password-for-you");
  const refused = await request(app).get("/api/projects").set("Cookie", cookie);
  expect(refused.status).toBe(401);
  expect(refused.body.error).toBe("session_expired");
});
