import type { Request } from "express";
import { challenge } from "./challenge";
import { PortcullisError } from "./errors";
import { requestState } from "./request-state";

/**
 * Marks a request whose session was found expired and destroyed (`req.portcullis.sessionExpired`).
 * `sessionAuth` does not refuse it by itself (the login route must stay reachable); whichever guard
 * then refuses the request says `session_expired` instead of `missing_credentials`.
 *
 * @example
 * markSessionExpired(req); // then next(): a guard's unauthenticated(req, realm) is session_expired
 */
export function markSessionExpired(req: Request): void {
  requestState(req).sessionExpired = true;
}

/**
 * The 401 for a request that no credential authenticated: `session_expired` when its session just
 * expired, `missing_credentials` otherwise.
 *
 * @example
 * if (!req.auth) return respond(unauthenticated(req, "api"), req, res, next);
 */
export function unauthenticated(req: Request, realm: string): PortcullisError {
  const headers = { "WWW-Authenticate": challenge("Bearer", realm) };
  return req.portcullis?.sessionExpired
    ? new PortcullisError("session_expired", undefined, { headers })
    : new PortcullisError("missing_credentials", undefined, { headers });
}
