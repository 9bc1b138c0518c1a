import { RedisStore } from "connect-redis";
import type session from "express-session";
import { type TakingSessionStore } from "@portcullis/core";
import { guardStore, SessionCreations, SessionGone, storeUnavailable } from "@portcullis/core/internal";
import type { RedisClient } from "./redis-client";

/**
 * connect-redis 8 on an ioredis client, with three guarantees it lacks: a session is only written
 * over one that still exists (`SET … XX`) unless it is being created at login, so a revoked
 * session stays revoked; every call answers within `timeoutMs`, so a stalled Redis is a 503 and
 * not a hang; and `take` deletes a session and says whether it was there. Made by
 * `redisSessionStorage`, which gives it the TTL `sessionAuth` computes for each session.
 */
export class GuardedRedisStore extends RedisStore implements TakingSessionStore {
  readonly #redis: RedisClient;
  readonly #ttlSeconds: (data: session.SessionData) => number;
  readonly #timeoutMs: number;
  readonly #creations = new SessionCreations();

  constructor(options: { client: RedisClient; prefix: string; ttlSeconds: (data: session.SessionData) => number; timeoutMs: number }) {
    super({ client: options.client, prefix: options.prefix, ttl: options.ttlSeconds, disableTouch: true });
    this.#redis = options.client;
    this.#ttlSeconds = options.ttlSeconds;
    this.#timeoutMs = options.timeoutMs;
  }

  // Read here rather than through connect-redis's get, whose two awaits (one on a value already
  // parsed) cost a request two more turns of the microtask queue. Same key, same JSON.
  override get(sid: string, callback?: (err: unknown, data?: session.SessionData | null) => void): Promise<void> {
    return guardStore(this.#redis.get(this.prefix + sid), this.#timeoutMs).then(
      (text) => {
        let data: session.SessionData | null;
        try {
          data = text ? (JSON.parse(text) as session.SessionData) : null; // connect-redis reads "" as none too
        } catch (error) {
          return void callback?.(storeUnavailable(error)); // a damaged value is the store's failure: 503
        }
        callback?.(null, data);
      },
      (error: unknown) => void callback?.(error),
    );
  }

  override async set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): Promise<void> {
    try {
      if (this.#creations.take(sid)) {
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

  creating<T>(sid: string, save: () => Promise<T>): Promise<T> {
    return this.#creations.during(sid, save);
  }
}
