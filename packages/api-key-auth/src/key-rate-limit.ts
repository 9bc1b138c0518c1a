import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import {
  assertKnownOptions,
  configError,
  createErrorResponder,
  failOverAfter,
  MAX_RATE_LIMIT_POINTS,
  RATE_LIMIT_WINDOWS,
  PortcullisError,
  rateLimitHeaders,
  rateLimitProblem,
  resolveTimeoutMs,
  storeUnavailable,
  isIoredisLike,
  type ErrorResponseOptions,
  type IoredisLike,
  type KeyRateLimit,
  rememberedFor,
  type RateLimitQuota,
} from "@portcullis/core";

export interface KeyRateLimitOptions extends ErrorResponseOptions {
  /**
   * The limit of keys that carry none of their own, or `false` for no limit on them.
   * @default { points: 600, durationSeconds: 60 }
   */
  readonly default?: KeyRateLimit | false;
  /**
   * Count on Redis, shared by every process (a memory limiter takes over while Redis fails, or
   * does not answer within `timeoutMs`).
   * @default undefined (in this process's memory)
   */
  readonly redis?: IoredisLike;
  /**
   * How long a count on Redis may take, in milliseconds, before the memory limiter counts the
   * request instead, so a stalled Redis never holds a request.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /** @default "portcullis:" */
  readonly keyPrefix?: string;
}

const KNOWN_OPTIONS = new Set(["default", "redis", "timeoutMs", "keyPrefix", "onError", "formatError"]);

/** Counts one point per request; in memory when Redis fails or stalls. */
type Count = (id: string) => Promise<RateLimiterRes>;

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
  assertKnownOptions("keyRateLimit", options, KNOWN_OPTIONS);
  const { redis, keyPrefix = "portcullis:" } = options;
  if (redis !== undefined && !isIoredisLike(redis)) {
    throw configError("keyRateLimit", `"redis" must be an ioredis client (new Redis(url) or new Cluster(nodes)); leave it out to count in memory`);
  }
  const timeoutMs = resolveTimeoutMs("keyRateLimit", options.timeoutMs);
  const given = options.default === undefined ? { points: 600, durationSeconds: 60 } : options.default;
  if (given !== false) assertLimit(given);
  // A frozen copy: what was checked is what applies, and its header parts are formatted once.
  const fallback = given === false ? false : Object.freeze({ points: given.points, durationSeconds: given.durationSeconds });
  const respond = createErrorResponder("keyRateLimit", options);
  // One limiter per window, counting up to the largest budget; each key's own budget is then
  // compared with its count. The set of windows is fixed, so limiters are never evicted.
  const limiters = new Map<number, Count>();
  for (const window of RATE_LIMIT_WINDOWS) {
    const shape = { points: MAX_RATE_LIMIT_POINTS, duration: window, keyPrefix: `${keyPrefix}key-rate:${window}` };
    const memory = new RateLimiterMemory(shape);
    if (!redis) {
      limiters.set(window, (id) => memory.consume(id));
      continue;
    }
    const store = new RateLimiterRedis({ ...shape, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true });
    limiters.set(window, (id) => failOverAfter(store.consume(id), timeoutMs, () => memory.consume(id)));
  }

  return function keyRateLimitMiddleware(req, res, next) {
    const principal = req.auth;
    if (principal?.kind !== "api_key") return next();
    // Counted per rotation chain (rotating a key must not reset what it has used), then under the
    // chain of every key that made it, nearest first: a key and all it made share one allowance.
    const checks: Check[] = [];
    const own = principal.rateLimit ?? fallback;
    if (own !== false) checks.push({ id: principal.lineage ?? principal.keyId, limit: own });
    for (const budget of principal.countsUnder ?? []) {
      const limit = budget.rateLimit ?? fallback;
      if (limit !== false) checks.push({ id: budget.lineage, limit });
    }
    if (checks.length === 0) return next();
    const refuse = (limit: KeyRateLimit, msBeforeNext: number) => {
      const headers = rateLimitHeaders(quotaOf(limit), { remaining: 0, msBeforeReset: msBeforeNext, blocked: true });
      respond(new PortcullisError("rate_limit_exceeded", "This key has made too many requests; retry later.", { headers }), req, res, next);
    };
    // One after another, stopping at the first refusal, so a key over its own tighter limit does
    // not use up its maker's allowance. The headers show the tightest of the limits counted.
    let tightest: { limit: KeyRateLimit; remaining: number; msBeforeReset: number } | undefined;
    const countFrom = (i: number): Promise<void> => {
      const { id, limit } = checks[i]!;
      return limiters.get(limit.durationSeconds)!(id).then(
        (state) => {
          if (state.consumedPoints > limit.points) return refuse(limit, state.msBeforeNext);
          const remaining = limit.points - state.consumedPoints;
          if (!tightest || remaining < tightest.remaining) tightest = { limit, remaining, msBeforeReset: state.msBeforeNext };
          if (i + 1 < checks.length) return countFrom(i + 1);
          res.set(rateLimitHeaders(quotaOf(tightest.limit), { remaining: tightest.remaining, msBeforeReset: tightest.msBeforeReset }));
          next();
        },
        (rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) return refuse(limit, rejection.msBeforeNext);
          respond(storeUnavailable(rejection), req, res, next);
        },
      );
    };
    countFrom(0).catch(next);
  };
}

/** One count a request makes: under a rotation chain's id, against a limit. */
interface Check {
  readonly id: string;
  readonly limit: KeyRateLimit;
}

/**
 * The quota of a limit as the headers describe it, one frozen object per limit object: a cached
 * key's limit is the same object on every request, so its header parts are formatted once.
 */
const quotas = new WeakMap<KeyRateLimit, RateLimitQuota>();

function quotaOf(limit: KeyRateLimit): RateLimitQuota {
  return rememberedFor(limit, quotas, () => Object.freeze({ points: limit.points, windowSeconds: limit.durationSeconds }));
}

function assertLimit(limit: KeyRateLimit): void {
  const problem = rateLimitProblem(limit);
  if (problem) throw configError("keyRateLimit", `"default.${problem.field}" must be ${problem.rule}, or pass default: false`);
}
