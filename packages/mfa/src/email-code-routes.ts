import type { Request, Response, Router } from "express";
import { PortcullisError } from "@portcullis/core";
import { asyncHandler, callStore, MFA_STORE, parseRequest, unauthenticated, USER_STORE } from "@portcullis/core/internal";
import type { SecondFactorRoutes } from "@portcullis/session-auth";
import { accountCodeKey, EMAIL_CODE_SENT, EMAIL_CODE_TTL_MS, sendEmailCode, signInCodeKey, useEmailCode, type EmailCodesConfig } from "./email-codes";
import { noPendingLogin, signInTooSlow } from "./mfa-login";
import { auditCodeOf, codeBody, emailCodesOn, factorsOf, invalidCode, spendAccountCode, type MfaConfig } from "./second-factor";

const notOn = () => new PortcullisError("conflict", "Codes by email are not on for this account.");

/**
 * The email-code routes, added when `totpSecondFactor` has `emailCodes`: `POST /login/mfa/email-code`
 * sends a code for the pending sign-in, `POST /mfa/email-code` one for the signed-in user, and
 * `POST /mfa/email/enable` and `/mfa/email/disable` turn the factor on (proving the mailbox) or off.
 * The two sending routes are not behind the login rate limit: a 2xx there would clear its count of
 * wrong passwords and codes without proving anything. Their cool-down bounds them instead, and a
 * pending sign-in only comes from a right password.
 */
export function addEmailCodeRoutes(router: Router, mfa: MfaConfig, emailCodes: EmailCodesConfig, routes: SecondFactorRoutes): void {
  const { users, json, rateLimit: limited, recentAuth, sameSiteOnly, cookieDeliverable } = routes;
  const dropPendingLogin = (req: Request, res: Response) => routes.dropPendingSignIn(req, res);

  router.post("/login/mfa/email-code", cookieDeliverable, sameSiteOnly, asyncHandler(async function sendSignInCode(req, res) {
    const context = routes.context(req);
    const pending = routes.pendingSignIn(req);
    const now = context.now();
    if (!pending) throw noPendingLogin();
    if (now >= pending.expiresAt || typeof pending.id !== "string") {
      await dropPendingLogin(req, res);
      throw now >= pending.expiresAt ? signInTooSlow() : noPendingLogin();
    }
    // The password step already named the user's methods: this refusal tells nothing more.
    if (!(await emailCodesOn(mfa, context, pending.userId))) {
      throw new PortcullisError("conflict", "Codes by email are not on for this account: use your authenticator app or a recovery code.");
    }
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(pending.userId));
    if (!user || (user.passwordChangedAt ?? 0) > pending.passwordAt) {
      await dropPendingLogin(req, res);
      throw noPendingLogin();
    }
    await sendEmailCode(emailCodes, context, signInCodeKey(pending.id), user.email, Math.min(now + EMAIL_CODE_TTL_MS, pending.expiresAt));
    res.status(202).json(EMAIL_CODE_SENT);
  }));

  router.post("/mfa/email-code", sameSiteOnly, asyncHandler(async function sendAccountCode(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    if (!user) throw unauthenticated(req, context.realm);
    await sendEmailCode(emailCodes, context, accountCodeKey(userId), user.email, context.now() + EMAIL_CODE_TTL_MS);
    res.status(202).json(EMAIL_CODE_SENT);
  }));

  router.post("/mfa/email/enable", ...json, sameSiteOnly, recentAuth, ...limited, asyncHandler(async function enableEmailCodes(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const { code } = parseRequest(codeBody, req.body, "body");
    if (await emailCodesOn(mfa, context, userId)) {
      throw new PortcullisError("conflict", "Codes by email are already on for this account.");
    }
    // The code proves the mailbox reads what is sent to it before sign-ins depend on it.
    if ((await useEmailCode(emailCodes, context, userId, accountCodeKey(userId), code)) !== "accepted") {
      context.record(req, { action: "mfa.enable", outcome: "failure", code: "invalid_credentials", userId, owner: userId, targetId: "email_code" });
      throw invalidCode("Invalid or expired code: enter the code sent by email, or ask for a new one.");
    }
    await callStore(MFA_STORE.setEmailCodes, context.timeoutMs, () => mfa.store.setEmailCodes(userId, true));
    // As for TOTP: sessions opened with the password alone end here.
    const revoked = await routes.revokeOtherSessions(req, userId);
    context.record(req, { action: "mfa.enable", outcome: "success", userId, owner: userId, targetId: "email_code" });
    res.json({ email_codes: true, other_sessions_revoked: revoked });
  }));

  router.post("/mfa/email/disable", ...json, sameSiteOnly, recentAuth, ...limited, asyncHandler(async function disableEmailCodes(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const { code } = parseRequest(codeBody, req.body, "body");
    const factors = await factorsOf(mfa, context, userId);
    if (!factors.emailCodes) throw notOn();
    const outcome = await spendAccountCode(mfa, context, userId, factors, code);
    if (!outcome.ok) {
      context.record(req, { action: "mfa.disable", outcome: "failure", code: auditCodeOf(outcome), userId, owner: userId, targetId: "email_code" });
      throw invalidCode();
    }
    await callStore(MFA_STORE.setEmailCodes, context.timeoutMs, () => mfa.store.setEmailCodes(userId, false));
    context.record(req, { action: "mfa.disable", outcome: "success", userId, owner: userId, targetId: "email_code" });
    res.json({ email_codes: false });
  }));
}
