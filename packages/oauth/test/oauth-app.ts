import express from "express";
import request from "supertest";
import { MemoryAuditSink, MemoryIdentityStore, MemoryUserStore, type IdentityStore, type PasswordHasher, type ProvisioningUserStore, type SessionStorage } from "@portcullis/core";
import { portcullisFinalHandlers } from "@portcullis/core";
import { requireRecentAuth } from "@portcullis/require-scope";
import { authRouter, bcryptPasswords, sessionAuth, type SecondFactor } from "@portcullis/session-auth";
import { githubProvider, oauthSignIn, oidcProvider, type GitHubProviderOptions, type OAuthProvider, type OAuthSignInOptions } from "@portcullis/oauth";
import type { GitHubStandIn, GitHubStandInApp, TestOpenIdClient, TestOpenIdProvider } from "@portcullis/testing";

/** Where the app says it lives: the provider redirects here, and the test replays that path on the app (it is never fetched). */
export const CALLBACK_BASE = "http://127.0.0.1:9/api/auth/oauth";

/** The client the app is registered as at the test provider, with the redirect URI of the provider id `corp`. */
export const APP_CLIENT: TestOpenIdClient = {
  client_id: "portcullis-app",
  client_secret: "a-client-secret-for-the-app-long-enough",
  redirect_uris: [`${CALLBACK_BASE}/corp/callback`, `${CALLBACK_BASE}/social/callback`],
};

/** The OAuth app the app is registered as at the GitHub stand-in, with the redirect URI of the provider id `github`. */
export const GITHUB_APP: GitHubStandInApp = {
  client_id: "Iv1.portcullis-app",
  client_secret: "a-github-client-secret-for-the-app",
  redirect_uris: [`${CALLBACK_BASE}/github/callback`],
};

export const PASSWORD_USER = { email: "pat@example.test", password: "pat's password" };

/** An OpenID Connect provider for the app, on the test provider, as `id`. */
export function testProvider(op: TestOpenIdProvider, id = "corp", timeoutMs?: number): OAuthProvider {
  return oidcProvider({
    id,
    name: id === "corp" ? "Corp SSO" : "Social",
    issuer: op.issuer,
    clientId: APP_CLIENT.client_id,
    clientSecret: APP_CLIENT.client_secret,
    allowHttpOnLoopback: true,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** githubProvider for the app, on the GitHub stand-in. */
export function testGitHubProvider(standIn: GitHubStandIn, options: Partial<GitHubProviderOptions> = {}): OAuthProvider {
  return githubProvider({ clientId: GITHUB_APP.client_id, clientSecret: GITHUB_APP.client_secret, urls: { web: standIn.url, api: standIn.apiUrl }, ...options });
}

/**
 * sessionAuth and authRouter with OAuth sign-in, a password user, an access log and a guard that
 * wants a recent sign-in. The clock is the test's.
 */
export async function createOAuthApp(options: {
  providers: OAuthProvider[];
  oauth?: Partial<OAuthSignInOptions>;
  identities?: IdentityStore;
  mfa?: SecondFactor;
  /** Users elsewhere than in memory (on Redis, in PostgreSQL), given the hasher and the test's clock. */
  users?: (passwords: PasswordHasher, now: () => number) => ProvisioningUserStore;
  sessions?: SessionStorage;
}) {
  const clock = { now: Date.now(), advance: (ms: number) => void (clock.now += ms) };
  const now = () => clock.now;
  const passwords = bcryptPasswords({ cost: 4 });
  const users = options.users ? options.users(passwords, now) : new MemoryUserStore({ passwords, now });
  // Stores that outlive the app (Redis, PostgreSQL) keep pat from an earlier app.
  const pat = (await users.findByEmail(PASSWORD_USER.email)) ?? (await users.create({ ...PASSWORD_USER, role: "member" }));
  const identities = options.identities ?? new MemoryIdentityStore();
  const audit = new MemoryAuditSink({ now });
  const app = express();
  const sessions = options.sessions ? { sessions: options.sessions } : {};
  app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["admin"], member: ["read"] }, now, users, audit, ...sessions }));
  const oauth = oauthSignIn({ providers: options.providers, identities, callbackBaseUrl: CALLBACK_BASE, ...options.oauth });
  app.use("/api/auth", authRouter({ users, oauth, ...(options.mfa ? { mfa: options.mfa } : {}) }));
  app.post("/api/danger", requireRecentAuth({ maxAgeMs: 5 * 60_000, now }), (_req, res) => void res.json({ done: true }));
  app.post("/api/critical", requireRecentAuth({ maxAgeMs: 5 * 60_000, secondFactor: true, now }), (_req, res) => void res.json({ done: true }));
  app.use(portcullisFinalHandlers());
  return { app, users, identities, audit, clock, pat };
}

/** The path and query of a URL the provider redirected to, to replay on the app. */
export function onApp(url: URL | string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * A browser's whole sign-in: the app's redirect to the provider, the provider's pages as `account`,
 * and the provider's answer back to the app. Resolves to the answer's response.
 */
export async function signInThrough(agent: request.Agent, op: TestOpenIdProvider | GitHubStandIn, account: string, provider = "corp") {
  const started = await agent.get(`/api/auth/oauth/${provider}`).expect(302);
  const callback = await op.completeLogin(started.headers.location!, account);
  return agent.get(onApp(callback));
}
