import { randomBytes } from "node:crypto";

export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Bits of entropy carried by one uniformly random base62 character. */
export const BITS_PER_BASE62_CHAR = Math.log2(62);

/**
 * `length` uniformly random base62 characters from the CSPRNG. Bytes of 248 and above are
 * dropped rather than reduced modulo 62, which would favour the first characters.
 */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A non-negative integer in base62, left-padded with zeros to `width` characters. */
export function encodeBase62(value: number, width: number): string {
  let out = "";
  let rest = value;
  do {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, "0");
}
