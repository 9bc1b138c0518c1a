import express from "express";
import request from "supertest";
import { MemoryUserStore } from "@portcullis/core";
import { authRouter, bcryptPasswords, sessionAuth, type AuthRouterOptions } from "@portcullis/session-auth";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();

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

test("a stored session that is not JSON is a 503, never a pass or a crash; an empty one is no session", async () => {
  const client = redis().client();
  const { app } = await createApp({ redis: client });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  // The cookie is name=s:<session id>.<signature>, URL-encoded; this file's other test left a session too.
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
  const sessionId = signed.slice(2, signed.lastIndexOf("."));
  const [key] = await client.keys(`*sess:${sessionId}`);
  expect(key).toBeDefined();

  await client.set(key!, "{not json");
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  expect(refused.body.error).toBe("auth_unavailable");

  await client.set(key!, "");
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("missing_credentials");
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
