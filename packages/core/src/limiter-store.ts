import { RateLimiterMemory, type RateLimiterAbstract } from "rate-limiter-flexible";

/** What a middleware asks of one limiter: its name and its limit. */
export interface LimiterSettings {
  /**
   * Tells this limiter's counters from every other limiter's in the store: `login-fails`,
   * `login-ip`, `key-rate:<window seconds>`. A shared store puts its prefix before it, and
   * rate-limiter-flexible then adds `:` and the counter's id.
   */
  readonly name: string;
  /** Points a counter may take within its window before it is over the limit. */
  readonly points: number;
  /** How long a count lasts, in seconds, from its first point. */
  readonly durationSeconds: number;
  /** How long a counter over the limit stays blocked, in seconds; 0 for no block. */
  readonly blockSeconds: number;
}

/**
 * The storage port of the rate limiters (`loginRateLimit`, `keyRateLimit`): makes the
 * rate-limiter-flexible limiter that counts in the store, once per limiter, when the middleware is
 * created. An adapter for another database wraps rate-limiter-flexible's limiter for it
 * (`RateLimiterPostgres`, …) and needs no change in the middlewares.
 *
 * `insurance` is a memory limiter with the same settings, made by the middleware. A store that can
 * fail hands it to its limiter as `insuranceLimiter`, so an error is counted in memory instead;
 * the middleware counts there too when the store has not answered by the request's deadline. A
 * store that cannot fail (memory) returns `insurance` itself, and no deadline is started.
 *
 * @example
 * // A PostgreSQL adapter:
 * const postgresLimiterStore = (pool) => ({
 *   limiter: ({ name, points, durationSeconds, blockSeconds }, insurance) =>
 *     new RateLimiterPostgres({ storeClient: pool, tableName: "rate_limits", keyPrefix: `myapp:${name}`,
 *       points, duration: durationSeconds, blockDuration: blockSeconds, insuranceLimiter: insurance }),
 * });
 */
export interface LimiterStore {
  /** The limiter of `settings` in this store, insured by `insurance` if the store can fail; or `insurance` itself. */
  limiter(settings: Readonly<LimiterSettings>, insurance: RateLimiterMemory): RateLimiterAbstract;
}

/**
 * Counts in this process's memory: the default of both limiters, with nothing to set up. Counts
 * are per process and end with it.
 *
 * @example
 * loginRateLimit({ store: new MemoryLimiterStore(), username: (req) => req.body?.username });
 */
export class MemoryLimiterStore implements LimiterStore {
  /** `insurance` itself: memory needs no insurance, and never stalls. */
  limiter(_settings: Readonly<LimiterSettings>, insurance: RateLimiterMemory): RateLimiterAbstract {
    return insurance;
  }
}

/** True for anything with a `limiter` method (a {@link LimiterStore}). */
export function isLimiterStore(value: unknown): value is LimiterStore {
  return typeof (value as Partial<LimiterStore> | null)?.limiter === "function";
}

/**
 * The memory limiter of `settings`: the insurance of a store's limiter, and the limiter itself on
 * the memory store.
 */
export function memoryLimiter(settings: Readonly<LimiterSettings>): RateLimiterMemory {
  return new RateLimiterMemory({
    keyPrefix: settings.name,
    points: settings.points,
    duration: settings.durationSeconds,
    blockDuration: settings.blockSeconds,
  });
}
