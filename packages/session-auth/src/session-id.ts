import { randomBytes } from "node:crypto";
import type { Request } from "express";
import { markSessionExpired } from "@portcullis/core/internal";

/**
 * express-session's `genid`: a new session id (24 random bytes, as express-session's own), which
 * also notices a cookie of ours whose session the store no longer holds (logged out, revoked, or
 * forgotten after its deadline). express-session asks for an id then while `req.sessionID` still
 * holds the id of the signed cookie and before any `req.session` exists; such a request is marked,
 * so a guard that refuses it answers `session_expired`. An unsigned or forged cookie never gets
 * that far (express-session leaves `req.sessionID` unset), and no store call is added.
 */
export function newSessionId(req: Request): string {
  if ((req.session as unknown) === undefined && typeof req.sessionID === "string" && req.sessionID !== "") markSessionExpired(req);
  return randomBytes(24).toString("base64url");
}
