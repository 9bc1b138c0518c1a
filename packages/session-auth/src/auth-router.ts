import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import {
  configError,
  createErrorResponder,
  fromBodyParserError,
  PortcullisError,
  unauthenticated,
  type ErrorResponseOptions,
  type UserRecord,
  type UserStore,
} from "@portcullis/core";
import { z } from "zod";
import { isSameSiteRequest } from "./same-site";
import { ownOrigin, sessionContextOf, type SessionContext } from "./session-context";
import { principalOf } from "./session-auth";

export interface AuthRouterOptions extends ErrorResponseOptions {
  /** Where users and their passwords live. */
  readonly users: UserStore;
  /**
   * Brute-force protection for /login and /reauthenticate: `loginRateLimit(…)` from
   * `@portcullis/login-rate-limit`, or your own middleware. It runs after the body is parsed.
   * @default undefined (no limit: set one in production)
   */
  readonly rateLimit?: RequestHandler;
}

const KNOWN_OPTIONS = new Set(["users", "rateLimit", "onError", "formatError"]);
const MAX_USER_AGENT = 256;

// Passwords are capped far above bcrypt's 72 bytes, so an over-long one is still checked (and
// fails) in the usual time rather than refused early, which would tell it apart.
const loginBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }).strict();
const reauthenticateBody = z.object({ password: z.string().min(1).max(1024) }).strict();

/**
 * POST /login, POST /logout, GET /me and POST /reauthenticate, mounted where the host likes (the
 * seeds use /api/auth) after `sessionAuth`. A wrong email and a wrong password get the same
 * status, body and (within noise) time; the session id changes at login and is destroyed at logout.
 *
 * @example
 * app.use("/api/auth", authRouter({ users, rateLimit: loginRateLimit({ username: (req) => req.body?.email }) }));
 */
export function authRouter(options: Readonly<AuthRouterOptions>): Router {
  if (options === null || typeof options !== "object") throw configError("authRouter", "options are required: authRouter({ users })");
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw configError("authRouter", `unknown option "${name}"`);
  }
  const { users, rateLimit } = options;
  if (!users || typeof users.verifyCredentials !== "function") {
    throw configError("authRouter", `"users" is required: a UserStore such as new MemoryUserStore({ passwords: bcryptPasswords() })`);
  }
  if (rateLimit !== undefined && typeof rateLimit !== "function") throw configError("authRouter", `"rateLimit" must be a middleware`);
  const respond = createErrorResponder("authRouter", options);
  const json = express.json({ limit: "16kb" });
  const limited: RequestHandler[] = rateLimit ? [rateLimit] : [];
  const router = express.Router();

  router.post("/login", json, requireJsonBody, sameSiteOnly, ...limited, async function login(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const { email, password } = parse(loginBody, req.body);
    const user = await users.verifyCredentials(email, password);
    if (!user) throw new PortcullisError("invalid_credentials");
    await regenerate(req);
    const at = context.now();
    req.session.portcullis = {
      userId: user.id,
      role: user.role,
      createdAt: at,
      authenticatedAt: at,
      lastSeenAt: at,
      ip: req.ip ?? "",
      userAgent: (req.get("user-agent") ?? "").slice(0, MAX_USER_AGENT),
    };
    await save(req);
    res.set("Cache-Control", "no-store").json(meJson(user, principalOf(req.session.portcullis, req.sessionID, context.roles).scopes));
  });

  router.post("/logout", sameSiteOnly, async function logout(req, res) {
    const context = sessionContextOf(req, "authRouter");
    if (req.session?.portcullis) await destroy(req);
    context.clearCookie(res);
    res.status(204).end();
  });

  router.get("/me", async function me(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const principal = req.auth;
    if (!principal) throw unauthenticated(req, context.realm);
    if (principal.kind === "api_key") {
      res.json({ kind: "api_key", key_id: principal.keyId, owner: principal.owner, scopes: principal.scopes, app: principal.app ?? null });
      return;
    }
    const user = await users.findById(principal.userId);
    if (!user) throw unauthenticated(req, context.realm);
    res.set("Cache-Control", "no-store").json(meJson(user, principal.scopes));
  });

  router.post("/reauthenticate", json, requireJsonBody, sameSiteOnly, ...limited, async function reauthenticate(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const principal = req.auth;
    const data = req.session?.portcullis;
    if (principal?.kind !== "session" || !data) throw unauthenticated(req, context.realm);
    const { password } = parse(reauthenticateBody, req.body);
    const current = await users.findById(principal.userId);
    const confirmed = current && (await users.verifyCredentials(current.email, password));
    if (!confirmed || confirmed.id !== principal.userId) throw new PortcullisError("invalid_credentials", "Invalid password.");
    data.authenticatedAt = context.now();
    await save(req);
    res.json({ reauthenticated_at: new Date(data.authenticatedAt).toISOString() });
  });

  router.use(function authRouterErrors(error: unknown, req: Request, res: Response, next: NextFunction) {
    respond(fromBodyParserError(error), req, res, next);
  });
  return router;
}

/** Login CSRF too: a cross-site page must not sign a visitor in to someone else's account. */
function sameSiteOnly(req: Request, _res: Response, next: NextFunction): void {
  const context: SessionContext = sessionContextOf(req, "authRouter");
  if (!isSameSiteRequest(req.method, req.headers, ownOrigin(req), context.sameSite)) throw new PortcullisError("cross_site_request");
  next();
}

function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.body === undefined) throw new PortcullisError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
  next();
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PortcullisError("invalid_request", `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`);
}

function meJson(user: UserRecord, scopes: readonly string[]) {
  return { kind: "session", user: { id: user.id, email: user.email, role: user.role }, scopes };
}

/** A new session id at login (no fixation); a fresh session when an expired one was just destroyed. */
function regenerate(req: Request): Promise<void> {
  if (!req.session) {
    req.sessionStore.generate(req);
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => req.session.regenerate((e: unknown) => (e ? reject(storeDown(e)) : resolve())));
}
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e: unknown) => (e ? reject(storeDown(e)) : resolve())));
const destroy = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e: unknown) => (e ? reject(storeDown(e)) : resolve())));

function storeDown(cause: unknown): PortcullisError {
  return new PortcullisError("auth_unavailable", undefined, { cause, headers: { "Retry-After": "1" } });
}
