import type { RequestHandler } from "express";
import {
  isApiKeys,
  type ApiKeys,
  configError,
  createErrorResponder,
  PortcullisError,
  type ApiKeyPrincipal,
  type ErrorResponseOptions,
  type StoredApiKey,
  type VerificationFailure,
} from "@portcullis/core";
import { compileSources, DEFAULT_SOURCES, type CredentialSource } from "./credential-sources";
import { extractApiKey, MAX_PRESENTED_KEY_LENGTH } from "./extract-api-key";

export interface ApiKeyAuthOptions extends ErrorResponseOptions {
  /** The key service that verifies presented keys. */
  readonly keys: ApiKeys;
  /**
   * Where keys are read from, in no particular order: a request carrying two is refused.
   * @default [{ authorization: "Bearer" }, { header: "x-api-key" }, { authorization: "Key" }]
   */
  readonly sources?: readonly CredentialSource[];
  /**
   * Pass requests that carry no key on without a principal, so a session (or nothing) can
   * authenticate them. A key that is present but invalid is refused all the same.
   * @default false
   */
  readonly optional?: boolean;
  /**
   * The realm named in `WWW-Authenticate`.
   * @default "api"
   */
  readonly realm?: string;
}

const KNOWN_OPTIONS = new Set(["keys", "sources", "optional", "realm", "onError", "formatError"]);

const FAILURE_DETAIL: Record<VerificationFailure, string> = {
  invalid_key: "Invalid or expired API key.",
  expired_key: "The API key has expired.",
  revoked_key: "The API key has been revoked.",
};

/**
 * Authenticates requests by API key and sets `req.auth` (kind `"api_key"`, key id, owner, scopes,
 * app). Malformed keys never reach the store; a store outage answers 503, never lets a request in.
 *
 * @example
 * const keys = new ApiKeys({ store, secret: process.env.PORTCULLIS_SECRET!, prefix: "cpx_live." });
 * app.use("/api", apiKeyAuth({ keys }));
 */
export function apiKeyAuth(options: Readonly<ApiKeyAuthOptions>): RequestHandler {
  if (options === null || typeof options !== "object") throw configError("apiKeyAuth", "options are required: apiKeyAuth({ keys })");
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw configError("apiKeyAuth", `unknown option "${name}"`);
  }
  if (!isApiKeys(options.keys)) {
    throw configError("apiKeyAuth", `"keys" is required: pass new ApiKeys({ store, secret, prefix })`);
  }
  const { keys, optional = false, realm = "api" } = options;
  if (typeof optional !== "boolean") throw configError("apiKeyAuth", `"optional" must be a boolean`);
  if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(realm)) {
    throw configError("apiKeyAuth", `"realm" must be 1 to 64 printable ASCII characters without quotes or backslashes`);
  }
  const sources = compileSources(options.sources ?? DEFAULT_SOURCES);
  const respond = createErrorResponder("apiKeyAuth", options);
  const refusals = prepareRefusals(sources.schemes, realm);

  return function apiKeyAuthMiddleware(req, res, next) {
    const found = extractApiKey(req.headers, sources);
    if (found.kind === "none" || found.kind === "foreign_scheme") {
      if (optional || req.auth) return next();
      return respond(found.kind === "none" ? refusals.missing() : refusals.foreignScheme(), req, res, next);
    }
    // A second credential (another key, or a session already authenticated) is a client bug or
    // an attack; picking one would make the request's identity ambiguous.
    if (found.kind === "several" || req.auth) return respond(refusals.several(), req, res, next);
    if (found.key.length > MAX_PRESENTED_KEY_LENGTH) return respond(refusals.failed("invalid_key"), req, res, next);

    keys.verify(found.key).then(
      (result) => {
        if (!result.ok) return respond(refusals.failed(result.code), req, res, next);
        req.auth = principalOf(result.record);
        next();
      },
      (error: unknown) => respond(error, req, res, next),
    );
  };
}

function principalOf(record: StoredApiKey): ApiKeyPrincipal {
  return record.app === undefined
    ? { kind: "api_key", keyId: record.id, owner: record.owner, scopes: record.scopes }
    : { kind: "api_key", keyId: record.id, owner: record.owner, scopes: record.scopes, app: record.app };
}

/** `WWW-Authenticate` values as RFC 6750 describes them, built once per middleware. */
function prepareRefusals(schemes: ReadonlyMap<string, string>, realm: string) {
  const names = [...schemes.values()];
  const challenge = (params: string) =>
    names.length === 0
      ? `APIKey realm="${realm}"${params}`
      : names.map((scheme) => `${scheme} realm="${realm}"${params}`).join(", ");
  const bare = challenge("");
  const invalidToken = challenge(`, error="invalid_token"`);
  const with401 = (code: "missing_credentials" | VerificationFailure, detail: string, header: string) =>
    new PortcullisError(code, detail, { headers: { "WWW-Authenticate": header } });

  return {
    missing: () => with401("missing_credentials", "Authentication credentials were not provided.", bare),
    foreignScheme: () =>
      with401(
        "missing_credentials",
        names.length === 0
          ? "The Authorization scheme is not supported here."
          : `The Authorization scheme is not supported; use ${names.join(" or ")}.`,
        bare,
      ),
    several: () =>
      new PortcullisError("invalid_request", "Send one credential per request, not several.", {
        headers: { "WWW-Authenticate": challenge(`, error="invalid_request"`) },
      }),
    failed: (code: VerificationFailure) => with401(code, FAILURE_DETAIL[code], invalidToken),
  };
}
