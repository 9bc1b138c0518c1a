import { RateLimiterRedis, type RateLimiterAbstract, type RateLimiterMemory } from "rate-limiter-flexible";
import { DEFAULT_PREFIX, type LimiterSettings, type LimiterStore } from "@portcullis/core";
import { configError, isIoredisLike, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

/** Options of {@link RedisLimiterStore}. */
export interface RedisLimiterStoreOptions {
  /**
   * Starts every counter's key, so several apps can share one Redis: `<prefix>login-fails:…`,
   * `<prefix>login-ip:…`, `<prefix>key-rate:<window>:…` (see `RedisKeys`).
   * @default "portcullis:"
   */
  readonly prefix?: string;
}

const PREFIX_RULE = 'must be a string of at most 100 characters, such as "myapp:"';

/** The options, checked, with their defaults. */
const redisLimiterStoreOptions = z.strictObject({
  prefix: z.string({ error: PREFIX_RULE }).max(100, { error: PREFIX_RULE }).default(DEFAULT_PREFIX),
});

/**
 * The rate limiters' counts on Redis (single node, Sentinel or Cluster), shared by every process
 * and kept across restarts: rate-limiter-flexible's `RateLimiterRedis`, one atomic script per
 * count. Its memory insurance counts while Redis fails or is not connected (the limiter does not
 * queue commands until Redis is back: `rejectIfRedisNotReady`), so an outage neither crashes a
 * request nor opens the gate; those counts are per process and are not copied to Redis later.
 *
 * @example
 * const store = new RedisLimiterStore(redis, { prefix: "myapp:" });
 * app.post("/login", express.json(), loginRateLimit({ store, username: (req) => req.body?.username }), login);
 * app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ store }));
 */
export class RedisLimiterStore implements LimiterStore {
  /** The key layout, under this store's prefix. */
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;

  constructor(redis: RedisClient, options: Readonly<RedisLimiterStoreOptions> = {}) {
    if (!isIoredisLike(redis)) {
      throw configError("RedisLimiterStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix } = resolveOptions("RedisLimiterStore", redisLimiterStoreOptions, options ?? {});
    this.#redis = redis;
    this.keys = new RedisKeys(prefix);
  }

  /** A `RateLimiterRedis` under `<prefix><name>`, insured by `insurance`. */
  limiter(settings: Readonly<LimiterSettings>, insurance: RateLimiterMemory): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.#redis,
      keyPrefix: this.keys.limiter(settings.name),
      points: settings.points,
      duration: settings.durationSeconds,
      blockDuration: settings.blockSeconds,
      insuranceLimiter: insurance,
      // While the client is reconnecting, count in the insurance at once instead of queueing the
      // command until Redis is back.
      rejectIfRedisNotReady: true,
    });
  }
}
