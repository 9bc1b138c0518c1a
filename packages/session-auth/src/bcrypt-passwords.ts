import { randomBytes } from "node:crypto";
import bcrypt from "bcrypt";
import { PortcullisError, type PasswordHasher } from "@portcullis/core";
import { resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";

/** bcrypt reads at most 72 bytes of a password and ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

export interface BcryptPasswordsOptions {
  /**
   * bcrypt's cost factor (work doubles with each step); tests may lower it to 4.
   * @default 12
   */
  readonly cost?: number;
  /**
   * The shortest password accepted when one is set.
   * @default 8
   */
  readonly minLength?: number;
}

const COST_RULE = "must be a whole number from 4 to 31 (10 or more in production)";
const MIN_LENGTH_RULE = "must be a positive whole number";

/** The options, checked, with their defaults. */
const bcryptPasswordsOptions = z.strictObject({
  cost: z.int({ error: COST_RULE }).min(4, { error: COST_RULE }).max(31, { error: COST_RULE }).default(12),
  minLength: z.int({ error: MIN_LENGTH_RULE }).min(1, { error: MIN_LENGTH_RULE }).default(8),
});

/**
 * Passwords hashed with bcrypt. bcrypt silently ignores everything past 72 bytes, so a longer
 * password is refused when it is set (400 naming the limit) rather than truncated; at login a
 * longer one can then never match, and is still checked against a hash so it costs the same time.
 * A password holding U+0000 is refused and never matches the same way: bcrypt repeats the key
 * with a NUL between, so NULs alone hash as the empty password, which `"\u0000"` then matches.
 *
 * @example
 * const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 12 }) });
 */
export function bcryptPasswords(options: Readonly<BcryptPasswordsOptions> = {}): PasswordHasher {
  const { cost, minLength } = resolveOptions("bcryptPasswords", bcryptPasswordsOptions, options);
  const dummyHash = bcrypt.hashSync(randomBytes(16).toString("base64url"), cost);

  return {
    dummyHash,
    assertStorable(password) {
      if (typeof password !== "string" || [...password].length < minLength) {
        throw new PortcullisError("invalid_request", `password: at least ${minLength} characters`);
      }
      if (Buffer.byteLength(password, "utf8") > BCRYPT_MAX_PASSWORD_BYTES) {
        throw new PortcullisError("invalid_request", `password: at most ${BCRYPT_MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores the rest)`);
      }
      if (password.includes("\u0000")) throw new PortcullisError("invalid_request", "password: must not contain U+0000");
    },
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, hash) {
      const unstorable = Buffer.byteLength(password, "utf8") > BCRYPT_MAX_PASSWORD_BYTES || password.includes("\u0000");
      const matches = await bcrypt.compare(unstorable ? "" : password, hash);
      return matches && !unstorable;
    },
  };
}
