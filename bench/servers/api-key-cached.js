// @ts-check
// portcullis's API key with its verified-key cache on (the default), then the "read" scope guard.
const express = require("express");
const { apiKeyAuth, scopeGuards } = require("portcullis");
const { connectRedis, projects, readOnlyKey, run, scopes, serve, settings } = require("./common");

run("api-key-cached", async () => {
  const { port, redisUrl, prefix } = settings("api-key-cached");
  const redis = await connectRedis(redisUrl);
  const { keys, authorization, close } = await readOnlyKey(redis, prefix);
  const { requireScope } = scopeGuards({ policy: scopes });
  const app = express();
  app.use("/api", apiKeyAuth({ keys }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  serve(app, { port, redis, close, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
