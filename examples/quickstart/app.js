// @ts-check
const express = require("express");
const {
  ApiKeys,
  MemoryAuditSink,
  PortcullisError,
  RedisAuditSink,
  RedisLimiterStore,
  ScopePolicy,
  accessLogRouter,
  apiKeyAuth,
  apiKeysRouter,
  authRouter,
  healthRoutes,
  loginRateLimit,
  portcullisFinalHandlers,
  requireJsonBody,
  redisPing,
  redisSessionStorage,
  scopeGuards,
  sessionAuth,
  utf8Only,
} = require("portcullis");

/** CorePlexML's scopes: admin grants everything. */
const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });

/**
 * The API of the quick start, laid out as the CorePlexML documentation describes it: sign in
 * under /api/auth (an HttpOnly session cookie), manage keys under /api/auth/api-keys, and call
 * the guarded resources with the cookie or with `Authorization: Bearer cpx_live.…`.
 *
 * @param {{
 *   keyStore: import("portcullis").KeyStore,
 *   users: import("portcullis").UserStore,
 *   secret: string,
 *   sessionSecret: string,
 *   redis?: import("portcullis").RedisClient,
 *   now?: () => number,
 * }} options
 */
function createApp({ keyStore, users, secret, sessionSecret, redis, now }) {
  const clock = now ? { now } : {};
  const keys = new ApiKeys({ store: keyStore, secret, prefix: "cpx_live.", scopes, ...clock });
  const { requireScope } = scopeGuards({ policy: scopes });
  const projects = [{ id: "p1", name: "Churn model" }];
  // The access log: every key use, login and key change; admins read it at /api/auth/audit.
  const audit = redis ? new RedisAuditSink(redis) : new MemoryAuditSink(clock);

  const app = express();
  app.disable("x-powered-by");
  app.use(healthRoutes({ checks: redis ? { redis: redisPing(redis) } : {} })); // /healthz, /readyz
  app.use(
    "/api",
    apiKeyAuth({ keys, optional: true, audit }), // a Bearer key, or else…
    sessionAuth({ secret: sessionSecret, roles: { admin: ["admin"], member: ["read", "write", "predict"] }, users, audit, ...(redis ? { sessions: redisSessionStorage(redis) } : {}), ...clock }),
  );
  // Login, re-authentication and password changes share one brute-force limit.
  const limit = loginRateLimit({
    ...(redis ? { store: new RedisLimiterStore(redis) } : {}),
    username: (req) => req.body?.email ?? (req.auth?.kind === "session" ? req.auth.userId : undefined),
  });
  app.use("/api/auth", authRouter({ users, rateLimit: limit }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: "admin", audit }));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy: scopes }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  app.post("/api/projects", requireScope("write"), express.json({ limit: "16kb", verify: utf8Only }), requireJsonBody, (req, res) => {
    const { name = "untitled" } = jsonObject(req.body);
    if (typeof name !== "string" || name.length === 0 || name.length > 100) throw new PortcullisError("invalid_request", "name: must be a string of 1 to 100 characters");
    const project = { id: `p${projects.length + 1}`, name };
    projects.push(project);
    res.status(201).json(project);
  });
  app.post("/api/models/:id/predict", requireScope("predict"), (req, res) => {
    res.json({ model: req.params.id, prediction: 0.42 });
  });
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

module.exports = { createApp };
