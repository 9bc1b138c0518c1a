import { rateLimitHeaders, retryAfterSeconds } from "@portcullis/core/internal";

/** The two limits of `loginRateLimit`. */
export type LoginLimitName = "consecutiveFailures" | "perIpPerDay";

/** One limiter's count after this attempt was counted. */
export interface LimitReading {
  readonly limit: LoginLimitName;
  /** Attempts allowed per window. */
  readonly points: number;
  readonly windowSeconds: number;
  /** Points consumed in the current window, this attempt included. Over `points` means refused. */
  readonly consumed: number;
  /** Milliseconds until the count resets or, over the limit, until the block ends. */
  readonly msBeforeReset: number;
}

/** What to do with an attempt. */
export type LoginAttemptDecision =
  | {
      readonly allowed: true;
      /** `RateLimit` and `RateLimit-Policy` of the limit with the fewest attempts left. */
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly allowed: false;
      /** The limit the client must wait longest for; its headers are the ones sent. */
      readonly blocking: LoginLimitName;
      readonly retryAfterSeconds: number;
      /** `Retry-After`, `RateLimit` and `RateLimit-Policy`. */
      readonly headers: Readonly<Record<string, string>>;
      /**
       * Limits that counted this attempt without refusing it. The attempt never reaches the
       * password check, so their point is given back: waiting out a block costs nothing.
       */
      readonly refund: readonly LoginLimitName[];
    };

const isOver = (reading: LimitReading) => reading.consumed > reading.points;
const remaining = (reading: LimitReading) => Math.max(0, reading.points - reading.consumed);

/**
 * Decides an attempt from the counts of every limit, each already including the attempt. Over
 * any limit, it is refused and told to wait for the block that ends last; otherwise it is
 * allowed and shown the limit it is closest to (fewest attempts left, then longest to reset).
 *
 * @example
 * decideLoginAttempt([
 *   { limit: "consecutiveFailures", points: 10, windowSeconds: 86_400, consumed: 11, msBeforeReset: 900_000 },
 *   { limit: "perIpPerDay", points: 100, windowSeconds: 86_400, consumed: 12, msBeforeReset: 80_000_000 },
 * ]);
 * // { allowed: false, blocking: "consecutiveFailures", retryAfterSeconds: 900, refund: ["perIpPerDay"], headers: … }
 */
export function decideLoginAttempt(readings: readonly LimitReading[]): LoginAttemptDecision {
  if (readings.length === 0) throw new TypeError("decideLoginAttempt: pass at least one limit reading");
  const over = readings.filter(isOver);
  if (over.length > 0) {
    const blocking = over.reduce((a, b) => (b.msBeforeReset > a.msBeforeReset ? b : a));
    return {
      allowed: false,
      blocking: blocking.limit,
      retryAfterSeconds: retryAfterSeconds(blocking.msBeforeReset),
      headers: rateLimitHeaders(blocking, { remaining: 0, msBeforeReset: blocking.msBeforeReset, blocked: true }),
      refund: readings.filter((reading) => !isOver(reading)).map((reading) => reading.limit),
    };
  }
  const closest = readings.reduce((a, b) => {
    const byRemaining = remaining(b) - remaining(a);
    return byRemaining < 0 || (byRemaining === 0 && b.msBeforeReset > a.msBeforeReset) ? b : a;
  });
  return {
    allowed: true,
    headers: rateLimitHeaders(closest, { remaining: remaining(closest), msBeforeReset: closest.msBeforeReset }),
  };
}
