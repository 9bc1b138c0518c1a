import type { RequestHandler } from "express";
import session from "express-session";
import {
  PortcullisError,
  isPortcullisError,
  type AuditRecorder,
  type ErrorResponseOptions,
  type Logger,
  type SessionPrincipal,
  type SessionStorage,
  type TakingSessionStore,
  type UserStore,
} from "@portcullis/core";
import {
  checked,
  configError,
  createErrorResponder,
  errorResponseOptions,
  loggerOption,
  functionOption,
  markSessionExpired,
  realmOption,
  resolveOptions,
  storeUnavailable,
  isSafeMethod,
  timeoutMsOption,
  wholeNumber,
  auditEventFromRequest,
  authOutcomeRecorder,
  traceSessionStore,
  callStore,
  USER_STORE,
} from "@portcullis/core/internal";
import { z } from "zod";
import { memorySessionStorage } from "./memory-session-storage";
import { isSameSiteRequest } from "./same-site";
import { cookieDeliveryCheck } from "./secure-connection";
import { ownOrigin, setSessionContext, type SessionContext } from "./session-context";
import { sessionDeadline, sessionTtlSeconds, type PortcullisSessionData } from "./session-data";
import { newSessionId } from "./session-id";

export interface SessionAuthOptions extends ErrorResponseOptions {
  /** Signs the session cookie: a string of 32+ bytes, or several to rotate (the first signs). */
  readonly secret: string | readonly string[];
  /** The scopes each role grants: `{ admin: ["admin"], member: ["read", "write", "predict"] }`. */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /**
   * Where sessions and each user's list of them are kept: `redisSessionStorage(redis, { prefix })`
   * from `@portcullis/redis`, `expressSessionStorage({ store, index })` for any express-session
   * store, or a `SessionStorage` of your own.
   * @default memorySessionStorage() (sessions in memory, in this process)
   */
  readonly sessions?: SessionStorage;
  /**
   * Send the cookie over HTTPS only. Behind a TLS-terminating proxy, set
   * `app.set("trust proxy", …)`: without it every request looks like plain HTTP, and signing in
   * is refused with 403 `https_required` (and one line through `logger`) rather than answered
   * without a cookie.
   * @default process.env.NODE_ENV === "production"
   */
  readonly secure?: boolean;
  /**
   * The cookie's name.
   * @default "__Host-portcullis" when secure, "portcullis.sid" otherwise
   */
  readonly cookieName?: string;
  /**
   * A session unused this long ends (OWASP: 15 to 30 minutes for ordinary apps).
   * @default 1800000 (30 minutes)
   */
  readonly idleTimeoutMs?: number;
  /**
   * A session ends this long after login, however busy (OWASP: 4 to 8 hours).
   * @default 28800000 (8 hours)
   */
  readonly absoluteTimeoutMs?: number;
  /**
   * Origins besides the app's own whose pages may send unsafe requests with the session cookie.
   * @default []
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Let sibling subdomains (`Sec-Fetch-Site: same-site`) send unsafe requests with the session.
   * @default false
   */
  readonly trustSameSite?: boolean;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default "api" */
  readonly realm?: string;
  /**
   * The user store: when given, a session is checked against its user once a minute (with the
   * last-seen write), and ends if the user is gone or changed password elsewhere (an admin reset,
   * a "forgot password" flow) after this session's last password check; role changes apply.
   * @default undefined (sessions trust what they recorded at login until they expire)
   */
  readonly users?: UserStore;
  /**
   * How long one session-store call may take, in milliseconds, before the request gets 503.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * The access log: logins, logouts, re-authentications, session revocations, password changes,
   * refused sessions, and each session's use (at most once a minute per session).
   * @default undefined (no access log)
   */
  readonly audit?: AuditRecorder;
  /**
   * Where a deployment mistake found at a request is logged, once per process: a Secure cookie
   * that cannot be set because `trust proxy` is missing.
   * @default console
   */
  readonly logger?: Logger;
}

