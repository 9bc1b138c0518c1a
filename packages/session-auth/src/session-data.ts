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
  /** The last request seen, for the idle timeout; written at most once a minute. */
  lastSeenAt: number;
  ip: string;
  userAgent: string;
}

declare module "express-session" {
  interface SessionData {
    portcullis?: PortcullisSessionData;
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
