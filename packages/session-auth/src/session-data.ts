/** What portcullis keeps in a session: who signed in, when, and from where. */
export interface PortcullisSessionData {
  /** A public name for this session, for listing and revoking it; never the session id itself. */
  handle: string;
  userId: string;
  role: string;
  /** When the session was created (at login), for the absolute lifetime. */
  createdAt: number;
  /** When the user last proved their password (login or re-authentication). */
  authenticatedAt: number;
  /** When the user last proved a second factor (a TOTP or recovery code), if ever in this session. */
  secondFactorAt?: number;
  /** The last request seen, for the idle timeout; written at most once a minute. */
  lastSeenAt: number;
  ip: string;
  userAgent: string;
}

/**
 * A sign-in halfway through: the password was right, a second factor is still due. It lives in a
 * session of its own, apart from `portcullis`, so `sessionAuth` finds no principal in it.
 */
export interface PendingMfaLogin {
  userId: string;
  /** The login name as typed, for the login rate limit's count (see `pendingMfaLogin` in `@portcullis/mfa`). */
  email: string;
  /** When the password was proven; the session's `authenticatedAt` once a code completes it. */
  passwordAt: number;
  /** A code must come before this instant, or the user starts again with the password. */
  expiresAt: number;
  /**
   * Random: names this sign-in to the second factor, which counts its codes under it (the TOTP
   * factor in its MFA store, `countSignInCode`, dropping the sign-in at `MAX_MFA_CODE_FAILURES`
   * wrong codes, counted atomically however many arrive at once).
   */
  id: string;
}

/**
 * A sign-in through a provider, between the redirect to the provider and its answer. The secrets
 * that bind the answer to this browser live here, server-side, never in a cookie or the URL.
 */
export interface PendingOAuthFlow {
  /** The provider's id; an answer is checked against this provider only (no mix-up). */
  provider: string;
  /** Sent to the provider and checked, in constant time, against the `state` it returns. */
  state: string;
  /** Checked against the ID token's `nonce`. */
  nonce: string;
  /** PKCE's code verifier, sent with the code. */
  codeVerifier: string;
  /** What the answer does: sign in, link the identity to the signed-in user, or renew the session's authentication. */
  intent: "sign_in" | "link" | "reauthenticate";
  /** The provider must answer before this instant. */
  expiresAt: number;
}

declare module "express-session" {
  interface SessionData {
    portcullis?: PortcullisSessionData;
    portcullisMfaLogin?: PendingMfaLogin;
    portcullisOAuth?: PendingOAuthFlow;
  }
}

export interface SessionTimeouts {
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
}

/** When this session ends unless it is used again: the idle deadline or the absolute one. */
export function sessionDeadline(data: PortcullisSessionData, timeouts: SessionTimeouts): number {
  return Math.min(data.lastSeenAt + timeouts.idleTimeoutMs, data.createdAt + timeouts.absoluteTimeoutMs);
}

/**
 * How long the store keeps a session past its deadline. It is refused from the deadline on (the
 * server checks its own timestamps on every request); keeping it a while longer is what lets the
 * answer be `session_expired` rather than a bare `missing_credentials`.
 */
export const EXPIRED_SESSION_RETENTION_MS = 3600_000;

/** The latest instant the session can still be in the store: its absolute end plus the retention. */
export function sessionForgetAt(data: PortcullisSessionData, timeouts: SessionTimeouts): number {
  return data.createdAt + timeouts.absoluteTimeoutMs + EXPIRED_SESSION_RETENTION_MS;
}

/** Seconds until the store may forget the session, at least 1 (Redis TTLs are whole seconds). */
export function sessionTtlSeconds(data: PortcullisSessionData | undefined, timeouts: SessionTimeouts, now: number): number {
  const deadline = data ? sessionDeadline(data, timeouts) : now + timeouts.idleTimeoutMs;
  return Math.max(1, Math.ceil((deadline + EXPIRED_SESSION_RETENTION_MS - now) / 1000));
}
