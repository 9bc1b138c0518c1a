import session from "express-session";
import { type SessionIndex, type SessionStorage, type TakingSessionStore } from "@portcullis/core";
import { checked, guardStore, resolveOptions, SessionCreations, SessionGone } from "@portcullis/core/internal";
import { z } from "zod";

/** Options of `expressSessionStorage`. */
export interface ExpressSessionStorageOptions {
  /** Any express-session store: connect-pg-simple's, connect-mongo's, express-session's `MemoryStore`… */
  readonly store: session.Store;
  /** Each user's sessions, to list and revoke them; must be shared by every process, as the store is. */
  readonly index: SessionIndex;
}

const hasMethods = <T>(value: unknown, methods: readonly (keyof T)[]): value is T =>
  value !== null && (typeof value === "object" || typeof value === "function") && methods.every((method) => typeof (value as T)[method] === "function");

/** The options, checked: a store and an index with the calls the adapter makes. */
const expressSessionStorageOptions = z.strictObject({
  store: checked((value): value is session.Store => hasMethods<session.Store>(value, ["get", "set", "destroy"]), "must be an express-session Store (get, set, destroy)"),
  index: checked(
    (value): value is SessionIndex => hasMethods<SessionIndex>(value, ["add", "remove", "list"]),
    "must be a SessionIndex (add, remove, list), such as new MemorySessionIndex() in a single process",
  ),
});

/**
 * Session storage from any express-session `Store` and a `SessionIndex`, for a backend portcullis
 * has no adapter for. What a plain store lacks is added on top of its `get`, `set` and `destroy`,
 * so some guarantees are weaker than with `redisSessionStorage` or the memory default:
 *
 * - a save checks that the session still exists, then writes it: two calls, not one, so a logout
 *   or a revocation that lands between them can still be overwritten by a slow request's save
 *   (the Redis store writes with `SET … XX` in one step);
 * - ending a session under a new id (second factor, password change) reads it, then destroys it:
 *   two concurrent requests can both see it, so a logout racing one of them may not win;
 * - the store keeps a session as long as its own TTL says (usually the cookie's, the absolute
 *   timeout), not the idle timeout: `sessionAuth` still refuses it once either has passed.
 *
 * Every call is bounded by `sessionAuth`'s `timeoutMs` (a stalled store is a 503).
 *
 * @example
 * // Any express-session store, with a SessionIndex of yours shared by every process. (For
 * // PostgreSQL, postgresSessionStorage(pool) from @portcullis/postgres is ready-made.)
 * const MySQLStore = require("express-mysql-session")(session);
 * app.use(sessionAuth({ secret, roles, sessions: expressSessionStorage({ store: new MySQLStore({}, pool), index: mySessionIndex }) }));
 */
export function expressSessionStorage(options: Readonly<ExpressSessionStorageOptions>): SessionStorage {
  // Left out altogether, the options say which one is missing first, as they always have.
  const { store, index } = resolveOptions("expressSessionStorage", expressSessionStorageOptions, options ?? {});
  return function expressSessions({ timeoutMs }) {
    return { store: new PlainStoreAdapter(store, timeoutMs), index };
  };
}

/** A plain express-session store with `take` and `creating` built from its own calls. */
class PlainStoreAdapter extends session.Store implements TakingSessionStore {
  readonly #store: session.Store;
  readonly #timeoutMs: number;
  readonly #creations = new SessionCreations();

  constructor(store: session.Store, timeoutMs: number) {
    super();
    this.#store = store;
    this.#timeoutMs = timeoutMs;
    // express-session stops using a store that says it is disconnected, and resumes on connect.
    if (typeof store.on === "function") {
      for (const event of ["connect", "disconnect"]) store.on(event, (...args: unknown[]) => this.emit(event, ...args));
    }
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.#read(sid).then((data) => callback(null, data), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    const creating = this.#creations.take(sid); // at once: `creating` allows the one save it wraps
    (async () => {
      if (!creating && !(await this.#read(sid))) throw new SessionGone();
      await this.#call<void>((done) => this.#store.set(sid, data, done));
    })().then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.#call<void>((done) => this.#store.destroy(sid, done)).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  async take(sid: string): Promise<boolean> {
    if (!(await this.#read(sid))) return false;
    await this.#call<void>((done) => this.#store.destroy(sid, done));
    return true;
  }

  creating<T>(sid: string, save: () => Promise<T>): Promise<T> {
    return this.#creations.during(sid, save);
  }

  #read(sid: string): Promise<session.SessionData | null> {
    return this.#call<session.SessionData | null | undefined>((done) => this.#store.get(sid, done)).then((data) => data ?? null);
  }

  #call<T>(start: (done: (error?: unknown, value?: T) => void) => void): Promise<T> {
    return guardStore(new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T)))), this.#timeoutMs);
  }
}
