import express from "express";
import request from "supertest";
import { isPortcullisError, problemDetailsFormat } from "@portcullis/core";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { attempt, createApp, fail } from "./create-app";

const username = (req: express.Request) => req.body?.username;

describe("loginRateLimit options", () => {
  test("onError next hands the refusal, with its headers, to the host's error handler", async () => {
    const { app } = createApp({ limit: { onError: "next", consecutiveFailures: { points: 1 } } });
    app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (!isPortcullisError(error)) return next(error);
      res.status(499).json({ host: error.code, headers: error.headers, data: error.data });
    });
    await attempt(app).expect(401);
    const res = await attempt(app).expect(499);
    expect(res.body).toEqual({
      host: "rate_limit_exceeded",
      headers: { "Retry-After": "900", "RateLimit-Policy": '"1-in-1day"; q=1; w=86400', RateLimit: '"1-in-1day"; r=0; t=900' },
      data: { retry_after: 900 },
    });
  });

  test("formatError shapes the 429, here as RFC 9457 problem details", async () => {
    const { app } = createApp({ limit: { formatError: problemDetailsFormat, consecutiveFailures: { points: 1, blockSeconds: 60 } } });
    await attempt(app).expect(401);
    const res = await attempt(app).expect(429);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.headers["retry-after"]).toBe("60");
    expect(JSON.parse(res.text)).toEqual({
      type: "urn:portcullis:error:rate_limit_exceeded",
      title: "rate_limit_exceeded",
      status: 429,
      detail: "Too many failed attempts; retry later.",
      instance: "/api/auth/login",
      retry_after: 60,
    });
  });

  test("one limiter guards login, re-authentication and password change together", async () => {
    const limiter = loginRateLimit({ username, consecutiveFailures: { points: 3 } });
    const app = express();
    const wrong = (_req: express.Request, res: express.Response) => void res.status(401).end();
    app.post("/api/auth/login", express.json(), limiter, wrong);
    app.post("/api/auth/reauthenticate", express.json(), limiter, wrong);
    app.post("/api/auth/password", express.json(), limiter, wrong);
    for (const path of ["/api/auth/login", "/api/auth/reauthenticate", "/api/auth/password"]) {
      await request(app).post(path).send({ username: "alice" }).expect(401);
    }
    await request(app).post("/api/auth/login").send({ username: "alice" }).expect(429);
  });

  test("the middleware is a named function, for readable stack traces", () => {
    expect(loginRateLimit({ username }).name).toBe("loginRateLimitMiddleware");
  });

  test("custom limits apply, and the caller's options are left untouched", async () => {
    const options = Object.freeze({ username, ip: (req: express.Request) => req.get("x-test-ip"), consecutiveFailures: Object.freeze({ points: 2 }) });
    const { app } = createApp({ limit: options });
    expect(await fail(app, 3)).toEqual([401, 401, 429]);
    expect(options).toEqual({ username, ip: options.ip, consecutiveFailures: { points: 2 } });
  });

  test.each([
    [undefined, /options are required/],
    [{}, /"username" is required/],
    [{ username: "username" }, /"username" is required/],
    [{ username, usernme: 1 }, /unknown option "usernme"/],
    [{ username, ip: "x-forwarded-for" }, /"ip" must be a function/],
    [{ username, keyPrefix: "myapp:" }, /^loginRateLimit: "keyPrefix" was replaced by the "prefix" of the store: new RedisLimiterStore\(redis, \{ prefix \}\)$/],
    [{ username, timeoutMs: 0 }, /"timeoutMs" must be a whole number of milliseconds from 1 to 60000/],
    [{ username, redis: {} }, /^loginRateLimit: "redis" was replaced by "store": pass new RedisLimiterStore\(redis\) from @portcullis\/redis$/],
    [{ username, store: {} }, /"store" must be a LimiterStore, such as new RedisLimiterStore\(redis\)/],
    [{ username, store: "redis://localhost" }, /"store" must be a LimiterStore/],
    [{ username, store: { limiter: () => ({}) } }, /"store".limiter\(\) must return a rate-limiter-flexible limiter/],
    [{ username, consecutiveFailures: 10 }, /"consecutiveFailures" must be an object/],
    [{ username, consecutiveFailures: null }, /^loginRateLimit: "consecutiveFailures" must be an object such as \{ points: 10, blockSeconds: 900 \}$/],
    [{ username, perIpPerDay: "100" }, /^loginRateLimit: "perIpPerDay" must be an object such as \{ points: 100, blockSeconds: 86400 \}$/],
    [{ username, perIpPerDay: { blockSeconds: 1.5 } }, /^loginRateLimit: "perIpPerDay.blockSeconds" must be a whole number of seconds from 1 to 2147483 \(about 24 days\), such as 86400$/],
    [{ username, consecutiveFailures: { points: 0 } }, /^loginRateLimit: "consecutiveFailures.points" must be a whole number from 1 to 1000000, such as 10$/],
    [{ username, perIpPerDay: { points: 2, block: 60 } }, /^loginRateLimit: unknown option "perIpPerDay.block"; the options are points, blockSeconds$/],
    [{ username, consecutiveFailures: { points: 0 } }, /"consecutiveFailures.points" must be a whole number from 1/],
    [{ username, consecutiveFailures: { points: 2.5 } }, /"consecutiveFailures.points"/],
    [{ username, consecutiveFailures: { points: "10" } }, /"consecutiveFailures.points"/],
    [{ username, consecutiveFailures: { blockSeconds: -1 } }, /"consecutiveFailures.blockSeconds" must be a whole number of seconds/],
    [{ username, consecutiveFailures: { blockSeconds: 30 * 86_400 } }, /"consecutiveFailures.blockSeconds".* to 2147483/],
    [{ username, consecutiveFailures: { windowSeconds: 0 } }, /"consecutiveFailures.windowSeconds"/],
    [{ username, consecutiveFailures: { block: 60 } }, /unknown option "consecutiveFailures.block"/],
    [{ username, perIpPerDay: { windowSeconds: 3600 } }, /unknown option "perIpPerDay.windowSeconds"/],
    [{ username, perIpPerDay: { points: Infinity } }, /"perIpPerDay.points"/],
    [{ username, onError: "log" }, /"onError" must be/],
    [{ username, formatError: "json" }, /"formatError" must be a function/],
  ])("configuration %p is refused at creation with a loginRateLimit TypeError", (options, message) => {
    const create = () => loginRateLimit(options as never);
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^loginRateLimit: /);
    expect(create).toThrow(message);
  });
});
