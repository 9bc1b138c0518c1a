import type { RequestHandler } from "express";
import {
  PortcullisError,
  type ApiKeyPrincipal,
  type ApiKeyRecord,
  type ApiKeys,
  type AuditRecorder,
  type ErrorResponseOptions,
  type Verification,
  type VerificationFailure,
} from "@portcullis/core";
import {
  challenge,
  checked,
  createErrorResponder,
  errorResponseOptions,
  isApiKeys,
  auditEventFromRequest,
  authOutcomeRecorder,
  realmOption,
  resolveOptions,
} from "@portcullis/core/internal";
import { z } from "zod";
import { compileSources, sourcesOption, type CredentialSource } from "./credential-sources";
import { extractApiKey, headersToRead, MAX_PRESENTED_KEY_LENGTH } from "./extract-api-key";

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
  /**
   * The access log: every request that presents a key is recorded, accepted or refused (with the
   * key id, never the key). Recording never slows or fails the request.
   * @default undefined (no access log)
   */
  readonly audit?: AuditRecorder;
}

const isAuditRecorder = (value: unknown): value is AuditRecorder => typeof (value as Partial<AuditRecorder> | null)?.record === "function";

/** The options, checked, with their defaults. */
const apiKeyAuthOptions = z.strictObject(
  {
    keys: checked(isApiKeys, "is required: pass new ApiKeys({ store, secret, prefix })"),
    sources: sourcesOption,
    optional: z.boolean().default(false),
    realm: realmOption,
    audit: checked(isAuditRecorder, "must be an AuditSink, such as new MemoryAuditSink()").optional(),
    ...errorResponseOptions,
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: apiKeyAuth({ keys })" : undefined) },
);

/**
 * Authenticates requests by API key and sets `req.auth` (kind `"api_key"`, key id, owner, scopes,
 * app). Malformed keys never reach the store; a store outage answers 503, never lets a request in.
 *
 * @example
 * const keys = new ApiKeys({ store, secret: process.env.PORTCULLIS_SECRET!, prefix: "cpx_live." });
 * app.use("/api", apiKeyAuth({ keys }));
 */
export function apiKeyAuth(options: Readonly<ApiKeyAuthOptions>): RequestHandler {
  const { keys, optional, realm, audit, ...config } = resolveOptions("apiKeyAuth", apiKeyAuthOptions, options);
  const sources = compileSources(config.sources);
  const respond = createErrorResponder(config);
  const refusals = prepareRefusals(sources.schemes, realm);
  const outcomes = authOutcomeRecorder("apiKeyAuth");
  /** Answers a refusal of a presented key, and logs and counts it. */
  const refuse = (
    error: PortcullisError,
    req: Parameters<RequestHandler>[0],
    res: Parameters<RequestHandler>[1],
    next: Parameters<RequestHandler>[2],
    known?: ApiKeyRecord,
  ) => {
    const of = known ? { keyId: known.id, owner: known.owner } : {};
    audit?.record(auditEventFromRequest(req, { at: keys.now(), action: "api_key.authenticate", outcome: "failure", code: error.code, ...of }));
    outcomes.refused(error.code, "api_key");
    respond(error, req, res, next);
  };

  return function apiKeyAuthMiddleware(req, res, next) {
    // Mounted twice on one path (app-wide and on a router): the key was checked once already.
    if (req.auth?.kind === "api_key") return next();
    const found = extractApiKey(headersToRead(req.rawHeaders, sources), sources);
    if (found.kind === "none" || found.kind === "foreign_scheme") {
      if (optional || req.auth) return next();
      outcomes.refused("missing_credentials", "api_key");
      return respond(found.kind === "none" ? refusals.missing() : refusals.foreignScheme(), req, res, next);
    }
    // A second credential (another key, or a session already authenticated) is a client bug or
    // an attack; picking one would make the request's identity ambiguous.
    if (found.kind === "several" || req.auth) return refuse(refusals.several(), req, res, next);
    if (found.key.length > MAX_PRESENTED_KEY_LENGTH) return refuse(refusals.failed("invalid_key"), req, res, next);

    const admit = (result: Verification) => {
      if (!result.ok) return refuse(refusals.failed(result.code), req, res, next, result.record);
      req.auth = principalOf(result.record);
      const { id: keyId, owner } = result.record;
      audit?.record(auditEventFromRequest(req, { at: keys.now(), action: "api_key.authenticate", outcome: "success", keyId, owner }));
      outcomes.success("api_key");
      next();
    };
    keys
      .verify(found.key)
      .then(admit)
      .catch((error: unknown) => (error instanceof PortcullisError ? refuse(error, req, res, next) : respond(error, req, res, next)))
      .catch(next); // a responder that throws must not become an unhandled rejection
  };
}

/** The principal of a verified key, frozen as the record is. */
function principalOf(record: ApiKeyRecord): ApiKeyPrincipal {
  return Object.freeze({
    kind: "api_key",
    keyId: record.id,
    owner: record.owner,
    scopes: record.scopes,
    ...(record.app === undefined ? {} : { app: record.app }),
    ...(record.lineage === undefined ? {} : { lineage: record.lineage }),
    ...(record.rateLimit === undefined ? {} : { rateLimit: record.rateLimit }),
    ...(record.countsUnder === undefined || record.countsUnder.length === 0 ? {} : { countsUnder: record.countsUnder }),
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
  });
}

/** `WWW-Authenticate` values as RFC 6750 describes them, built once per middleware. */
function prepareRefusals(schemes: ReadonlyMap<string, string>, realm: string) {
  const names = [...schemes.values()];
  const challenges = (params: Record<string, string> = {}) =>
    names.length === 0 ? challenge("APIKey", realm, params) : names.map((scheme) => challenge(scheme, realm, params)).join(", ");
  const bare = challenges();
  const invalidToken = challenges({ error: "invalid_token" });
  const with401 = (code: "missing_credentials" | VerificationFailure, header: string, detail?: string) =>
    new PortcullisError(code, detail, { headers: { "WWW-Authenticate": header } });

  return {
    missing: () => with401("missing_credentials", bare),
    foreignScheme: () =>
      with401(
        "missing_credentials",
        bare,
        names.length === 0
          ? "The Authorization scheme is not supported here."
          : `The Authorization scheme is not supported; use ${names.join(" or ")}.`,
      ),
    several: () =>
      new PortcullisError("invalid_request", "Send one credential per request, not several.", {
        headers: { "WWW-Authenticate": challenges({ error: "invalid_request" }) },
      }),
    failed: (code: VerificationFailure) => with401(code, invalidToken),
  };
}
