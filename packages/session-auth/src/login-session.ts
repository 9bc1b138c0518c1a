import type { Request, Response } from "express";
import { type UserRecord } from "@portcullis/core";
import { randomBase62, callStore, unauthenticated, SESSION_INDEX, SESSION_STORE } from "@portcullis/core/internal";
import { principalOf } from "./session-auth";
import type { SessionContext } from "./session-context";
import { sessionForgetAt, type PortcullisSessionData } from "./session-data";
import { destroyById, save } from "./session-ops";

const MAX_USER_AGENT = 256;
/** Past this many sessions per user the oldest are signed out at each login. */
export const MAX_SESSIONS_PER_USER = 50;

/** When the user proved what, for a session being started. */
export interface LoginProof {
  readonly authenticatedAt: number;
  readonly secondFactorAt?: number;
}

export function meJson(user: UserRecord, scopes: readonly string[]) {
  return { kind: "session", user: { id: user.id, email: user.email, role: user.role }, scopes };
}

function newSessionData(req: Request, user: UserRecord, at: number, proof: LoginProof): PortcullisSessionData {
  return {
    handle: randomBase62(16),
    userId: user.id,
    role: user.role,
    createdAt: at,
    authenticatedAt: proof.authenticatedAt,
    ...(proof.secondFactorAt === undefined ? {} : { secondFactorAt: proof.secondFactorAt }),
    lastSeenAt: at,
    ip: req.ip ?? "",
    userAgent: (req.get("user-agent") ?? "").slice(0, MAX_USER_AGENT),
  };
}

/**
 * Writes a just-generated session. Its index entry comes first, so no session can exist that
 * "revoke others" or a password change cannot reach; a failed save leaves at worst an entry that
 * the next listing prunes.
 */
export async function startSession(req: Request, context: SessionContext, data: PortcullisSessionData): Promise<void> {
  context.assertCookieDeliverable(req); // the routes check first; this keeps any new caller honest
  await callStore(SESSION_INDEX.add, context.timeoutMs, () => context.index.add(data.userId, req.sessionID, sessionForgetAt(data, context.timeouts)));
  req.session.portcullis = data;
  await context.store.creating(req.sessionID, () => save(req, context.timeoutMs, context.realm));
}

/** The end of every successful sign-in with a password, alone or with a second factor: the session started and the user answered. */
export async function completeLogin(req: Request, res: Response, context: SessionContext, user: UserRecord, proof: LoginProof): Promise<void> {
  await signInSession(req, context, user, proof);
  res.set("Cache-Control", "no-store").json(meJson(user, principalOf(req.session.portcullis!, req.sessionID, context.roles).scopes));
}

/**
 * A successful sign-in without its answer (a provider's ends on a redirect): the session, already
 * under a new id, is started, the oldest past the cap are signed out, and the login is recorded,
 * with the provider's id as its `targetId` when it came through one.
 */
export async function signInSession(req: Request, context: SessionContext, user: UserRecord, proof: LoginProof, provider?: string): Promise<void> {
  await startSession(req, context, newSessionData(req, user, context.now(), proof));
  await signOutBeyondCap(context, user.id);
  context.record(req, { action: "session.login", outcome: "success", userId: user.id, owner: user.id, ...(provider === undefined ? {} : { targetId: provider }) });
}

/**
 * This session goes on under a new id with `data`, but only if it still exists: a logout or a
 * revocation that came while a password was hashed or a code checked wins, and nothing is
 * written back.
 */
export async function continueUnderNewId(req: Request, context: SessionContext, userId: string, data: PortcullisSessionData): Promise<void> {
  const previousId = req.sessionID;
  if (!(await callStore(SESSION_STORE.take, context.timeoutMs, () => context.store.take(previousId)))) throw unauthenticated(req, context.realm);
  await callStore(SESSION_INDEX.remove, context.timeoutMs, () => context.index.remove(userId, previousId));
  req.sessionStore.generate(req);
  await startSession(req, context, data);
}

export async function endSession(context: SessionContext, userId: string, sessionId: string): Promise<void> {
  await destroyById(context.store, sessionId, context.timeoutMs);
  await callStore(SESSION_INDEX.remove, context.timeoutMs, () => context.index.remove(userId, sessionId));
}

/** Keeps the number of a user's sessions bounded: the oldest are signed out first. */
async function signOutBeyondCap(context: SessionContext, userId: string): Promise<void> {
  const sessionIds = await callStore(SESSION_INDEX.list, context.timeoutMs, () => context.index.list(userId, context.now()));
  for (const sessionId of sessionIds.slice(0, Math.max(0, sessionIds.length - MAX_SESSIONS_PER_USER))) {
    await endSession(context, userId, sessionId);
  }
}
