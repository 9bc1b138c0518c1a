import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import {
  fromRequestError,
  utf8Only,
  PortcullisError,
  isPortcullisError,
  requireJsonBody,
  type ErrorResponseOptions,
  type SessionPrincipal,
  type UserStore,
} from "@portcullis/core";
import {
  asyncHandler,
  checked,
  createErrorResponder,
  errorResponseOptions,
  parseRequest,
  errorOptionsOf,
  markPasswordAccepted,
  resolveOptions,
  unauthenticated,
  wholeNumber,
  callStore,
  authOutcomeRecorder,
  SESSION_INDEX,
  SESSION_STORE,
  USER_STORE,
} from "@portcullis/core/internal";
import { requireRecentAuth } from "@portcullis/require-scope";
import { reauthenticationRequired } from "@portcullis/require-scope/internal";
import { z } from "zod";
import { completeLogin, continueUnderNewId, endSession, meJson } from "./login-session";
import { isAccountEmail, type AccountEmail, type AccountEmailRoutes } from "./account-email-port";
import { isOAuthSignIn, type OAuthSignIn } from "./oauth-port";
import { oauthSignInRoutes } from "./oauth-routes";
import { authRouterErrorFormat, beginMfaLogin } from "./pending-sign-in";
import { cookieDeliverable, lentRouteParts, sameSiteOnly, sessionOwner } from "./route-checks";
import { isSecondFactor, type SecondFactor, type SecondFactorRoutes } from "./second-factor-port";
import { sessionContextOf, type SessionContext } from "./session-context";
import { sessionDeadline, type PortcullisSessionData } from "./session-data";
import { destroyCurrent, loadById, regenerate, save } from "./session-ops";

export { MAX_SESSIONS_PER_USER } from "./login-session";

export interface AuthRouterOptions extends ErrorResponseOptions {
  /** Where users and their passwords live. */
  readonly users: UserStore;
  /**
   * Brute-force protection for /login and /reauthenticate: `loginRateLimit(…)` from
   * `@portcullis/login-rate-limit`, or your own middleware. It runs after the body is parsed.
   * @default undefined (no limit: set one in production)
   */
  readonly rateLimit?: RequestHandler;
  /**
   * How recent the last password check must be to change the password.
   * @default 900000 (15 minutes)
   */
  readonly recentAuthMaxAgeMs?: number;
  /**
   * How long a password check or change may take (the user store's `verifyCredentials` and
   * `changePassword`, bcrypt included) before the request gets 503. It is longer than the
   * store's `timeoutMs` because bcrypt queues for libuv's four threads under load, and a busy
   * machine is no outage; `RedisUserStore` bounds its own Redis calls by its `timeoutMs`.
   * @default 10000
   */
  readonly passwordTimeoutMs?: number;
  /**
   * A second factor: `totpSecondFactor({ store, encryptionKey, issuer })` from `@portcullis/mfa`
   * (TOTP codes from an authenticator app, and recovery codes), or another `SecondFactor`. A user
   * who has one signs in in two steps (`POST /login` answers 401 `mfa_required`, the factor's
   * `POST /login/mfa` finishes), and the factor adds its own routes (`/mfa`: enrol, confirm,
   * disable). Give the login rate limit's `username` function `pendingMfaLogin(req)?.email`, so
   * wrong codes count with wrong passwords.
   * @default undefined (passwords only; no second-factor routes are mounted)
   */
  readonly mfa?: SecondFactor;
  /**
   * Sign-in through OAuth and OpenID Connect providers (Google, GitHub, a company's SSO):
   * `oauthSignIn({ providers, identities, callbackBaseUrl })` from `@portcullis/oauth`. It adds its
   * routes (`/oauth/…`: start, callback, linked identities), and a password sign-in by an email
   * whose domain must use single sign-on answers 403 `sso_required`.
   * @default undefined (passwords only)
   */
  readonly oauth?: OAuthSignIn;
  /**
   * Password reset, self-service sign-up, invitations and email changes by emailed link:
   * `emailFlows({ mailer, tokens, appUrl })` from `@portcullis/email`. It adds its routes
   * (`/password/forgot`, `/password/reset`, `/email`, and `/signup` and `/invitations` when turned on).
   * @default undefined (no email: an admin sets forgotten passwords)
   */
  readonly email?: AccountEmail;
}

