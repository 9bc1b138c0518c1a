import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { PortcullisError } from "./errors";

/**
 * Plumbing shared by the portcullis packages (exported for them, and for a host that wants the
 * same answers): whether a request carries a body, by its headers, before any parser reads it.
 * A `Content-Length` other than `0`, or any `Transfer-Encoding`, announces one.
 *
 * @example
 * if (parsedBody(req) === undefined && hasRequestBody(req)) throw jsonBodyRequired(); // sent, but not as JSON
 */
export function hasRequestBody(req: { readonly headers: IncomingHttpHeaders }): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
}

/**
 * Plumbing shared by the portcullis packages: the one 415 `unsupported_media_type` for a body
 * that no JSON parser read (a form, `text/plain`), so every route says the same thing.
 *
 * @example
 * if (parsedBody(req) === undefined) throw jsonBodyRequired();
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
  if (parsedBody(req) === undefined) return next(jsonBodyRequired());
  next();
}

/**
 * Plumbing shared by the portcullis packages: the body a parser read, or undefined when none
 * read one. Express 5's parsers leave `req.body` undefined then; Express 4's (body-parser 1) put
 * an empty `{}` there whether they read a body or not, and mark one they read with `req._body`.
 * So an empty object no parser marked, on a request whose body was never read to its end, is
 * that placeholder: a form that `express.json()` skipped must not pass for an empty JSON object.
 *
 * @example
 * const body = parsedBody(req); // undefined, or what express.json() (or another parser) read
 */
export function parsedBody(req: Request): unknown {
  const { body } = req as { body?: unknown };
  if ((req as { _body?: unknown })._body === true || req.readableEnded) return body;
  return isEmptyPlainObject(body) ? undefined : body;
}

function isEmptyPlainObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0;
}
