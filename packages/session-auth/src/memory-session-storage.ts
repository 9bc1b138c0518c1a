import type { SessionStorage } from "@portcullis/core";
import { MemorySessionStore } from "./memory-session-store";
import { MemorySessionIndex } from "./session-index";

/**
 * Sessions in this process (`MemorySessionStore` and `MemorySessionIndex`): `sessionAuth`'s
 * default, for development, tests and single-process apps. Nothing survives a restart, and each
 * process has its own sessions.
 *
 * @example
 * app.use(sessionAuth({ secret, roles, sessions: memorySessionStorage() }));
 */
export function memorySessionStorage(): SessionStorage {
  return function memorySessions({ ttlSeconds, now }) {
    return { store: new MemorySessionStore({ ttlSeconds, now }), index: new MemorySessionIndex() };
  };
}
