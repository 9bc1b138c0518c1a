import { createHmac, randomInt } from "node:crypto";
import { PortcullisError, type EmailCodeUse, type EmailTokenStore, type LimiterStore, type Logger, type Mailer } from "@portcullis/core";
import { callStore, EMAIL_TOKEN_STORE, insuredLimiter, limiterDeadline, retryAfterSeconds, storeUnavailable, type InsuredLimiter } from "@portcullis/core/internal";
import { dispatch, emailCodeMessage } from "@portcullis/email";
import type { SecondFactorContext } from "@portcullis/session-auth";
import { derivedKeys, type MfaEncryptionKey } from "./secret-box";

/** How long an emailed code works: 10 minutes, and never past the sign-in it was sent for. */
export const EMAIL_CODE_TTL_MS = 10 * 60_000;
/** The wait between two codes sent for one sign-in, or to one signed-in user: 60 seconds. */
export const EMAIL_CODE_COOLDOWN_MS = 60_000;
/** Tries of one emailed code; the next try, right or wrong, ends it. */
export const EMAIL_CODE_MAX_TRIES = 5;
/**
 * Emailed codes an account may have tried in a row without a right one, whatever the sign-in, IP or
 * code, before every try waits an hour (`EMAIL_CODE_LOCK_MS`): the account-wide bound that TOTP's
 * `CODE_ATTEMPTS` is for authenticator codes. Without it, a new sign-in every minute would bring five
 * fresh tries each time.
 */
export const EMAIL_CODE_ACCOUNT_TRIES = 10;
/** How long an account past `EMAIL_CODE_ACCOUNT_TRIES` waits before its next emailed code is checked. */
export const EMAIL_CODE_LOCK_MS = 3600_000;

/**
 * One-time codes by email as a second factor, beside TOTP: the `emailCodes` option of
 * `totpSecondFactor`. Weaker than TOTP: whoever reads the mailbox (often reachable with the same
 * password) has the code, and NIST SP 800-63B does not accept email as an out-of-band
 * authenticator. Offer it to users who would otherwise have no second factor at all.
 */
export interface EmailCodesOptions {
  /** Sends the codes: `smtpMailer({ url, from })` from `@portcullis/email`, or an outbox in development. */
  readonly mailer: Mailer;
  /** Where the codes live, as HMAC digests, with their tries and cool-down: `MemoryEmailTokenStore`, `RedisEmailTokenStore`, `PostgresEmailTokenStore`. */
  readonly tokens: EmailTokenStore;
  /**
   * Where a code that could not be sent is logged (never the code).
   * @default console
   */
  readonly logger?: Logger;
  /**
   * Where each account's tries in a row are counted (see `EMAIL_CODE_ACCOUNT_TRIES`):
   * `new RedisLimiterStore(redis)` or `new PostgresLimiterStore(pool)` to share the count between
   * processes, as the login rate limit does.
   * @default new MemoryLimiterStore() (per process)
   */
  readonly limiterStore?: LimiterStore;
}

/** The email codes' part of the resolved options. */
export interface EmailCodesConfig {
  readonly mailer: Mailer;
  readonly tokens: EmailTokenStore;
  readonly logger: Logger;
  readonly hasher: EmailCodeHasher;
  /** Each account's emailed codes tried in a row. */
  readonly tries: InsuredLimiter;
  /** The app's name in the message (the factor's `issuer`). */
  readonly appName: string;
}

/** Where the code that finishes one pending sign-in is kept. */
export const signInCodeKey = (signInId: string) => `sign-in:${signInId}`;
/** Where a signed-in user's code is kept (re-authentication, turning email codes on or off). */
export const accountCodeKey = (userId: string) => `account:${userId}`;

/**
 * Email codes as stored: HMAC-SHA256 under a key derived from `encryptionKey`, over the store key
 * and the code. A code has only 20 bits, so a plain hash in a copy of the store would be reversed
 * at once; binding the store key stops a digest from one sign-in being planted in another's.
 * Only the current server key is used: a key rotation voids the codes in flight (10 minutes at most).
 */
