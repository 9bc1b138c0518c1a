import type { Request } from "express";
import type session from "express-session";
import { PortcullisError } from "@portcullis/core";
import type { PortcullisSessionData } from "./session-data";

/** A failed store call: the request is refused with 503, never let through. */
export function storeDown(cause: unknown): PortcullisError {
  return new PortcullisError("auth_unavailable", undefined, { cause, headers: { "Retry-After": "1" } });
}

function settle(resolve: () => void, reject: (error: unknown) => void) {
  return (error?: unknown) => (error ? reject(storeDown(error)) : resolve());
}

/** A new session id (no fixation); a fresh session when an expired one was just destroyed. */
export function regenerate(req: Request): Promise<void> {
  if (!req.session) {
    req.sessionStore.generate(req);
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => req.session.regenerate(settle(resolve, reject)));
}

export function save(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.save(settle(resolve, reject)));
}

export function destroyCurrent(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.destroy(settle(resolve, reject)));
}

export function destroyById(store: session.Store, sessionId: string): Promise<void> {
  return new Promise<void>((resolve, reject) => store.destroy(sessionId, settle(resolve, reject)));
}

/** The portcullis data of a stored session, or undefined when it is gone. */
export function loadById(store: session.Store, sessionId: string): Promise<PortcullisSessionData | undefined> {
  return new Promise((resolve, reject) =>
    store.get(sessionId, (error, data) => (error ? reject(storeDown(error)) : resolve(data?.portcullis ?? undefined))),
  );
}
