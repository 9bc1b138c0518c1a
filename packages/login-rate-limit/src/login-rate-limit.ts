import type { NextFunction, Request, RequestHandler, Response } from "express";
import { PortcullisError, type ErrorResponseOptions, type LimiterStore } from "@portcullis/core";
import {
  authOutcomeRecorder,
  createErrorResponder,
  errorResponseOptions,
  functionOption,
  insuredLimiter,
  isPasswordAccepted,
  limiterDeadline,
  limiterStoreOption,
  REPLACED_LIMITER_OPTIONS,
  resolveOptions,
  storeUnavailable,
  timeoutMsOption,
  type Deadline,
  type InsuredLimiter,
  type LimiterCount,
} from "@portcullis/core/internal";
import { z } from "zod";
import { decideLoginAttempt, type LimitReading, type LoginLimitName } from "./decide-login-attempt";
import { LOGIN_LIMITER_NAMES, loginCounterIds, type LoginCounterIds } from "./login-keys";

/** Failures in a row for one username from one IP. */
export interface ConsecutiveFailuresOptions {
  /**
   * Failed attempts allowed in a row; the next one is refused and starts the block.
   * @default 10
   */
  readonly points?: number;
  /**
   * How long the username is blocked for that IP, in seconds. Attempts during the block are
   * refused without extending it.
   * @default 900 (15 minutes)
   */
  readonly blockSeconds?: number;
  /**
   * How long failures are remembered, counted from the first one: failures spread wider apart
   * than this never add up to a block. A success always starts the count again.
   * @default 86400 (a day)
   */
  readonly windowSeconds?: number;
}

/** Failures from one IP, whatever the username: slow brute force and password spraying. */
export interface PerIpPerDayOptions {
  /**
   * Failed attempts allowed per IP per day; the next one is refused and starts the block.
   * @default 100
   */
  readonly points?: number;
  /**
   * How long the IP is blocked, in seconds.
   * @default 86400 (a day)
   */
  readonly blockSeconds?: number;
}

export interface LoginRateLimitOptions extends ErrorResponseOptions {
  /**
   * Reads the username an attempt is for. It may return anything: the value is normalised
   * (NFKC, lower case, trimmed), and a missing or non-string one, or a function that throws on a
   * request without a body, counts under one placeholder username, and always against its IP.
   * On re-authentication and password-change routes, return the signed-in user's name.
   *
   * @example (req) => req.body?.username
   */
  readonly username: (req: Request) => string | undefined;
  /**
   * Where the counts are kept. `new RedisLimiterStore(redis)` (from `@portcullis/redis`) shares
   * them across processes and restarts, under `<prefix>login-fails:…` and `<prefix>login-ip:…`
   * (see `loginRedisKeys`); any other `LimiterStore` (from `@portcullis/core`) plugs in the same way.
   *
   * A store that can fail is insured by a memory limiter: while it fails, or is not connected, the
   * attempts are counted in memory instead, so an outage neither crashes a request nor opens the
   * gate. Those counts are per process and are not copied back when the store returns. A store
   * that accepts commands but does not answer within `timeoutMs` is failed over in the same way.
   * @default new MemoryLimiterStore() (in memory, per process)
   */
  readonly store?: LimiterStore;
  /**
   * How long an attempt's counts in the store may take, in milliseconds, before the memory
   * insurance counts what has not answered, so a stalled store never holds a login longer.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Failures in a row for one username from one IP (the account-lockout half of the pattern).
   * @default { points: 10, blockSeconds: 900, windowSeconds: 86400 }
   */
  readonly consecutiveFailures?: Readonly<ConsecutiveFailuresOptions>;
  /**
   * Failures from one IP per day, whatever the username (the slow brute-force half).
   * @default { points: 100, blockSeconds: 86400 }
   */
  readonly perIpPerDay?: Readonly<PerIpPerDayOptions>;
  /**
   * Reads the client's address. Behind a proxy, set Express's `trust proxy` so that `req.ip` is
   * the client's and not the proxy's; a function that throws passes its error to `next`.
   * @default (req) => req.ip
   */
  readonly ip?: (req: Request) => string | undefined;
}

/** The middleware, with an administrator's handle on its counts. */
export interface LoginRateLimitMiddleware extends RequestHandler {
  /**
   * Clears the failures in a row (and any block) of `username` from `ip`: an admin unlock. The
   * username is normalised as attempts are; `ip` is what the `ip` option returns for the client.
   */
  reset(username: string, ip: string): Promise<void>;
  /** Clears the failures counted against `ip` today, and its block. */
  resetIp(ip: string): Promise<void>;
}

const NAME = "loginRateLimit";
const DAY = 86_400;
/** The memory limiter expires counts with a timer, and Node's timers wait at most 2^31-1 ms. */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const MAX_POINTS = 1_000_000;

/** A whole number within bounds, with the same message for a wrong type, a fraction or a value out of range. */
const wholeNumberIn = (min: number, max: number, error: string, fallback: number) =>
  z.int({ error }).min(min, { error }).max(max, { error }).default(fallback);
