/** A quota as the `RateLimit-Policy` header describes it. */
export interface RateLimitQuota {
  /** Attempts allowed per window (`q`). */
  readonly points: number;
  /** The window, in seconds (`w`). */
  readonly windowSeconds: number;
}

/** Where a client stands against a quota right now. */
export interface RateLimitStatus {
  /** Attempts left in the window (`r`); clamped to 0. */
  readonly remaining: number;
  /** Milliseconds until the quota resets or, when blocked, until the block ends (`t`). */
  readonly msBeforeReset: number;
  /** Over the limit: the headers then include `Retry-After`. */
  readonly blocked?: boolean;
}

/**
 * A window as a short unit, for policy names: `900` → `"15min"`, `86400` → `"1day"`.
 *
 * @example
 * formatWindow(3600); // "1h"
 */
export function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}day`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}min`;
  return `${seconds}s`;
}

/**
 * The name a policy goes by in both headers, as express-rate-limit names them: `"10-in-15min"`.
 *
 * @example
 * policyName({ points: 100, windowSeconds: 86_400 }); // "100-in-1day"
 */
export function policyName(quota: RateLimitQuota): string {
  return `${quota.points}-in-${formatWindow(quota.windowSeconds)}`;
}

/**
 * Seconds a client should wait, as `Retry-After` carries them: whole seconds rounded up, and at
 * least 1 so that a client never retries at once.
 *
 * @example
 * retryAfterSeconds(840_001); // 841
 * retryAfterSeconds(0);       // 1
 */
export function retryAfterSeconds(msBeforeReset: number): number {
  return Math.max(1, Math.ceil(msBeforeReset / 1000));
}

/**
 * The `RateLimit-Policy` and `RateLimit` headers of the IETF RateLimit header fields draft 8/9
 * (the form express-rate-limit emits), plus `Retry-After` when the client is blocked. A blocked
 * client is told `r=0` and the same `t` as `Retry-After`.
 *
 * @example
 * rateLimitHeaders({ points: 5, windowSeconds: 900 }, { remaining: 4, msBeforeReset: 840_000 });
 * // { "RateLimit-Policy": '"5-in-15min"; q=5; w=900', RateLimit: '"5-in-15min"; r=4; t=840' }
 */
export function rateLimitHeaders(quota: RateLimitQuota, status: RateLimitStatus): Record<string, string> {
  const name = policyName(quota);
  const policy = `"${name}"; q=${quota.points}; w=${quota.windowSeconds}`;
  if (status.blocked) {
    const wait = retryAfterSeconds(status.msBeforeReset);
    return { "Retry-After": String(wait), "RateLimit-Policy": policy, RateLimit: `"${name}"; r=0; t=${wait}` };
  }
  const remaining = Math.max(0, Math.floor(status.remaining));
  const reset = Math.max(0, Math.ceil(status.msBeforeReset / 1000));
  return { "RateLimit-Policy": policy, RateLimit: `"${name}"; r=${remaining}; t=${reset}` };
}
