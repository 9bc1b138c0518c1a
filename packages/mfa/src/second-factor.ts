import { PortcullisError, type CodeAttemptPolicy, type EmailTokenStore, type MfaEnrolment, type MfaStore } from "@portcullis/core";
import { checked, isMailer, limiterStoreOption, loggerOption, resolveOptions, callStore, MFA_STORE } from "@portcullis/core/internal";
import { z } from "zod";
import { accountCodeKey, EmailCodeHasher, emailCodeTries, useEmailCode, type EmailCodesConfig, type EmailCodesOptions } from "./email-codes";
import { RecoveryCodeHasher, normalizeRecoveryCode } from "./recovery-codes";
import { encryptionKeysOf, SecretBox, type MfaEncryptionKey } from "./secret-box";
import type { SecondFactorContext } from "@portcullis/session-auth";
import { TOTP_CODE, verifyTotp } from "./totp";

/** TOTP codes from an authenticator app, and recovery codes: the options of `totpSecondFactor`. */
export interface TotpSecondFactorOptions {
  /** Where each user's second factor lives: `new RedisMfaStore(redis)` or `new MemoryMfaStore()`. */
  readonly store: MfaStore;
  /**
   * Encrypts the TOTP secrets (AES-256-GCM) and keys the recovery codes' HMAC, through HKDF: a
   * random string of 32+ bytes kept out of the store and the repository. To rotate it, pass
   * `[newKey, oldKey]`: the first seals, every one opens.
   */
  readonly encryptionKey: MfaEncryptionKey;
  /** The name authenticator apps show beside the account, such as `"Acme"`, and the app's name in emailed codes; no colon. */
  readonly issuer: string;
  /**
   * One-time codes by email as a second factor a user may choose, beside or instead of TOTP (see
   * `EmailCodesOptions`: the weaker factor). Needs an `MfaStore` with `emailCodesEnabled` and
   * `setEmailCodes`. Without it, no route sends a code and a user's email-code choice is ignored.
   * @default undefined (TOTP and recovery codes only)
   */
  readonly emailCodes?: EmailCodesOptions;
}

/** The options, resolved once when `totpSecondFactor` runs. */
export interface MfaConfig {
  readonly store: MfaStore;
  readonly box: SecretBox;
  readonly recoveryCodes: RecoveryCodeHasher;
  readonly issuer: string;
  readonly emailCodes?: EmailCodesConfig;
}

const ISSUER_RULE = `must be 1 to 64 characters without ":", such as "Acme": authenticator apps show it`;

const isMfaStore = (value: unknown): value is MfaStore =>
  typeof (value as Partial<MfaStore> | null)?.useStep === "function" && typeof (value as Partial<MfaStore>).useRecoveryCode === "function";

