import type { Request } from "express";
import type session from "express-session";
import { guardStore, isPortcullisError, storeUnavailable, unauthenticated } from "@portcullis/core";
import type { PortcullisSessionData } from "./session-data";

/**
 * A save that found its session gone: it was logged out or revoked while this request ran.
 * The stores answer it instead of writing the session back.
 */
export class SessionGone extends Error {
  override readonly name = "SessionGone";
  constructor() {
    super("the session no longer exists");
  }
}

/** A session store that can also remove a session and say whether it was still there. */
export interface TakingSessionStore extends session.Store {
  /** Deletes the session; true if it existed. The check and the delete are one step. */
  take(sessionId: string): Promise<boolean>;
  /**
   * Runs `save` with the write of `sessionId` allowed to create the session; every other write
   * only overwrites a session that still exists (and fails with `SessionGone` otherwise).
   */
  creating<T>(sessionId: string, save: () => Promise<T>): Promise<T>;
}

function callbackPromise<T>(start: (done: (error?: unknown, value?: T) => void) => void, timeoutMs: number): Promise<T> {
  return guardStore(
    new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T)))),
    timeoutMs,
  );
}

/** A store failure or a gone session, as the request's answer: 503, or 401 for a gone session. */
function answerFor(req: Request, realm: string) {
  return (error: unknown): never => {
    if (error instanceof SessionGone) throw unauthenticated(req, realm);
    if (isPortcullisError(error)) throw error;
    throw storeUnavailable(error);
  };
}

/** A new session id (no fixation); a fresh session when an expired one was just destroyed. */
export function regenerate(req: Request, timeoutMs: number, realm: string): Promise<void> {
  if (!req.session) {
    req.sessionStore.generate(req);
    return Promise.resolve();
  }
  return callbackPromise<void>((done) => req.session.regenerate(done), timeoutMs).catch(answerFor(req, realm));
}

/** Saves the session; 401 when it was logged out or revoked meanwhile. */
export function save(req: Request, timeoutMs: number, realm: string): Promise<void> {
  return callbackPromise<void>((done) => req.session.save(done), timeoutMs).catch(answerFor(req, realm));
}

export function destroyCurrent(req: Request, timeoutMs: number, realm: string): Promise<void> {
  return callbackPromise<void>((done) => req.session.destroy(done), timeoutMs).catch(answerFor(req, realm));
}

export function destroyById(store: session.Store, sessionId: string, timeoutMs: number): Promise<void> {
  return callbackPromise<void>((done) => store.destroy(sessionId, done), timeoutMs);
}

/** The portcullis data of a stored session, or undefined when it is gone. */
export async function loadById(store: session.Store, sessionId: string, timeoutMs: number): Promise<PortcullisSessionData | undefined> {
  const data = await callbackPromise<session.SessionData | null | undefined>((done) => store.get(sessionId, done), timeoutMs);
  return data?.portcullis ?? undefined;
}
