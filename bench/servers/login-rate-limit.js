// @ts-check
// portcullis's loginRateLimit on Redis in front of the bare-post handler. Every attempt fails
// (401), so each one is counted twice (per IP, per username and IP); the limits are the highest
// allowed, so the run is never blocked.
const express = require("express");
const { RedisLimiterStore, loginRateLimit } = require("portcullis");
const { connectRedis, loginBody, refuseLogin, run, serve, settings } = require("./common");

const NEVER = 1_000_000; // the most loginRateLimit accepts

run("login-rate-limit", async () => {
  const { port, redisUrl, prefix } = settings("login-rate-limit");
  const redis = await connectRedis(redisUrl);
  const limit = loginRateLimit({
    store: new RedisLimiterStore(redis, { prefix }),
    username: (req) => req.body?.username,
    consecutiveFailures: { points: NEVER, blockSeconds: 1, windowSeconds: 3600 },
    perIpPerDay: { points: NEVER, blockSeconds: 1 },
  });
  const app = express();
  app.post("/login", express.json(), limit, refuseLogin);
  const request = { method: /** @type {const} */ ("POST"), path: "/login", headers: { "content-type": "application/json" }, body: loginBody };
  serve(app, { port, redis, request });
});
