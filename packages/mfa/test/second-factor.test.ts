import { MemoryEmailTokenStore, MemoryMfaStore, PortcullisError, type MfaEnrolment } from "@portcullis/core";
import { newRecoveryCodes, newTotpSecret, RecoveryCodeHasher, totpCode, totpSecondFactor } from "@portcullis/mfa";
import type { SecondFactorContext } from "@portcullis/session-auth";
import {
  auditCodeOf,
  CODE_ATTEMPTS,
  codeBody,
  confirmedEnrolment,
  invalidCode,
  reauthenticationCode,
  resolveMfa,
  secondFactorBody,
  signInBody,
  spendSecondFactor,
} from "../src/second-factor";

const KEY = "k".repeat(32);
const OTHER_KEY = "o".repeat(32);
const USER = "u1";
const NOW = 1_767_225_600_000;

/** A confirmed enrolment in a fresh store, its TOTP secret, and one recovery code. */
async function enrolled(encryptionKey = KEY) {
  const mfa = resolveMfa({ store: new MemoryMfaStore(), encryptionKey, issuer: "Acme" });
  const secret = newTotpSecret();
  const sealed = mfa.box.seal(secret, USER);
  const [recovery] = newRecoveryCodes();
  await mfa.store.startEnrolment(USER, sealed, NOW - 60_000);
  await mfa.store.confirm(USER, { secret: sealed, recoveryCodes: [mfa.recoveryCodes.digest(USER, recovery!)], at: NOW - 60_000, step: 0 });
  const enrolment = (await mfa.store.find(USER)) as MfaEnrolment;
  let now = NOW;
  const context = { now: () => now, realm: "api", timeoutMs: 1000, record: () => {} } as unknown as SecondFactorContext;
  return { mfa, secret, recovery: recovery!, enrolment, context, setNow: (at: number) => void (now = at) };
}

describe("spendSecondFactor", () => {
  test("a right TOTP code is spent once: the same code again is a replay", async () => {
    const { mfa, secret, enrolment, context } = await enrolled();
    const code = await totpCode(secret, NOW / 1000);
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { code })).toEqual({ ok: true, method: "totp" });
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { code })).toEqual({ ok: false, reason: "invalid_code" });
  });

  test("a wrong TOTP code is an invalid code", async () => {
    const { mfa, secret, enrolment, context } = await enrolled();
    const code = await totpCode(secret, NOW / 1000 - 300);
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { code })).toEqual({ ok: false, reason: "invalid_code" });
  });

  test("a recovery code is spent once, typed in any case and with or without its dash", async () => {
    const { mfa, recovery, enrolment, context } = await enrolled();
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { recovery_code: recovery.toUpperCase() })).toEqual({ ok: true, method: "recovery_code" });
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { recovery_code: recovery.replace("-", "") })).toEqual({ ok: false, reason: "invalid_code" });
  });

  test("a secret no server key opens refuses even the right code, and says why", async () => {
    const { secret, enrolment, context, mfa: sealedWith } = await enrolled(OTHER_KEY);
    const mfa = resolveMfa({ store: sealedWith.store, encryptionKey: KEY, issuer: "Acme" });
    const code = await totpCode(secret, NOW / 1000);
    const outcome = await spendSecondFactor(mfa, context, USER, enrolment, { code });
    expect(outcome).toEqual({ ok: false, reason: "unreadable_secret" });
    expect(auditCodeOf(outcome as { reason: "unreadable_secret" })).toBe("mfa_secret_unreadable");
    expect(auditCodeOf({ reason: "invalid_code" })).toBe("invalid_credentials");
  });

  test("past the wrong codes in a row the account allows, a TOTP code is a 429 with Retry-After, and a recovery code still works", async () => {
    const { mfa, secret, recovery, enrolment, context, setNow } = await enrolled();
    const wrong = await totpCode(secret, NOW / 1000 - 300);
    for (let i = 0; i < CODE_ATTEMPTS.maxFailures; i++) await spendSecondFactor(mfa, context, USER, enrolment, { code: wrong });
    setNow(NOW + 60_000);
    const error = await spendSecondFactor(mfa, context, USER, enrolment, { code: wrong }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PortcullisError);
    expect(error).toMatchObject({
      code: "rate_limit_exceeded",
      status: 429,
      detail: "Too many wrong codes for this account; retry later, or use a recovery code.",
      headers: { "Retry-After": String(14 * 60) },
      data: { retry_after: 14 * 60 },
    });
    expect(await spendSecondFactor(mfa, context, USER, enrolment, { recovery_code: recovery })).toEqual({ ok: true, method: "recovery_code" });
  });
});