const RECENT_AUTH_RULE = "must be a whole number of milliseconds";

/** The options, checked, with their defaults. */
const authRouterOptions = z.strictObject(
  {
    users: checked(
      (value): value is UserStore => typeof (value as Partial<UserStore> | null)?.verifyCredentials === "function",
      "is required: a UserStore such as new MemoryUserStore({ passwords: bcryptPasswords() })",
    ),
    rateLimit: checked((value): value is RequestHandler => typeof value === "function", "must be a middleware").optional(),
    recentAuthMaxAgeMs: z.int({ error: RECENT_AUTH_RULE }).min(0, { error: RECENT_AUTH_RULE }).default(15 * 60_000),
    passwordTimeoutMs: wholeNumber(1, 60_000, "milliseconds").default(10_000),
    mfa: checked(
      isSecondFactor,
      "must be a second factor, such as totpSecondFactor({ store, encryptionKey, issuer }) from @portcullis/mfa (a plain { store, encryptionKey, issuer } object is what totpSecondFactor takes)",
    ).optional(),
    oauth: checked(isOAuthSignIn, "must be OAuth sign-in: oauthSignIn({ providers, identities, callbackBaseUrl }) from @portcullis/oauth").optional(),
    email: checked(isAccountEmail, "must be the email flows: emailFlows({ mailer, tokens, appUrl }) from @portcullis/email").optional(),
    ...errorResponseOptions,
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: authRouter({ users })" : undefined) },
);

// Passwords are capped far above bcrypt's 72 bytes, so an over-long one is still checked (and
// fails) in the usual time rather than refused early, which would tell it apart.
const loginBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }).strict();
const reauthenticateBody = z.object({ password: z.string().min(1).max(1024) }).strict();
/** With a second factor, re-authentication may carry a code too (its shape checked by the factor), which renews the second-factor check. */
const reauthenticateWithCodeBody = reauthenticateBody.extend({ code: z.unknown().optional() }).strict();
const changePasswordBody = z.object({ current_password: z.string().min(1).max(1024), new_password: z.string().min(1).max(1024) }).strict();
const HANDLE = /^[0-9A-Za-z]{16}$/;

/**
 * POST /login, POST /logout, GET /me, POST /reauthenticate, the user's sessions and POST
 * /password, mounted where the host likes (the seeds use /api/auth) after `sessionAuth`. A wrong
 * email and a wrong password get the same status, body and (within noise) time; the session id
 * changes at login and at a password change, and is destroyed at logout. With `mfa`, also the
 * second factor's routes, such as POST /login/mfa and /mfa (see `AuthRouterOptions.mfa`).
 *
 * @example
 * app.use("/api/auth", authRouter({ users, rateLimit: loginRateLimit({ username: (req) => req.body?.email }) }));
 * @example
 * const mfa = totpSecondFactor({ store: new RedisMfaStore(redis), encryptionKey: process.env.MFA_ENCRYPTION_KEY!, issuer: "Acme" });
 * const rateLimit = loginRateLimit({ store: new RedisLimiterStore(redis), username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email });
 * app.use("/api/auth", authRouter({ users, rateLimit, mfa }));
 */