export class EmailCodeHasher {
  readonly #key: Buffer;

  constructor(key: MfaEncryptionKey) {
    this.#key = derivedKeys(key, "email-code", "EmailCodeHasher")[0]!;
  }

  digest(storeKey: string, code: string): string {
    return createHmac("sha256", this.#key).update(storeKey).update("\0").update(code).digest("base64url");
  }
}

/** Six random digits, leading zeros kept. */
export function newEmailCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/**
 * Issues a new code under `key` and sends it to `to` without waiting for the mailer; a 429 with
 * `Retry-After` while the last code under `key` is younger than the cool-down.
 */
export async function sendEmailCode(config: EmailCodesConfig, context: SecondFactorContext, key: string, to: string, expiresAt: number): Promise<void> {
  const now = context.now();
  const code = newEmailCode();
  const digest = config.hasher.digest(key, code);
  const issued = await callStore(EMAIL_TOKEN_STORE.issueCode, context.timeoutMs, () => config.tokens.issueCode(key, digest, now, expiresAt, EMAIL_CODE_COOLDOWN_MS));
  if (!issued.issued) {
    const seconds = Math.max(1, Math.ceil((issued.retryAt - now) / 1000));
    throw new PortcullisError("rate_limit_exceeded", "A code was sent a moment ago: wait before asking for another.", {
      headers: { "Retry-After": String(seconds) },
      data: { retry_after: seconds },
    });
  }
  dispatch(config.mailer, emailCodeMessage({ appName: config.appName, to }, code, expiresAt - now), config.logger, "totpSecondFactor");
}

/** The account-wide count of tries in a row (see `EMAIL_CODE_ACCOUNT_TRIES`), in `store`. */
export function emailCodeTries(store: LimiterStore): InsuredLimiter {
  return insuredLimiter("totpSecondFactor", store, {
    name: "email-code-tries",
    points: EMAIL_CODE_ACCOUNT_TRIES,
    durationSeconds: 86_400,
    blockSeconds: EMAIL_CODE_LOCK_MS / 1000,
  });
}

/**
 * One try of `userId`'s code under `key`: counted for the account first (429 past
 * `EMAIL_CODE_ACCOUNT_TRIES` in a row, the code not checked), then for the code itself (see
 * `EmailTokenStore.useCode`); a right code clears the account's count.
 */
export async function useEmailCode(config: EmailCodesConfig, context: SecondFactorContext, userId: string, key: string, code: string): Promise<EmailCodeUse> {
  const deadline = limiterDeadline([config.tries], context.timeoutMs);
  let counted;
  try {
    counted = await config.tries.count(userId, deadline);
  } catch (error) {
    throw storeUnavailable(error);
  } finally {
    deadline?.clear();
  }
  if (counted.state.consumedPoints > EMAIL_CODE_ACCOUNT_TRIES) {
    const seconds = retryAfterSeconds(counted.state.msBeforeNext);
    throw new PortcullisError("rate_limit_exceeded", "Too many wrong codes for this account; retry later, or use another method.", {
      headers: { "Retry-After": String(seconds) },
      data: { retry_after: seconds },
    });
  }
  const digest = config.hasher.digest(key, code);
  const used = await callStore(EMAIL_TOKEN_STORE.useCode, context.timeoutMs, () => config.tokens.useCode(key, digest, context.now(), EMAIL_CODE_MAX_TRIES));
  if (used === "accepted") await config.tries.forget(userId).catch((error: unknown) => Promise.reject(storeUnavailable(error)));
  return used;
}

/** The body of `sendEmailCode`'s answer: 202, and when another code may be asked for. */
export const EMAIL_CODE_SENT = Object.freeze({ sent: true, retry_after: EMAIL_CODE_COOLDOWN_MS / 1000 });