/** The options, checked; the encryption key as SecretBox and RecoveryCodeHasher take it. */
const totpSecondFactorOptions = z.strictObject(
  {
    store: checked(isMfaStore, "is required: an MfaStore such as new RedisMfaStore(redis) or new MemoryMfaStore()").refine(
      (store) => typeof (store as Partial<MfaStore> | undefined)?.countSignInCode === "function",
      { error: "must implement countSignInCode, which counts the codes sent to a pending sign-in atomically (see MfaStore)" },
    ),
    encryptionKey: checked(
      (value): value is MfaEncryptionKey => encryptionKeysOf(value) !== undefined,
      "must be a string of at least 32 bytes, or an array of them (the first seals): a random key such as `openssl rand -base64 32`, kept out of the store",
    ),
    issuer: z.string({ error: ISSUER_RULE }).regex(/^[^:\x00-\x1f]{1,64}$/, { error: ISSUER_RULE }),
    emailCodes: z
      .strictObject({
        mailer: checked(isMailer, "is required: a Mailer such as smtpMailer({ url: process.env.SMTP_URL, from }) or new MemoryOutbox()"),
        tokens: checked(
          (value): value is EmailTokenStore =>
            typeof (value as Partial<EmailTokenStore> | null)?.issueCode === "function" && typeof (value as Partial<EmailTokenStore>).useCode === "function",
          "is required: an EmailTokenStore such as new RedisEmailTokenStore(redis) or new MemoryEmailTokenStore()",
        ),
        logger: loggerOption,
        limiterStore: limiterStoreOption,
      })
      .optional(),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: totpSecondFactor({ store, encryptionKey, issuer })" : undefined) },
).superRefine((options, ctx) => {
  const store = options.store as Partial<MfaStore>;
  if (options.emailCodes && (typeof store.emailCodesEnabled !== "function" || typeof store.setEmailCodes !== "function")) {
    ctx.addIssue({ code: "custom", path: ["store"], message: "must implement emailCodesEnabled and setEmailCodes when emailCodes is set (see MfaStore)" });
  }
});

/** Checks `totpSecondFactor`'s options. */
export function resolveMfa(mfa: Readonly<TotpSecondFactorOptions>): MfaConfig {
  const { store, encryptionKey, issuer, emailCodes } = resolveOptions("totpSecondFactor", totpSecondFactorOptions, mfa);
  return {
    store,
    box: new SecretBox(encryptionKey),
    recoveryCodes: new RecoveryCodeHasher(encryptionKey),
    issuer,
    ...(emailCodes ? { emailCodes: { ...emailCodes, hasher: new EmailCodeHasher(encryptionKey), tries: emailCodeTries(emailCodes.limiterStore), appName: issuer } } : {}),
  };
}

// A code is exactly six ASCII digits and a recovery code ten characters of its alphabet: anything
// else is a 400 before any check, and never counts as a wrong code.
const code = z.string().regex(TOTP_CODE, "must be the 6 digits your authenticator app shows");
const recoveryCode = z
  .string()
  .max(40)
  .refine((typed) => normalizeRecoveryCode(typed) !== undefined, "must be a recovery code such as abcde-12345");

const emailCode = z.string().regex(TOTP_CODE, "must be the 6 digits of the code sent by email");

/** A TOTP code, or an emailed one, as `POST /reauthenticate` takes it. */
export const reauthenticationCode = code;

/** `{ code }`: a TOTP code, or an emailed one where the route says so. */
export const codeBody = z.object({ code }).strict();

/** `{ code }` or `{ recovery_code }`, exactly one of them. */
export const secondFactorBody = z
  .object({ code: code.optional(), recovery_code: recoveryCode.optional() })
  .strict()
  .refine((body) => (body.code === undefined) !== (body.recovery_code === undefined), "send exactly one of code and recovery_code")
  .transform((body): SecondFactorProof => (body.code !== undefined ? { code: body.code } : { recovery_code: body.recovery_code! }));

export type SecondFactorProof = { readonly code: string } | { readonly recovery_code: string };

/** `POST /login/mfa`: `{ code }`, `{ recovery_code }` or `{ email_code }`, exactly one of them. */
export const signInBody = z
  .object({ code: code.optional(), recovery_code: recoveryCode.optional(), email_code: emailCode.optional() })
  .strict()
  .refine(
    (body) => [body.code, body.recovery_code, body.email_code].filter((field) => field !== undefined).length === 1,
    "send exactly one of code, recovery_code and email_code",
  )
  .transform((body): SignInProof => (body.email_code !== undefined ? { email_code: body.email_code } : body.code !== undefined ? { code: body.code } : { recovery_code: body.recovery_code! }));

export type SignInProof = SecondFactorProof | { readonly email_code: string };

/** Why a second factor was refused; `unreadable_secret` means no server key opens the stored secret. */
export type SecondFactorOutcome =
  | { readonly ok: true; readonly method: MfaMethod }
  | { readonly ok: false; readonly reason: "invalid_code" | "unreadable_secret" };

/**
 * How many TOTP codes an account may have checked in a row without a right one, from any IP or
 * sign-in, before each further try waits 15 minutes more than the last: the per-IP login limit
 * alone would let someone who has the password spread guesses over many addresses.
 */
export const CODE_ATTEMPTS: CodeAttemptPolicy = Object.freeze({ maxFailures: 10, lockMs: 15 * 60_000 });

/**
 * Checks and spends a second factor of a confirmed enrolment. A TOTP code must match the current
 * step or one either side and be later than the last one accepted (`useStep`, atomic: a replay
 * fails); a recovery code is found by its digest and removed in one step (`useRecoveryCode`).
 * A secret that no server key opens (tampered, or the key since dropped) refuses every code:
 * it fails closed, never as "not enrolled".
 */
export async function spendSecondFactor(
  mfa: MfaConfig,
  context: SecondFactorContext,
  userId: string,
  enrolment: MfaEnrolment,
  proof: SecondFactorProof,
): Promise<SecondFactorOutcome> {
  if ("code" in proof) {
    const now = context.now();
    const attempt = await callStore(MFA_STORE.beginCodeAttempt, context.timeoutMs, () => mfa.store.beginCodeAttempt(userId, now, CODE_ATTEMPTS));
    if (!attempt.allowed) throw tooManyCodes(attempt.retryAt - now);
    const secret = mfa.box.open(enrolment.secret, userId);
    if (secret === undefined) return { ok: false, reason: "unreadable_secret" };
    const step = await verifyTotp(secret, proof.code, now);
    const spent = step !== undefined && (await callStore(MFA_STORE.useStep, context.timeoutMs, () => mfa.store.useStep(userId, step)));
    return spent ? { ok: true, method: "totp" } : { ok: false, reason: "invalid_code" };
  }
  for (const digest of mfa.recoveryCodes.candidates(userId, proof.recovery_code)) {
    if (await callStore(MFA_STORE.useRecoveryCode, context.timeoutMs, () => mfa.store.useRecoveryCode(userId, digest))) return { ok: true, method: "recovery_code" };
  }
  return { ok: false, reason: "invalid_code" };
}

/** The user's confirmed enrolment, or undefined while MFA is off (or only pending) for them. */
export async function confirmedEnrolment(mfa: MfaConfig, context: SecondFactorContext, userId: string): Promise<MfaEnrolment | undefined> {
  const enrolment = await callStore(MFA_STORE.find, context.timeoutMs, () => mfa.store.find(userId));
  return enrolment?.confirmedAt === undefined ? undefined : enrolment;
}

/** A user's second factors: the confirmed TOTP enrolment, and whether codes by email are on (never without the `emailCodes` option). */
export interface UserFactors {
  readonly enrolment: MfaEnrolment | undefined;
  readonly emailCodes: boolean;
}

/** The second factors `POST /login/mfa` takes, in the order the `mfa_required` answer lists them. */
export const MFA_METHODS = Object.freeze(["totp", "recovery_code", "email_code"] as const);

/** A second factor `POST /login/mfa` takes: a TOTP code, a recovery code, or a code sent by email. */
export type MfaMethod = (typeof MFA_METHODS)[number];

export async function factorsOf(mfa: MfaConfig, context: SecondFactorContext, userId: string): Promise<UserFactors> {
  return { enrolment: await confirmedEnrolment(mfa, context, userId), emailCodes: await emailCodesOn(mfa, context, userId) };
}

/** Whether the user chose codes by email; always false without the `emailCodes` option, and the store is not asked. */
export async function emailCodesOn(mfa: MfaConfig, context: SecondFactorContext, userId: string): Promise<boolean> {
  return mfa.emailCodes !== undefined && (await callStore(MFA_STORE.emailCodesEnabled, context.timeoutMs, () => mfa.store.emailCodesEnabled(userId)));
}

/** The methods a user with these factors may finish a sign-in with: none when the password alone signs in. */
export function methodsOf(factors: UserFactors): MfaMethod[] {
  return MFA_METHODS.filter((method) => (method === "email_code" ? factors.emailCodes : factors.enrolment !== undefined));
}

/**
 * Spends a 6-digit `code` of a signed-in user (`POST /reauthenticate`, turning email codes off): a
 * TOTP code when they enrolled an authenticator app, otherwise the code last emailed to them. Both
 * are six digits, so one guess is checked against one of them only: trying both would double an
 * attacker's odds, and spend the account's emailed-code tries on every TOTP code.
 */
export async function spendAccountCode(mfa: MfaConfig, context: SecondFactorContext, userId: string, factors: UserFactors, code: string): Promise<SecondFactorOutcome> {
  if (factors.enrolment) return spendSecondFactor(mfa, context, userId, factors.enrolment, { code });
  if (factors.emailCodes && mfa.emailCodes && (await useEmailCode(mfa.emailCodes, context, userId, accountCodeKey(userId), code)) === "accepted") {
    return { ok: true, method: "email_code" };
  }
  return { ok: false, reason: "invalid_code" };
}

/** The audit code of a refused second factor: an unreadable secret is told apart for operators. */
export function auditCodeOf(outcome: { readonly reason: "invalid_code" | "unreadable_secret" }): string {
  return outcome.reason === "unreadable_secret" ? "mfa_secret_unreadable" : "invalid_credentials";
}

/** 429 for an account past its wrong codes in a row; a recovery code still works meanwhile. */
function tooManyCodes(waitMs: number): PortcullisError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new PortcullisError("rate_limit_exceeded", "Too many wrong codes for this account; retry later, or use a recovery code.", {
    headers: { "Retry-After": String(seconds) },
    data: { retry_after: seconds },
  });
}

export function invalidCode(detail = "Invalid or already used code."): PortcullisError {
  return new PortcullisError("invalid_credentials", detail);
}
