import type { RequestHandler } from "express";
import { endpointIdsOf, endpointRefusal } from "./endpoint";
import { insufficientScope, isPortcullisError, ScopePolicy, type ErrorResponseOptions } from "@portcullis/core";
import {
  authOutcomeRecorder,
  checked,
  configError,
  createErrorResponder,
  errorResponseOptions,
  isScopePolicy,
  realmOption,
  resolveOptions,
  scopeKind,
  unauthenticated,
} from "@portcullis/core/internal";
import { z } from "zod";

export interface RequireScopeOptions extends ErrorResponseOptions {
  /**
   * `"all"`: the principal needs every scope listed; `"any"`: at least one of them.
   * @default "all"
   */
  readonly match?: "all" | "any";
  /**
   * The scope policy whose implications apply (`admin` granting everything, `read_write` granting
   * `read` and `write`). Pass the same policy as the `ApiKeys` service.
   * @default new ScopePolicy() (no implications)
   */
  readonly policy?: ScopePolicy;
  /**
   * The realm named in `WWW-Authenticate`.
   * @default "api"
   */
  readonly realm?: string;
}

const requireScopeOptions = z.strictObject({
  match: z.enum(["all", "any"]).default("all"),
  policy: checked(isScopePolicy, "must be a ScopePolicy").default(() => new ScopePolicy()),
  realm: realmOption,
  ...errorResponseOptions,
});

/**
 * Guards a route: a request whose principal (`req.auth`, set by `apiKeyAuth` or `sessionAuth`)
 * lacks the scopes gets 403 `insufficient_permissions` naming them; an unauthenticated request
 * gets 401 `missing_credentials` (or `session_expired` when its session just expired).
 *
 * @example
 * app.get("/api/projects", requireScope("read"), listProjects);
 * app.post("/api/models/:id/predict", requireScope(["read", "predict"]), predict);
 * app.get("/api/overview", requireScope(["read", "admin"], { match: "any" }), overview);
 * app.post("/v2/searches", requireScope(["Predict", "/clarifai.api.V2/PostSearches"]), search); // an endpoint and its operation scope
 *
 * A principal holding endpoint scopes may call only those endpoints: the route's `endpoint(id)`,
 * else the endpoint scopes listed here, else `METHOD /route/pattern`.
 */
export function requireScope(scopes: string | readonly string[], options: Readonly<RequireScopeOptions> = {}): RequestHandler {
  const { match, policy, realm, ...config } = resolveOptions("requireScope", requireScopeOptions, options);
  const all = compileRequired(scopes, policy);
  // Endpoint-form scopes name the route's endpoint; the rest are what the route requires.
  const declaredEndpoints = all.filter((scope) => scopeKind(scope) === "endpoint");
  const required = all.filter((scope) => scopeKind(scope) !== "endpoint");
  const respond = createErrorResponder(config);
  const outcomes = authOutcomeRecorder("requireScope");

  return function requireScopeMiddleware(req, res, next) {
    const principal = req.auth;
    if (!principal) {
      const refusal = unauthenticated(req, realm);
      outcomes.refused(refusal.code, "none");
      return respond(refusal, req, res, next);
    }
    // Only a principal limited to some endpoints needs to know which endpoint this is.
    const limit = policy.endpointsOf(principal.scopes);
    if (limit.size > 0) {
      const endpoints = endpointIdsOf(req, declaredEndpoints);
      if (!endpoints.some((id) => limit.has(id))) {
        const refusal = endpointRefusal(endpoints, realm);
        outcomes.refused(refusal.code, principal.kind);
        return respond(refusal, req, res, next);
      }
    }
    const missing = policy.missing(principal.scopes, required);
    const allowed = match === "all" ? missing.length === 0 : missing.length < required.length || required.length === 0;
    if (allowed) {
      outcomes.success(principal.kind);
      return next();
    }
    const named = match === "all" ? missing : required;
    const detail =
      match === "all"
        ? `Missing scope${named.length > 1 ? "s" : ""}: ${named.join(", ")}.`
        : `Requires one of the scopes: ${named.join(", ")}.`;
    outcomes.refused("insufficient_permissions", principal.kind);
    respond(insufficientScope(detail, named, realm), req, res, next);
  };
}

/**
 * `requireScope(scopes, { match: "any" })`: the principal needs at least one of the scopes.
 *
 * @example
 * app.get("/api/reports", requireAnyScope(["read", "admin"]), listReports);
 */
export function requireAnyScope(scopes: string | readonly string[], options: Readonly<Omit<RequireScopeOptions, "match">> = {}): RequestHandler {
  return requireScope(scopes, { ...options, match: "any" });
}

/**
 * Both guards with shared defaults, so the scope policy and error format are said once.
 *
 * @example
 * const { requireScope, requireAnyScope } = scopeGuards({ policy: scopes });
 */
export function scopeGuards(defaults: Readonly<RequireScopeOptions>): {
  requireScope: typeof requireScope;
  requireAnyScope: typeof requireAnyScope;
} {
  // Typed by name: an inferred type would spell out Express's internal modules in the .d.ts.
  return {
    requireScope: (scopes: string | readonly string[], options: Readonly<RequireScopeOptions> = {}) =>
      requireScope(scopes, { ...defaults, ...options }),
    requireAnyScope: (scopes: string | readonly string[], options: Readonly<Omit<RequireScopeOptions, "match">> = {}) =>
      requireScope(scopes, { ...defaults, ...options, match: "any" }),
  };
}

/** Checks the guarded scopes once, at creation: a typo here would lock a route for everyone. */
function compileRequired(scopes: string | readonly string[], policy: ScopePolicy): string[] {
  const list = typeof scopes === "string" ? [scopes] : scopes;
  if (!Array.isArray(list) || list.length === 0) {
    throw configError("requireScope", `pass a scope or a non-empty array of scopes, such as requireScope("read")`);
  }
  try {
    return policy.validate(list);
  } catch (error) {
    if (isPortcullisError(error)) throw configError("requireScope", error.message.replace(/^scopes: /, ""));
    throw error;
  }
}
