import type { Request, Router } from "express";
import { PortcullisError } from "@portcullis/core";
import { asyncHandler, callStore, MFA_STORE, parseRequest, unauthenticated, USER_STORE } from "@portcullis/core/internal";
import type { SecondFactorContext, SecondFactorRoutes } from "@portcullis/session-auth";
import QRCode from "qrcode";
import { addEmailCodeRoutes } from "./email-code-routes";
import { loginWithSecondFactor } from "./mfa-login";
import { newRecoveryCodes } from "./recovery-codes";
import {
  auditCodeOf,
  codeBody,
  confirmedEnrolment,
  emailCodesOn,
  invalidCode,
  methodsOf,
  secondFactorBody,
  spendSecondFactor,
  type MfaConfig,
  type SecondFactorProof,
} from "./second-factor";
import { newTotpSecret, totpUri, verifyTotp } from "./totp";

/** How long a started set-up waits for its first code. */
export const ENROLMENT_TTL_MS = 10 * 60_000;
const notEnabled = () => new PortcullisError("conflict", "Two-factor authentication is not on for this account.");

/** An SVG QR code of the `otpauth://` URI, as a data URL an `<img>` can show. */
async function qrCodeDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/**
 * The TOTP routes, on `authRouter`'s own router: `POST /login/mfa` finishes a sign-in,
 * and the signed-in user's `GET /mfa`, `POST /mfa/enrol`, `/mfa/confirm`, `/mfa/disable` and
 * `/mfa/recovery-codes`; with `emailCodes`, the email-code routes too (`addEmailCodeRoutes`). Every route that checks a code sits behind the login rate limit, so
 * wrong codes count as wrong passwords do; the secret and the recovery codes are shown once,
 * with `Cache-Control: no-store`, and never again.
 */
