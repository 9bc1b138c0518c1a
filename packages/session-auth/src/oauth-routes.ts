import type { Request, RequestHandler } from "express";
import type { UserStore } from "@portcullis/core";
import { callStore, SESSION_INDEX, SESSION_STORE, type AuthOutcomeRecorder } from "@portcullis/core/internal";
import { continueUnderNewId, endSession, signInSession, startSession } from "./login-session";
import type { OAuthSignInRoutes } from "./oauth-port";
import { beginMfaLogin } from "./pending-sign-in";
import { lentRouteParts, sessionOwner } from "./route-checks";
import type { SecondFactor } from "./second-factor-port";
import { sessionContextOf, type SessionContext } from "./session-context";
import { regenerate, save } from "./session-ops";

/** What the router lends OAuth sign-in (see `OAuthSignInRoutes`). */
export function oauthSignInRoutes(users: UserStore, mfa: SecondFactor | undefined, recentAuth: RequestHandler, outcomes: AuthOutcomeRecorder): OAuthSignInRoutes {
  const contextOf = (req: Request) => sessionContextOf(req, "authRouter");
  return {
    ...lentRouteParts(users, recentAuth),
    async beginFlow(req, flow) {
      const context = contextOf(req);
      context.assertCookieDeliverable(req);
      if (req.session?.portcullis) {
        req.session.portcullisOAuth = flow;
        await save(req, context.timeoutMs, context.realm);
        return;
      }
      // No one is signed in (or a sign-in waits for its code): the flow gets a session of its own.
      await regenerate(req, context.timeoutMs, context.realm);
      req.session.portcullisOAuth = flow;
      await context.store.creating(req.sessionID, () => save(req, context.timeoutMs, context.realm));
    },
    pendingFlow: (req) => req.session?.portcullisOAuth,
    async spendFlow(req) {
      const context = contextOf(req);
      const signedInData = req.session?.portcullis;
      const previousId = req.sessionID;
      if (!(await callStore(SESSION_STORE.take, context.timeoutMs, () => context.store.take(previousId)))) return false;
      req.sessionStore.generate(req);
      if (signedInData) {
        await callStore(SESSION_INDEX.remove, context.timeoutMs, () => context.index.remove(signedInData.userId, previousId));
        await startSession(req, context, signedInData);
      }
      return true;
    },
    async signIn(req, user, proof) {
      const context = contextOf(req);
      if (proof.secondFactorAt === undefined && mfa && (await mfa.challenge(req, context, user))) {
        await endSignedInSession(req, context);
        await beginMfaLogin(req, context, user, user.email);
        return "mfa_required";
      }
      await endSignedInSession(req, context);
      await regenerate(req, context.timeoutMs, context.realm);
      const { provider, ...times } = proof;
      await signInSession(req, context, user, times, provider);
      outcomes.success("oauth");
      return "signed_in";
    },
    recordRefusal: (code) => outcomes.refused(code, "oauth"),
    async reauthenticate(req, proof) {
      const { userId } = sessionOwner(req);
      const secondFactor = proof.secondFactorAt === undefined ? {} : { secondFactorAt: proof.secondFactorAt };
      await continueUnderNewId(req, contextOf(req), userId, { ...req.session.portcullis!, authenticatedAt: proof.authenticatedAt, ...secondFactor });
    },
  };
}

/** Whoever this browser was signed in as is signed out first: the new sign-in may be someone else. */
async function endSignedInSession(req: Request, context: SessionContext): Promise<void> {
  const data = req.session?.portcullis;
  if (!data) return;
  await endSession(context, data.userId, req.sessionID);
  req.sessionStore.generate(req);
}
