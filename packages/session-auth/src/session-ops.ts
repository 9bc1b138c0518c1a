import type { Request } from "express";
import type session from "express-session";
import { type SessionStoreCalls } from "@portcullis/core";
import { guardStore, SessionGone, unauthenticated } from "@portcullis/core/internal";
import type { PortcullisSessionData } from "./session-data";

/**
 * A store call as a promise bounded by `timeoutMs`. A store's `SessionGone` answer becomes
 * `whenGone()` here, before `guardStore`, which would otherwise take it for a store failure (503).
 */
function callbackPromise<T>(start: (done: (error?: unknown, value?: T) => void) => void, timeoutMs: number, whenGone?: () => Error): Promise<T> {
  return guardStore(
    new Promise<T>((resolve, reject) =>
      start((error, value) => (error ? reject(whenGone && error instanceof SessionGone ? whenGone() : error) : resolve(value as T))),
    ),
    timeoutMs,
  );
}

/** A call on this request's session: a gone session is a 401, any other failure a 503. */
function sessionCall(req: Request, realm: string, timeoutMs: number, start: (done: (error?: unknown) => void) => void): Promise<void> {
  return callbackPromise<void>(start, timeoutMs, () => unauthenticated(req, realm));
}

/** A new session id (no fixation); a fresh session when an expired one was just destroyed. */
export function regenerate(req: Request, timeoutMs: number, realm: string): Promise<void> {
  if (!req.session) {
    req.sessionStore.generate(req);
    return Promise.resolve();
  }
  return sessionCall(req, realm, timeoutMs, (done) => req.session.regenerate(done));
}

/** Saves the session; 401 when it was logged out or revoked meanwhile. */
export function save(req: Request, timeoutMs: number, realm: string): Promise<void> {
  return sessionCall(req, realm, timeoutMs, (done) => req.session.save(done));
}

export function destroyCurrent(req: Request, timeoutMs: number, realm: string): Promise<void> {
  return sessionCall(req, realm, timeoutMs, (done) => req.session.destroy(done));
}

export function destroyById(store: SessionStoreCalls, sessionId: string, timeoutMs: number): Promise<void> {
  return callbackPromise<void>((done) => store.destroy(sessionId, done), timeoutMs);
}

/** The portcullis data of a stored session, or undefined when it is gone. */
export async function loadById(store: SessionStoreCalls, sessionId: string, timeoutMs: number): Promise<PortcullisSessionData | undefined> {
  const data = (await callbackPromise<object | null | undefined>((done) => store.get(sessionId, done), timeoutMs)) as session.SessionData | null | undefined;
  return data?.portcullis ?? undefined;
}
