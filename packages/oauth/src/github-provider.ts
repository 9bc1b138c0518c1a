import type * as OpenIdClient from "openid-client";
import { PortcullisError } from "@portcullis/core";
import { configError, normalizeEmail, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import { codeFlowParams, isHttpsOrLoopback, openIdClient } from "./openid-client";
import { askProvider, providerUnavailable } from "./provider-errors";
import type { OAuthProvider, ProviderAccount } from "./provider";
import { providerBasicsShape, type ProviderBasics } from "./provider-options";

/** Options of {@link githubProvider}. */
export interface GitHubProviderOptions extends Partial<Pick<ProviderBasics, "id" | "name">>, Omit<ProviderBasics, "id" | "name"> {
  /**
   * GitHub's web and API addresses: other values for GitHub Enterprise Server
   * (`https://github.example.com`, `https://github.example.com/api/v3`), or a stand-in in tests.
   * @default { web: "https://github.com", api: "https://api.github.com" }
   */
  readonly urls?: { readonly web: string; readonly api: string };
}

/** A base address that paths are appended to: no query nor fragment. */
const baseUrl = z
  .url()
  .refine((value) => {
    const url = new URL(value);
    return url.search === "" && url.hash === "" && isHttpsOrLoopback(url);
  }, { error: "must be an https:// URL without a query (http:// only on a loopback address)" });

const githubProviderOptions = z.strictObject(
  {
    ...providerBasicsShape({ id: "github", name: "GitHub" }),
    urls: z.strictObject({ web: baseUrl, api: baseUrl }).default({ web: "https://github.com", api: "https://api.github.com" }),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: githubProvider({ clientId, clientSecret })" : undefined) },
);

/** What GitHub's `GET /user/emails` lists. */
interface GitHubEmail {
  readonly email: string;
  readonly primary: boolean;
  readonly verified: boolean;
}

/**
 * GitHub's API refuses a spent rate limit with 429, or with 403 and `x-ratelimit-remaining: 0` (or
 * `retry-after`, its secondary limits): the user did nothing wrong, and may retry later.
 */
function isRateLimited(response: Response): boolean {
  if (response.status === 429) return true;
  return response.status === 403 && (response.headers.get("x-ratelimit-remaining") === "0" || response.headers.has("retry-after"));
}

/**
 * Sign in with GitHub. GitHub is OAuth 2, not OpenID Connect: there is no ID token, so after the
 * code grant (PKCE and `state`, through openid-client) the account is read from GitHub's API,
 * `GET /user` (the numeric `id` is the subject: the login name can change) and `GET /user/emails`
 * (the primary address, verified or not as GitHub says). Asks for `read:user user:email`.
 *
 * GitHub cannot be told to authenticate the user again (there is no `max_age` nor `auth_time`):
 * reauthenticating through GitHub proves that GitHub still holds the user's session, no more.
 *
 * @example
 * githubProvider({ clientId: process.env.GITHUB_CLIENT_ID!, clientSecret: process.env.GITHUB_CLIENT_SECRET! })
 */
export function githubProvider(options: Readonly<GitHubProviderOptions>): OAuthProvider {
  const { id, name, clientId, clientSecret, timeoutMs, urls } = resolveOptions("githubProvider", githubProviderOptions, options);
  const web = urls.web.replace(/\/$/, "");
  const api = urls.api.replace(/\/$/, "");
  // One openid-client configuration serves both: it allows plain HTTP for both or for neither.
  if (new URL(web).protocol !== new URL(api).protocol) {
    throw configError("githubProvider", '"urls.web" and "urls.api" must both be https:// (or both http:// on a loopback address)');
  }
  let configuration: OpenIdClient.Configuration | undefined;
  const configure = () => {
    if (configuration) return configuration;
    const client = openIdClient();
    const server = { issuer: web, authorization_endpoint: `${web}/login/oauth/authorize`, token_endpoint: `${web}/login/oauth/access_token` };
    configuration = new client.Configuration(server, clientId, undefined, client.ClientSecretPost(clientSecret));
    configuration.timeout = timeoutMs / 1000;
    if (new URL(web).protocol === "http:") client.allowInsecureRequests(configuration);
    return configuration;
  };
  const getJson = async (config: OpenIdClient.Configuration, accessToken: string, path: string): Promise<unknown> => {
    const headers = new Headers({ accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "portcullis" });
    const response = await openIdClient().fetchProtectedResource(config, accessToken, new URL(`${api}${path}`), "GET", undefined, headers);
    if (response.status >= 500 || isRateLimited(response)) throw providerUnavailable(id, new Error(`GitHub answered ${response.status} to GET ${path}`));
    if (!response.ok) throw new PortcullisError("oauth_failed", `GitHub refused to say who signed in (${response.status}).`);
    return response.json();
  };

  return {
    id,
    name,
    authorizationUrl: (request) =>
      askProvider(id, async () =>
        openIdClient().buildAuthorizationUrl(configure(), {
          ...(await codeFlowParams(request)),
          scope: "read:user user:email",
          ...(request.forceLogin ? { prompt: "select_account" } : {}),
        }),
      ),
    verifyAnswer: (answer, request) =>
      askProvider(id, async () => {
        const config = configure();
        const tokens = await openIdClient().authorizationCodeGrant(config, answer, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, idTokenExpected: false });
        const user = (await getJson(config, tokens.access_token, "/user")) as { id?: unknown; login?: unknown };
        const emails = await getJson(config, tokens.access_token, "/user/emails");
        return githubAccount(user, emails);
      }),
  };
}

function githubAccount(user: { id?: unknown; login?: unknown }, emails: unknown): ProviderAccount {
  if (!Number.isSafeInteger(user.id)) throw new PortcullisError("oauth_failed", "GitHub's answer named no user.");
  const primary = Array.isArray(emails) ? (emails as GitHubEmail[]).find((entry) => entry?.primary === true && typeof entry.email === "string") : undefined;
  const claims = { sub: String(user.id), login: user.login, ...(primary ? { email: primary.email, email_verified: primary.verified === true } : {}) };
  return {
    subject: String(user.id),
    ...(primary ? { email: normalizeEmail(primary.email) } : {}),
    emailVerified: primary?.verified === true,
    claims,
  };
}
