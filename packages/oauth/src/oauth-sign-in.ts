import type { IdentityStore } from "@portcullis/core";
import { checked, configError, resolveOptions, wholeNumber } from "@portcullis/core/internal";
import type { OAuthSignIn } from "@portcullis/session-auth";
import { z } from "zod";
import { isHttpsOrLoopback } from "./openid-client";
import type { OAuthProvider } from "./provider";
import { addSignInRoutes } from "./sign-in-routes";
import { domainOf, ssoDomainSchema, ssoRequired, type SsoDomain } from "./sso";

/** Options of {@link oauthSignIn}. */
export interface OAuthSignInOptions {
  /** The providers: `googleProvider(…)`, `githubProvider(…)`, `oidcProvider(…)` or your own, ids unique. */
  readonly providers: readonly OAuthProvider[];
  /** Where linked identities live: `MemoryIdentityStore`, `RedisIdentityStore`, `PostgresIdentityStore`. */
  readonly identities: IdentityStore;
  /**
   * The public address of these routes: `authRouter`'s mount plus `/oauth`, such as
   * `"https://app.example.com/api/auth/oauth"`. Each provider's redirect URI is
   * `<callbackBaseUrl>/<id>/callback`: register exactly that at the provider. It is configured,
   * never read from a request's `Host`, which a client controls.
   */
  readonly callbackBaseUrl: string;
  /**
   * Create an account, with this role, for someone whose identity is linked to none and whose
   * verified email no account has. Without it only existing accounts (and SSO domains) sign in.
   * @default undefined (closed)
   */
  readonly signUp?: { readonly role: string };
  /** Email domains that must sign in through their organization's provider, with just-in-time accounts and roles from a claim. */
  readonly sso?: readonly SsoDomain[];
  /**
   * The app page the browser lands on after the provider's answer: as is on success,
   * `?oauth_error=<code>` added on failure (`mfa_required` when the user's second factor is due).
   * A path on this site.
   * @default "/"
   */
  readonly redirectTo?: string;
  /**
   * How long the provider may take to answer (the user signing in there), in milliseconds.
   * @default 600000 (10 minutes)
   */
  readonly flowTtlMs?: number;
}

const RESERVED_IDS = new Set(["identities", "providers"]);
const isProvider = (value: unknown): value is OAuthProvider =>
  value !== null &&
  typeof value === "object" &&
  typeof (value as OAuthProvider).id === "string" &&
  typeof (value as OAuthProvider).authorizationUrl === "function" &&
  typeof (value as OAuthProvider).verifyAnswer === "function";
const isIdentityStore = (value: unknown): value is IdentityStore =>
  value !== null && typeof value === "object" && ["find", "listByUser", "link", "unlink"].every((name) => typeof (value as Record<string, unknown>)[name] === "function");
const isCallbackBase = (value: unknown): value is string => {
  if (typeof value !== "string" || !URL.canParse(value)) return false;
  const url = new URL(value);
  return isHttpsOrLoopback(url) && url.search === "" && url.hash === "";
};

const SITE_PATH = /^\/(?![/\\])[^\s]*$/;
/**
 * A path on this site, as written and as the browser is sent to it: dot segments resolved, so that
 * `/.//evil.example` (which becomes `//evil.example`, another site) is refused.
 */
const isSitePath = (value: string) => {
  if (!SITE_PATH.test(value)) return false;
  const resolved = new URL(value, "http://site.invalid");
  return resolved.origin === "http://site.invalid" && SITE_PATH.test(resolved.pathname);
};

const oauthSignInOptions = z.strictObject(
  {
    providers: z.array(checked(isProvider, "must be a provider such as googleProvider({ clientId, clientSecret })"), { error: "must be an array of providers" }).min(1, { error: "needs at least one provider" }),
    identities: checked(isIdentityStore, "is required: an IdentityStore such as new MemoryIdentityStore()"),
    callbackBaseUrl: checked(isCallbackBase, "must be the https:// address of these routes, such as https://app.example.com/api/auth/oauth (http:// only on a loopback address)"),
    signUp: z.strictObject({ role: z.string().min(1) }).optional(),
    sso: z.array(ssoDomainSchema).default([]),
    redirectTo: z.string().refine(isSitePath, { error: 'must be a path on this site, such as "/" or "/console"' }).default("/"),
    flowTtlMs: wholeNumber(10_000, 3_600_000, "milliseconds").default(600_000),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: oauthSignIn({ providers, identities, callbackBaseUrl })" : undefined) },
);

/** The options, checked, with the providers and SSO domains by id. */
export function resolveOAuthSignIn(options: Readonly<OAuthSignInOptions>) {
  const config = resolveOptions("oauthSignIn", oauthSignInOptions, options);
  const providers = new Map<string, OAuthProvider>();
  for (const provider of config.providers) {
    if (RESERVED_IDS.has(provider.id)) throw configError("oauthSignIn", `a provider cannot be called "${provider.id}": the routes use that name`);
    if (providers.has(provider.id)) throw configError("oauthSignIn", `two providers share the id "${provider.id}"; give each its own id`);
    providers.set(provider.id, provider);
  }
  const sso = new Map<string, SsoDomain>();
  for (const domain of config.sso) {
    if (!providers.has(domain.provider)) throw configError("oauthSignIn", `the SSO domain ${domain.domain} names the provider "${domain.provider}", which is not among "providers"`);
    if (sso.has(domain.domain)) throw configError("oauthSignIn", `the SSO domain ${domain.domain} is listed twice`);
    sso.set(domain.domain, domain as SsoDomain);
  }
  return { ...config, callbackBaseUrl: config.callbackBaseUrl.replace(/\/$/, ""), providers, sso };
}

export type OAuthSignInConfig = ReturnType<typeof resolveOAuthSignIn>;

/**
 * Sign-in through OAuth and OpenID Connect providers, for `authRouter`'s `oauth` option. It adds,
 * under the router's mount:
 * - `GET /oauth/providers`: the providers, for sign-in buttons;
 * - `GET /oauth/:provider`: starts a sign-in (a redirect to the provider);
 * - `POST /oauth/:provider/link`: links the provider's account to the signed-in user (a recent sign-in needed);
 * - `POST /oauth/:provider/reauthenticate`: renews the session's authentication through the provider;
 * - `GET /oauth/:provider/callback`: the provider's answer, checked against the flow this browser started;
 * - `GET /oauth/identities`, `DELETE /oauth/identities/:provider/:subject`: the user's linked identities.
 *
 * An identity is linked to an existing account only by a signed-in user, or (for its SSO domain)
 * by the domain's own provider; never because an email matches. Password sign-in for an SSO
 * domain answers 403 `sso_required`.
 *
 * @example
 * const oauth = oauthSignIn({
 *   providers: [googleProvider({ clientId, clientSecret }), githubProvider({ clientId: ghId, clientSecret: ghSecret })],
 *   identities: new RedisIdentityStore(redis),
 *   callbackBaseUrl: "https://app.example.com/api/auth/oauth",
 *   signUp: { role: "member" },
 * });
 * app.use("/api/auth", authRouter({ users, oauth }));
 */
export function oauthSignIn(options: Readonly<OAuthSignInOptions>): OAuthSignIn {
  const config = resolveOAuthSignIn(options);
  return {
    passwordRefusal(req, email) {
      const sso = config.sso.get(domainOf(email));
      return sso && ssoRequired(req, sso);
    },
    addRoutes: (router, routes) => addSignInRoutes(router, routes, config),
  };
}
