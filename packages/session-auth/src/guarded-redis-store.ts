import { RedisStore } from "connect-redis";
import type session from "express-session";
import type { RedisClient } from "@portcullis/redis";
import { takeCreating } from "./session-writes";

/**
 * connect-redis 8 on an ioredis client, but a session is only written over one that still exists
 * (`SET … XX`) unless it is being created at login: a revoked session stays revoked.
 */
export class GuardedRedisStore extends RedisStore {
  readonly #redis: RedisClient;
  readonly #ttlSeconds: (data: session.SessionData) => number;

  constructor(options: { client: RedisClient; prefix: string; ttlSeconds: (data: session.SessionData) => number }) {
    super({ client: options.client, prefix: options.prefix, ttl: options.ttlSeconds, disableTouch: true });
    this.#redis = options.client;
    this.#ttlSeconds = options.ttlSeconds;
  }

  override async set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): Promise<void> {
    if (takeCreating(data)) return super.set(sid, data, callback);
    try {
      await this.#redis.set(this.prefix + sid, JSON.stringify(data), "EX", this.#ttlSeconds(data), "XX");
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }
}
