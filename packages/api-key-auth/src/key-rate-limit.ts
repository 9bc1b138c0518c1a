import type { RequestHandler } from "express";
import { PortcullisError, type ErrorResponseOptions, type KeyRateLimit, type LimiterStore } from "@portcullis/core";
import {
  createErrorResponder,
  errorResponseOptions,
  insuredLimiter,
  limiterDeadline,
  limiterStoreOption,
  MAX_RATE_LIMIT_POINTS,
  RATE_LIMIT_WINDOWS,
  rateLimitHeaders,
  REPLACED_LIMITER_OPTIONS,
  resolveOptions,
  storeUnavailable,
  timeoutMsOption,
  type InsuredLimiter,
  type LimiterCount,
  type RateLimitQuota,
  authOutcomeRecorder,
} from "@portcullis/core/internal";
import { z } from "zod";
import { decideKeyRateLimit } from "./decide-key-rate-limit";

export interface KeyRateLimitOptions extends ErrorResponseOptions {
  /**
   * The limit of keys that carry none of their own, or `false` for no limit on them.
   * @default { points: 600, durationSeconds: 60 }
   */
  readonly default?: KeyRateLimit | false;
  /**
   * Where the counts are kept. `new RedisLimiterStore(redis)` (from `@portcullis/redis`) shares
   * them between processes, under `<prefix>key-rate:<window>:<id>`; any other
   * `LimiterStore` (from `@portcullis/core`) plugs in the same way. A memory limiter takes over while a store fails,
   * or does not answer within `timeoutMs`.
   * @default new MemoryLimiterStore() (in this process's memory)
   */
  readonly store?: LimiterStore;
  /**
   * How long a request's counts in the store may take, in milliseconds, before the memory limiter
   * counts what has not answered, so a stalled store never holds a request longer. A key made by
   * keys counts under each maker too; those counts run at once, under this one timeout.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

const POINTS_RULE = `must be a whole number from 1 to ${MAX_RATE_LIMIT_POINTS}, or pass default: false`;

/** The options, checked; a limit as `ApiKeys` checks a key's own (`rateLimitProblem`). */
const keyRateLimitOptions = z.strictObject({
  default: z
    .union([
      z.literal(false),
      z.strictObject({
        points: z.int({ error: POINTS_RULE }).min(1, { error: POINTS_RULE }).max(MAX_RATE_LIMIT_POINTS, { error: POINTS_RULE }),
        durationSeconds: z.literal(RATE_LIMIT_WINDOWS, { error: `must be one of ${RATE_LIMIT_WINDOWS.join(", ")}, or pass default: false` }),
      }),
    ])
    .default({ points: 600, durationSeconds: 60 }),
  store: limiterStoreOption,
  timeoutMs: timeoutMsOption,
  ...errorResponseOptions,
});

/**
 * Limits each API key to its own rate (`rate_limit` on the key) or the host's default, with
 * rate-limiter-flexible. Over the limit: 429 `rate_limit_exceeded` with `Retry-After`, `RateLimit`
 * and `RateLimit-Policy`, as the login limiter answers; under it, the `RateLimit` headers. Requests
 * authenticated otherwise (sessions) pass. Mount it after `apiKeyAuth`.
 *
 * @example
 * app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ store: new RedisLimiterStore(redis), default: { points: 100, durationSeconds: 60 } }));
 */
export function keyRateLimit(options: Readonly<KeyRateLimitOptions> = {}): RequestHandler {
  const config = resolveOptions("keyRateLimit", keyRateLimitOptions, options, REPLACED_LIMITER_OPTIONS);
  const { store, timeoutMs } = config;
  // A frozen copy (the parsed one, not the caller's): what was checked is what applies.
  const fallback: KeyRateLimit | false = config.default === false ? false : Object.freeze(config.default);
  const respond = createErrorResponder(config);
  const outcomes = authOutcomeRecorder("keyRateLimit");
  // One limiter per window, counting up to the largest budget; each key's own budget is then
  // compared with its count. The set of windows is fixed, so limiters are never evicted.
  const counters = new Map<number, InsuredLimiter>();
  for (const window of RATE_LIMIT_WINDOWS) {
    const settings = { name: `key-rate:${window}`, points: MAX_RATE_LIMIT_POINTS, durationSeconds: window, blockSeconds: 0 };
    counters.set(window, insuredLimiter("keyRateLimit", store, settings));
  }
  const limiters = [...counters.values()];

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
    // Every count at once, under one deadline: a stalled store holds the request for one timeout,
    // however many keys made this one, and the memory limiter counts whatever is late.
    const deadline = limiterDeadline(limiters, timeoutMs);
    const giveBack = (counted: readonly PromiseSettledResult<LimiterCount>[], indexes: Iterable<number>) => {
      for (const i of indexes) {
        const result = counted[i];
        if (result?.status === "fulfilled") result.value.by.reward(checks[i]!.id, 1).catch(() => {});
      }
    };
    Promise.allSettled(checks.map(({ id, limit }) => counters.get(limit.durationSeconds)!.count(id, deadline)))
      .then((counted) => {
        deadline?.clear();
        const failed = counted.find((result) => result.status === "rejected");
        if (failed) {
          // A store error the insurance could not absorb: the request is not served, so it keeps no point.
          giveBack(counted, counted.keys());
          outcomes.refused("auth_unavailable", "api_key");
          return respond(storeUnavailable(failed.reason), req, res, next);
        }
        const decision = decideKeyRateLimit(
          counted.map((result, i) => {
            const { state } = (result as PromiseFulfilledResult<LimiterCount>).value;
            return { limit: checks[i]!.limit, consumed: state.consumedPoints, msBeforeReset: state.msBeforeNext };
          }),
        );
        if (!decision.allowed) {
          giveBack(counted, decision.giveBack);
          const headers = rateLimitHeaders(quotaOf(decision.limit), { remaining: 0, msBeforeReset: decision.msBeforeNext, blocked: true });
          outcomes.refused("rate_limit_exceeded", "api_key");
          return respond(new PortcullisError("rate_limit_exceeded", "This key has made too many requests; retry later.", { headers }), req, res, next);
        }
        res.set(rateLimitHeaders(quotaOf(decision.limit), { remaining: decision.remaining, msBeforeReset: decision.msBeforeReset }));
        outcomes.success("api_key");
        next();
      })
      .catch(next);
  };
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
