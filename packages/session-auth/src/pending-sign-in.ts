import { randomBytes } from "node:crypto";
import type { Request } from "express";
import { defaultErrorFormat, type ErrorFormatter, type UserRecord } from "@portcullis/core";
import type { SessionContext } from "./session-context";
import { regenerate, save } from "./session-ops";

/** How long after the password a second factor may finish the sign-in. */
export const MFA_LOGIN_TTL_MS = 5 * 60_000;

/**
 * The password was right and the user has a second factor: the session gets a new id holding only
 * the pending sign-in, so `sessionAuth` finds no principal in it until the factor completes it.
 */
export async function beginMfaLogin(req: Request, context: SessionContext, user: UserRecord, email: string): Promise<void> {
  context.assertCookieDeliverable(req);
  await regenerate(req, context.timeoutMs, context.realm);
  const now = context.now();
  const id = randomBytes(16).toString("base64url");
  req.session.portcullisMfaLogin = { userId: user.id, email, passwordAt: now, expiresAt: now + MFA_LOGIN_TTL_MS, id };
  await context.store.creating(req.sessionID, () => save(req, context.timeoutMs, context.realm));
  context.record(req, { action: "session.login", outcome: "failure", code: "mfa_required", userId: user.id, owner: user.id });
}

/**
 * `authRouter`'s error body when the host gives no `formatError`: the default one, plus the
 * `methods` of an `mfa_required` answer and the `sso_url` of an `sso_required` one (a host's own
 * formatter finds them in `error.data`: `methods`, `ssoUrl`).
 *
 * @example
 * portcullisErrorHandler({ formatError: authRouterErrorFormat }); // with onError: "next", keeps `methods`
 */
export const authRouterErrorFormat: ErrorFormatter = (error, req) => {
  const formatted = defaultErrorFormat(error, req);
  if (error.code === "mfa_required") return { ...formatted, body: { ...(formatted.body as object), methods: error.data.methods } };
  if (error.code === "sso_required") return { ...formatted, body: { ...(formatted.body as object), sso_url: error.data.ssoUrl } };
  return formatted;
};
