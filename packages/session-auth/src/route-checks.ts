import type { NextFunction, Request, RequestHandler, Response } from "express";
import { PortcullisError, type UserStore } from "@portcullis/core";
import { unauthenticated } from "@portcullis/core/internal";
import { isSameSiteRequest } from "./same-site";
import type { LentRouteParts } from "./second-factor-port";
import { ownOrigin, sessionContextOf, type SessionContext } from "./session-context";

/** Login CSRF too: a cross-site page must not sign a visitor in to someone else's account. */
export function sameSiteOnly(req: Request, _res: Response, next: NextFunction): void {
  const context: SessionContext = sessionContextOf(req, "authRouter");
  if (!isSameSiteRequest(req.method, req.headers, () => ownOrigin(req), context.sameSite)) throw new PortcullisError("cross_site_request");
  next();
}

/**
 * Before a route that issues a session cookie does anything (checks a password, spends a code,
 * drops the old session): 403 `https_required` if the cookie could not reach the browser.
 */
export function cookieDeliverable(req: Request, _res: Response, next: NextFunction): void {
  sessionContextOf(req, "authRouter").assertCookieDeliverable(req);
  next();
}

/** The signed-in user behind a session-only route; API keys do not manage sessions. */
export function sessionOwner(req: Request): { context: SessionContext; userId: string } {
  const context = sessionContextOf(req, "authRouter");
  const principal = req.auth;
  if (!principal) throw unauthenticated(req, context.realm);
  if (principal.kind !== "session" || !req.session?.portcullis) {
    throw new PortcullisError("insufficient_permissions", "Sessions are managed from a signed-in session, not with an API key.");
  }
  return { context, userId: principal.userId };
}

/** The parts `authRouter` lends every plug-in's routes (see `LentRouteParts`). */
export function lentRouteParts(users: UserStore, recentAuth: RequestHandler): LentRouteParts {
  return { users, recentAuth, sameSiteOnly, cookieDeliverable, context: (req) => sessionContextOf(req, "authRouter"), signedInUser: sessionOwner };
}
