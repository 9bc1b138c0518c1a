/** What portcullis keeps in a session: who signed in, when, and from where. */
export interface PortcullisSessionData {
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

/** Seconds until the store may forget the session, at least 1 (Redis TTLs are whole seconds). */
export function sessionTtlSeconds(data: PortcullisSessionData | undefined, timeouts: SessionTimeouts, now: number): number {
  if (!data) return Math.max(1, Math.ceil(timeouts.idleTimeoutMs / 1000));
  return Math.max(1, Math.ceil((sessionDeadline(data, timeouts) - now) / 1000));
}
