// @ts-check
const express = require("express");
const { ApiKeys, ScopePolicy, apiKeyAuth, apiKeysRouter, keyRateLimit, scopeGuards } = require("portcullis");

/** Plexe's two permission levels, as scopes a key holds. */
const permissionLevels = { read_only: ["read"], read_write: ["read", "write"] };
const scopes = new ScopePolicy({ known: ["read", "write"] });

/**
 * The Plexe configuration: keys `plx_sk_…` in `x-api-key` only, read-only and read-write keys,
 * a key created with an existing key, revoked with DELETE, answered 200 as Plexe's rotation
 * script expects; errors carry Plexe's codes (`invalid_key`, `revoked_key`, …) in `error`.
 *
 * @param {{ store: import("portcullis").KeyStore, secret: string, now?: () => number }} options
 */
function createApp({ store, secret, now }) {
  const keys = new ApiKeys({ store, secret, prefix: "plx_sk_", scopes, ...(now ? { now } : {}) });
  const { requireScope } = scopeGuards({ policy: scopes });
  const models = [{ id: "churn-v2", status: "ready" }];

  const app = express();
  app.use(apiKeyAuth({ keys, sources: [{ header: "x-api-key" }] }), keyRateLimit({ default: { points: 600, durationSeconds: 60 } }));
  // "Read-only: can only make GET requests"; "Read & Write: can both read data and create or modify resources".
  app.get("/models", requireScope("read"), (_req, res) => void res.json(models));
  app.post("/models", requireScope("write"), express.json(), (req, res) => {
    const model = { id: String(req.body?.id ?? `model-${models.length + 1}`), status: "training" };
    models.push(model);
    res.status(201).json(model);
  });
  app.use("/auth/api-keys", apiKeysRouter({ keys, manageScope: false, permissionLevels, createdStatus: 200, revokedStatus: 200 }));
  return { app, keys };
}

module.exports = { createApp, permissionLevels };
