import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { PortcullisError } from "./errors";

/**
 * Plumbing shared by the portcullis packages (exported for them, and for a host that wants the
 * same answers): whether a request carries a body, by its headers, before any parser reads it.
 * A `Content-Length` other than `0`, or any `Transfer-Encoding`, announces one.
 *
 * @example
 * if (req.body === undefined && hasRequestBody(req)) throw jsonBodyRequired(); // sent, but not as JSON
 */
export function hasRequestBody(req: { readonly headers: IncomingHttpHeaders }): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
}

/**
 * Plumbing shared by the portcullis packages: the one 415 `unsupported_media_type` for a body
 * that no JSON parser read (a form, `text/plain`), so every route says the same thing.
 *
 * @example
 * if (req.body === undefined) throw jsonBodyRequired();
 */
export function jsonBodyRequired(): PortcullisError {
  return new PortcullisError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
}

/**
 * Plumbing shared by the portcullis packages: after `express.json()`, passes
 * {@link jsonBodyRequired} to `next` when the parser skipped the body (it was not declared as
 * JSON), rather than let the route take it for a missing body.
 *
 * @example
 * router.post("/login", express.json(), requireJsonBody, login);
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.body === undefined) return next(jsonBodyRequired());
  next();
}
