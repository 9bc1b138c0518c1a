// @ts-check
// Express's own share of a guard: two middlewares that do nothing, mounted where apiKeyAuth and
// requireScope sit in api-key-cached, and the same Authorization header sent. What a two-layer
// guard costs beyond this is its own work.
const express = require("express");
const { projects, run, serve, settings } = require("./common");

run("bare-two-layers", async () => {
  const { port } = settings("bare-two-layers");
  const principal = Object.freeze({ kind: "api_key", scopes: Object.freeze(["read"]) });
  /** @type {import("express").RequestHandler} */
  const authenticate = (req, _res, next) => {
    /** @type {any} */ (req).auth = principal;
    next();
  };
  /** @type {import("express").RequestHandler} */
  const guard = (req, _res, next) => next(/** @type {any} */ (req).auth ? undefined : new Error("no principal"));
  const app = express();
  app.use("/api", authenticate);
  app.get("/api/projects", guard, (_req, res) => void res.json(projects));
  // As long as a real key (prefix, 32 random and 6 checksum characters), so the header costs the same.
  const authorization = `Bearer cpx_live.${"x".repeat(38)}`;
  serve(app, { port, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