/** The sliding expiry is written back at most this often per session, not on every request. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/**
 * Cookie sessions: express-session on the `sessions` storage (memory unless given), with idle and
 * absolute timeouts checked on the server's own timestamps, Fetch-Metadata CSRF checks, and the
 * same `req.auth` principal as API keys (kind `"session"`, scopes from the user's role). Mount
 * `authRouter` after it for login and logout.
 *
 * A request without a session passes on unauthenticated (guards refuse it); one whose session has
 * expired has it destroyed and passes on, so a guard answers 401 `session_expired`, as it does for
 * a signed cookie whose session is gone from the store (logged out, revoked, forgotten).
 *
 * @example
 * app.use(sessionAuth({ secret: process.env.SESSION_SECRET!, roles: { admin: ["admin"] }, sessions: redisSessionStorage(redis) }));
 * app.use("/api/auth", authRouter({ users }));
 */
export function sessionAuth(options: Readonly<SessionAuthOptions>): RequestHandler {
  const config = resolve(options);
  const respond = createErrorResponder(config);
  const outcomes = authOutcomeRecorder("sessionAuth");
  const { timeouts, now } = config;
  // A sign-in waiting for its code or its provider lives only as long as it can be finished, and
  // a minute more so that a late answer is told it came too late rather than that nothing was waiting.
  const ttl = (data: session.SessionData) => {
    const pendingUntil = data.portcullisMfaLogin?.expiresAt ?? (data.portcullis ? undefined : data.portcullisOAuth?.expiresAt);
    return pendingUntil === undefined ? sessionTtlSeconds(data.portcullis, timeouts, now()) : Math.max(1, Math.ceil((pendingUntil + 60_000 - now()) / 1000));
  };
  const { timeoutMs, users } = config;
  const { store, index } = openStorage(config.sessions, { ttlSeconds: ttl, timeoutMs, now });
  const cookie = { httpOnly: true, sameSite: "lax" as const, secure: config.secure, path: "/" };
  const context: SessionContext = {
    roles: config.roles,
    timeouts,
    sameSite: config.sameSite,
    now,
    realm: config.realm,
    clearCookie: (res) => void res.clearCookie(config.cookieName, cookie),
    store,
    index,
    timeoutMs,
    assertCookieDeliverable: cookieDeliveryCheck(config.secure, config.logger),
    record: (req, event) => config.audit?.record(auditEventFromRequest(req, { at: now(), ...event })),
  };
  const sessions = session({
    name: config.cookieName,
    secret: config.secrets,
    genid: newSessionId,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: "destroy",
    cookie: { ...cookie, maxAge: timeouts.absoluteTimeoutMs },
  });

  return function sessionAuthMiddleware(req, res, next) {
    setSessionContext(req, context);
    let answered = false;
    sessions(req, res, (error?: unknown) => {
      // express-session calls back again when its end-of-request save fails (a session revoked
      // meanwhile): the answer has gone already, so there is nothing left to do.
      if (answered) return;
      answered = true;
      if (error) {
        // The session could not be read (a store failure or timeout), so this request has none.
        // Without an id, express-session neither destroys it at the end (unset: "destroy" does so
        // for a request left without a session, and would wait for a stalled store a second time)
        // nor saves nor touches it: the session stays as stored, and works once the store answers.
        forgetSessionId(req);
        const refusal = error instanceof PortcullisError ? error : storeUnavailable(error);
        outcomes.refused(refusal.code, "session");
        return respond(refusal, req, res, next);
      }
      const data = req.session?.portcullis;
      if (!data) return next();
      const at = now();
      const sessionOf = { userId: data.userId, owner: data.userId };
      const end = () => {
        context.record(req, { action: "session.authenticate", outcome: "failure", code: "session_expired", ...sessionOf });
        outcomes.refused("session_expired", "session"); // passed on unauthenticated: a guard refuses it
        markSessionExpired(req);
        context.clearCookie(res);
        const sessionId = req.sessionID;
        req.session.destroy(() => void index.remove(data.userId, sessionId).then(() => next(), () => next()));
      };
      if (at >= sessionDeadline(data, timeouts)) return end();
      // An API key already authenticated this request; the ambient cookie is not a second credential.
      if (req.auth) return next();
      // Only an unsafe request's answer depends on where it came from.
      if (!isSafeMethod(req.method)) res.vary("Sec-Fetch-Site").vary("Origin");
      if (!isSameSiteRequest(req.method, req.headers, () => ownOrigin(req), config.sameSite)) {
        context.record(req, { action: "session.authenticate", outcome: "failure", code: "cross_site_request", ...sessionOf });
        outcomes.refused("cross_site_request", "session");
        return respond(new PortcullisError("cross_site_request"), req, res, next);
      }
      const admit = () => {
        req.auth = principalOf(data, req.sessionID, config.roles);
        outcomes.success("session");
        next();
      };
      // Touching the timestamp marks the session modified, so it is saved (and its TTL extended)
      // at the end of this request: at most once a minute, not on every request. The user is
      // checked at the same pace.
      if (at - data.lastSeenAt < LAST_SEEN_RESOLUTION_MS) return admit();
      const lastSeenAt = data.lastSeenAt;
      data.lastSeenAt = at;
      context.record(req, { action: "session.authenticate", outcome: "success", ...sessionOf });
      if (!users) return admit();
      callStore(USER_STORE.findById, timeoutMs, () => users.findById(data.userId)).then(
        (user) => {
          if (!user || (user.passwordChangedAt ?? 0) > data.authenticatedAt) return end();
          data.role = user.role;
          admit();
        },
        (failure: unknown) => {
          // The check did not happen: saving the new time would skip it for another minute.
          data.lastSeenAt = lastSeenAt;
          outcomes.refused(isPortcullisError(failure) ? failure.code : undefined, "session");
          respond(failure, req, res, next);
        },
      );
    });
  };
}

