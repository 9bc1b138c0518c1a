// @ts-check
const express = require("express");
const {
  ApiKeys,
  MemoryAuditSink,
  RedisAuditSink,
  ScopePolicy,
  accessLogRouter,
  apiKeyAuth,
  apiKeysRouter,
  authRouter,
  healthRoutes,
  loginRateLimit,
  portcullisFinalHandlers,
  redisPing,
  scopeGuards,
  sessionAuth,
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
  app.use(healthRoutes({ checks: redis ? { redis: redisPing(redis) } : {} })); // /healthz, /readyz
  app.use(
    "/api",
    apiKeyAuth({ keys, optional: true, audit }), // a Bearer key, or else…
    sessionAuth({ secret: sessionSecret, roles: { admin: ["admin"], member: ["read", "write", "predict"] }, users, audit, ...(redis ? { redis } : {}), ...clock }),
  );
  // Login, re-authentication and password changes share one brute-force limit.
  const limit = loginRateLimit({
    ...(redis ? { redis } : {}),
    username: (req) => req.body?.email ?? (req.auth?.kind === "session" ? req.auth.userId : undefined),
  });
  app.use("/api/auth", authRouter({ users, rateLimit: limit }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: "admin", audit }));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy: scopes }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  app.post("/api/projects", requireScope("write"), express.json(), (req, res) => {
    const project = { id: `p${projects.length + 1}`, name: String(req.body?.name ?? "untitled") };
    projects.push(project);
    res.status(201).json(project);
  });
  app.post("/api/models/:id/predict", requireScope("predict"), (req, res) => {
    res.json({ model: req.params.id, prediction: 0.42 });
  });
  app.use(portcullisFinalHandlers()); // last: JSON for unknown routes and for every error
  return { app, keys, audit };
}

module.exports = { createApp };
