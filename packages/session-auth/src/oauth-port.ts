import type { Request, Router } from "express";
import type { ErrorCode, PortcullisError, UserRecord } from "@portcullis/core";
import type { PendingOAuthFlow } from "./session-data";
import type { LentRouteParts } from "./second-factor-port";

/** When the user proved what, for a session a provider's answer starts or renews. */
export interface ProviderProof {
  /** The provider's id, recorded as the access log event's `targetId`. */
  readonly provider: string;
  /** When the provider authenticated the user: now, for an answer just verified. */
  readonly authenticatedAt: number;
  /** Set when the provider's `amr`/`acr` satisfy the app's second-factor policy; portcullis's own factor is then not asked. */
  readonly secondFactorAt?: number;
}

/** How a provider's sign-in ended: a session, or a pending sign-in waiting for portcullis's own second factor. */
export type ProviderSignIn = "signed_in" | "mfa_required";

/**
 * What `authRouter` lends OAuth sign-in's routes (its `oauth` option): the shared parts, and the
 * session operations a provider's sign-in needs, so it issues, renews and refuses sessions as a
 * password does.
 */
export interface OAuthSignInRoutes extends LentRouteParts {
  /**
   * Keeps `flow` in this browser's session until the provider answers: in the signed-in session
   * when there is one, otherwise in a new session (new id) that signs nobody in.
   */
  beginFlow(req: Request, flow: PendingOAuthFlow): Promise<void>;
  /** The flow this browser's session holds, if any; read only. */
  pendingFlow(req: Request): PendingOAuthFlow | undefined;
  /**
   * Spends the pending flow, atomically: true for exactly one of several requests carrying it. A
   * signed-in session goes on under a new id without it; a session that held only the flow ends.
   */
  spendFlow(req: Request): Promise<boolean>;
  /**
   * Signs `user` in under a new session id, as a password does, or, when the user has a second
   * factor and `proof` carries none, leaves the pending sign-in that `POST /login/mfa` finishes.
   * Records the login (and counts it in `portcullis.auth.outcomes`); writes no answer.
   */
  signIn(req: Request, user: UserRecord, proof: ProviderProof): Promise<ProviderSignIn>;
  /** Renews the signed-in session's authentication time (and second factor's) under a new id. */
  reauthenticate(req: Request, proof: ProviderProof): Promise<void>;
  /** Counts a provider's answer in `portcullis.auth.outcomes` (credential type `oauth`): refused with this code. */
  recordRefusal(code: ErrorCode | undefined): void;
}

/**
 * Sign-in through OAuth and OpenID Connect providers, `authRouter`'s `oauth` option:
 * `oauthSignIn(…)` from `@portcullis/oauth`. The router keeps the sessions; this keeps the
 * providers, the protocol and the linked identities, and adds its own routes.
 */
export interface OAuthSignIn {
  /**
   * The refusal a password sign-in, re-authentication or password change by this email gets: 403
   * `sso_required` when its domain must sign in through single sign-on, naming the route;
   * otherwise undefined.
   */
  passwordRefusal(req: Request, email: string): PortcullisError | undefined;
  /** Adds the routes (start, callback, identities) to `authRouter`'s router. Routes pass errors to `next`. */
  addRoutes(router: Router, routes: OAuthSignInRoutes): void;
}

/** Whether `value` is an `OAuthSignIn`, checked by shape (it may come from another copy of a package). */
export function isOAuthSignIn(value: unknown): value is OAuthSignIn {
  if (value === null || typeof value !== "object") return false;
  const signIn = value as Record<string, unknown>;
  return typeof signIn.passwordRefusal === "function" && typeof signIn.addRoutes === "function";
}
