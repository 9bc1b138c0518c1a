import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import {
  assertKnownOptions,
  configError,
  createErrorResponder,
  failOverBy,
  MAX_RATE_LIMIT_POINTS,
  RATE_LIMIT_WINDOWS,
  PortcullisError,
  rateLimitHeaders,
  rateLimitProblem,
  resolveTimeoutMs,
  startDeadline,
  storeUnavailable,
  isIoredisLike,
  type Deadline,
  type ErrorResponseOptions,
  type IoredisLike,
  type KeyRateLimit,
  type RateLimitQuota,
} from "@portcullis/core";
import { decideKeyRateLimit } from "./decide-key-rate-limit";

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
   * How long a request's counts on Redis may take, in milliseconds, before the memory limiter
   * counts what has not answered, so a stalled Redis never holds a request longer. A key made by
   * keys counts under each maker too; those counts run at once, under this one timeout.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /** @default "portcullis:" */
  readonly keyPrefix?: string;
}

const KNOWN_OPTIONS = new Set(["default", "redis", "timeoutMs", "keyPrefix", "onError", "formatError"]);

/** A point counted, and the limiter that took it (where it is given back if the request is refused). */
interface Counted {
  readonly state: RateLimiterRes;
  readonly by: RateLimiterAbstract;
}

/** Counts one point; in memory when Redis fails or has not answered by the request's deadline. */
type Count = (id: string, deadline: Deadline | undefined) => Promise<Counted>;

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
  // A frozen copy: what was checked is what applies.
  const fallback = given === false ? false : Object.freeze({ points: given.points, durationSeconds: given.durationSeconds });
  const respond = createErrorResponder("keyRateLimit", options);
  // One limiter per window, counting up to the largest budget; each key's own budget is then
  // compared with its count. The set of windows is fixed, so limiters are never evicted.
  const counters = new Map<number, Count>();
  for (const window of RATE_LIMIT_WINDOWS) {
    const shape = { points: MAX_RATE_LIMIT_POINTS, duration: window, keyPrefix: `${keyPrefix}key-rate:${window}` };
    const memory = new RateLimiterMemory(shape);
    if (!redis) {
      counters.set(window, (id) => countOn(memory, id));
      continue;
    }
    const store = new RateLimiterRedis({ ...shape, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true });
    counters.set(window, (id, deadline) => failOverBy(countOn(store, id), deadline!, () => countOn(memory, id)));
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
    // Every count at once, under one deadline: a stalled Redis holds the request for one timeout,
    // however many keys made this one, and the memory limiter counts whatever is late.
    const deadline = redis ? startDeadline(timeoutMs) : undefined;
    const giveBack = (counted: readonly PromiseSettledResult<Counted>[], indexes: Iterable<number>) => {
      for (const i of indexes) {
        const result = counted[i];
        if (result?.status === "fulfilled") result.value.by.reward(checks[i]!.id, 1).catch(() => {});
      }
    };
    Promise.allSettled(checks.map(({ id, limit }) => counters.get(limit.durationSeconds)!(id, deadline)))
      .then((counted) => {
        deadline?.clear();
        const failed = counted.find((result) => result.status === "rejected");
        if (failed) {
          // A store error the insurance could not absorb: the request is not served, so it keeps no point.
          giveBack(counted, counted.keys());
          return respond(storeUnavailable(failed.reason), req, res, next);
        }
        const decision = decideKeyRateLimit(
          counted.map((result, i) => {
            const { state } = (result as PromiseFulfilledResult<Counted>).value;
            return { limit: checks[i]!.limit, consumed: state.consumedPoints, msBeforeReset: state.msBeforeNext };
          }),
        );
        if (!decision.allowed) {
          giveBack(counted, decision.giveBack);
          const headers = rateLimitHeaders(quotaOf(decision.limit), { remaining: 0, msBeforeReset: decision.msBeforeNext, blocked: true });
          return respond(new PortcullisError("rate_limit_exceeded", "This key has made too many requests; retry later.", { headers }), req, res, next);
        }
        res.set(rateLimitHeaders(quotaOf(decision.limit), { remaining: decision.remaining, msBeforeReset: decision.msBeforeReset }));
        next();
      })
      .catch(next);
  };
}

/** Counts one point under `id` on `limiter`; a count past the limiter's own ceiling is a count too. */
function countOn(limiter: RateLimiterAbstract, id: string): Promise<Counted> {
  return limiter.consume(id).then(
    (state) => ({ state, by: limiter }),
    (rejection: unknown) => {
      if (rejection instanceof RateLimiterRes) return { state: rejection, by: limiter };
      throw rejection;
    },
  );
}

/** One count a request makes: under a rotation chain's id, against a limit. */
interface Check {
  readonly id: string;
  readonly limit: KeyRateLimit;
}

/** The quota of a limit as the headers describe it. */
function quotaOf(limit: KeyRateLimit): RateLimitQuota {
  return { points: limit.points, windowSeconds: limit.durationSeconds };
}

function assertLimit(limit: KeyRateLimit): void {
  const problem = rateLimitProblem(limit);
  if (problem) throw configError("keyRateLimit", `"default.${problem.field}" must be ${problem.rule}, or pass default: false`);
}
