import { PortcullisError } from "@portcullis/core";
import type { SecondFactor } from "@portcullis/session-auth";
import { mfaRequired } from "./mfa-login";
import { addMfaRoutes } from "./mfa-routes";
import { auditCodeOf, factorsOf, invalidCode, methodsOf, reauthenticationCode, resolveMfa, spendAccountCode, type TotpSecondFactorOptions } from "./second-factor";

/**
 * TOTP codes from an authenticator app, and single-use recovery codes, as `authRouter`'s second
 * factor. A user who enrols signs in in two steps: `POST /login` answers 401 `mfa_required`, and
 * `POST /login/mfa` with `{ code }` or `{ recovery_code }` finishes under a new session id. The
 * signed-in user's `GET /mfa`, `POST /mfa/enrol`, `/mfa/confirm`, `/mfa/disable` and
 * `/mfa/recovery-codes` manage it, and `POST /reauthenticate` takes a `code` with the password.
 * Secrets are sealed with AES-256-GCM and recovery codes kept as HMAC digests, both under keys
 * derived from `encryptionKey`; the options are checked here, once.
 *
 * With `emailCodes`, a user may also choose one-time codes by email (`POST /mfa/email/enable`),
 * the weaker factor: `POST /login/mfa/email-code` sends one for the pending sign-in, and
 * `POST /mfa/email-code` one for the signed-in user's `/reauthenticate` or `/mfa/email/disable`.
 *
 * @example
 * const mfa = totpSecondFactor({ store: new RedisMfaStore(redis), encryptionKey: process.env.MFA_ENCRYPTION_KEY!, issuer: "Acme" });
 * const rateLimit = loginRateLimit({ store: new RedisLimiterStore(redis), username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email });
 * app.use("/api/auth", authRouter({ users, rateLimit, mfa }));
 *
 * @example
 * // TOTP, and codes by email for users who choose them
 * const mfa = totpSecondFactor({ store, encryptionKey, issuer: "Acme", emailCodes: { mailer: smtpMailer({ url: process.env.SMTP_URL!, from }), tokens: new RedisEmailTokenStore(redis) } });
 */
export function totpSecondFactor(options: Readonly<TotpSecondFactorOptions>): SecondFactor {
  const mfa = resolveMfa(options);
  return {
    async challenge(_req, context, user) {
      const methods = methodsOf(await factorsOf(mfa, context, user.id));
      return methods.length > 0 ? mfaRequired(context.realm, methods) : undefined;
    },
    async isRequired(context, userId) {
      return methodsOf(await factorsOf(mfa, context, userId)).length > 0;
    },
    reauthenticationCode,
    // A second factor is needed (TOTP, or email codes with the code POST /mfa/email-code sent), and
    // a wrong code is refused like a wrong password.
    async reauthenticate(req, context, userId, code) {
      const factors = await factorsOf(mfa, context, userId);
      if (!factors.enrolment && !factors.emailCodes) throw new PortcullisError("invalid_request", "code: two-factor authentication is not on for this account");
      const outcome = await spendAccountCode(mfa, context, userId, factors, code);
      if (!outcome.ok) {
        context.record(req, { action: "session.reauthenticate", outcome: "failure", code: auditCodeOf(outcome), userId, owner: userId });
        throw invalidCode("Invalid password or code.");
      }
    },
    addRoutes(router, routes) {
      addMfaRoutes(router, mfa, routes);
    },
  };
}
