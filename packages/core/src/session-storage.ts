/**
 * The session storage port: where `sessionAuth` keeps sessions (an express-session `Store`) and
 * each user's list of them (a `SessionIndex`). `sessionAuth` calls it once, when it is created,
 * with what only it knows: each session's lifetime, the store call time limit and the clock.
 * Memory (`memorySessionStorage`), Redis (`redisSessionStorage`) and any express-session store
 * (`expressSessionStorage`) are adapters of it; another backend is one more function.
 *
 * @example
 * const sessions: SessionStorage = ({ ttlSeconds, timeoutMs, now }) => ({
 *   store: new MyTakingStore({ ttlSeconds, timeoutMs }),
 *   index: new MySessionIndex(now),
 * });
 * app.use(sessionAuth({ secret, roles, sessions }));
 */
export type SessionStorage = (settings: SessionStorageSettings) => SessionStorageParts;

/** What `sessionAuth` hands its session storage when it starts. */
export interface SessionStorageSettings {
  /**
   * How long to keep a session, in whole seconds, from its data (express-session's `SessionData`:
   * the timeouts, a pending sign-in).
   */
  ttlSeconds(data: object): number;
  /** How long one store call may take, in milliseconds, before it fails (the request gets 503). */
  readonly timeoutMs: number;
  /** The app's clock, in milliseconds. */
  readonly now: () => number;
}

/** What a session storage gives `sessionAuth`: the store and the per-user index. */
export interface SessionStorageParts {
  /** The sessions, for express-session, with `take` and `creating` besides. */
  readonly store: TakingSessionStore;
  /** Each user's session ids, to list and revoke them. */
  readonly index: SessionIndex;
}

/**
 * The calls portcullis makes on an express-session `Store`, named here so that this package
 * installs and type-checks without express-session. The store itself must extend
 * express-session's `Store` (`sessionAuth` checks when it starts).
 */
export interface SessionStoreCalls {
  get(sessionId: string, callback: (error: unknown, data?: object | null) => void): void;
  set(sessionId: string, data: object, callback?: (error?: unknown) => void): void;
  destroy(sessionId: string, callback?: (error?: unknown) => void): void;
}

/**
 * An express-session store that can also remove a session and say whether it was still there, and
 * that writes a session only while creating it or over one that still exists.
 */
export interface TakingSessionStore extends SessionStoreCalls {
  /** Deletes the session; true if it existed. The check and the delete are one step. */
  take(sessionId: string): Promise<boolean>;
  /**
   * Runs `save` with the write of `sessionId` allowed to create the session; every other write
   * only overwrites a session that still exists (and fails with `SessionGone` otherwise).
   */
  creating<T>(sessionId: string, save: () => Promise<T>): Promise<T>;
}

/**
 * Which sessions each user has, so they can be listed and revoked (GitLab's ActiveSession does
 * the same). Entries carry the latest time the session could still exist and are pruned then.
 */
export interface SessionIndex {
  /** Records a session of the user, to be forgotten at `forgetAt` (milliseconds) at the latest. */
  add(userId: string, sessionId: string, forgetAt: number): Promise<void>;
  /** Forgets one session of the user (logged out, revoked, renewed under a new id). */
  remove(userId: string, sessionId: string): Promise<void>;
  /** The user's session ids, oldest first, without those past their time. */
  list(userId: string, now: number): Promise<string[]>;
}

/**
 * A save that found its session gone: it was logged out or revoked while this request ran.
 * The stores answer it instead of writing the session back.
 */
export class SessionGone extends Error {
  // The stores and the saves may come from different copies of this package (two versions
  // installed), so the class is recognised by a shared symbol.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [GONE]?: unknown })[GONE] === true;
  }

  override readonly name = "SessionGone";
  constructor() {
    super("the session no longer exists");
  }
}
const GONE = Symbol.for("@portcullis/session-auth SessionGone v1");
Object.defineProperty(SessionGone.prototype, GONE, { value: true });

/**
 * Ids of the sessions a store is creating right now (at login). Every other save of a session
 * only overwrites one that still exists, so a slow request that finishes after a logout or a
 * revocation cannot write the session back to life (saves are last-writer-wins otherwise).
 * One per store instance: the login code reaches it through the store `sessionAuth` made, never
 * through module state.
 */
export class SessionCreations {
  readonly #ids = new Set<string>();

  /** Runs `save` with `sessionId` allowed to be written once though no session has it yet. */
  async during<T>(sessionId: string, save: () => Promise<T>): Promise<T> {
    this.#ids.add(sessionId);
    try {
      return await save();
    } finally {
      this.#ids.delete(sessionId);
    }
  }

  /** True once for a session id inside `during`, then false. */
  take(sessionId: string): boolean {
    return this.#ids.delete(sessionId);
  }
}
