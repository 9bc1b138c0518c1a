import { createHash, randomBytes } from "node:crypto";

/** A link's token: 32 random bytes, base64url (43 characters). */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new token, and the digest the store keeps instead of it. */
export function newLinkToken(): { readonly token: string; readonly digest: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, digest: digestOf(token) };
}

/** What names a token in the store: SHA-256, as for API keys (a token has 256 random bits: no salt or stretching needed). */
export function digestOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** The digest of a token as sent back, or undefined when it cannot be one (so it is refused as an unknown token is). */
export function digestOfSent(token: string): string | undefined {
  return TOKEN.test(token) ? digestOf(token) : undefined;
}

/**
 * The link a message carries: the page at `path` under `appUrl` (which ends in "/"), with the token
 * in the fragment, if there is one. A
 * fragment never reaches a server's access log, nor another site's `Referer`; the page reads it
 * and posts it.
 */
export function linkTo(appUrl: string, path: string, token?: string): string {
  const url = new URL(path.replace(/^\//, ""), appUrl); // under appUrl's own path
  if (token === undefined) return url.href;
  url.hash = `token=${token}`;
  return url.href;
}
