import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** A server key for MFA: a string of 32+ bytes, or several to rotate (the first seals, all open). */
export type MfaEncryptionKey = string | readonly string[];

const VERSION = "v1";
const IV_BYTES = 12; // GCM's standard nonce
const TAG_BYTES = 16;
const SEALED = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{1,4096})\.([A-Za-z0-9_-]{22})$/;

/** The server keys as a list, checked; undefined when they are not 32+ byte strings. Internal to the MFA modules. */
export function encryptionKeysOf(key: unknown): readonly string[] | undefined {
  const keys = typeof key === "string" ? [key] : key;
  if (!Array.isArray(keys) || keys.length === 0) return undefined;
  return keys.every((k) => typeof k === "string" && Buffer.byteLength(k) >= 32) ? [...(keys as string[])] : undefined;
}

/**
 * A 32-byte key for one purpose, derived from a server key with HKDF-SHA256: the TOTP secrets'
 * encryption key, the recovery codes' HMAC key and the email codes' HMAC key differ, though the
 * host gives one key.
 *
 * @example
 * const aesKey = deriveKey(process.env.MFA_ENCRYPTION_KEY!, "totp-secret");
 */
export function deriveKey(serverKey: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync("sha256", serverKey, "portcullis-mfa", `portcullis mfa ${purpose} v1`, 32));
}

type KeyPurpose = "totp-secret" | "recovery-code" | "email-code";

/**
 * The purpose's key derived from each server key, the current one first. Internal to the MFA modules.
 * @throws TypeError naming `owner` when `key` is not a 32+ byte string or a non-empty array of them.
 */
export function derivedKeys(key: MfaEncryptionKey, purpose: KeyPurpose, owner: string): readonly Buffer[] {
  const keys = encryptionKeysOf(key);
  if (!keys) throw new TypeError(`${owner}: the key must be a string of at least 32 bytes, or an array of them`);
  return keys.map((k) => deriveKey(k, purpose));
}

/**
 * Seals TOTP secrets for storage with AES-256-GCM under a key derived from the server key, as
 * `v1.<iv>.<ciphertext>.<tag>` (base64url), with a random 12-byte IV for each seal. The user id is
 * authenticated with it, so a sealed secret copied into another user's record does not open.
 * A copy of the store alone reveals no secret.
 *
 * @example
 * const box = new SecretBox([newKey, oldKey]);   // seals with newKey, opens with either
 * const sealed = box.seal(secret, userId);
 * box.open(sealed, userId);                       // the secret, or undefined
 */
export class SecretBox {
  readonly #keys: readonly Buffer[];

  /** @throws TypeError when `key` is not a 32+ byte string or a non-empty array of them. */
  constructor(key: MfaEncryptionKey) {
    this.#keys = derivedKeys(key, "totp-secret", "SecretBox");
  }

  seal(plaintext: string, userId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#keys[0]!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(userId));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
  }

  /** The plaintext, or undefined when no key opens it: tampered, another user's, or a key since dropped. */
  open(sealed: string, userId: string): string | undefined {
    const parts = SEALED.exec(sealed);
    if (!parts) return undefined;
    const [, iv, body, tag] = parts as unknown as [string, string, string, string];
    for (const key of this.#keys) {
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(userId));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        // The tag did not verify under this key: try the next one.
      }
    }
    return undefined;
  }
}
