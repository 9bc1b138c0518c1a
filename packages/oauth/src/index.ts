export { oauthSignIn, type OAuthSignInOptions } from "./oauth-sign-in";
export { oidcProvider, type OidcProviderOptions } from "./oidc-provider";
export { googleProvider, type GoogleProviderOptions } from "./google-provider";
export { githubProvider, type GitHubProviderOptions } from "./github-provider";
export type { OAuthProvider, AuthorizationRequest, ProviderAccount } from "./provider";
export type { ProviderBasics } from "./provider-options";
export type { SsoDomain } from "./sso";