function forgetSessionId(req: { sessionID?: string }): void {
  delete req.sessionID;
}

export function principalOf(data: PortcullisSessionData, sessionId: string, roles: SessionContext["roles"]): SessionPrincipal {
  return {
    kind: "session",
    userId: data.userId,
    owner: data.userId,
    sessionId,
    scopes: Object.hasOwn(roles, data.role) ? roles[data.role]! : [],
    authenticatedAt: data.authenticatedAt,
    ...(data.secondFactorAt === undefined ? {} : { secondFactorAt: data.secondFactorAt }),
  };
}

/** The storage's parts, checked: a mistake in a storage of the host's own is loud at creation. */
function openStorage(sessions: SessionStorage, settings: Parameters<SessionStorage>[0]) {
  const parts = sessions(settings);
  const { store, index } = parts ?? {};
  if (!store || typeof store.get !== "function" || typeof store.take !== "function" || typeof store.creating !== "function") {
    throw configError("sessionAuth", `"sessions" must return { store, index } with a store that has take and creating; wrap a plain express-session store with expressSessionStorage({ store, index })`);
  }
  // What express-session's Store class gives every store (any copy of express-session).
  if (typeof (store as Partial<session.Store>).createSession !== "function" || typeof (store as Partial<session.Store>).on !== "function") {
    throw configError("sessionAuth", `"sessions" must return a store that extends express-session's Store`);
  }
  if (!index || typeof index.add !== "function" || typeof index.list !== "function" || typeof index.remove !== "function") {
    throw configError("sessionAuth", `"sessions" must return { store, index } with a SessionIndex (add, remove, list)`);
  }
  // Traced here, at the port, so every adapter's store calls (express-session's own included) are.
  return { store: traceSessionStore(store as TakingSessionStore & session.Store), index };
}

/** Options of earlier versions, each with what replaced it. */
const REPLACED_OPTIONS: Readonly<Record<string, string>> = {
  redis: `"sessions": pass sessions: redisSessionStorage(redis) (from @portcullis/redis)`,
  redisPrefix: `the "prefix" of the Redis storage: pass sessions: redisSessionStorage(redis, { prefix })`,
};

const SECRET_RULE = "must be a string of at least 32 bytes (or an array of them, the first signing)";
const COOKIE_NAME_RULE = "must be a cookie token of 1 to 64 characters";
const ORIGINS_RULE = `holds origins such as "https://app.example.com" (scheme and host, no path)`;
const ORIGIN = /^https?:\/\/[^/\s]+$/;

const isSecret = (value: unknown): value is string => typeof value === "string" && Buffer.byteLength(value) >= 32;
const isRoles = (value: unknown): value is Readonly<Record<string, readonly string[]>> =>
  value !== null && typeof value === "object" && Object.values(value).every((scopes) => Array.isArray(scopes));