describe("totpSecondFactor's store", () => {
  const store = new MemoryMfaStore();
  test.each([
    ["without useRecoveryCode", { useStep: store.useStep, countSignInCode: store.countSignInCode }],
    ["without useStep", { useRecoveryCode: store.useRecoveryCode, countSignInCode: store.countSignInCode }],
  ])("a store %s is refused at creation", (_what, partial) => {
    expect(() => totpSecondFactor({ store: partial as never, encryptionKey: KEY, issuer: "Acme" })).toThrow(
      /^totpSecondFactor: "store" is required: an MfaStore such as new RedisMfaStore\(redis\) or new MemoryMfaStore\(\)$/,
    );
  });

  test("a store without countSignInCode is refused, naming it", () => {
    const methods = ["find", "startEnrolment", "confirm", "useStep", "useRecoveryCode", "replaceRecoveryCodes", "remove", "beginCodeAttempt"];
    const older = Object.fromEntries(methods.map((method) => [method, () => {}]));
    expect(() => totpSecondFactor({ store: older as never, encryptionKey: KEY, issuer: "Acme" })).toThrow(/^totpSecondFactor: "store" must implement countSignInCode/);
  });

  test("no store at all is the required-store message, not a crash", () => {
    expect(() => totpSecondFactor({ encryptionKey: KEY, issuer: "Acme" } as never)).toThrow(/^totpSecondFactor: "store" is required/);
  });
});

describe("RecoveryCodeHasher", () => {
  test("a malformed code has no digest to store: a TypeError, never a digest of the typo", () => {
    expect(() => new RecoveryCodeHasher(KEY).digest(USER, "hello")).toThrow(new TypeError("RecoveryCodeHasher: not a recovery code"));
  });

  // Known answer: HMAC-SHA256 of "u1\nabcdef0123" under HKDF-SHA256(KEY, salt "portcullis-mfa",
  // info "portcullis mfa recovery-code v1", 32 bytes), in base64url. A change to the digest (its
  // input, separator, hash, encoding or key derivation) would orphan every stored code.
  test("the digest of a known code under a known key is the exact stored string, however the code is typed", () => {
    const hasher = new RecoveryCodeHasher(KEY);
    expect(hasher.digest(USER, "abcde-f0123")).toBe("tbhYwdAZkuL5ZNW6qUlTa3dwKz8D9EBrbG8D4pGNuQc");
    expect(hasher.candidates(USER, " ABCDE F0123 ")).toEqual(["tbhYwdAZkuL5ZNW6qUlTa3dwKz8D9EBrbG8D4pGNuQc"]);
    expect(new RecoveryCodeHasher([OTHER_KEY, KEY]).candidates(USER, "abcdef0123")).toEqual([
      "ynJJL9cRUXsbiAvrqrgUNYVcnmARvmKF27uYPGTJ9fY",
      "tbhYwdAZkuL5ZNW6qUlTa3dwKz8D9EBrbG8D4pGNuQc",
    ]);
  });

  const SHORT_KEY = /^RecoveryCodeHasher: the key must be a string of at least 32 bytes, or an array of them$/;

  test.each([
    ["31 bytes", "k".repeat(31)],
    ["31 bytes in 16 characters", `${"é".repeat(15)}k`],
    ["an empty string", ""],
    ["an empty list", []],
    ["a list with one short key", [KEY, "k".repeat(31)]],
    ["not a string", 42],
  ])("a key of %s is refused with a TypeError", (_, key) => {
    expect(() => new RecoveryCodeHasher(key as never)).toThrow(TypeError);
    expect(() => new RecoveryCodeHasher(key as never)).toThrow(SHORT_KEY);
  });

  test.each([
    ["exactly 32 bytes", "k".repeat(32)],
    ["32 bytes in 16 characters", "é".repeat(16)],
    ["a list of 32-byte keys", [KEY, OTHER_KEY]],
  ])("a key of %s is accepted", (_, key) => {
    expect(new RecoveryCodeHasher(key).digest(USER, "abcde-f0123")).toMatch(/^[\w-]{43}$/);
  });
});

