import type { RequestHandler } from "express";
import {
  assertKnownOptions,
  assertRealm,
  challenge,
  configError,
  createErrorResponder,
  PortcullisError,
  unauthenticated,
  type ErrorResponseOptions,
} from "@portcullis/core";

export interface RequireRecentAuthOptions extends ErrorResponseOptions {
  /**
   * How long ago, in milliseconds, the user may last have proved their password.
   * @default 900000 (15 minutes)
   */
  readonly maxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default "api" */
  readonly realm?: string;
}

const KNOWN_OPTIONS = new Set(["maxAgeMs", "now", "realm", "onError", "formatError"]);

/**
 * Guards a sensitive action (a new API key, a password change): a session whose last password
 * check is older than `maxAgeMs` gets 401 `reauthentication_required`, with the RFC 9470
 * `insufficient_user_authentication` challenge; POST /reauthenticate renews it. Requests
 * authenticated by an API key pass: a key has no password to confirm.
 *
 * @example
 * app.post("/api/account/password", requireRecentAuth({ maxAgeMs: 5 * 60_000 }), changePassword);
 */
export function requireRecentAuth(options: Readonly<RequireRecentAuthOptions> = {}): RequestHandler {
  assertKnownOptions("requireRecentAuth", options, KNOWN_OPTIONS);
  const { maxAgeMs = 15 * 60_000, now = Date.now, realm = "api" } = options;
  if (!Number.isInteger(maxAgeMs) || maxAgeMs < 0) throw configError("requireRecentAuth", `"maxAgeMs" must be a whole number of milliseconds`);
  if (typeof now !== "function") throw configError("requireRecentAuth", `"now" must be a function returning milliseconds`);
  assertRealm("requireRecentAuth", realm);
  const respond = createErrorResponder("requireRecentAuth", options);
  const header = challenge("Bearer", realm, { error: "insufficient_user_authentication", max_age: String(Math.floor(maxAgeMs / 1000)) });

  return function requireRecentAuthMiddleware(req, res, next) {
    const principal = req.auth;
    if (!principal) return respond(unauthenticated(req, realm), req, res, next);
    if (principal.kind !== "session" || now() - principal.authenticatedAt <= maxAgeMs) return next();
    respond(new PortcullisError("reauthentication_required", undefined, { headers: { "WWW-Authenticate": header } }), req, res, next);
  };
}
