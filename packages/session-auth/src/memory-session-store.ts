import session from "express-session";
import { type TakingSessionStore } from "@portcullis/core";
import { SessionCreations, SessionGone } from "@portcullis/core/internal";

/**
 * Sessions in this process, for development, tests and single-process apps. Unlike
 * express-session's MemoryStore it forgets expired sessions and holds copies (as a real store
 * does), so a handler cannot change a stored session by accident, and like the Redis store it
 * only overwrites a session that still exists unless it is being created. Nothing survives a restart.
 */
export class MemorySessionStore extends session.Store implements TakingSessionStore {
  readonly #sessions = new Map<string, { json: string; expiresAt: number }>();
  readonly #ttlSeconds: (data: session.SessionData) => number;
  readonly #now: () => number;
  readonly #pruner: NodeJS.Timeout;
  readonly #creations = new SessionCreations();

  constructor(options: { ttlSeconds: (data: session.SessionData) => number; now?: () => number }) {
    super();
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? Date.now;
    this.#pruner = setInterval(() => this.#prune(), 60_000);
    this.#pruner.unref();
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    const entry = this.#sessions.get(sid);
    if (!entry || entry.expiresAt <= this.#now()) {
      this.#sessions.delete(sid);
      return callback(null, null);
    }
    callback(null, JSON.parse(entry.json) as session.SessionData);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    if (!this.#creations.take(sid) && !this.#sessions.has(sid)) return callback?.(new SessionGone());
    this.#sessions.set(sid, { json: JSON.stringify(data), expiresAt: this.#now() + this.#ttlSeconds(data) * 1000 });
    callback?.();
  }

  async take(sid: string): Promise<boolean> {
    return this.#sessions.delete(sid);
  }

  /**
   * Runs `save` with `sid` allowed to be written though no session has it (a login); any other
   * write only overwrites a session that still exists.
   *
   * @example
   * await store.creating(req.sessionID, () => saveSession(req));
   */
  creating<T>(sid: string, save: () => Promise<T>): Promise<T> {
    return this.#creations.during(sid, save);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.#sessions.delete(sid);
    callback?.();
  }

  /** How many sessions are held, expired or not. */
  get size(): number {
    return this.#sessions.size;
  }

  close(): void {
    clearInterval(this.#pruner);
  }

  #prune(): void {
    const now = this.#now();
    for (const [sid, entry] of this.#sessions) if (entry.expiresAt <= now) this.#sessions.delete(sid);
  }
}
