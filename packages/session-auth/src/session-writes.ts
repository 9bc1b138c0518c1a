import type session from "express-session";

/**
 * Sessions being created right now (at login). Every other save of a session only overwrites one
 * that still exists, so a slow request that finishes after a logout or a revocation cannot write
 * the session back to life (saves are last-writer-wins otherwise).
 */
const creating = new WeakSet<object>();

export function markCreating(sess: session.Session): void {
  creating.add(sess);
}

/** True once for a session marked by `markCreating`, then false. */
export function takeCreating(sess: object): boolean {
  return creating.delete(sess);
}
