import { generate, generateSecret, generateURI, verify, type HashAlgorithm } from "otplib";

/** How a TOTP code is made: RFC 6238's parameters. */
export interface TotpParameters {
  readonly digits: 6 | 7 | 8;
  readonly algorithm: HashAlgorithm;
  /** The time step, in seconds. */
  readonly period: number;
}

/** What authenticator apps expect (Google Authenticator, Authy, 1Password…): 6 digits, SHA-1, 30 s. */
export const AUTHENTICATOR_TOTP: TotpParameters = Object.freeze({ digits: 6, algorithm: "sha1", period: 30 });

/** A code as users type it for `AUTHENTICATOR_TOTP`: exactly six ASCII digits. */
export const TOTP_CODE = /^[0-9]{6}$/;

/**
 * Clock skew allowed, in steps either side of the current one. One step (30 s) covers a phone
 * whose clock is a little off and a code typed as it rolls over; two would double the codes an
 * attacker could guess at once.
 */
export const TOTP_SKEW_STEPS = 1;

/**
 * The code for `secret` at `epochSeconds`, through otplib. `secret` is base32 (as stored and as
 * apps scan it) or raw bytes (RFC 6238's test seeds).
 *
 * @example
 * await totpCode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 1_767_225_600); // "…six digits…"
 */
export function totpCode(secret: string | Uint8Array, epochSeconds: number, parameters: TotpParameters = AUTHENTICATOR_TOTP): Promise<string> {
  return generate({ secret, epoch: epochSeconds, ...parameters });
}

/**
 * The time step that `code` belongs to, if it is valid for `secret` at `nowMs` give or take
 * `TOTP_SKEW_STEPS` steps; undefined otherwise (also for a code of the wrong shape). otplib
 * compares in constant time. The caller records the step (`MfaStore.useStep`) to refuse replays.
 *
 * @example
 * const step = await verifyTotpCode(secret, "94287082", 59_000, { digits: 8, algorithm: "sha1", period: 30 }); // 1
 */
export async function verifyTotpCode(
  secret: string | Uint8Array,
  code: string,
  nowMs: number,
  parameters: TotpParameters = AUTHENTICATOR_TOTP,
): Promise<number | undefined> {
  if (!new RegExp(`^[0-9]{${parameters.digits}}$`).test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    // In seconds: one period each way reaches exactly the neighbouring step, never two.
    epochTolerance: TOTP_SKEW_STEPS * parameters.period,
    ...parameters,
  });
  // otplib's result type covers HOTP too; a TOTP match always carries its time step.
  // Stryker disable next-line LogicalOperator: equivalent, a failed verify is { valid: false } without timeStep (TESTING.md)
  return result.valid && "timeStep" in result ? result.timeStep : undefined;
}

/**
 * `verifyTotpCode` with the authenticator-app parameters: the check every route uses.
 *
 * @example
 * const step = await verifyTotp(secret, req.body.code, Date.now());
 * if (step === undefined || !(await store.useStep(userId, step))) throw new PortcullisError("invalid_credentials");
 */
export function verifyTotp(secret: string, code: string, nowMs: number): Promise<number | undefined> {
  return verifyTotpCode(secret, code, nowMs, AUTHENTICATOR_TOTP);
}

/**
 * A new TOTP secret: 20 random bytes (160 bits, RFC 4226's recommendation) in base32.
 *
 * @example
 * const secret = newTotpSecret(); // "7HEIREW54ZPQB46MOHRJYBK54FNFKAJF"
 */
export function newTotpSecret(): string {
  // Stryker disable next-line ObjectLiteral: equivalent, 20 bytes is otplib's default; said here so it stays 20 (TESTING.md)
  return generateSecret({ length: 20 });
}

/**
 * The `otpauth://totp/…` URI that authenticator apps scan, with the issuer in the label and as a
 * parameter, as the Key Uri Format asks.
 *
 * @example
 * totpUri({ issuer: "Acme", account: "ada@example.com", secret }); // "otpauth://totp/Acme:ada%40example.com?secret=…&issuer=Acme"
 */
export function totpUri({ issuer, account, secret }: { issuer: string; account: string; secret: string }): string {
  return generateURI({ issuer, label: account, secret, ...AUTHENTICATOR_TOTP });
}
