// @ts-check
const path = require("node:path");
const { randomBytes } = require("node:crypto");
const express = require("express");
const { rateLimit } = require("express-rate-limit");
const {
  ApiKeys,
  MemoryMfaStore,
  PortcullisError,
  ScopePolicy,
  accessLogRouter,
  apiKeyAuth,
  apiKeysRouter,
  authRouter,
  healthRoutes,
  keyRateLimit,
  loginRateLimit,
  pendingMfaLogin,
  portcullisFinalHandlers,
  redactResponse,
  scopeGuards,
  sessionAuth,
  totpSecondFactor,
  utf8Only,
} = require("portcullis");
const { oauthSignIn } = require("@portcullis/oauth");
const { LINK_PAGES, demoEmailFlows } = require("./email");
const { isOutbox, outboxHandler } = require("./outbox");
const { createResources, resourceRouter } = require("./resources");

const policy = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
const ROLES = { admin: ["admin"], member: ["read", "write", "predict"], viewer: ["read"] };

/**
 * The demo: an ML platform's API guarded per route, as the CorePlexML page lays it out, with the
 * web console at /. Every portcullis middleware is here: keys or a session on /api, login and its
 * brute-force limit, two-factor authentication (TOTP, recovery codes, and codes by email with `email`), key management, the
 * access log, scope guards, per-key rate limits, and a model's `training_data` redacted for anyone
 * but an admin.
 *
 * @param {{
 *   keyStore: import("portcullis").KeyStore,
 *   users: import("@portcullis/core").ProvisioningUserStore,
 *   audit: import("portcullis").AuditSink,
 *   secret: string,
 *   sessionSecret: string,
 *   sessions?: import("portcullis").SessionStorage,
 *   limiterStore?: import("portcullis").LimiterStore,
 *   checks?: Record<string, import("portcullis").HealthCheck>,
 *   now?: () => number,
 *   cache?: import("portcullis").ApiKeysOptions["cache"],
 *   mfaStore?: import("portcullis").MfaStore,
 *   mfaEncryptionKey?: string,
 *   metrics?: import("express").RequestHandler,
 *   signIn?: { providers: import("@portcullis/oauth").OAuthProvider[], origins: string[], identities: import("@portcullis/core").IdentityStore, callbackBaseUrl: string },
 *   email?: { mailer: import("@portcullis/core").Mailer, tokens: import("@portcullis/core").EmailTokenStore, appUrl: string },
 * }} options Where the state lives is the caller's choice (./storage.js makes it from the
 * environment): `sessions` and `limiterStore` are in memory when absent, and `checks` are what
 * GET /readyz asks. `cache` is handed to ApiKeys as is (its default when absent). Second factors
 * live in `mfaStore` (in memory when absent), their secrets sealed under `mfaEncryptionKey` (a
 * random key when absent: enrolments then last as long as the process). `metrics` answers GET
 * /metrics (see ./metrics.js); without it there is no such route. `signIn` adds sign-in through
 * its providers (see ./sign-in-providers.js), with accounts made for newcomers as members, their
 * identities in `identities`; `origins` are where the providers' pages are, for the CSP. `email`
 * adds the email flows (see ./email.js), their links opening the console at `appUrl`; when its
 * `mailer` is an outbox, GET /api/demo/outbox lists it to clients on this machine (see ./outbox.js).
 */
