import { PortcullisError } from "@portcullis/core";
import type { SecondFactor } from "@portcullis/session-auth";
import { mfaRequired } from "./mfa-login";
import { addMfaRoutes } from "./mfa-routes";
import { auditCodeOf, confirmedEnrolment, invalidCode, reauthenticationCode, resolveMfa, spendSecondFactor, type TotpSecondFactorOptions } from "./second-factor";

/**
 * TOTP codes from an authenticator app, and single-use recovery codes, as `authRouter`'s second
 * factor. A user who enrols signs in in two steps: `POST /login` answers 401 `mfa_required`, and
 * `POST /login/mfa` with `{ code }` or `{ recovery_code }` finishes under a new session id. The
 * signed-in user's `GET /mfa`, `POST /mfa/enrol`, `/mfa/confirm`, `/mfa/disable` and
 * `/mfa/recovery-codes` manage it, and `POST /reauthenticate` takes a `code` with the password.
 * Secrets are sealed with AES-256-GCM and recovery codes kept as HMAC digests, both under keys
 * derived from `encryptionKey`; the options are checked here, once.
 *
 * @example
 * const mfa = totpSecondFactor({ store: new RedisMfaStore(redis), encryptionKey: process.env.MFA_ENCRYPTION_KEY!, issuer: "Acme" });
 * const rateLimit = loginRateLimit({ store: new RedisLimiterStore(redis), username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email });
 * app.use("/api/auth", authRouter({ users, rateLimit, mfa }));
 */
export function totpSecondFactor(options: Readonly<TotpSecondFactorOptions>): SecondFactor {
  const mfa = resolveMfa(options);
  return {
    async challenge(_req, context, user) {
      return (await confirmedEnrolment(mfa, context, user.id)) ? mfaRequired(context.realm) : undefined;
    },
    async isRequired(context, userId) {
      return (await confirmedEnrolment(mfa, context, userId)) !== undefined;
    },
    reauthenticationCode,
    // A confirmed enrolment is needed, and a wrong code is refused like a wrong password.
    async reauthenticate(req, context, userId, code) {
      const enrolment = await confirmedEnrolment(mfa, context, userId);
      if (!enrolment) throw new PortcullisError("invalid_request", "code: two-factor authentication is not on for this account");
      const outcome = await spendSecondFactor(mfa, context, userId, enrolment, { code });
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
