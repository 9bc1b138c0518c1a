import type { SessionIndex } from "@portcullis/core";
import type { RedisClient } from "./redis-client";
import type { RedisKeys } from "./redis-keys";

// ARGV: forgetAt, the session id, the app's now (ms). Adds the entry, then lets the set live as
// long as its latest entry: an entry added with an earlier time (a session going on under a new
// id keeps its login time) must not cut short the user's newer sessions. One step, so two logins
// at once cannot leave the shorter expiry.
const ADD = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(latest[2]) - tonumber(ARGV[3]))))`;

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
    await this.redis.eval(ADD, 1, this.keys.userSessions(userId), forgetAt, sessionId, this.now());
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