const points = (fallback: number) => wholeNumberIn(1, MAX_POINTS, `must be a whole number from 1 to ${MAX_POINTS}, such as ${fallback}`, fallback);
const seconds = (fallback: number) =>
  wholeNumberIn(1, MAX_SECONDS, `must be a whole number of seconds from 1 to ${MAX_SECONDS} (about 24 days), such as ${fallback}`, fallback);

/** The message of a limit that is not an object; its fields each fall back to the default (`prefault`). */
const objectSuchAs = (example: string) => ({
  error: (issue: { readonly code?: string }) => (issue.code === "invalid_type" ? `must be an object such as ${example}` : undefined),
});

/** The options, checked; `store` as every limiter's is, and each limit's numbers within what the timers allow. */
const loginRateLimitOptions = z.strictObject(
  {
    username: functionOption<(req: Request) => unknown>(
      "is required: a function that reads it from the request, such as (req) => req.body?.username",
    ),
    store: limiterStoreOption,
    timeoutMs: timeoutMsOption,
    consecutiveFailures: z
      .strictObject({ points: points(10), blockSeconds: seconds(900), windowSeconds: seconds(DAY) }, objectSuchAs("{ points: 10, blockSeconds: 900 }"))
      .prefault({}),
    perIpPerDay: z.strictObject({ points: points(100), blockSeconds: seconds(DAY) }, objectSuchAs(`{ points: 100, blockSeconds: ${DAY} }`)).prefault({}),
    ip: functionOption<(req: Request) => string | undefined>("must be a function (req) => string, such as (req) => req.ip").default(() => defaultIp),
    ...errorResponseOptions,
  },
  {
    error: (issue) =>
      issue.code === "invalid_type" ? "options are required: loginRateLimit({ username: (req) => req.body?.username })" : undefined,
  },
);
const REFUSAL = "Too many failed attempts; retry later.";

interface ResolvedLimit {
  readonly limit: LoginLimitName;
  readonly points: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
}

/** A limit and the insured limiter that counts it. */
interface Limiter {
  readonly policy: ResolvedLimit;
  readonly counts: InsuredLimiter;
}

/** A limit as counted for one attempt, and the limiter that took the point (where it is given back). */
interface Counted {
  readonly reading: LimitReading;
  readonly by: LimiterCount["by"];
}

/**
 * Brute-force protection for login, re-authentication and password-change routes, on
 * rate-limiter-flexible's login pattern: failures in a row per username and IP (10, then a
 * 15-minute block), and failures per IP per day (100, then a day's block). A success (a 2xx
 * answer) clears the username's count from that IP and gives the IP its point back.
 *
 * Every attempt is counted atomically before the handler runs, so concurrent attempts can never
 * overshoot a limit; every username counts, whether or not the account exists, so a 429 tells
 * nothing a 401 would not. A refused attempt gets 429 `rate_limit_exceeded` with `Retry-After`,
 * `RateLimit` and `RateLimit-Policy`; allowed ones answered with a failure carry `RateLimit` and
 * `RateLimit-Policy` of the limit they are closest to, and a 2xx answer neither (it clears the count). Mount it after the JSON body parser, and create it once for all
 * the routes that check a password, so they share the counts.
 *
 * @example
 * const limitLogins = loginRateLimit({ store: new RedisLimiterStore(redis), username: (req) => req.body?.username });
 * app.post("/api/auth/login", express.json(), limitLogins, login);
 * app.post("/api/auth/reauthenticate", express.json(), limitLogins, reauthenticate);
 */