describe("totpSecondFactor's options", () => {
  const store = new MemoryMfaStore();
  const ISSUER_RULE = 'totpSecondFactor: "issuer" must be 1 to 64 characters without ":", such as "Acme": authenticator apps show it';
  const KEY_RULE =
    'totpSecondFactor: "encryptionKey" must be a string of at least 32 bytes, or an array of them (the first seals): a random key such as `openssl rand -base64 32`, kept out of the store';

  test.each([
    ["no options", undefined, "totpSecondFactor: options are required: totpSecondFactor({ store, encryptionKey, issuer })"],
    ["a string for options", "yes", "totpSecondFactor: options are required: totpSecondFactor({ store, encryptionKey, issuer })"],
    ["a short key", { store, encryptionKey: "k".repeat(31), issuer: "Acme" }, KEY_RULE],
    ["a key list with a short key", { store, encryptionKey: [KEY, "short"], issuer: "Acme" }, KEY_RULE],
    ["no issuer", { store, encryptionKey: KEY }, ISSUER_RULE],
    ["an empty issuer", { store, encryptionKey: KEY, issuer: "" }, ISSUER_RULE],
    ["an issuer with a colon", { store, encryptionKey: KEY, issuer: "Acme:Prod" }, ISSUER_RULE],
    ["an issuer starting with a colon", { store, encryptionKey: KEY, issuer: ":Acme" }, ISSUER_RULE],
    ["an issuer with a control character", { store, encryptionKey: KEY, issuer: "Acme\u001f" }, ISSUER_RULE],
    ["an issuer of 65 characters", { store, encryptionKey: KEY, issuer: "A".repeat(65) }, ISSUER_RULE],
  ])("%s is refused with its own message", (_what, options, message) => {
    // An Error given to toThrow matches the whole message.
    expect(() => totpSecondFactor(options as never)).toThrow(new Error(message));
  });

  test("an unknown option is named with the options there are, not taken for missing options", () => {
    expect(() => resolveMfa({ store, encryptionKey: KEY, issuer: "Acme", digits: 8 } as never)).toThrow(
      new Error('totpSecondFactor: unknown option "digits"; the options are store, encryptionKey, issuer, emailCodes'),
    );
  });

  test("an issuer of 64 characters, and a key list, are accepted", () => {
    expect(resolveMfa({ store, encryptionKey: [KEY, OTHER_KEY], issuer: "A".repeat(64) }).issuer).toBe("A".repeat(64));
  });
});

describe("totpSecondFactor's emailCodes option", () => {
  const store = new MemoryMfaStore();
  const emailCodes = { mailer: { send: async () => {} }, tokens: new MemoryEmailTokenStore() };

  test("needs an MfaStore that keeps the user's choice of email codes", () => {
    const { emailCodesEnabled: _on, setEmailCodes: _set, ...older } = Object.fromEntries(
      Object.getOwnPropertyNames(MemoryMfaStore.prototype).map((name) => [name, () => {}]),
    ) as Record<string, () => void>;
    expect(() => totpSecondFactor({ store: older as never, encryptionKey: KEY, issuer: "Acme", emailCodes })).toThrow(
      new Error('totpSecondFactor: "store" must implement emailCodesEnabled and setEmailCodes when emailCodes is set (see MfaStore)'),
    );
    expect(() => totpSecondFactor({ store: older as never, encryptionKey: KEY, issuer: "Acme" })).not.toThrow();
  });

  test.each([
    ["no mailer", { tokens: emailCodes.tokens }, /^totpSecondFactor: "emailCodes\.mailer" is required/],
    ["a token store without codes", { ...emailCodes, tokens: { issue: () => {}, take: () => {} } }, /^totpSecondFactor: "emailCodes\.tokens" is required/],
    ["an unknown key", { ...emailCodes, ttlMs: 60_000 }, /^totpSecondFactor: unknown option "emailCodes\.ttlMs"/],
  ])("%s is refused", (_what, options, message) => {
    expect(() => totpSecondFactor({ store, encryptionKey: KEY, issuer: "Acme", emailCodes: options as never })).toThrow(message);
  });
});

