import type * as OpenIdClient from "openid-client";
import { PortcullisError } from "@portcullis/core";
import { normalizeEmail, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import { codeFlowParams, isHttpsOrLoopback, openIdClient } from "./openid-client";
import { askProvider } from "./provider-errors";
import type { OAuthProvider, ProviderAccount } from "./provider";
import { providerBasicsShape, stringRecord, type ProviderBasics } from "./provider-options";

/** Options of {@link oidcProvider}. */
export interface OidcProviderOptions extends ProviderBasics {
  /** The issuer URL; its metadata is read from `<issuer>/.well-known/openid-configuration` on first use. */
  readonly issuer: string;
  /**
   * The scopes asked for.
   * @default ["openid", "email", "profile"]
   */
  readonly scopes?: readonly string[];
  /** Extra authorization request parameters, such as `{ prompt: "select_account" }`. */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /**
   * Accept an `http://` issuer on a loopback address (a development provider such as the demo's).
   * Anything else must be HTTPS.
   * @default false
   */
  readonly allowHttpOnLoopback?: boolean;
}

/**
 * Any OpenID Connect provider, by issuer URL (discovery). The protocol is openid-client's: the
 * authorization code flow with PKCE (S256), `state` and `nonce`, and the ID token validated
 * (signature through the provider's JWKS, checked though TLS would let it be skipped; `iss`, `aud`,
 * `azp`, `exp`, `iat`, `nonce`); the `iss`
 * response parameter is checked where the provider sends it (RFC 9207).
 *
 * @example
 * oidcProvider({ id: "acme", name: "Acme SSO", issuer: "https://login.acme.example", clientId, clientSecret })
 */
export function oidcProvider(options: Readonly<OidcProviderOptions>): OAuthProvider {
  const config = resolveOptions("oidcProvider", oidcProviderOptions, options);
  const { id, name, clientId, clientSecret, timeoutMs } = config;
  const issuer = issuerUrl(config.issuer, config.allowHttpOnLoopback);
  const scope = config.scopes.join(" ");
  const extraParams = { ...config.authorizationParams };
  let configuration: Promise<OpenIdClient.Configuration> | undefined;
  // Discovered once; a failed discovery is forgotten, so the next sign-in tries again.
  const configure = () =>
    (configuration ??= (async () => {
      const client = openIdClient();
      // TLS alone vouches for a token endpoint's ID token (OIDC Core 3.1.3.7), so openid-client skips
      // its signature by default; the issue's contract, and defence in depth, want it checked too.
      const execute = [client.enableNonRepudiationChecks, ...(issuer.protocol === "http:" ? [client.allowInsecureRequests] : [])];
      const config = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(clientSecret), { execute, timeout: timeoutMs / 1000 });
      config.timeout = timeoutMs / 1000;
      return config;
    })().catch((error: unknown) => {
      configuration = undefined;
      throw error;
    }));

  return {
    id,
    name,
    authorizationUrl: (request) =>
      askProvider(id, async () =>
        openIdClient().buildAuthorizationUrl(await configure(), {
          ...extraParams,
          ...(await codeFlowParams(request)),
          scope,
          nonce: request.nonce,
          ...(request.forceLogin ? { prompt: "login", max_age: "0" } : {}),
        }),
      ),
    verifyAnswer: (answer, request) =>
      askProvider(id, async () => {
        const client = openIdClient();
        const config = await configure();
        const tokens = await client.authorizationCodeGrant(config, answer, {
          pkceCodeVerifier: request.codeVerifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
          ...(request.forceLogin ? { maxAge: 300 } : {}),
        });
        let claims: Record<string, unknown> = { ...tokens.claims()! };
        if (claims.email === undefined && config.serverMetadata().userinfo_endpoint) {
          // The ID token is what was verified; userinfo only fills in the email, for the same subject,
          // and the email and whether it is verified come together, never one from each.
          const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub as string);
          claims = { ...info, ...claims, email: info.email, email_verified: info.email_verified };
        }
        return accountOf(claims);
      }),
  };
}

/** The account an ID token (with userinfo) names. */
export function accountOf(claims: Record<string, unknown>): ProviderAccount {
  const subject = claims.sub;
  if (typeof subject !== "string" || subject === "") throw new PortcullisError("oauth_failed");
  const email = typeof claims.email === "string" && claims.email !== "" ? normalizeEmail(claims.email) : undefined;
  return { subject, ...(email === undefined ? {} : { email }), emailVerified: email !== undefined && claims.email_verified === true, claims };
}

/** What the flow itself sets: an extra parameter must not turn it into another flow (the implicit one) or drop a check. */
const PROTOCOL_PARAMS = new Set(["response_type", "response_mode", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "request", "request_uri"]);

const ISSUER_RULE = "must be an https:// URL (http:// only on a loopback address, with allowHttpOnLoopback: true)";

/** The options, checked, with their defaults. */
const oidcProviderOptions = z.strictObject(
  {
    ...providerBasicsShape(),
    issuer: z.url({ error: ISSUER_RULE }),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/), { error: "must be an array of scope tokens" }).min(1).default(["openid", "email", "profile"]),
    authorizationParams: stringRecord
      .refine((params) => !Object.keys(params).some((name) => PROTOCOL_PARAMS.has(name)), {
        error: `cannot set the protocol's own parameters (${[...PROTOCOL_PARAMS].join(", ")}): only extras such as prompt, login_hint or hd`,
      })
      .default({}),
    allowHttpOnLoopback: z.boolean().default(false),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: oidcProvider({ id, name, issuer, clientId, clientSecret })" : undefined) },
);

/** The issuer, which must be HTTPS but for a development provider on this machine. */
export function issuerUrl(issuer: string, allowHttpOnLoopback: boolean, factory = "oidcProvider"): URL {
  const url = new URL(issuer);
  if (url.protocol === "https:" || (allowHttpOnLoopback && isHttpsOrLoopback(url))) return url;
  throw new TypeError(`${factory}: "issuer" ${ISSUER_RULE}, got ${JSON.stringify(issuer)}`);
}