const hasMethods = (value: unknown, ...methods: string[]) =>
  value !== null && (typeof value === "object" || typeof value === "function") && methods.every((method) => typeof (value as Record<string, unknown>)[method] === "function");

/** The options, checked, with their defaults (the cookie's name hangs on `secure`, so it is left to `resolve`). */
const sessionAuthOptions = z
  .strictObject(
    {
      secret: checked(
        (value): value is string | readonly string[] => isSecret(value) || (Array.isArray(value) && value.length > 0 && value.every(isSecret)),
        SECRET_RULE,
      ),
      roles: checked(isRoles, `is required: the scopes of each role, such as { admin: ["admin"], member: ["read"] }`),
      sessions: checked(
        (value): value is SessionStorage => typeof value === "function",
        "must be a session storage, such as redisSessionStorage(redis) from @portcullis/redis or expressSessionStorage({ store, index })",
      ).default(() => memorySessionStorage()),
      secure: z.boolean().default(() => process.env.NODE_ENV === "production"),
      cookieName: z.string({ error: COOKIE_NAME_RULE }).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, { error: COOKIE_NAME_RULE }).optional(),
      idleTimeoutMs: wholeNumber(1000, undefined, "milliseconds").default(30 * 60_000),
      absoluteTimeoutMs: wholeNumber(1000, undefined, "milliseconds").default(8 * 3600_000),
      allowedOrigins: z
        .array(z.unknown(), { error: `must be an array of origins such as "https://app.example.com" (scheme and host, no path)` })
        .superRefine((origins, ctx) => {
          const wrong = origins.findIndex((origin) => typeof origin !== "string" || !ORIGIN.test(origin));
          if (wrong !== -1) {
            ctx.addIssue({ code: "custom", input: origins, message: `${ORIGINS_RULE}, got ${JSON.stringify(origins[wrong]) ?? String(origins[wrong])}` });
          }
        })
        .transform((origins) => origins as string[])
        .default(() => []),
      trustSameSite: z.boolean().default(false),
      now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
      realm: realmOption,
      users: checked((value): value is UserStore => hasMethods(value, "findById"), "must be a UserStore (findById, findByEmail, verifyCredentials, changePassword)").optional(),
      timeoutMs: timeoutMsOption,
      audit: checked((value): value is AuditRecorder => hasMethods(value, "record"), "must be an AuditSink, such as new MemoryAuditSink()").optional(),
      logger: loggerOption,
      ...errorResponseOptions,
    },
    { error: (issue) => (issue.code === "invalid_type" ? "options are required: sessionAuth({ secret, roles })" : undefined) },
  )
  .superRefine((options, ctx) => {
    if (options.cookieName?.startsWith("__Host-") && !options.secure) {
      ctx.addIssue({ code: "custom", input: options, message: `a "__Host-" cookie needs secure: true (browsers refuse it otherwise)` });
    } else if (options.idleTimeoutMs > options.absoluteTimeoutMs) {
      ctx.addIssue({ code: "custom", input: options, message: `"idleTimeoutMs" cannot exceed "absoluteTimeoutMs"` });
    }
  });

function resolve(options: Readonly<SessionAuthOptions>) {
  const { secret, roles, secure, idleTimeoutMs, absoluteTimeoutMs, allowedOrigins, trustSameSite, ...config } = resolveOptions(
    "sessionAuth",
    sessionAuthOptions,
    options,
    REPLACED_OPTIONS,
  );
  return {
    ...config,
    secrets: typeof secret === "string" ? [secret] : [...secret],
    // A copy, frozen: every session of a role then shares one scope list, compiled once.
    roles: Object.freeze(Object.fromEntries(Object.entries(roles).map(([role, scopes]) => [role, Object.freeze([...scopes])]))),
    secure,
    cookieName: config.cookieName ?? (secure ? "__Host-portcullis" : "portcullis.sid"),
    timeouts: { idleTimeoutMs, absoluteTimeoutMs },
    sameSite: { allowedOrigins: new Set(allowedOrigins), trustSameSite },
  };
}
