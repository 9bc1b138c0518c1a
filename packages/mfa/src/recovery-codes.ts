import { createHmac, randomInt } from "node:crypto";
import { derivedKeys, type MfaEncryptionKey } from "./secret-box";

/** How many recovery codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet in lower case: no i, l, o or u to misread. 10 characters ≈ 50 bits. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const LENGTH = 10;
const NORMALIZED = /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/;

/**
 * A recovery code as typed, in the form it is hashed: lower case, without dashes or spaces, with
 * the letters Crockford's base32 reads as digits (o → 0, i and l → 1). Undefined when the result is
 * not ten characters of the alphabet, so a malformed code is a 400 before any lookup.
 *
 * @example
 * normalizeRecoveryCode(" ABCDE-F0123 "); // "abcdef0123"
 * normalizeRecoveryCode("hello");         // undefined
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  if (typed.length > 40) return undefined;
  const normalized = typed.toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");
  return NORMALIZED.test(normalized) ? normalized : undefined;
}

/**
 * Ten new recovery codes from the CSPRNG, each shown as `xxxxx-xxxxx` (about 50 bits).
 *
 * @example
 * newRecoveryCodes(); // ["7k2mq-x9a4d", …]
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = "";
    for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/**
 * Recovery codes as the store keeps them: HMAC-SHA256 of the user id and the normalised code,
 * under a key derived from the server key (not the one that seals secrets). A code is checked by
 * removing its digest from the store, so no secret is compared in JavaScript.
 *
 * @example
 * const hasher = new RecoveryCodeHasher(process.env.MFA_ENCRYPTION_KEY!);
 * await store.replaceRecoveryCodes(userId, codes.map((code) => hasher.digest(userId, code)));
 */
export class RecoveryCodeHasher {
  readonly #keys: readonly Buffer[];

  /** @throws TypeError when `key` is not a 32+ byte string or a non-empty array of them. */
  constructor(key: MfaEncryptionKey) {
    this.#keys = derivedKeys(key, "recovery-code", "RecoveryCodeHasher");
  }

  /** The digest to store for a new code, under the current (first) key. */
  digest(userId: string, code: string): string {
    const normalized = normalizeRecoveryCode(code);
    if (normalized === undefined) throw new TypeError("RecoveryCodeHasher: not a recovery code");
    return hmac(this.#keys[0]!, userId, normalized);
  }

  /**
   * The digests a typed code may be stored under, one per key (codes made before a key rotation
   * were hashed under an older key); empty when the code is malformed.
   */
  candidates(userId: string, typed: string): string[] {
    const code = normalizeRecoveryCode(typed);
    if (code === undefined) return [];
    return this.#keys.map((key) => hmac(key, userId, code));
  }
}

function hmac(key: Buffer, userId: string, code: string): string {
  return createHmac("sha256", key).update(`${userId}\n${code}`).digest("base64url");
}