describe("second-factor bodies", () => {
  const messageOf = (result: { success: boolean; error?: { issues: readonly { message: string }[] } }) => result.error?.issues.map((issue) => issue.message);

  test("a TOTP code or a recovery code, exactly one, each kept as sent", () => {
    expect(secondFactorBody.parse({ code: "123456" })).toEqual({ code: "123456" });
    expect(secondFactorBody.parse({ recovery_code: "abcde-12345" })).toEqual({ recovery_code: "abcde-12345" });
    expect(messageOf(secondFactorBody.safeParse({ code: "123456", recovery_code: "abcde-12345" }))).toEqual(["send exactly one of code and recovery_code"]);
    expect(messageOf(secondFactorBody.safeParse({}))).toEqual(["send exactly one of code and recovery_code"]);
    expect(secondFactorBody.safeParse({ code: "123456", remember: true }).success).toBe(false);
  });

  test("a sign-in takes one of a TOTP code, a recovery code and an emailed code", () => {
    expect(signInBody.parse({ email_code: "012345" })).toEqual({ email_code: "012345" });
    expect(signInBody.parse({ code: "123456" })).toEqual({ code: "123456" });
    expect(messageOf(signInBody.safeParse({ email_code: "12345" }))).toEqual(["must be the 6 digits of the code sent by email"]);
    expect(messageOf(signInBody.safeParse({ code: "123456", email_code: "123456" }))).toEqual(["send exactly one of code, recovery_code and email_code"]);
    expect(secondFactorBody.safeParse({ email_code: "123456" }).success).toBe(false); // turning TOTP off takes no emailed code
  });

  test("a code is six ASCII digits; a recovery code is one of up to 40 characters", () => {
    expect(messageOf(secondFactorBody.safeParse({ code: "12345" }))).toEqual(["must be the 6 digits your authenticator app shows"]);
    expect(messageOf(secondFactorBody.safeParse({ recovery_code: "hello" }))).toEqual(["must be a recovery code such as abcde-12345"]);
    const padded = `${" ".repeat(14)}abcde-12345${" ".repeat(15)}`;
    expect(secondFactorBody.parse({ recovery_code: padded })).toEqual({ recovery_code: padded });
    expect(secondFactorBody.safeParse({ recovery_code: `${padded} ` }).success).toBe(false);
  });

  test("confirming, reauthenticating and replacing recovery codes take a TOTP code only", () => {
    expect(codeBody.parse({ code: "123456" })).toEqual({ code: "123456" });
    expect(codeBody.safeParse({ recovery_code: "abcde-12345" }).success).toBe(false);
    expect(codeBody.safeParse({ code: "1234567" }).success).toBe(false);
    expect(reauthenticationCode.parse("123456")).toBe("123456");
    expect(reauthenticationCode.safeParse("12345a").success).toBe(false);
  });
});

describe("confirmedEnrolment and invalidCode", () => {
  test("MFA is on for a user only once the enrolment is confirmed", async () => {
    const { mfa, context } = await enrolled();
    expect(await confirmedEnrolment(mfa, context, USER)).toMatchObject({ confirmedAt: NOW - 60_000 });
    expect(await confirmedEnrolment(mfa, context, "nobody")).toBeUndefined();
    await mfa.store.startEnrolment("pending", mfa.box.seal(newTotpSecret(), "pending"), NOW);
    expect(await confirmedEnrolment(mfa, context, "pending")).toBeUndefined();
  });

  test("a refused code is a 401 invalid_credentials, with a default detail", () => {
    expect(invalidCode()).toMatchObject({ code: "invalid_credentials", status: 401, detail: "Invalid or already used code." });
    expect(invalidCode("Invalid password or code.")).toMatchObject({ code: "invalid_credentials", detail: "Invalid password or code." });
  });
});
