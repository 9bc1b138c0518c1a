import { DEFAULT_PREFIX, type SessionStorage } from "@portcullis/core";
import { configError, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import { GuardedRedisStore } from "./guarded-redis-store";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";
import { RedisSessionIndex } from "./redis-session-index";

/** Options of `redisSessionStorage`. */
export interface RedisSessionStorageOptions {
  /**
   * Starts every Redis key: sessions live under `<prefix>sess:`, each user's index under
   * `<prefix>user-sessions:`.
   * @default "portcullis:"
   */
  readonly prefix?: string;
}

/** The options, checked, with their defaults. */
const redisSessionStorageOptions = z.strictObject({
  prefix: z.string({ error: 'must be a string, such as "myapp:"' }).default(DEFAULT_PREFIX),
});

/**
 * Sessions in Redis for `sessionAuth`'s `sessions` option: connect-redis 8 on this ioredis client
 * (single node, Cluster or Sentinel; it can be the one the key store uses), guarded so that a
 * logged-out or revoked session is never written back, every call answers within `sessionAuth`'s
 * `timeoutMs`, and a session's TTL follows its own timeouts; with a sorted set per user listing
 * the user's sessions.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
 * app.use(sessionAuth({ secret, roles, sessions: redisSessionStorage(redis, { prefix: "myapp:" }) }));
 */
export function redisSessionStorage(redis: RedisClient, options: Readonly<RedisSessionStorageOptions> = {}): SessionStorage {
  if (redis === null || typeof redis !== "object" || typeof (redis as { get?: unknown }).get !== "function") {
    throw configError("redisSessionStorage", "pass an ioredis client: redisSessionStorage(new Redis(url))");
  }
  const { prefix } = resolveOptions("redisSessionStorage", redisSessionStorageOptions, options ?? {});
  const keys = new RedisKeys(prefix);
  return ({ ttlSeconds, timeoutMs, now }) => ({
    store: new GuardedRedisStore({ client: redis, prefix: keys.sessionPrefix, ttlSeconds, timeoutMs }),
    index: new RedisSessionIndex(redis, keys, now),
  });
}
