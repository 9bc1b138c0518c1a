import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import {
  configError,
  createErrorResponder,
  MAX_RATE_LIMIT_POINTS,
  MAX_RATE_LIMIT_SECONDS,
  PortcullisError,
  rateLimitHeaders,
  isIoredisLike,
  type ErrorResponseOptions,
  type IoredisLike,
  type KeyRateLimit,
} from "@portcullis/core";

export interface KeyRateLimitOptions extends ErrorResponseOptions {
  /**
   * The limit of keys that carry none of their own, or `false` for no limit on them.
   * @default { points: 600, durationSeconds: 60 }
   */
  readonly default?: KeyRateLimit | false;
  /**
   * Count on Redis, shared by every process (a memory limiter takes over while Redis fails).
   * @default undefined (in this process's memory)
   */
  readonly redis?: IoredisLike;
  /** @default "portcullis:" */
  readonly keyPrefix?: string;
}

const KNOWN_OPTIONS = new Set(["default", "redis", "keyPrefix", "onError", "formatError"]);
/** Limiters are made per distinct limit; more distinct limits than this is a configuration smell. */
const MAX_DISTINCT_LIMITS = 1000;

/**
 * Limits each API key to its own rate (`rate_limit` on the key) or the host's default, with
 * rate-limiter-flexible. Over the limit: 429 `rate_limit_exceeded` with `Retry-After`, `RateLimit`
 * and `RateLimit-Policy`, as the login limiter answers; under it, the `RateLimit` headers. Requests
 * authenticated otherwise (sessions) pass. Mount it after `apiKeyAuth`.
 *
 * @example
 * app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ redis, default: { points: 100, durationSeconds: 60 } }));
 */
export function keyRateLimit(options: Readonly<KeyRateLimitOptions> = {}): RequestHandler {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw configError("keyRateLimit", `unknown option "${name}"`);
  }
  const { redis, keyPrefix = "portcullis:" } = options;
  if (redis !== undefined && !isIoredisLike(redis)) {
    throw configError("keyRateLimit", `"redis" must be an ioredis client (new Redis(url) or new Cluster(nodes)); leave it out to count in memory`);
  }
  const fallback = options.default === undefined ? { points: 600, durationSeconds: 60 } : options.default;
  if (fallback !== false) assertLimit(fallback);
  const respond = createErrorResponder("keyRateLimit", options);
  const limiters = new Map<string, RateLimiterAbstract>();

  const limiterFor = (limit: KeyRateLimit): RateLimiterAbstract => {
    const name = `${limit.points}-${limit.durationSeconds}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      if (limiters.size >= MAX_DISTINCT_LIMITS) limiters.clear();
      const shape = { points: limit.points, duration: limit.durationSeconds, keyPrefix: `${keyPrefix}key-rate:${name}` };
      const memory = new RateLimiterMemory(shape);
      limiter = redis ? new RateLimiterRedis({ ...shape, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true }) : memory;
      limiters.set(name, limiter);
    }
    return limiter;
  };

  return function keyRateLimitMiddleware(req, res, next) {
    const principal = req.auth;
    if (principal?.kind !== "api_key") return next();
    const limit = principal.rateLimit ?? fallback;
    if (limit === false) return next();
    const quota = { points: limit.points, windowSeconds: limit.durationSeconds };
    limiterFor(limit)
      .consume(principal.keyId)
      .then(
        (state) => {
          res.set(rateLimitHeaders(quota, { remaining: state.remainingPoints, msBeforeReset: state.msBeforeNext }));
          next();
        },
        (rejection: unknown) => {
          if (!(rejection instanceof RateLimiterRes)) {
            return respond(new PortcullisError("auth_unavailable", undefined, { cause: rejection, headers: { "Retry-After": "1" } }), req, res, next);
          }
          const headers = rateLimitHeaders(quota, { remaining: 0, msBeforeReset: rejection.msBeforeNext, blocked: true });
          respond(new PortcullisError("rate_limit_exceeded", "This key has made too many requests; retry later.", { headers }), req, res, next);
        },
      )
      .catch(next);
  };
}

function assertLimit(limit: KeyRateLimit): void {
  const { points, durationSeconds } = limit ?? ({} as KeyRateLimit);
  if (!Number.isInteger(points) || points < 1 || points > MAX_RATE_LIMIT_POINTS) {
    throw configError("keyRateLimit", `"default.points" must be a whole number from 1 to ${MAX_RATE_LIMIT_POINTS}, or pass default: false`);
  }
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > MAX_RATE_LIMIT_SECONDS) {
    throw configError("keyRateLimit", `"default.durationSeconds" must be a whole number from 1 to ${MAX_RATE_LIMIT_SECONDS}`);
  }
}
