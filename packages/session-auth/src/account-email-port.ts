import type { Request, RequestHandler, Router } from "express";
import type { PortcullisError } from "@portcullis/core";
import type { LentRouteParts } from "./second-factor-port";

/**
 * What `authRouter` lends the email flows' routes (its `email` option): the shared parts, and what
 * the flows need of the sessions they end and the roles they hand out.
 */
export interface AccountEmailRoutes extends LentRouteParts {
  /** Parses a JSON body (16 kB, UTF-8 only), and answers 415 to a request without one. */
  readonly json: readonly RequestHandler[];
  /** The login rate limit (`authRouter`'s `rateLimit`), or none: the routes that check a password sit behind it. */
  readonly rateLimit: readonly RequestHandler[];
  /** The scopes of each role, as `sessionAuth`'s `roles` grants them: an invitation may give only a role whose scopes the inviter holds. */
  roles(req: Request): Readonly<Record<string, readonly string[]>>;
  /**
   * Resolves for a user without a second factor, or whose session proved it within
   * `recentAuthMaxAgeMs`; otherwise rejects with 401 `reauthentication_required` asking for it, as
   * `POST /password` does: an address change is as much a takeover as a password change.
   */
  recentSecondFactor(req: Request, userId: string): Promise<void>;
  /** Signs out every session of the user (a password reset); how many there were. */
  revokeAllSessions(req: Request, userId: string): Promise<number>;
  /** Signs out every session of the user but this request's; how many there were. */
  revokeOtherSessions(req: Request, userId: string): Promise<number>;
  /**
   * The refusal a password set for this email gets (403 `sso_required`) when its domain must sign in
   * through single sign-on (`authRouter`'s `oauth`), otherwise undefined: such an account gets no
   * password reset.
   */
  passwordRefusal(req: Request, email: string): PortcullisError | undefined;
}

/**
 * Password reset, sign-up, invitations and email changes by emailed link, `authRouter`'s `email`
 * option: `emailFlows({ mailer, tokens, appUrl })` from `@portcullis/email`. The router keeps the
 * sessions; this keeps the tokens, writes the messages and adds its own routes.
 */
export interface AccountEmail {
  /** Adds the routes (`/password/forgot`, `/password/reset`, …) to `authRouter`'s router. Routes pass errors to `next`. */
  addRoutes(router: Router, routes: AccountEmailRoutes): void;
}

/** Whether `value` is an `AccountEmail`, checked by shape (it may come from another copy of a package). */
export function isAccountEmail(value: unknown): value is AccountEmail {
  return typeof (value as Partial<AccountEmail> | null)?.addRoutes === "function";
}