export function loginRateLimit(options: Readonly<LoginRateLimitOptions>): LoginRateLimitMiddleware {
  const { username, ip, store, timeoutMs, consecutiveFailures, perIpPerDay, ...config } = resolveOptions(
    NAME,
    loginRateLimitOptions,
    options,
    REPLACED_LIMITER_OPTIONS,
  );
  const limiters = {
    consecutiveFailures: createLimiter(store, { limit: "consecutiveFailures", ...consecutiveFailures }),
    perIpPerDay: createLimiter(store, { limit: "perIpPerDay", windowSeconds: DAY, ...perIpPerDay }),
  };
  const all = [limiters.consecutiveFailures.counts, limiters.perIpPerDay.counts];
  const respond = createErrorResponder(config);
  const outcomes = authOutcomeRecorder("loginRateLimit");
  const usernameOf = (req: Request): unknown => {
    try {
      return username(req);
    } catch {
      return undefined; // `req.body.username` on a request without a body: counted as no username
    }
  };

  /**
   * Counts the attempt: first against its IP, then (only while the IP is not blocked) against the
   * username from that IP. A blocked IP spraying fresh usernames thus creates no per-username
   * counter at all, so it cannot grow memory (or the store) by one entry per guess. Both counts
   * share one deadline: a stalled store holds the attempt for one `timeoutMs`, not one per count.
   */
  const countAttempt = async (ids: LoginCounterIds) => {
    const deadline = limiterDeadline(all, timeoutMs);
    try {
      const perIp = await count(limiters.perIpPerDay, ids, deadline);
      if (perIp.reading.consumed > perIp.reading.points) return { decision: decideLoginAttempt([perIp.reading]), counted: { perIpPerDay: perIp } };
      const perUser = await count(limiters.consecutiveFailures, ids, deadline);
      const counted: Partial<Record<LoginLimitName, Counted>> = { perIpPerDay: perIp, consecutiveFailures: perUser };
      return { decision: decideLoginAttempt([perUser.reading, perIp.reading]), counted };
    } finally {
      deadline?.clear();
    }
  };

  /** The IP's attempt was not a failure: a success, or a right password awaiting its second factor. */
  const refundIp = (ids: LoginCounterIds, perIp: Counted | undefined) => {
    perIp?.by.reward(ids.perIpPerDay).catch(ignore);
  };

  /** A success: the failures in a row are over, and the IP's attempt was not a failure. */
  const succeeded = (ids: LoginCounterIds, perIp: Counted | undefined) => {
    limiters.consecutiveFailures.counts.forget(ids.consecutiveFailures).catch(ignore);
    refundIp(ids, perIp);
  };

  function loginRateLimitMiddleware(req: Request, res: Response, next: NextFunction): void {
    let ids: LoginCounterIds;
    try {
      ids = loginCounterIds(ip(req), usernameOf(req));
    } catch (error) {
      return next(error); // a host `ip` function that throws is a host bug, not a reason to let in
    }
    countAttempt(ids)
      .then(
        ({ decision, counted }) => {
          if (!decision.allowed) {
            for (const limit of decision.refund) counted[limit]?.by.reward(ids[limit]).catch(ignore);
            const refusal = new PortcullisError("rate_limit_exceeded", REFUSAL, {
              headers: decision.headers,
              data: { retry_after: decision.retryAfterSeconds },
            });
            outcomes.refused("rate_limit_exceeded", "password");
            return respond(refusal, req, res, next);
          }
          for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
          withoutCountOnSuccess(res, decision.headers);
          res.once("finish", () => {
            if (res.statusCode >= 200 && res.statusCode < 300) succeeded(ids, counted.perIpPerDay);
            else if (isPasswordAccepted(req)) refundIp(ids, counted.perIpPerDay);
          });
          outcomes.success("password");
          next();
        },
        // Only when the store and the memory insurance both failed: refuse, never let the attempt in.
        (error: unknown) => {
          outcomes.refused("auth_unavailable", "password");
          respond(storeUnavailable(error), req, res, next);
        },
      )
      .catch(next); // a responder that throws must not become an unhandled rejection
  }

  return Object.assign(loginRateLimitMiddleware, {
    async reset(name: string, address: string): Promise<void> {
      await limiters.consecutiveFailures.counts.forget(loginCounterIds(address, name).consecutiveFailures);
    },
    async resetIp(address: string): Promise<void> {
      await limiters.perIpPerDay.counts.forget(loginCounterIds(address, undefined).perIpPerDay);
    },
  });
}

/**
 * A 2xx answer clears the count these headers describe, so it goes out without them rather than
 * with a remaining count that is no longer true. Decided as the status line is written, the
 * only moment the status is known before the headers leave.
 */
function withoutCountOnSuccess(res: Response, headers: Readonly<Record<string, string>>): void {
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithoutStaleCount(this: Response, ...args: unknown[]) {
    const status = typeof args[0] === "number" ? args[0] : this.statusCode;
    if (status >= 200 && status < 300) for (const name of Object.keys(headers)) this.removeHeader(name);
    return (writeHead as (...rest: unknown[]) => Response).apply(this, args);
  } as Response["writeHead"];
}

function defaultIp(req: Request): string | undefined {
  return req.ip;
}

function ignore(): void {
  // Bookkeeping after the answer was sent (a refund, a reset on success) has no one to report
  // to; if it fails, the attempt simply stays counted, which is the stricter outcome.
}

function createLimiter(store: LimiterStore, policy: ResolvedLimit): Limiter {
  const settings = { name: LOGIN_LIMITER_NAMES[policy.limit], points: policy.points, durationSeconds: policy.windowSeconds, blockSeconds: policy.blockSeconds };
  return { policy, counts: insuredLimiter(NAME, store, settings) };
}

/** Counts one point of the attempt against `limiter`'s limit, in the store or its insurance. */
async function count(limiter: Limiter, ids: LoginCounterIds, deadline: Deadline | undefined): Promise<Counted> {
  const { state, by } = await limiter.counts.count(ids[limiter.policy.limit], deadline);
  const reading: LimitReading = {
    limit: limiter.policy.limit,
    points: limiter.policy.points,
    windowSeconds: limiter.policy.windowSeconds,
    consumed: state.consumedPoints,
    msBeforeReset: state.msBeforeNext,
  };
  return { reading, by };
}
