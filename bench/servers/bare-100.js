// @ts-check
// The baseline of redact-100: Express alone answering GET /api/models with 100 items.
const express = require("express");
const { models, run, serve, settings } = require("./common");

run("bare-100", async () => {
  const { port } = settings("bare-100");
  const app = express();
  app.get("/api/models", (_req, res) => void res.json(models));
  serve(app, { port, request: { method: "GET", path: "/api/models" } });
});
