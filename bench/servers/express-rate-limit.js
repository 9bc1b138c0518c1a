// @ts-check
// express-rate-limit on Redis (rate-limit-redis through the same ioredis client) in front of the
// bare-post handler, with a limit the run never reaches.
const express = require("express");
const { rateLimit } = require("express-rate-limit");
const { RedisStore } = require("rate-limit-redis");
const { connectRedis, loginBody, refuseLogin, run, serve, settings } = require("./common");

run("express-rate-limit", async () => {
  const { port, redisUrl, prefix } = settings("express-rate-limit");
  const redis = await connectRedis(redisUrl);
  const limit = rateLimit({
    windowMs: 60_000,
    limit: 1_000_000_000,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    store: new RedisStore({
      prefix,
      sendCommand: (/** @type {string} */ command, /** @type {string[]} */ ...args) =>
        /** @type {Promise<import("rate-limit-redis").RedisReply>} */ (redis.call(command, ...args)),
    }),
  });
  const app = express();
  app.post("/login", express.json(), limit, refuseLogin);
  const request = { method: /** @type {const} */ ("POST"), path: "/login", headers: { "content-type": "application/json" }, body: loginBody };
  serve(app, { port, redis, request });
});
