import type { RequestHandler } from "express";
import { PortcullisError, type ErrorResponseOptions, type SessionPrincipal } from "@portcullis/core";
import {
  challenge,
  createErrorResponder,
  errorResponseOptions,
  functionOption,
  realmOption,
  resolveOptions,
  unauthenticated,
  wholeNumber,
} from "@portcullis/core/internal";
import { z } from "zod";

export interface RequireRecentAuthOptions extends ErrorResponseOptions {
  /**
   * How long ago, in milliseconds, the user may last have proved their password (and, with
   * `secondFactor`, a second factor).
   * @default 900000 (15 minutes)
   */
  readonly maxAgeMs?: number;
  /**
   * Demand a second factor too: the session must have proved a TOTP or recovery code within
   * `maxAgeMs` (at a two-step login, or `POST /reauthenticate` with a `code`). A user without MFA
   * can never pass, and neither can an API key (403): a key could otherwise be made from a
   * password-only session to step around the code. Guard with it only actions that need MFA.
   * @default false
   */
  readonly secondFactor?: boolean;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default "api" */
  readonly realm?: string;
}

const requireRecentAuthOptions = z.strictObject({
  maxAgeMs: wholeNumber(0, undefined, "milliseconds").default(15 * 60_000),
  secondFactor: z.boolean().default(false),
  now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
  realm: realmOption,
  ...errorResponseOptions,
});
const KEY_REFUSED = "This action needs a signed-in session with a recent second factor; an API key cannot perform it.";
const SECOND_FACTOR_DETAIL = "Confirm your password and a second-factor code to continue.";

/**
 * Guards a sensitive action (a new API key, a password change): a session whose last password
 * check is older than `maxAgeMs` gets 401 `reauthentication_required`, with the RFC 9470
 * `insufficient_user_authentication` challenge; POST /reauthenticate renews it. With
 * `secondFactor: true` a recent code is needed as well (the challenge then asks for
 * `acr_values="mfa"`). Requests authenticated by an API key pass (a key has no password to
 * confirm), except with `secondFactor`, which refuses them with 403.
 *
 * @example
 * app.post("/api/account/password", requireRecentAuth({ maxAgeMs: 5 * 60_000 }), changePassword);
 * app.delete("/api/organisation", requireRecentAuth({ maxAgeMs: 5 * 60_000, secondFactor: true }), deleteOrganisation);
 */
export function requireRecentAuth(options: Readonly<RequireRecentAuthOptions> = {}): RequestHandler {
  const { maxAgeMs, secondFactor, now, realm, ...config } = resolveOptions("requireRecentAuth", requireRecentAuthOptions, options);
  const respond = createErrorResponder(config);
  const refusal = () => reauthenticationRequired({ realm, maxAgeMs, secondFactor });
  const isRecent = (at: number | undefined) => at !== undefined && now() - at <= maxAgeMs;
  const isFresh = (principal: SessionPrincipal) => isRecent(principal.authenticatedAt) && (!secondFactor || isRecent(principal.secondFactorAt));

  return function requireRecentAuthMiddleware(req, res, next) {
    const principal = req.auth;
    if (!principal) return respond(unauthenticated(req, realm), req, res, next);
    if (principal.kind !== "session") return secondFactor ? respond(new PortcullisError("insufficient_permissions", KEY_REFUSED), req, res, next) : next();
    if (isFresh(principal)) return next();
    respond(refusal(), req, res, next);
  };
}

/**
 * The 401 `reauthentication_required` that `requireRecentAuth` answers, with its RFC 9470
 * challenge, for a route that checks recency itself (`authRouter`'s password change, which needs
 * a code only from users with MFA).
 *
 * @example
 * throw reauthenticationRequired({ realm: "api", maxAgeMs: 900_000, secondFactor: true });
 */
export function reauthenticationRequired({ realm, maxAgeMs, secondFactor }: { realm: string; maxAgeMs: number; secondFactor: boolean }): PortcullisError {
  const header = challenge("Bearer", realm, {
    error: "insufficient_user_authentication",
    ...(secondFactor ? { acr_values: "mfa" } : {}),
    max_age: String(Math.floor(maxAgeMs / 1000)),
  });
  return new PortcullisError("reauthentication_required", secondFactor ? SECOND_FACTOR_DETAIL : undefined, { headers: { "WWW-Authenticate": header } });
}
