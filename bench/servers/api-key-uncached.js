// @ts-check
// portcullis's API key with the cache off: one Redis round trip (HGETALL) per request.
const express = require("express");
const { apiKeyAuth, scopeGuards } = require("portcullis");
const { connectRedis, projects, readOnlyKey, run, scopes, serve, settings } = require("./common");

run("api-key-uncached", async () => {
  const { port, redisUrl, prefix } = settings("api-key-uncached");
  const redis = await connectRedis(redisUrl);
  const { keys, authorization, close } = await readOnlyKey(redis, prefix, { cache: false });
  const { requireScope } = scopeGuards({ policy: scopes });
  const app = express();
  app.use("/api", apiKeyAuth({ keys }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  serve(app, { port, redis, close, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
