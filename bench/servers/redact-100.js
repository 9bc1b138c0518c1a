// @ts-check
// api-key-cached, then redactResponse removing training_data from each of the 100 items: the key
// holds "read" but not "admin", so every item is redacted.
const express = require("express");
const { apiKeyAuth, redactResponse, scopeGuards } = require("portcullis");
const { connectRedis, models, readOnlyKey, run, scopes, serve, settings } = require("./common");

run("redact-100", async () => {
  const { port, redisUrl, prefix } = settings("redact-100");
  const redis = await connectRedis(redisUrl);
  const { keys, authorization, close } = await readOnlyKey(redis, prefix);
  const { requireScope } = scopeGuards({ policy: scopes });
  const redact = redactResponse([{ path: "items[*].training_data", scope: "admin" }], { policy: scopes });
  const app = express();
  app.use("/api", apiKeyAuth({ keys }));
  app.get("/api/models", requireScope("read"), redact, (_req, res) => void res.json(models));
  serve(app, { port, redis, close, request: { method: "GET", path: "/api/models", headers: { authorization } } });
});
