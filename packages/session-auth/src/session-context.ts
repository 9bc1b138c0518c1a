import type { Request, Response } from "express";
import { type SessionIndex, type TakingSessionStore } from "@portcullis/core";
import { configError, requestState, type AuditEventInit } from "@portcullis/core/internal";
import type { SessionTimeouts } from "./session-data";
import type { SameSitePolicy } from "./same-site";

/** What `sessionAuth` resolved once and its companions (`authRouter`) need per request. */
export interface SessionContext {
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly timeouts: SessionTimeouts;
  readonly sameSite: SameSitePolicy;
  readonly now: () => number;
  readonly realm: string;
  /** Clears the session cookie with the attributes it was set with, or browsers keep it. */
  readonly clearCookie: (res: Response) => void;
  readonly store: TakingSessionStore;
  readonly index: SessionIndex;
  /** How long one store call may take before the request gets 503. */
  readonly timeoutMs: number;
  /** Throws 403 `https_required` when a session cookie issued now could not reach the browser. */
  readonly assertCookieDeliverable: (req: Request) => void;
  /** Records to the access log, if there is one; never throws, never waits. */
  readonly record: (req: Request, event: AuditEventInit) => void;
}

declare module "@portcullis/core" {
  interface PortcullisRequestState {
    /**
     * What the `sessionAuth` that ran for this request resolved: written by it on every request it
     * sees, read by `authRouter` and its routes. Internal to `@portcullis/session-auth`.
     */
    sessionAuth?: SessionContext;
  }
}

export function setSessionContext(req: Request, context: SessionContext): void {
  requestState(req).sessionAuth = context;
}

/**
 * The context `sessionAuth()` put on the request.
 * @throws TypeError when `sessionAuth()` did not run first: a mounting mistake, loud at once (the
 *   host's error handler gets it; `portcullisErrorHandler({ otherErrors: "respond" })` answers 500).
 */
export function sessionContextOf(req: Request, factory: string): SessionContext {
  const context = req.portcullis?.sessionAuth;
  if (!context) throw configError(factory, "mount sessionAuth() before it, on the same app or router");
  return context;
}

/**
 * The request's own origin, as a browser would write it in `Origin`. `req.protocol` and the host
 * follow Express's `trust proxy` setting, so behind a proxy set it, or a page served over HTTPS
 * by the proxy looks cross-origin (and is refused: this fails closed).
 */
export function ownOrigin(req: Request): string {
  return `${req.protocol}://${hostWithPort(req) ?? ""}`;
}

type TrustProxy = (address: string | undefined, hop: number) => boolean;

/**
 * The host the client addressed, port included, read as Express 5's `req.host` reads it: Express
 * 4's `req.host` is a deprecated alias of `req.hostname`, which drops the port, and an origin
 * without its port would never match the browser's `Origin`.
 */
function hostWithPort(req: Request): string | undefined {
  const trust = req.app.get("trust proxy fn") as TrustProxy | undefined;
  const forwarded = req.get("X-Forwarded-Host");
  const host = forwarded && trust?.(req.socket.remoteAddress, 0) ? forwarded.split(",", 1)[0]!.trimEnd() : req.get("Host");
  return host || undefined;
}
