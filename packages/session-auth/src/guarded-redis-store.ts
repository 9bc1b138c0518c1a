import { RedisStore } from "connect-redis";
import type session from "express-session";
import type { RedisClient } from "@portcullis/redis";
import { guardStore } from "@portcullis/core";
import { SessionGone, type TakingSessionStore } from "./session-ops";
import { takeCreating } from "./session-writes";

/**
 * connect-redis 8 on an ioredis client, with three guarantees it lacks: a session is only written
 * over one that still exists (`SET … XX`) unless it is being created at login, so a revoked
 * session stays revoked; every call answers within `timeoutMs`, so a stalled Redis is a 503 and
 * not a hang; and `take` deletes a session and says whether it was there.
 */
export class GuardedRedisStore extends RedisStore implements TakingSessionStore {
  readonly #redis: RedisClient;
  readonly #ttlSeconds: (data: session.SessionData) => number;
  readonly #timeoutMs: number;

  constructor(options: { client: RedisClient; prefix: string; ttlSeconds: (data: session.SessionData) => number; timeoutMs: number }) {
    super({ client: options.client, prefix: options.prefix, ttl: options.ttlSeconds, disableTouch: true });
    this.#redis = options.client;
    this.#ttlSeconds = options.ttlSeconds;
    this.#timeoutMs = options.timeoutMs;
  }

  override async get(sid: string, callback?: (err: unknown, data?: session.SessionData | null) => void): Promise<void> {
    try {
      const data = (await guardStore(super.get(sid), this.#timeoutMs)) as session.SessionData | null;
      callback?.(null, data);
    } catch (error) {
      callback?.(error);
    }
  }

  override async set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): Promise<void> {
    try {
      if (takeCreating(data)) {
        await guardStore(super.set(sid, data), this.#timeoutMs);
      } else {
        const written = await guardStore(this.#redis.set(this.prefix + sid, JSON.stringify(data), "EX", this.#ttlSeconds(data), "XX"), this.#timeoutMs);
        if (written === null) throw new SessionGone();
      }
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }

  override async destroy(sid: string, callback?: (err?: unknown) => void): Promise<void> {
    try {
      await guardStore(this.#redis.del(this.prefix + sid), this.#timeoutMs);
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }

  async take(sid: string): Promise<boolean> {
    return (await guardStore(this.#redis.del(this.prefix + sid), this.#timeoutMs)) === 1;
  }
}