export function authRouter(options: Readonly<AuthRouterOptions>): Router {
  const config = resolveOptions("authRouter", authRouterOptions, options);
  const { users, rateLimit, mfa, oauth, email, recentAuthMaxAgeMs } = config;
  const passwords = boundedPasswordChecks(users, config.passwordTimeoutMs);
  const respond = createErrorResponder({ ...config, formatError: config.formatError ?? authRouterErrorFormat });
  const outcomes = authOutcomeRecorder("authRouter");
  // Built per context on first use, so it reads the same clock as sessionAuth.
  const recentGuards = new WeakMap<SessionContext, RequestHandler>();
  /** Whether the session proved a second factor within `recentAuthMaxAgeMs`. */
  const isRecent = (principal: SessionPrincipal, context: SessionContext) =>
    principal.secondFactorAt !== undefined && context.now() - principal.secondFactorAt <= recentAuthMaxAgeMs;
  const recentAuth: RequestHandler = (req, res, next) => {
    const context = sessionContextOf(req, "authRouter");
    let guard = recentGuards.get(context);
    if (!guard) {
      guard = requireRecentAuth({ maxAgeMs: recentAuthMaxAgeMs, now: context.now, realm: context.realm, ...errorOptionsOf(config) });
      recentGuards.set(context, guard);
    }
    guard(req, res, next);
  };
  /** 401 `reauthentication_required` (second factor) for a user with MFA whose session has not proven it recently. */
  const recentSecondFactor = async (req: Request, userId: string) => {
    const context = sessionContextOf(req, "authRouter");
    if (mfa && !isRecent(req.auth as SessionPrincipal, context) && (await mfa.isRequired(context, userId))) {
      throw reauthenticationRequired({ realm: context.realm, maxAgeMs: recentAuthMaxAgeMs, secondFactor: true });
    }
  };
  const json = express.json({ limit: "16kb", verify: utf8Only });
  const limited: RequestHandler[] = rateLimit ? [rateLimit] : [];
  const router = express.Router();

  router.post("/login", cookieDeliverable, json, requireJsonBody, sameSiteOnly, ...limited, asyncHandler(async function login(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const { email, password } = parseRequest(loginBody, req.body, "body");
    const ssoRequired = oauth?.passwordRefusal(req, email);
    if (ssoRequired) {
      context.record(req, { action: "session.login", outcome: "failure", code: ssoRequired.code });
      throw ssoRequired;
    }
    const user = await passwords.verifyCredentials(email, password);
    if (!user) {
      context.record(req, { action: "session.login", outcome: "failure", code: "invalid_credentials" });
      throw new PortcullisError("invalid_credentials");
    }
    const secondFactorDue = mfa && (await mfa.challenge(req, context, user));
    if (secondFactorDue) {
      await beginMfaLogin(req, context, user, email);
      markPasswordAccepted(req);
      throw secondFactorDue;
    }
    await regenerate(req, context.timeoutMs, context.realm);
    await completeLogin(req, res, context, user, { authenticatedAt: context.now() });
    outcomes.success("password");
  }));

  router.post("/logout", sameSiteOnly, asyncHandler(async function logout(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const data = req.session?.portcullis;
    if (data) {
      const sessionId = req.sessionID;
      await destroyCurrent(req, context.timeoutMs, context.realm);
      await callStore(SESSION_INDEX.remove, context.timeoutMs, () => context.index.remove(data.userId, sessionId));
      context.record(req, { action: "session.logout", outcome: "success", userId: data.userId, owner: data.userId });
    } else if (req.session?.portcullisMfaLogin) {
      await destroyCurrent(req, context.timeoutMs, context.realm); // a sign-in still waiting for its code
    }
    context.clearCookie(res);
    res.status(204).end();
  }));

  router.get("/me", asyncHandler(async function me(req, res) {
    const context = sessionContextOf(req, "authRouter");
    const principal = req.auth;
    if (!principal) throw unauthenticated(req, context.realm);
    if (principal.kind === "api_key") {
      res.json({ kind: "api_key", key_id: principal.keyId, owner: principal.owner, scopes: principal.scopes, app: principal.app ?? null });
      return;
    }
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(principal.userId));
    if (!user) throw unauthenticated(req, context.realm);
    res.set("Cache-Control", "no-store").json(meJson(user, principal.scopes));
  }));

  router.post("/reauthenticate", cookieDeliverable, json, requireJsonBody, sameSiteOnly, ...limited, asyncHandler(async function reauthenticate(req, res) {
    const { context, userId } = sessionOwner(req);
    const body = parseRequest<{ password: string; code?: unknown }>(mfa ? reauthenticateWithCodeBody : reauthenticateBody, req.body, "body");
    const { password } = body;
    const code = body.code === undefined ? undefined : parseRequest(mfa!.reauthenticationCode, body.code, "code");
    await confirmPassword(users, passwords, context, userId, password, "session.reauthenticate", req, oauth);
    const now = context.now();
    if (code === undefined) {
      req.session.portcullis!.authenticatedAt = now;
      await save(req, context.timeoutMs, context.realm); // 401 if the session was revoked meanwhile
    } else {
      await mfa!.reauthenticate(req, context, userId, code);
      // A second factor raises what the session may do: it goes on under a new id.
      await continueUnderNewId(req, context, userId, { ...req.session.portcullis!, authenticatedAt: now, secondFactorAt: now });
    }
    context.record(req, { action: "session.reauthenticate", outcome: "success", userId, owner: userId });
    res.json({
      reauthenticated_at: new Date(now).toISOString(),
      ...(code === undefined ? {} : { second_factor_at: new Date(now).toISOString() }),
    });
  }));

  router.get("/sessions", asyncHandler(async function listSessions(req, res) {
    const { context, userId } = sessionOwner(req);
    const sessions = await liveSessions(context, userId);
    res.set("Cache-Control", "no-store").json({
      sessions: sessions.map(({ sessionId, data }) => ({
        id: data.handle,
        created_at: new Date(data.createdAt).toISOString(),
        last_seen_at: new Date(data.lastSeenAt).toISOString(),
        ip: data.ip,
        user_agent: data.userAgent,
        current: sessionId === req.sessionID,
      })),
    });
  }));

  router.delete("/sessions/:id", sameSiteOnly, asyncHandler(async function revokeSession(req, res) {
    const { context, userId } = sessionOwner(req);
    const handle = String(req.params.id);
    const target = HANDLE.test(handle) ? (await liveSessions(context, userId)).find(({ data }) => data.handle === handle) : undefined;
    if (!target) throw new PortcullisError("not_found", "No session with this id.");
    await endSession(context, userId, target.sessionId);
    context.record(req, { action: "session.revoke", outcome: "success", userId, owner: userId, targetId: handle });
    if (target.sessionId === req.sessionID) context.clearCookie(res);
    res.status(204).end();
  }));

  router.post("/sessions/revoke-others", sameSiteOnly, asyncHandler(async function revokeOtherSessions(req, res) {
    const { context, userId } = sessionOwner(req);
    const revoked = await revokeAllBut(context, userId, req.sessionID);
    context.record(req, { action: "session.revoke_others", outcome: "success", userId, owner: userId });
    res.json({ revoked });
  }));

  router.post("/password", cookieDeliverable, json, requireJsonBody, sameSiteOnly, recentAuth, ...limited, asyncHandler(async function changePassword(req, res) {
    const { context, userId } = sessionOwner(req);
    const { current_password: current, new_password: password } = parseRequest(changePasswordBody, req.body, "body");
    // For a user with MFA, a password alone would let whoever holds the session lock the owner out.
    await recentSecondFactor(req, userId);
    await confirmPassword(users, passwords, context, userId, current, "password.change", req, oauth);
    if (!(await passwords.changePassword(userId, password))) throw unauthenticated(req, context.realm);
    const revoked = await revokeAllBut(context, userId, req.sessionID);
    await continueUnderNewId(req, context, userId, { ...req.session.portcullis!, authenticatedAt: context.now() });
    context.record(req, { action: "password.change", outcome: "success", userId, owner: userId });
    res.json({ password_changed: true, other_sessions_revoked: revoked });
  }));

  if (mfa) mfa.addRoutes(router, secondFactorRoutes(users, json, limited, recentAuth, () => outcomes.success("password")));
  if (oauth) oauth.addRoutes(router, oauthSignInRoutes(users, mfa, recentAuth, outcomes));
  if (email) email.addRoutes(router, { ...accountEmailRoutes(users, json, limited, recentAuth, oauth), recentSecondFactor });

  router.use(function authRouterErrors(error: unknown, req: Request, res: Response, next: NextFunction) {
    const refusal = fromRequestError(error);
    if (isSignIn(req)) outcomes.refused(isPortcullisError(refusal) ? refusal.code : undefined, "password");
    respond(refusal, req, res, next);
  });
  return router;
}

