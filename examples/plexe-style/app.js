// @ts-check
const express = require("express");
const {
  ApiKeys,
  MemoryAuditSink,
  PortcullisError,
  ScopePolicy,
  accessLogRouter,
  apiKeyAuth,
  apiKeysRouter,
  keyRateLimit,
  portcullisFinalHandlers,
  requireJsonBody,
  scopeGuards,
  utf8Only,
} = require("portcullis");

/** Plexe's two permission levels, as scopes a key holds. */
const permissionLevels = { read_only: ["read"], read_write: ["read", "write"] };
const scopes = new ScopePolicy({ known: ["read", "write"] });

/**
 * The Plexe configuration: keys `plx_sk_…` in `x-api-key` only, read-only and read-write keys,
 * a key created with an existing key, revoked with DELETE, answered 200 as Plexe's rotation
 * script expects; errors carry Plexe's codes (`invalid_key`, `revoked_key`, …) in `error`.
 *
 * Every key use and key change goes to the access log, which read-write keys page through at
 * /auth/access-log.
 *
 * @param {{ store: import("portcullis").KeyStore, secret: string, now?: () => number, audit?: import("portcullis").AuditSink }} options
 */
function createApp({ store, secret, now, audit = new MemoryAuditSink(now ? { now } : {}) }) {
  const keys = new ApiKeys({ store, secret, prefix: "plx_sk_", scopes, ...(now ? { now } : {}) });
  const { requireScope } = scopeGuards({ policy: scopes });
  const models = [{ id: "churn-v2", status: "ready" }];

  const app = express();
  app.disable("x-powered-by");
  app.use(apiKeyAuth({ keys, sources: [{ header: "x-api-key" }], audit }), keyRateLimit({ default: { points: 600, durationSeconds: 60 } }));
  // "Read-only: can only make GET requests"; "Read & Write: can both read data and create or modify resources".
  app.get("/models", requireScope("read"), (_req, res) => void res.json(models));
  app.post("/models", requireScope("write"), express.json({ limit: "16kb", verify: utf8Only }), requireJsonBody, (req, res) => {
    const { id = `model-${models.length + 1}` } = jsonObject(req.body);
    if (typeof id !== "string" || id.length === 0 || id.length > 64) throw new PortcullisError("invalid_request", "id: must be a string of 1 to 64 characters");
    const model = { id, status: "training" };
    models.push(model);
    res.status(201).json(model);
  });
  app.use("/auth/api-keys", apiKeysRouter({ keys, manageScope: false, permissionLevels, createdStatus: 200, revokedStatus: 200, audit }));
  app.use("/auth/access-log", accessLogRouter({ audit, viewScope: "write", policy: scopes }));
  app.use(portcullisFinalHandlers()); // last: JSON for unknown routes and for every error
  return { app, keys, audit };
}

/**
 * The JSON object a write sends (requireJsonBody has answered 415 to a body express.json did not
 * read): a 400 for JSON that is not an object. Fields are then checked one by one, by type.
 * @param {unknown} body
 * @returns {Record<string, unknown>}
 */
function jsonObject(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new PortcullisError("invalid_request", "body: must be a JSON object");
  return /** @type {Record<string, unknown>} */ (body);
}

module.exports = { createApp, permissionLevels };
