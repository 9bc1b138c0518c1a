/** What an emailed link does when it is used. */
export type EmailTokenPurpose = "password_reset" | "sign_up" | "invitation" | "email_change";

/**
 * An emailed link's token as stored: only its digest (SHA-256 of the token) names it, so the store
 * never holds a token that works. It is spent once, and only before `expiresAt`.
 */
export interface EmailToken {
  readonly purpose: EmailTokenPurpose;
  /** The address the link was sent to, normalised: the account's, or a new one (sign-up, invitation, email change). */
  readonly email: string;
  /** The account it acts on: a password reset's, an email change's. Absent for sign-up and invitations. */
  readonly userId?: string;
  /** An invitation's role for the new account. */
  readonly role?: string;
  /** When it was issued, in ms since the epoch: a reset issued before the password last changed is void. */
  readonly issuedAt: number;
  /** Refused from this instant on, in ms since the epoch. */
  readonly expiresAt: number;
}

/** Whether a new email code went out, or must wait for the cool-down since the last one. */
export type EmailCodeIssue = { readonly issued: true } | { readonly issued: false; readonly retryAt: number };

/**
 * What one try of an email code did: `accepted` (it was right: it is spent), `rejected` (wrong, and
 * tries remain), or `spent` (no live code: none was sent, it expired, it was used, or this try was
 * one too many, which also ends it).
 */
export type EmailCodeUse = "accepted" | "rejected" | "spent";

/**
 * Where what is sent by email and spent once lives: the tokens of links (password reset, sign-up,
 * invitations, email changes) and the 6-digit codes of the email second factor. Every spend is
 * atomic, so one token or code cannot be used twice however many requests carry it.
 * `MemoryEmailTokenStore`, `RedisEmailTokenStore` and `PostgresEmailTokenStore` implement it,
 * checked by `describeEmailTokenStoreContract`.
 *
 * @example
 * const tokens = new PostgresEmailTokenStore(pool); // @portcullis/postgres
 * app.use("/api/auth", authRouter({ users, email: emailFlows({ mailer, tokens, appUrl }) }));
 */
export interface EmailTokenStore {
  /** Keeps a token under its digest until `token.expiresAt`. */
  issue(digest: string, token: EmailToken): Promise<void>;
  /**
   * Spends the token with this digest and purpose: returns it once, removed, if `at` is before its
   * expiry; undefined otherwise (unknown, used, expired, or issued for another purpose, which
   * leaves it as it was). Atomic.
   */
  take(digest: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | undefined>;
  /**
   * Replaces the code kept under `key` (a pending sign-in's, a user's) with `digest`, valid until
   * `expiresAt`, with no try used, unless the last code under `key` was issued less than
   * `cooldownMs` before `at`: then nothing changes, and `retryAt` says when one may be. Atomic.
   */
  issueCode(key: string, digest: string, at: number, expiresAt: number, cooldownMs: number): Promise<EmailCodeIssue>;
  /**
   * One try of the code under `key`: counted before it is compared, so concurrent tries cannot
   * overshoot `maxTries`. A right digest within the code's life and tries spends it; the try
   * past `maxTries` ends it. The cool-down of `issueCode` outlives a spent code. Atomic.
   */
  useCode(key: string, digest: string, at: number, maxTries: number): Promise<EmailCodeUse>;
}
