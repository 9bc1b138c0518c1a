import { crc32 } from "node:zlib";
import { BASE62_ALPHABET, encodeBase62, randomBase62 } from "./base62";
import { z } from "zod";
import { resolveOptions } from "./option-schema";

/** 32 base62 characters: about 190 bits from the CSPRNG. */
export const KEY_RANDOM_LENGTH = 32;
/** CRC32 in base62 fits in six characters (62^6 > 2^32). */
export const KEY_CHECKSUM_LENGTH = 6;
/** Characters of the random part shown at each end of a masked preview. */
const PREVIEW_HEAD = 4;
const PREVIEW_TAIL = 4;

const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const BODY_PATTERN = new RegExp(`^[${BASE62_ALPHABET}]{${KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH}}$`);

const PREFIX_RULE = `a letter followed by up to 31 letters, digits, "_", "." or "-" (such as "cpx_live." or "plx_sk_")`;
const prefixError = (issue: { readonly input?: unknown }) =>
  issue.input === undefined ? `is required: ${PREFIX_RULE}` : `must be ${PREFIX_RULE}, got ${JSON.stringify(issue.input)}`;

/** The `prefix` option, as `KeyFormat` and `ApiKeys` take it. */
export const keyPrefixOption = z.string({ error: prefixError }).regex(PREFIX_PATTERN, { error: prefixError });

const keyFormatOptions = z.strictObject(
  { prefix: keyPrefixOption },
  { error: (issue) => (issue.code === "invalid_type" ? `options must be an object such as { prefix: "cpx_live." }` : undefined) },
);

export interface KeyFormatOptions {
  /**
   * Starts every key, so people and secret scanners can tell what it is: `cpx_live.`, `plx_sk_`.
   * A letter, then up to 31 letters, digits, `_`, `.` or `-`.
   */
  readonly prefix: string;
}

/**
 * The shape of an API key: `<prefix><32 random base62><6 base62 CRC32 checksum>`, as GitHub's
 * tokens carry. The checksum lets a mistyped or invented key be refused before any store access.
 *
 * @example
 * const format = new KeyFormat({ prefix: "plx_sk_" });
 * const key = format.generate(); // "plx_sk_4fQ…Zr8a1B"
 * format.isWellFormed(key);       // true
 */
export class KeyFormat {
  readonly prefix: string;
  /** The total length of every key of this format. */
  readonly length: number;

  constructor(options: Readonly<KeyFormatOptions>) {
    const { prefix } = resolveOptions("KeyFormat", keyFormatOptions, options);
    this.prefix = prefix;
    this.length = prefix.length + KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH;
  }

  /** A new key, to be shown once and then only stored as a keyed hash. */
  generate(): string {
    const head = this.prefix + randomBase62(KEY_RANDOM_LENGTH);
    return head + checksum(head);
  }

  /** True when the token has this prefix, the right length and alphabet, and a valid checksum. */
  isWellFormed(token: string): boolean {
    if (token.length !== this.length || !token.startsWith(this.prefix)) return false;
    if (!BODY_PATTERN.test(token.slice(this.prefix.length))) return false;
    const split = this.length - KEY_CHECKSUM_LENGTH;
    return checksum(token.slice(0, split)) === token.slice(split);
  }

  /**
   * A masked form for display: the prefix, the first four and the last four characters
   * (`plx_sk_4fQa…a1Bz`), as users see the ends of their key. It reveals 4 of the 32 random
   * characters and 4 checksum characters (about 24 bits about the rest), leaving over 140 bits
   * unknown: far beyond any guessing.
   */
  preview(token: string): string {
    const body = token.slice(this.prefix.length);
    return `${this.prefix}${body.slice(0, PREVIEW_HEAD)}…${body.slice(-PREVIEW_TAIL)}`;
  }

  /** A regular expression that matches keys of this format, for secret scanners. */
  scannerPattern(): RegExp {
    const escaped = this.prefix.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
    return new RegExp(`\\b${escaped}[0-9A-Za-z]{${KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH}}\\b`, "g");
  }
}

function checksum(head: string): string {
  return encodeBase62(crc32(head), KEY_CHECKSUM_LENGTH);
}