function createDemoApp({ keyStore, users, audit, secret, sessionSecret, sessions, limiterStore, checks = {}, now, cache, mfaStore, mfaEncryptionKey, metrics, signIn, email }) {
  const clock = now ? { now } : {};
  const limits = limiterStore ? { store: limiterStore } : {};
  const keys = new ApiKeys({ store: keyStore, secret, prefix: "cpx_live.", scopes: policy, ...clock, ...(cache === undefined ? {} : { cache }) });
  const { requireScope } = scopeGuards({ policy });
  const resources = createResources();
  const known = new Map(); // users made through /api/users, for listing (UserStore has no list)

  const app = express();
  app.disable("x-powered-by");
  // /healthz and /readyz for a load balancer, before anything that asks for credentials.
  app.use(healthRoutes({ checks }));
  // Prometheus scrapes the counts of every portcullis middleware here, with no credential: the
  // handler answers loopback clients only.
  if (metrics) app.get("/metrics", metrics);
  // The console's forms post to the demo, which redirects them to a provider's sign-in page (to
  // link an account): form-action covers those redirects, so it names the providers' origins.
  const formAction = ["'self'", ...(signIn?.origins ?? [])].join(" ");
  app.use((_req, res, next) => {
    // The console has no inline script or style, so the strictest policy holds.
    res.set({
      // img-src allows data: for the enrolment QR code, an SVG the API answers as a data URL.
      "Content-Security-Policy": `default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action ${formAction}`,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
    next();
  });
  app.use(express.static(path.join(__dirname, "public")));
  if (email) {
    // The emailed links open these pages: the console, which reads the token from the fragment.
    app.get(LINK_PAGES, (_req, res) => res.sendFile(path.join(__dirname, "public", "index.html")));
    // The development outbox holds working links: for this machine's browser only.
    if (isOutbox(email.mailer)) app.get("/api/demo/outbox", outboxHandler(email.mailer, email.appUrl));
  }

  app.use(
    "/api",
    apiKeyAuth({ keys, optional: true, audit }),
    sessionAuth({ secret: sessionSecret, roles: ROLES, users, audit, ...(sessions ? { sessions } : {}), ...clock }),
    keyRateLimit({ ...limits, default: { points: 600, durationSeconds: 60 } }),
  );
  // A code step counts under the login name its password step was typed with, so wrong codes and
  // wrong passwords share one count, and a right code clears it.
  const limit = loginRateLimit({
    ...limits,
    username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email ?? (req.auth?.kind === "session" ? req.auth.userId : undefined),
  });
  const mfa = totpSecondFactor({
    store: mfaStore ?? new MemoryMfaStore(),
    encryptionKey: mfaEncryptionKey ?? randomBytes(32).toString("base64url"),
    issuer: "portcullis demo",
    // Codes by email beside TOTP, through the same mailer (the outbox in development) and token store as the links.
    // Each account's wrong codes in a row are counted where the other limits are.
    ...(email ? { emailCodes: { mailer: email.mailer, tokens: email.tokens, ...(limiterStore ? { limiterStore } : {}) } } : {}),
  });
  const oauth = signIn && oauthSignIn({ providers: signIn.providers, identities: signIn.identities, callbackBaseUrl: signIn.callbackBaseUrl, signUp: { role: "member" } });
  // Each sign-in a browser starts through a provider writes a short session until the provider
  // answers: a per-IP limit on the starts keeps a flood of them from filling the session store.
  if (oauth) app.use("/api/auth/oauth", limitSignInStarts());
  const flows = email && demoEmailFlows({ ...email, ...(limiterStore ? { limiterStore } : {}) });
  app.use("/api/auth", authRouter({ users, rateLimit: limit, mfa, ...(oauth ? { oauth } : {}), ...(flows ? { email: flows } : {}) }));
  app.use("/api/auth/api-keys", apiKeysRouter({ keys, manageScope: false, audit }));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy }));

  app.use("/api/projects", resourceRouter(resources.projects, ["name"], requireScope));
  app.use("/api/datasets", resourceRouter(resources.datasets, ["name"], requireScope));
  // A model's training data is for admins: anyone else gets every answer about models (reads and
  // writes alike) with that field redacted, and may not set it. One mount covers the whole router.
  const hideTrainingData = redactResponse(
    [
      { path: "training_data", scope: "admin" },
      { path: "[*].training_data", scope: "admin" },
    ],
    // Always redact, never refuse: the behaviour for models. The body it reads to check a
    // write is not read again by the route, so it gets the routes' own limit.
    { policy, threshold: 1, bodyLimit: "16kb" },
  );
  app.use("/api/models", hideTrainingData, resourceRouter(resources.models, ["name", "training_data"], requireScope, ["training_data"]));
  app.post("/api/models/:id/predict", requireScope("predict"), express.json({ limit: "16kb", verify: utf8Only }), (req, res) => {
    const model = resources.models.get(String(req.params.id));
    if (!model) return void res.status(404).json({ error: "not_found", detail: "Not found." });
    res.json({ model: model.id, prediction: { churn_probability: 0.27 } });
  });

  app.get("/api/users", requireScope("admin"), (_req, res) => void res.json([...known.values()]));
  app.post("/api/users", requireScope("admin"), express.json({ limit: "16kb", verify: utf8Only }), (req, res, next) => {
    const { email, password, role } = req.body ?? {};
    if (typeof role !== "string" || !Object.hasOwn(ROLES, role)) return void res.status(400).json({ error: "invalid_request", detail: `role: one of ${Object.keys(ROLES).join(", ")}` });
    // A refusal or a failure goes to the handlers below; passed on by hand, as Express 4 needs.
    users
      .create({ email, password, role })
      .then((user) => {
        known.set(user.id, user);
        res.status(201).json(user);
      })
      .catch(next);
  });
  // Last: a JSON 404 for unknown routes, and every error as JSON (4xx refusals as they are, a 500
  // without its stack), whatever NODE_ENV says.
  app.use(portcullisFinalHandlers());
  return { app, keys, known };
}

/**
 * At most 20 provider sign-ins started per minute per IP (`GET /api/auth/oauth/<provider>`; the
 * lists and the answers are not counted), refused as every portcullis limit is: 429
 * `rate_limit_exceeded`, with the IETF `RateLimit` headers. Counted in this process.
 */
function limitSignInStarts() {
  const LISTS = new Set(["providers", "identities"]);
  return rateLimit({
    windowMs: 60_000,
    limit: 20,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    skip: (req) => {
      const name = /^\/([^/]+)$/.exec(req.path)?.[1];
      return req.method !== "GET" || name === undefined || LISTS.has(name);
    },
    handler: (_req, _res, next) => next(new PortcullisError("rate_limit_exceeded", "Too many sign-ins started from this address; retry in a minute.")),
  });
}

module.exports = { createDemoApp, ROLES };
