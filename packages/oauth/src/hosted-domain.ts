import { PortcullisError } from "@portcullis/core";
import type { OAuthProvider } from "./provider";

/**
 * `provider`, refusing (403 `oauth_denied`) an account whose verified `hd` claim is not `domain`:
 * Google's Workspace domain. The `hd` request parameter only narrows Google's account chooser, which
 * a user can edit; the ID token's claim is what counts.
 */
export function withHostedDomain(provider: OAuthProvider, domain: string): OAuthProvider {
  const expected = domain.toLowerCase();
  return {
    id: provider.id,
    name: provider.name,
    authorizationUrl: (request) => provider.authorizationUrl(request),
    async verifyAnswer(answer, request) {
      const account = await provider.verifyAnswer(answer, request);
      const hd = account.claims.hd;
      if (typeof hd !== "string" || hd.toLowerCase() !== expected) {
        throw new PortcullisError("oauth_denied", `Only ${expected} accounts can sign in here.`);
      }
      return account;
    },
  };
}
