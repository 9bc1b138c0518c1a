import { challenge } from "./challenge";
import { challengeableScopes } from "./scope-grammar";
import { PortcullisError } from "./errors";

/**
 * The 403 for credentials that lack scopes: `insufficient_permissions`, with an RFC 6750
 * `insufficient_scope` challenge naming the scopes a client can ask for, and `missing_scopes` in
 * the data. Every refusal for a missing scope (requireScope, the key router, redactResponse) is
 * built here, so they agree.
 *
 * @example
 * throw insufficientScope("Missing scope: write.", ["write"], "api");
 */
export function insufficientScope(
  detail: string,
  missingScopes: readonly string[],
  realm: string,
  data: Readonly<Record<string, unknown>> = {},
): PortcullisError {
  // An endpoint scope such as "GET /models/:id" is named in the detail and the data, but cannot be
  // a token of the challenge's scope list; with none left, the challenge names no scope.
  const challengeable = challengeableScopes(missingScopes);
  const params: Record<string, string> = { error: "insufficient_scope" };
  if (challengeable.length > 0) params.scope = challengeable.join(" ");
  return new PortcullisError("insufficient_permissions", detail, {
    headers: { "WWW-Authenticate": challenge("Bearer", realm, params) },
    data: { missing_scopes: missingScopes, ...data },
  });
}
