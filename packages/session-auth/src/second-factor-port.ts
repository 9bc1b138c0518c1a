import type { Request, RequestHandler, Response, Router } from "express";
import type { PortcullisError, UserRecord, UserStore } from "@portcullis/core";
import type { AuditEventInit, RequestSchema } from "@portcullis/core/internal";
import type { PendingMfaLogin } from "./session-data";

/**
 * What `sessionAuth` resolved, as a second factor uses it for one request: its clock, realm,
 * store-call bound and access log. A factor keeps none of these itself, so it reads the same
 * clock and writes to the same log as the sessions it guards.
 */
export interface SecondFactorContext {
  /** `sessionAuth`'s clock, in ms since the epoch. */
  readonly now: () => number;
  /** The realm of the `WWW-Authenticate` challenges. */
  readonly realm: string;
  /** How long one store call may take before the request gets 503 (`sessionAuth`'s `timeoutMs`). */
  readonly timeoutMs: number;
  /** Records to `sessionAuth`'s access log, if it has one; never throws, never waits. */
  readonly record: (req: Request, event: AuditEventInit) => void;
}

/** When the user proved what, for a session a second factor completes. */
export interface SignInProof {
  /** When the password was proven (the pending sign-in's `passwordAt`). */
  readonly authenticatedAt: number;
  /** When the second factor was proven. */
  readonly secondFactorAt: number;
}

/**
 * What `authRouter` lends every plug-in's routes (a second factor's, OAuth sign-in's): its user
 * store, the checks of its own routes and the session's context, so a plug-in's routes are checked
 * and answered as the router's are, without reaching into how sessions are kept.
 */
export interface LentRouteParts {
  /** `authRouter`'s user store. */
  readonly users: UserStore;
  /** 401 `reauthentication_required` unless the user proved who they are within `recentAuthMaxAgeMs`. */
  readonly recentAuth: RequestHandler;
  /** 403 `cross_site_request` for an unsafe request from another site (login CSRF included). */
  readonly sameSiteOnly: RequestHandler;
  /** 403 `https_required` when a session cookie issued now could not reach the browser. */
  readonly cookieDeliverable: RequestHandler;
  /** The context of `sessionAuth` for this request (a `TypeError` when it did not run first). */
  context(req: Request): SecondFactorContext;
  /** The signed-in user behind a session-only route: 401 without one, 403 for an API key. */
  signedInUser(req: Request): { readonly context: SecondFactorContext; readonly userId: string };
}

/** What `authRouter` lends a second factor's routes: the shared parts, and the sign-in that waits for the factor. */
export interface SecondFactorRoutes extends LentRouteParts {
  /** Parses a JSON body (16 kB, UTF-8 only), and answers 415 to a request without one. */
  readonly json: readonly RequestHandler[];
  /** The login rate limit (`authRouter`'s `rateLimit`), or none: every route that checks a code sits behind it. */
  readonly rateLimit: readonly RequestHandler[];
  /** Signs out every session of the user but this request's; how many there were. */
  revokeOtherSessions(req: Request, userId: string): Promise<number>;
  /** The sign-in this request's session holds, waiting for a second factor since a right password. */
  pendingSignIn(req: Request): PendingMfaLogin | undefined;
  /** Drops the pending sign-in: its session destroyed and the cookie cleared. */
  dropPendingSignIn(req: Request, res: Response): Promise<void>;
  /**
   * The pending sign-in becomes a signed-in session under a new id, answered as a login is; false,
   * with nothing written or answered, when a concurrent request dropped it meanwhile.
   */
  completeSignIn(req: Request, res: Response, user: UserRecord, proof: SignInProof): Promise<boolean>;
}

/**
 * A second factor for `authRouter`, its `mfa` option: `totpSecondFactor(…)` from `@portcullis/mfa`
 * (TOTP and recovery codes), and any other (email codes, passkeys) that implements it. The router
 * keeps the sessions: it checks the password, holds the sign-in that waits for the factor (a
 * session that signs nobody in) and issues the session; the factor keeps its store, checks its
 * proofs and adds its own routes, such as `POST /login/mfa`.
 *
 * @example
 * app.use("/api/auth", authRouter({ users, rateLimit, mfa: totpSecondFactor({ store, encryptionKey, issuer: "Acme" }) }));
 */
export interface SecondFactor {
  /**
   * After a right password: undefined when the user has no such factor (the password alone signs
   * in), otherwise the refusal `POST /login` answers once the router has saved the pending
   * sign-in (401 `mfa_required`, naming the methods in `data.methods`). A store failure rejects
   * (503), never a sign-in with the password alone.
   */
  challenge(req: Request, context: SecondFactorContext, user: UserRecord): Promise<PortcullisError | undefined>;
  /** Whether the user must prove this factor as well as the password (to change the password, say). */
  isRequired(context: SecondFactorContext, userId: string): Promise<boolean>;
  /** The `code` that `POST /reauthenticate` may carry with the password, checked (400) before the password is. */
  readonly reauthenticationCode: RequestSchema<string>;
  /**
   * Checks and spends a code sent to `POST /reauthenticate` after its password was right: resolves
   * when it is right, throws the refusal (a `PortcullisError`) otherwise.
   */
  reauthenticate(req: Request, context: SecondFactorContext, userId: string, code: string): Promise<void>;
  /**
   * Adds the factor's own routes to `authRouter`'s router, built from what the router lends. A
   * route passes its errors to `next` itself (`handle(req, res).catch(next)`): Express 4 ignores a
   * promise a handler returns, so a refusal thrown in an async handler would never be answered.
   */
  addRoutes(router: Router, routes: SecondFactorRoutes): void;
}

const MEMBERS = ["challenge", "isRequired", "reauthenticate", "addRoutes"] as const;

/** Whether `value` is a `SecondFactor`, checked by shape (it may come from another copy of a package). */
export function isSecondFactor(value: unknown): value is SecondFactor {
  if (value === null || typeof value !== "object") return false;
  const factor = value as Record<string, unknown>;
  return MEMBERS.every((name) => typeof factor[name] === "function") && typeof (factor.reauthenticationCode as RequestSchema<string> | undefined)?.safeParse === "function";
}
