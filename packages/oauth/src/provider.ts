/**
 * What the app sends a provider for one sign-in, and checks its answer against. The secrets are
 * made per flow and kept in the browser's server-side session.
 */
export interface AuthorizationRequest {
  /** The redirect URI registered at the provider for this app: `<callbackBaseUrl>/<provider id>/callback`. */
  readonly redirectUri: string;
  /** Random, per flow: the provider returns it, and the answer must carry this one (CSRF). */
  readonly state: string;
  /** Random, per flow: an OpenID Provider puts it in the ID token, which must carry this one (replay). */
  readonly nonce: string;
  /** PKCE (S256): the challenge goes out, the verifier comes with the code. */
  readonly codeVerifier: string;
  /** Ask the provider to authenticate the user again, whatever session it has. */
  readonly forceLogin?: boolean;
}

/** The account a provider's verified answer names. */
export interface ProviderAccount {
  /** The provider's stable id for the account (the ID token's `sub`; GitHub's numeric id). */
  readonly subject: string;
  /** The account's email, lower-cased, if the provider released one. */
  readonly email?: string;
  /** Whether the provider asserts that the account controls `email`. */
  readonly emailVerified: boolean;
  /** The claims the provider asserted (an ID token's, or what GitHub's API says), for role mapping and `amr`/`acr`. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * A sign-in provider: `oidcProvider(…)`, `googleProvider(…)`, `githubProvider(…)`, or one of your
 * own. It speaks the protocol; `oauthSignIn` keeps the flow, the identities and the sessions.
 */
export interface OAuthProvider {
  /** The id in routes (`/oauth/<id>`) and in linked identities: letters, digits, `-` and `_`. Never change it once identities are linked. */
  readonly id: string;
  /** What the sign-in button says: "Google", "GitHub", "Acme SSO". */
  readonly name: string;
  /** Where to send the browser. Rejects with a 503 `provider_unavailable` when the provider cannot be reached. */
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /**
   * Verifies the provider's answer (the callback URL with its query) against `request`: exchanges
   * the code with its PKCE verifier, and validates the ID token (signature, `iss`, `aud`, `exp`,
   * `nonce`). Rejects with 401 `oauth_failed` for an answer that fails a check, 503
   * `provider_unavailable` for a provider that is down or slow.
   */
  verifyAnswer(answer: URL, request: AuthorizationRequest): Promise<ProviderAccount>;
}
