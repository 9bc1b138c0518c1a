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
