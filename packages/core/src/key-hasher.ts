import { createHmac } from "node:crypto";
import { configError } from "./errors";

/** The server secret must be at least as long as the HMAC-SHA256 output. */
export const MIN_SECRET_BYTES = 32;

/**
 * Hashes keys with HMAC-SHA256 under a server secret, so a copy of the store (or of a backup)
 * lets nobody authenticate: without the secret one cannot even test a guess offline. A key has
 * ~190 bits of entropy, so a fast keyed hash is as safe as bcrypt and costs microseconds.
 */
export class KeyHasher {
  readonly #secret: Buffer;

  constructor(secret: string | Uint8Array) {
    const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret ?? []);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw configError(
        "ApiKeys",
        `"secret" must be at least ${MIN_SECRET_BYTES} bytes; generate one with \`node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"\` and keep it out of the store`,
      );
    }
    this.#secret = bytes;
  }

  /** The digest under which a key is stored and looked up (base64url, 43 characters). */
  digest(key: string): string {
    return createHmac("sha256", this.#secret).update(key, "utf8").digest("base64url");
  }
}
