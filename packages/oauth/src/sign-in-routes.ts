import { randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response, Router } from "express";
import { PortcullisError, isPortcullisError, type ProvisioningUserStore, type UserStore } from "@portcullis/core";
import { asyncHandler, callStore, configError, IDENTITY_STORE, USER_STORE } from "@portcullis/core/internal";
import type { OAuthSignInRoutes, PendingOAuthFlow } from "@portcullis/session-auth";
import type { OAuthSignInConfig } from "./oauth-sign-in";
import type { AuthorizationRequest, OAuthProvider } from "./provider";
import { settleAnswer } from "./settle-answer";

const ACTIONS = { sign_in: "session.login", link: "identity.link", reauthenticate: "session.reauthenticate" } as const;

const random = () => randomBytes(32).toString("base64url");

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isProvisioning(users: UserStore): users is ProvisioningUserStore {
  const store = users as Partial<ProvisioningUserStore>;
  return typeof store.create === "function" && typeof store.setRole === "function";
}

/** The query string exactly as the provider sent it, for openid-client to check. */
function rawQuery(req: Request): string {
  const at = req.originalUrl.indexOf("?");
  return at === -1 ? "" : req.originalUrl.slice(at);
}

/** Adds OAuth sign-in's routes to `authRouter`'s router (see `oauthSignIn`). */
export function addSignInRoutes(router: Router, routes: OAuthSignInRoutes, config: OAuthSignInConfig): void {
  const { providers, identities } = config;
  const { users } = routes;
  if ((config.signUp || config.sso.size > 0) && !isProvisioning(users)) {
    throw configError("oauthSignIn", "signUp and sso create users and set their roles: authRouter's users must have create and setRole (MemoryUserStore, RedisUserStore and PostgresUserStore do)");
  }
  const redirectUri = (provider: OAuthProvider) => `${config.callbackBaseUrl}/${provider.id}/callback`;
  const providerOf = (req: Request) => {
    const provider = providers.get(String(req.params.provider));
    if (!provider) throw new PortcullisError("not_found", "No such sign-in provider.");
    return provider;
  };
  const timeoutOf = (req: Request) => routes.context(req).timeoutMs;

  /** Sends the browser to the app's page, `redirectTo`, with `?oauth_error=<code>` when there is one. */
  const land = (res: Response, code?: string) => {
    const target = new URL(config.redirectTo, "http://site.invalid");
    if (code !== undefined) target.searchParams.set("oauth_error", code);
    res.set("Cache-Control", "no-store").redirect(303, `${target.pathname}${target.search}`);
  };

  /**
   * A refusal at a route a browser navigates to (start, callback) goes back to the app's page,
   * which shows it; a client that asked for JSON gets it as JSON.
   */
  const answerRefusal = (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!isPortcullisError(error) || req.accepts(["json", "html"]) !== "html") return next(error);
    land(res, error.code);
  };

  router.get("/oauth/providers", (req, res) => {
    res.json({ providers: [...providers.values()].map(({ id, name }) => ({ id, name, sign_in_url: `${req.baseUrl}/oauth/${id}` })) });
  });

  router.get("/oauth/identities", asyncHandler(async function listIdentities(req, res) {
    const { userId } = routes.signedInUser(req);
    const timeoutMs = timeoutOf(req);
    const [linked, user] = await Promise.all([
      callStore(IDENTITY_STORE.listByUser, timeoutMs, () => identities.listByUser(userId)),
      callStore(USER_STORE.findById, timeoutMs, () => users.findById(userId)),
    ]);
    res.set("Cache-Control", "no-store").json({
      identities: linked.map((identity) => ({
        provider: identity.provider,
        provider_name: providers.get(identity.provider)?.name ?? identity.provider,
        subject: identity.subject,
        email: identity.email ?? null,
        linked_at: new Date(identity.linkedAt).toISOString(),
      })),
      password: user ? user.passwordless !== true : false,
    });
  }));

  router.delete("/oauth/identities/:provider/:subject", routes.sameSiteOnly, routes.recentAuth, asyncHandler(async function unlinkIdentity(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const provider = String(req.params.provider);
    const subject = String(req.params.subject);
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    // A passwordless account keeps at least one identity: its only way in.
    const outcome = await callStore(IDENTITY_STORE.unlink, context.timeoutMs, () => identities.unlink(userId, provider, subject, { keepOne: user?.passwordless === true }));
    if (outcome === "not_found") throw new PortcullisError("not_found", "No such linked identity.");
    if (outcome === "last") {
      context.record(req, { action: "identity.unlink", outcome: "failure", code: "last_sign_in_method", userId, owner: userId, targetId: provider });
      throw new PortcullisError("last_sign_in_method");
    }
    context.record(req, { action: "identity.unlink", outcome: "success", userId, owner: userId, targetId: provider });
    res.status(204).end();
  }));

  const start = (intent: PendingOAuthFlow["intent"]) =>
    asyncHandler(async function startSignIn(req, res, next) {
      try {
        const provider = providerOf(req);
        if (intent !== "sign_in") routes.signedInUser(req);
        const context = routes.context(req);
        const request: AuthorizationRequest = { redirectUri: redirectUri(provider), state: random(), nonce: random(), codeVerifier: random(), forceLogin: intent === "reauthenticate" };
        // The provider is asked first: when it is down, no session is written for nothing.
        const url = await provider.authorizationUrl(request);
        const { state, nonce, codeVerifier } = request;
        await routes.beginFlow(req, { provider: provider.id, state, nonce, codeVerifier, intent, expiresAt: context.now() + config.flowTtlMs });
        res.set("Cache-Control", "no-store").redirect(intent === "sign_in" ? 302 : 303, url.href);
      } catch (error) {
        // A provider that cannot be reached is a failed attempt too; an unknown route is not.
        if (isPortcullisError(error) && error.code === "provider_unavailable") {
          routes.context(req).record(req, { action: ACTIONS[intent], outcome: "failure", code: error.code, targetId: String(req.params.provider) });
          routes.recordRefusal(error.code);
        }
        answerRefusal(error, req, res, next);
      }
    });

  router.get("/oauth/:provider", routes.cookieDeliverable, start("sign_in"));
  router.post("/oauth/:provider/link", routes.sameSiteOnly, routes.cookieDeliverable, routes.recentAuth, start("link"));
  router.post("/oauth/:provider/reauthenticate", routes.sameSiteOnly, routes.cookieDeliverable, start("reauthenticate"));

  router.get("/oauth/:provider/callback", asyncHandler(async function providerAnswer(req, res, next) {
    let userId: string | undefined;
    const targetId = String(req.params.provider);
    let action: "session.login" | "identity.link" | "session.reauthenticate" = "session.login";
    try {
      const provider = providerOf(req);
      const context = routes.context(req);
      const flow = routes.pendingFlow(req);
      const state = req.query.state;
      if (!flow || flow.provider !== provider.id || typeof state !== "string" || !sameSecret(state, flow.state)) {
        throw new PortcullisError("oauth_invalid_state");
      }
      action = ACTIONS[flow.intent];
      // Spent before anything else, atomically: one answer per flow, whatever happens next.
      if (!(await routes.spendFlow(req))) throw new PortcullisError("oauth_invalid_state");
      if (context.now() >= flow.expiresAt) throw new PortcullisError("oauth_invalid_state", "This sign-in took too long; start again.");
      if (req.query.error !== undefined) {
        throw new PortcullisError("oauth_denied", req.query.error === "access_denied" ? "The sign-in was cancelled at the provider." : undefined);
      }
      const answer = new URL(redirectUri(provider) + rawQuery(req));
      const { state: expectedState, nonce, codeVerifier } = flow;
      const account = await provider.verifyAnswer(answer, { redirectUri: redirectUri(provider), state: expectedState, nonce, codeVerifier, forceLogin: flow.intent === "reauthenticate" });
      const settled = await settleAnswer(req, { routes, config, provider, flow, account, users: users as ProvisioningUserStore, onUser: (id) => (userId = id) });
      land(res, settled === "mfa_required" ? "mfa_required" : undefined);
    } catch (error) {
      const code = isPortcullisError(error) ? error.code : undefined;
      routes.context(req).record(req, { action, outcome: "failure", targetId, ...(code ? { code } : {}), ...(userId ? { userId, owner: userId } : {}) });
      routes.recordRefusal(code);
      answerRefusal(error, req, res, next);
    }
  }));
}