/** The user store's password work, each call bounded by `timeoutMs`. */
type PasswordChecks = Pick<UserStore, "verifyCredentials" | "changePassword">;

function boundedPasswordChecks(users: UserStore, timeoutMs: number): PasswordChecks {
  return {
    verifyCredentials: (email, password) => callStore(USER_STORE.verifyCredentials, timeoutMs, () => users.verifyCredentials(email, password)),
    changePassword: (userId, password) => callStore(USER_STORE.changePassword, timeoutMs, () => users.changePassword(userId, password)),
  };
}

async function confirmPassword(
  users: UserStore,
  passwords: PasswordChecks,
  context: SessionContext,
  userId: string,
  password: string,
  action: "session.reauthenticate" | "password.change",
  req: Request,
  oauth?: OAuthSignIn,
): Promise<void> {
  const current = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
  const ssoRequired = current && oauth?.passwordRefusal(req, current.email);
  if (ssoRequired) throw ssoRequired;
  const confirmed = current && (await passwords.verifyCredentials(current.email, password));
  if (!confirmed || confirmed.id !== userId) {
    context.record(req, { action, outcome: "failure", code: "invalid_credentials", userId, owner: userId });
    throw new PortcullisError("invalid_credentials", "Invalid password.");
  }
}

/** The user's sessions that still work, loaded from the store; stale index entries are dropped. */
async function liveSessions(context: SessionContext, userId: string) {
  const now = context.now();
  const live: { sessionId: string; data: PortcullisSessionData }[] = [];
  for (const sessionId of await callStore(SESSION_INDEX.list, context.timeoutMs, () => context.index.list(userId, now))) {
    const data = await loadById(context.store, sessionId, context.timeoutMs);
    if (data && data.userId === userId && now < sessionDeadline(data, context.timeouts)) live.push({ sessionId, data });
    else await callStore(SESSION_INDEX.remove, context.timeoutMs, () => context.index.remove(userId, sessionId));
  }
  return live;
}

