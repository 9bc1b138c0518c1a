import type { Request, RequestHandler } from "express";
import { insufficientScope, PortcullisError } from "@portcullis/core";
import { configError, requestState, scopeKind } from "@portcullis/core/internal";

/**
 * Names the endpoint a route is, for endpoint-scoped keys (Clarifai's
 * `/clarifai.api.V2/PostModelOutputs`). A route without a name is `METHOD /route/pattern`
 * (`POST /v2/models/:id/outputs`), so an endpoint-scoped key is limited on every guarded route.
 * The name goes on `req.portcullis.endpoint`, with the route that gave it: a request that falls
 * through to another route loses it.
 *
 * @example
 * app.post("/v2/models/:id/outputs", endpoint("/clarifai.api.V2/PostModelOutputs"), requireScope("Predict"), predict);
 */
export function endpoint(id: string): RequestHandler {
  if (scopeKind(id) !== "endpoint") {
    throw configError("endpoint", `${JSON.stringify(id)} is not an endpoint id: use "/service/Method" or "METHOD /path/:param"`);
  }
  return function endpointMarker(req, _res, next) {
    requestState(req).endpoint = { id, route: req.route };
    next();
  };
}

/**
 * The endpoint ids a request is checked against: its name, else the declared ones, else its route.
 *
 * @example
 * const ids = endpointIdsOf(req, []); // ["/svc/Predict"] after endpoint("/svc/Predict"), else ["POST /v2/models/:id/outputs"]
 */
export function endpointIdsOf(req: Request, declared: readonly string[]): readonly string[] {
  const name = req.portcullis?.endpoint;
  if (name !== undefined && name.route === req.route) return [name.id];
  if (declared.length > 0) return declared;
  const method = req.method === "HEAD" ? "GET" : req.method; // Express answers HEAD with GET routes
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return [`${method} ${req.baseUrl}${typeof path === "string" ? path : req.path}`];
}

/**
 * The 403 for credentials limited to other endpoints: the one answer `requireScope` and the key
 * router give.
 */
export function endpointRefusal(endpoints: readonly string[], realm: string): PortcullisError {
  return insufficientScope(`These credentials may not call ${endpoints.join(" or ")}.`, endpoints, realm);
}
