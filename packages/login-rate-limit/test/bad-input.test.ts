import express from "express";
import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { loginRateLimit, loginRedisKeys } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail, readyClient } from "./create-app";

const redis = useRedisServer();

describe("bad input is limited, never a 500", () => {
  test("no body at all: the handler answers, and such attempts are counted under one placeholder username", async () => {
    const { app } = createApp();
    const noBody = () => request(app).post("/api/auth/login").set("x-test-ip", "10.0.0.1");
    for (let i = 0; i < 10; i++) await noBody().expect(401);
    const refused = await noBody().expect(429);
    expect(refused.headers["retry-after"]).toBe("900");
    await attempt(app, { username: "alice", password: "right" }).expect(200); // real usernames are apart
  });

  test.each([
    ["a number", 12345],
    ["an object", { $ne: "" }],
    ["an array", ["alice", "bob"]],
    ["null", null],
    ["a boolean", true],
    ["blanks", "   "],
  ])("a username that is %s is counted as no username", async (_what, username) => {
    const { app } = createApp();
    expect(await fail(app, 10, { username })).toEqual(Array(10).fill(401));
    await attempt(app, { username: 7 }).expect(429); // the same placeholder counter
  });

  test("a username function that throws on a request without a body counts it as no username", async () => {
    const limiter = loginRateLimit({ username: (req) => req.body.username, ip: (req) => req.get("x-test-ip"), consecutiveFailures: { points: 2 } });
    const app = express();
    app.post("/login", limiter, (_req, res) => void res.status(401).end());
    const post = () => request(app).post("/login").set("x-test-ip", "10.0.0.1");
    await post().expect(401);
    await post().expect(401);
    await post().expect(429);
  });

  test("a megabyte of username is answered, hashed into a short Redis key, and its case variants share a counter", async () => {
    const client = await readyClient(redis());
    const prefix = "huge:";
    const { app } = createApp({ bodyLimit: "3mb", limit: { store: new RedisLimiterStore(client, { prefix }) } });
    const huge = "Mallory".repeat(150_000);
    expect(await fail(app, 10, { username: huge })).toEqual(Array(10).fill(401));
    await attempt(app, { username: ` ${huge.toUpperCase()} ` }).expect(429);
    const key = loginRedisKeys("10.0.0.1", huge, prefix).consecutiveFailures;
    expect(key.length).toBeLessThan(120);
    expect(await client.get(key)).toBe("11");
  });

  test("a request without an IP is still counted, under one placeholder address", async () => {
    const { app } = createApp({ limit: { perIpPerDay: { points: 3 } } });
    const anonymous = (username: string) => request(app).post("/api/auth/login").send({ username, password: "wrong" });
    for (const username of ["a", "b", "c"]) await anonymous(username).expect(401);
    await anonymous("d").expect(429);
  });

  test("an ip function that throws is a host bug: the error goes to the host's handler and the attempt never reaches the login", async () => {
    const reached: string[] = [];
    const app = express();
    app.post(
      "/login",
      express.json(),
      loginRateLimit({ username: (req) => req.body?.username, ip: () => { throw new Error("no x-forwarded-for"); } }),
      (_req, res) => void (reached.push("login"), res.end()),
    );
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ host: error.message });
    });
    const res = await request(app).post("/login").send({ username: "alice" }).expect(500);
    expect(res.body).toEqual({ host: "no x-forwarded-for" });
    expect(reached).toEqual([]);
  });
});
