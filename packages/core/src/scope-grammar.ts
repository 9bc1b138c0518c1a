/**
 * The three forms a scope takes, one grammar for all of them:
 * - plain: `read`, `Predict`: visible ASCII without `*`, `"`, `\` or spaces;
 * - operation: `Resource:Action`, either side `*` for "any": `Models:Train`, `Models:*`, `*:Get`;
 * - endpoint: a route identifier, `/clarifai.api.V2/PostModelOutputs`, or `METHOD /path/:param`.
 */
export type ScopeKind = "plain" | "operation" | "endpoint";

const TOKEN = "[!#-)+-9;-[\\]-~]+"; // visible ASCII without * " \ : and space
const PLAIN = new RegExp(`^${TOKEN}$`);
const OPERATION = new RegExp(`^(\\*|${TOKEN}):(\\*|${TOKEN})$`);
const ENDPOINT_ID = /^\/[!#-)+-[\]-~]*$/; // a path-like identifier, `:` allowed for parameters
const METHOD_ENDPOINT = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\/[!#-)+-[\]-~]*)$/;
export const MAX_SCOPE_LENGTH = 200;

/** The form of a well-formed scope, or undefined for a malformed one. */
export function scopeKind(scope: unknown): ScopeKind | undefined {
  if (typeof scope !== "string" || scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) return undefined;
  if (ENDPOINT_ID.test(scope) || METHOD_ENDPOINT.test(scope)) return "endpoint";
  if (OPERATION.test(scope)) return "operation";
  if (PLAIN.test(scope)) return "plain";
  return undefined;
}

/**
 * Whether a held scope grants a required one: equal, or an operation wildcard covering it
 * (`Models:*` grants `Models:Train`; `*:Get` grants `Inputs:Get`). Case-sensitive.
 */
export function scopeGrants(held: string, required: string): boolean {
  if (held === required) return true;
  // Only an operation wildcard covers anything, and only operations: never an endpoint such as
  // `GET /models/:id`, whose `:` is a route parameter, not an operation's separator.
  if (!held.includes("*") || scopeKind(held) !== "operation" || scopeKind(required) !== "operation") return false;
  const colon = held.indexOf(":");
  const requiredColon = required.indexOf(":");
  const [resource, action] = [held.slice(0, colon), held.slice(colon + 1)];
  return (
    (resource === "*" || resource === required.slice(0, requiredColon)) &&
    (action === "*" || action === required.slice(requiredColon + 1))
  );
}

/** An operation scope with a `*` side. */
export function isWildcard(scope: string): boolean {
  return scope.includes("*");
}

/**
 * Scopes that may appear in a `WWW-Authenticate` scope list: well-formed (so visible ASCII) and
 * RFC 6750 tokens (no spaces). A malformed scope a client asked for is never echoed in a header.
 */
export function challengeableScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => scopeKind(scope) !== undefined && !scope.includes(" "));
}
