import type { SessionIndex } from "@portcullis/core";
import type { RedisClient } from "./redis-client";
import type { RedisKeys } from "./redis-keys";

/**
 * A sorted set per user (`<prefix>user-sessions:<id>`), scored by when each entry may go. Made by
 * `redisSessionStorage`; `sessionAuth` bounds each call by its `timeoutMs`.
 */
export class RedisSessionIndex implements SessionIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    /** The app's clock: the index's own expiry is relative to it, not to Redis's. */
    private readonly now: () => number,
  ) {}

  async add(userId: string, sessionId: string, forgetAt: number): Promise<void> {
    const key = this.keys.userSessions(userId);
    await this.redis.zadd(key, forgetAt, sessionId);
    // The index goes when its newest session may (every later login pushes this further out).
    await this.redis.pexpire(key, Math.max(1, Math.ceil(forgetAt - this.now())));
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    await this.redis.zrem(this.keys.userSessions(userId), sessionId);
  }

  async list(userId: string, now: number): Promise<string[]> {
    const key = this.keys.userSessions(userId);
    await this.redis.zremrangebyscore(key, "-inf", now);
    return this.redis.zrange(key, "0", "-1");
  }
}
