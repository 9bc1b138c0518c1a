import { createHmac } from "node:crypto";
import { BASE62_ALPHABET } from "./base62";
import { configError } from "./errors";

/** The server secret must be at least as long as the HMAC-SHA256 output. */
export const MIN_SECRET_BYTES = 32;

/** What a secret must be, and how to make one. */
export const SECRET_RULE = `must be at least ${MIN_SECRET_BYTES} bytes; generate one with \`node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"\` and keep it out of the store`;

/** A server secret long enough: a string (counted in UTF-8 bytes) or bytes, of at least `MIN_SECRET_BYTES`. */
export function isStrongSecret(secret: unknown): secret is string | Uint8Array {
  const bytes = typeof secret === "string" ? Buffer.byteLength(secret, "utf8") : secret instanceof Uint8Array ? secret.byteLength : 0;
  return bytes >= MIN_SECRET_BYTES;
}

/**
 * Hashes keys with HMAC-SHA256 under a server secret, so a copy of the store (or of a backup)
 * lets nobody authenticate: without the secret one cannot even test a guess offline. A key has
 * ~190 bits of entropy, so a fast keyed hash is as safe as bcrypt and costs microseconds.
 */
export class KeyHasher {
  readonly #secret: Buffer;

  constructor(secret: string | Uint8Array) {
    // ApiKeys's schema has checked it; this guards every other caller of a security-critical class.
    if (!isStrongSecret(secret)) throw configError("KeyHasher", `the secret ${SECRET_RULE}`);
    this.#secret = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  }

  /** The digest under which a key is stored and looked up (base64url, 43 characters). */
  digest(key: string): string {
    return createHmac("sha256", this.#secret).update(key, "utf8").digest("base64url");
  }
}

/** Base62 characters in a key id after `key_`. */
export const KEY_ID_LENGTH = 16;

/**
 * A key's id, derived from its digest: `key_` and 16 base62 characters (about 95 bits). Deriving
 * it lets a store keep one record per key under its id and still find it from a presented key,
 * with no second index from digest to id. The id says nothing about the key: it is cut from an
 * HMAC under a secret the holder of an id does not have. (Each character is a byte modulo 62,
 * which favours eight characters slightly; harmless for a name that only has to be unique.)
 *
 * @example
 * keyIdOf(hasher.digest(key)); // "key_4fQa9ZrT0bLm2XcW"
 */
export function keyIdOf(digest: string): string {
  const bytes = Buffer.from(digest, "base64url");
  if (bytes.length < KEY_ID_LENGTH) throw new TypeError("keyIdOf: expected a digest from KeyHasher");
  let id = "key_";
  for (let i = 0; i < KEY_ID_LENGTH; i++) id += BASE62_ALPHABET[bytes[i]! % 62];
  return id;
}
