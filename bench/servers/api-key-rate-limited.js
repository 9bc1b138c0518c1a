// @ts-check
// api-key-cached with keyRateLimit on Redis between the key and the scope guard: one count per
// request on Redis (with its stall failover timer). The limit is the highest a key may have, so
// the run is never refused.
const express = require("express");
const { RedisLimiterStore, apiKeyAuth, keyRateLimit, scopeGuards } = require("portcullis");
const { connectRedis, projects, readOnlyKey, run, scopes, serve, settings } = require("./common");

const NEVER = { points: 1_000_000, durationSeconds: 60 }; // the most a key's limit may be

run("api-key-rate-limited", async () => {
  const { port, redisUrl, prefix } = settings("api-key-rate-limited");
  const redis = await connectRedis(redisUrl);
  const { keys, authorization, close } = await readOnlyKey(redis, prefix);
  const { requireScope } = scopeGuards({ policy: scopes });
  const app = express();
  app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ store: new RedisLimiterStore(redis, { prefix }), default: NEVER }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  serve(app, { port, redis, close, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
