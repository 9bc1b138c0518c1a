import type { RedisClient } from "@portcullis/redis";
import type { RedisKeys } from "@portcullis/redis";

/**
 * Which sessions each user has, so they can be listed and revoked (GitLab's ActiveSession does
 * the same). Entries carry the latest time the session could still exist and are pruned then.
 */
export interface SessionIndex {
  add(userId: string, sessionId: string, forgetAt: number): Promise<void>;
  remove(userId: string, sessionId: string): Promise<void>;
  /** The user's session ids, oldest first, without those past their time. */
  list(userId: string, now: number): Promise<string[]>;
}

export class MemorySessionIndex implements SessionIndex {
  readonly #byUser = new Map<string, Map<string, number>>();

  async add(userId: string, sessionId: string, forgetAt: number): Promise<void> {
    const sessions = this.#byUser.get(userId) ?? new Map<string, number>();
    sessions.set(sessionId, forgetAt);
    this.#byUser.set(userId, sessions);
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    this.#byUser.get(userId)?.delete(sessionId);
  }

  async list(userId: string, now: number): Promise<string[]> {
    const sessions = this.#byUser.get(userId);
    if (!sessions) return [];
    for (const [sid, forgetAt] of sessions) if (forgetAt <= now) sessions.delete(sid);
    return [...sessions].sort((a, b) => a[1] - b[1]).map(([sid]) => sid);
  }
}

/** A sorted set per user (`<prefix>user-sessions:<id>`), scored by when each entry may go. */
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
