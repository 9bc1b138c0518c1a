import type { Request, RequestHandler } from "express";
import { PortcullisError, type ErrorResponseOptions } from "@portcullis/core";
import { configError, createErrorResponder, errorResponseOptions, realmOption, resolveOptions, unauthenticated } from "@portcullis/core/internal";
import { z } from "zod";

export interface RequireAppOptions extends ErrorResponseOptions {
  /** @default "api" */
  readonly realm?: string;
}

const requireAppOptions = z.strictObject({ realm: realmOption, ...errorResponseOptions });

/**
 * Keeps an app-bound key on its own app (Clarifai: "A key only gives you access to a single
 * app"): when the app a request addresses, as `appOf` reads it, is not the key's, or cannot be
 * read at all, the answer is 403. Keys without a binding and sessions pass. Mount it where the
 * app is known: on the path that holds the app's parameters, not above it (where `req.params`
 * is still empty, and a bound key would be refused everywhere).
 *
 * @example
 * app.use("/v2/users/:userId/apps/:appId", requireApp((req) => `${req.params.userId}/${req.params.appId}`));
 * app.use("/api", requireApp((req) => req.get("x-app-id")));
 */
export function requireApp(appOf: (req: Request) => string | undefined, options: Readonly<RequireAppOptions> = {}): RequestHandler {
  if (typeof appOf !== "function") throw configError("requireApp", `pass a function that reads the app from the request, such as (req) => req.params.appId`);
  const { realm, ...config } = resolveOptions("requireApp", requireAppOptions, options);
  const respond = createErrorResponder(config);

  return function requireAppMiddleware(req, res, next) {
    const principal = req.auth;
    if (!principal) return respond(unauthenticated(req, realm), req, res, next);
    if (principal.app === undefined) return next();
    let addressed: string | undefined;
    try {
      addressed = appOf(req);
    } catch {
      addressed = "";
    }
    // An app that cannot be read is not the key's app: a bound key is refused, never let through.
    if (addressed === principal.app) return next();
    respond(new PortcullisError("insufficient_permissions", "This key is bound to another app."), req, res, next);
  };
}