/** Signs out the user's sessions but `keep` (every one when it is undefined); how many. */
async function revokeAllBut(context: SessionContext, userId: string, keep: string | undefined): Promise<number> {
  let revoked = 0;
  for (const { sessionId } of await liveSessions(context, userId)) {
    if (sessionId === keep) continue;
    await endSession(context, userId, sessionId);
    revoked += 1;
  }
  return revoked;
}

/**
 * The sign-in routes, whose outcomes `portcullis.auth.outcomes` counts: the password, and the
 * second factor's code that finishes a sign-in. `req.route` is the route whose handler failed.
 */
const SIGN_IN_ROUTES = new Set(["/login", "/login/mfa"]);

function isSignIn(req: Request): boolean {
  return req.method === "POST" && SIGN_IN_ROUTES.has((req.route as { path?: unknown } | undefined)?.path as string);
}

/** What the router lends the email flows' routes (see `AccountEmailRoutes`). */
function accountEmailRoutes(
  users: UserStore,
  json: RequestHandler,
  limited: readonly RequestHandler[],
  recentAuth: RequestHandler,
  oauth: OAuthSignIn | undefined,
): Omit<AccountEmailRoutes, "recentSecondFactor"> {
  const contextOf = (req: Request) => sessionContextOf(req, "authRouter");
  return {
    ...lentRouteParts(users, recentAuth),
    json: [json, requireJsonBody],
    rateLimit: limited,
    roles: (req) => contextOf(req).roles,
    revokeAllSessions: (req, userId) => revokeAllBut(contextOf(req), userId, undefined),
    revokeOtherSessions: (req, userId) => revokeAllBut(contextOf(req), userId, req.sessionID),
    passwordRefusal: (req, email) => oauth?.passwordRefusal(req, email),
  };
}

/** What the router lends its second factor's routes (see `SecondFactorRoutes`). */
function secondFactorRoutes(
  users: UserStore,
  json: RequestHandler,
  limited: readonly RequestHandler[],
  recentAuth: RequestHandler,
  signedIn: () => void,
): SecondFactorRoutes {
  return {
    ...lentRouteParts(users, recentAuth),
    json: [json, requireJsonBody],
    rateLimit: limited,
    revokeOtherSessions: (req, userId) => revokeAllBut(sessionContextOf(req, "authRouter"), userId, req.sessionID),
    pendingSignIn: (req) => req.session?.portcullisMfaLogin,
    async dropPendingSignIn(req, res) {
      const context = sessionContextOf(req, "authRouter");
      await destroyCurrent(req, context.timeoutMs, context.realm);
      context.clearCookie(res);
    },
    async completeSignIn(req, res, user, proof) {
      const context = sessionContextOf(req, "authRouter");
      // The pending session becomes a signed-in one under a new id, but only if it is still there:
      // a concurrent request that dropped it (the last wrong code, say) wins.
      if (!(await callStore(SESSION_STORE.take, context.timeoutMs, () => context.store.take(req.sessionID)))) return false;
      req.sessionStore.generate(req);
      await completeLogin(req, res, context, user, proof);
      signedIn();
      return true;
    },
  };
}