export function addMfaRoutes(router: Router, mfa: MfaConfig, routes: SecondFactorRoutes): void {
  const { users, json, rateLimit: limited, recentAuth, sameSiteOnly, cookieDeliverable } = routes;
  const sessionOwner = (req: Request) => routes.signedInUser(req);
  router.post("/login/mfa", cookieDeliverable, ...json, sameSiteOnly, ...limited, asyncHandler(loginWithSecondFactor(routes, mfa)));

  router.get("/mfa", asyncHandler(async function mfaStatus(req, res) {
    const { context, userId } = sessionOwner(req);
    const enrolment = await callStore(MFA_STORE.find, context.timeoutMs, () => mfa.store.find(userId));
    const enabled = enrolment?.confirmedAt !== undefined;
    const factors = { enrolment: enabled ? enrolment : undefined, emailCodes: await emailCodesOn(mfa, context, userId) };
    res.set("Cache-Control", "no-store").json({
      enabled,
      pending: enrolment !== undefined && !enabled,
      recovery_codes_remaining: enabled ? enrolment.recoveryCodes.length : 0,
      email_codes: factors.emailCodes,
      methods: methodsOf(factors),
    });
  }));

  router.post("/mfa/enrol", sameSiteOnly, recentAuth, asyncHandler(async function startEnrolment(req, res) {
    const { context, userId } = sessionOwner(req);
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    if (!user) throw unauthenticated(req, context.realm);
    const secret = newTotpSecret();
    const sealed = mfa.box.seal(secret, userId);
    const started = await callStore(MFA_STORE.startEnrolment, context.timeoutMs, () => mfa.store.startEnrolment(userId, sealed, context.now()));
    if (!started) throw new PortcullisError("conflict", "Two-factor authentication is already on: turn it off before setting it up again.");
    const otpauthUrl = totpUri({ issuer: mfa.issuer, account: user.email, secret });
    res.set("Cache-Control", "no-store").json({ secret, otpauth_url: otpauthUrl, qr_code: await qrCodeDataUrl(otpauthUrl) });
  }));

  router.post("/mfa/confirm", ...json, sameSiteOnly, ...limited, asyncHandler(async function confirmEnrolment(req, res) {
    const { context, userId } = sessionOwner(req);
    const { code } = parseRequest(codeBody, req.body, "body");
    const enrolment = await callStore(MFA_STORE.find, context.timeoutMs, () => mfa.store.find(userId));
    // A set-up left waiting (its secret perhaps seen on a screen since) cannot be confirmed later.
    if (!enrolment || enrolment.confirmedAt !== undefined || context.now() - enrolment.startedAt > ENROLMENT_TTL_MS) {
      throw new PortcullisError("conflict", "No two-factor set-up is waiting for a code: start one with POST /mfa/enrol.");
    }
    const secret = mfa.box.open(enrolment.secret, userId);
    const step = secret === undefined ? undefined : await verifyTotp(secret, code, context.now());
    if (step === undefined) {
      context.record(req, { action: "mfa.enable", outcome: "failure", code: secret === undefined ? "mfa_secret_unreadable" : "invalid_credentials", userId, owner: userId });
      throw invalidCode("Invalid code: enter the 6 digits your authenticator app shows now.");
    }
    const recoveryCodes = newRecoveryCodes();
    const confirmation = {
      secret: enrolment.secret,
      recoveryCodes: recoveryCodes.map((recoveryCode) => mfa.recoveryCodes.digest(userId, recoveryCode)),
      at: context.now(),
      step, // recorded, so this code cannot also sign in
    };
    if (!(await callStore(MFA_STORE.confirm, context.timeoutMs, () => mfa.store.confirm(userId, confirmation)))) {
      throw new PortcullisError("conflict", "The two-factor set-up changed meanwhile: start again with POST /mfa/enrol.");
    }
    // Sessions opened with the password alone (perhaps by whoever made MFA necessary) end here.
    const revoked = await routes.revokeOtherSessions(req, userId);
    context.record(req, { action: "mfa.enable", outcome: "success", userId, owner: userId });
    res.set("Cache-Control", "no-store").json({ recovery_codes: recoveryCodes, other_sessions_revoked: revoked });
  }));

  /** Spends a code of the user's confirmed enrolment, or refuses (and records why). */
  async function proveSecondFactor(req: Request, context: SecondFactorContext, userId: string, proof: SecondFactorProof, action: "mfa.disable" | "mfa.recovery_codes") {
    const enrolment = await confirmedEnrolment(mfa, context, userId);
    if (!enrolment) throw notEnabled();
    const outcome = await spendSecondFactor(mfa, context, userId, enrolment, proof);
    if (outcome.ok) return;
    context.record(req, { action, outcome: "failure", code: auditCodeOf(outcome), userId, owner: userId });
    throw invalidCode();
  }

  router.post("/mfa/disable", ...json, sameSiteOnly, recentAuth, ...limited, asyncHandler(async function disable(req, res) {
    const { context, userId } = sessionOwner(req);
    await proveSecondFactor(req, context, userId, parseRequest(secondFactorBody, req.body, "body"), "mfa.disable");
    await callStore(MFA_STORE.remove, context.timeoutMs, () => mfa.store.remove(userId));
    context.record(req, { action: "mfa.disable", outcome: "success", userId, owner: userId });
    res.json({ enabled: false });
  }));

  router.post("/mfa/recovery-codes", ...json, sameSiteOnly, recentAuth, ...limited, asyncHandler(async function replaceRecoveryCodes(req, res) {
    const { context, userId } = sessionOwner(req);
    await proveSecondFactor(req, context, userId, parseRequest(codeBody, req.body, "body"), "mfa.recovery_codes");
    const recoveryCodes = newRecoveryCodes();
    const digests = recoveryCodes.map((recoveryCode) => mfa.recoveryCodes.digest(userId, recoveryCode));
    if (!(await callStore(MFA_STORE.replaceRecoveryCodes, context.timeoutMs, () => mfa.store.replaceRecoveryCodes(userId, digests)))) throw notEnabled();
    context.record(req, { action: "mfa.recovery_codes", outcome: "success", userId, owner: userId });
    res.set("Cache-Control", "no-store").json({ recovery_codes: recoveryCodes });
  }));

  if (mfa.emailCodes) addEmailCodeRoutes(router, mfa, mfa.emailCodes, routes);
}
