// @ts-check
const express = require("express");
const { ApiKeys, ScopePolicy, apiKeyAuth, apiKeysRouter, scopeGuards } = require("portcullis");

/**
 * The API of the quick start: projects and predictions guarded per route, keys managed under
 * /api/auth/api-keys, as the CorePlexML documentation lays them out.
 *
 * @param {{ store: import("portcullis").KeyStore, secret: string, now?: () => number }} options
 */
function createApp({ store, secret, now }) {
  const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
  const keys = new ApiKeys({ store, secret, prefix: "cpx_live.", scopes, ...(now ? { now } : {}) });
  const { requireScope } = scopeGuards({ policy: scopes });
  const projects = [{ id: "p1", name: "Churn model" }];

  const app = express();
  app.use("/api", apiKeyAuth({ keys }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: "admin" }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  app.post("/api/projects", requireScope("write"), express.json(), (req, res) => {
    const project = { id: `p${projects.length + 1}`, name: String(req.body?.name ?? "untitled") };
    projects.push(project);
    res.status(201).json(project);
  });
  app.post("/api/models/:id/predict", requireScope("predict"), (req, res) => {
    res.json({ model: req.params.id, prediction: 0.42 });
  });
  return { app, keys };
}

module.exports = { createApp };
