import type { Request, Response } from "express";
import { PortcullisError } from "@portcullis/core";
import { challenge, parseRequest, callStore, MFA_STORE, USER_STORE } from "@portcullis/core/internal";
import type { SecondFactorContext, SecondFactorRoutes } from "@portcullis/session-auth";
import { signInCodeKey, useEmailCode } from "./email-codes";
import {
  auditCodeOf,
  confirmedEnrolment,
  emailCodesOn,
  invalidCode,
  signInBody,
  spendSecondFactor,
  type MfaConfig,
  type MfaMethod,
  type SecondFactorOutcome,
  type SignInProof,
} from "./second-factor";

/** Codes checked per pending sign-in; the last of them, if wrong, sends the user back to the password. */
export const MAX_MFA_CODE_FAILURES = 5;

/**
 * The sign-in waiting for a second factor on this request's session, if any: who it is for and
 * the login name typed at the password step. `req.auth` is absent on `POST /login/mfa` (nobody is
 * signed in yet), so a login rate limit's `username` function reads this instead, and wrong
 * codes count against the same username as wrong passwords (and a right code clears both).
 *
 * @example
 * loginRateLimit({ username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email ?? req.auth?.owner });
 */
export function pendingMfaLogin(req: Request): { readonly userId: string; readonly email: string } | undefined {
  const pending = req.session?.portcullisMfaLogin;
  return pending ? { userId: pending.userId, email: pending.email } : undefined;
}

/**
 * The password step's answer for a user with a second factor: 401 `mfa_required`, naming the
 * user's methods that `POST /login/mfa` takes (`email_code` first needs `POST /login/mfa/email-code`).
 *
 * @example
 * throw mfaRequired("api", ["totp", "recovery_code"]); // {"error": "mfa_required", "detail": "…", "methods": ["totp", "recovery_code"]}
 */
export function mfaRequired(realm: string, methods: readonly MfaMethod[]): PortcullisError {
  return new PortcullisError("mfa_required", mfaRequiredDetail(methods), {
    headers: { "WWW-Authenticate": challenge("Bearer", realm, { error: "insufficient_user_authentication" }) },
    data: { methods: [...methods] },
  });
}

/** What to do next, in words that fit the user's methods; TOTP alone keeps the error code's own sentence. */
function mfaRequiredDetail(methods: readonly MfaMethod[]): string | undefined {
  if (!methods.includes("email_code")) return undefined;
  return methods.includes("totp")
    ? "Enter a code from your authenticator app, a code sent by email, or a recovery code, to finish signing in."
    : "Ask for a code by email, then enter it to finish signing in.";
}

export const noPendingLogin = () => new PortcullisError("invalid_credentials", "No sign-in is waiting for a code: sign in with your email and password first.");

/**
 * `POST /login/mfa`: `{ code }`, `{ recovery_code }` or `{ email_code }` finishes the sign-in the
 * password started (an email code is the one `POST /login/mfa/email-code` sent for this sign-in).
 * A right code gives a new session id and a full session, as a password-only login does. Every
 * code is counted in the MFA store before it is checked, so however many arrive at once, five are
 * checked: a fifth wrong one, and any code after it, drops the pending sign-in.
 */
export function loginWithSecondFactor(routes: SecondFactorRoutes, mfa: MfaConfig) {
  const { users } = routes;
  const dropPendingLogin = (req: Request, res: Response) => routes.dropPendingSignIn(req, res);
  return async function loginMfa(req: Request, res: Response): Promise<void> {
    const context = routes.context(req);
    const proof = parseRequest(signInBody, req.body, "body");
    const pending = routes.pendingSignIn(req);
    const now = context.now();
    if (!pending) throw noPendingLogin();
    if (now >= pending.expiresAt) {
      await dropPendingLogin(req, res);
      throw signInTooSlow();
    }
    const { userId } = pending;
    // A sign-in begun before codes were counted in the store has nothing to count them under.
    if (typeof pending.id !== "string") {
      await dropPendingLogin(req, res);
      throw noPendingLogin();
    }
    const enrolment = "email_code" in proof ? undefined : await confirmedEnrolment(mfa, context, userId);
    const tries = await callStore(MFA_STORE.countSignInCode, context.timeoutMs, () => mfa.store.countSignInCode(pending.id, now, pending.expiresAt));
    if (tries > MAX_MFA_CODE_FAILURES) {
      await dropPendingLogin(req, res);
      throw tooManyWrongCodes();
    }
    const outcome = await spendSignInProof(mfa, context, userId, pending.id, enrolment, proof);
    if (!outcome.ok) {
      context.record(req, { action: "session.login", outcome: "failure", code: auditCodeOf(outcome), userId, owner: userId });
      if (tries < MAX_MFA_CODE_FAILURES) throw invalidCode();
      await dropPendingLogin(req, res);
      throw tooManyWrongCodes();
    }
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    // A password changed (or an account removed) since the password step ends this sign-in too.
    if (!user || (user.passwordChangedAt ?? 0) > pending.passwordAt) {
      await dropPendingLogin(req, res);
      throw noPendingLogin();
    }
    // A concurrent request that dropped the pending sign-in meanwhile (the fifth wrong code) wins.
    if (!(await routes.completeSignIn(req, res, user, { authenticatedAt: pending.passwordAt, secondFactorAt: now }))) throw noPendingLogin();
  };
}

/** Checks and spends one proof for a pending sign-in. An email code is the one sent for this very sign-in, so another sign-in's (even the same user's) is wrong here. */
async function spendSignInProof(
  mfa: MfaConfig,
  context: SecondFactorContext,
  userId: string,
  signInId: string,
  enrolment: Awaited<ReturnType<typeof confirmedEnrolment>>,
  proof: SignInProof,
): Promise<SecondFactorOutcome> {
  if ("email_code" in proof) {
    // Turned off since the code was sent: it no longer counts.
    if (!mfa.emailCodes || !(await emailCodesOn(mfa, context, userId))) return { ok: false, reason: "invalid_code" };
    const used = await useEmailCode(mfa.emailCodes, context, userId, signInCodeKey(signInId), proof.email_code);
    return used === "accepted" ? { ok: true, method: "email_code" } : { ok: false, reason: "invalid_code" };
  }
  return enrolment ? spendSecondFactor(mfa, context, userId, enrolment, proof) : { ok: false, reason: "invalid_code" };
}

export const signInTooSlow = () => new PortcullisError("invalid_credentials", "The sign-in took too long: sign in with your email and password again.");
const tooManyWrongCodes = () => invalidCode("Invalid code. Too many wrong codes: sign in with your email and password again.");
