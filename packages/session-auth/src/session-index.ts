import type { SessionIndex } from "@portcullis/core";

/**
 * Each user's sessions in this process, beside `MemorySessionStore` (the default storage), or
 * beside any express-session store in a single-process app (`expressSessionStorage`).
 *
 * @example
 * sessionAuth({ secret, roles, sessions: expressSessionStorage({ store: new MemoryStore(), index: new MemorySessionIndex() }) });
 */
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
