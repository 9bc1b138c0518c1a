import { assertKnownOptions } from "./options";
import type { NextFunction, Request, Response } from "express";
import { configError, isPortcullisError, PortcullisError } from "./errors";

/** What a formatter returns: the body, and optionally another status or content type. */
export interface FormattedError {
  body: unknown;
  status?: number;
  contentType?: string;
}

/** Turns a refusal into a response body, e.g. a Clarifai-style status object. */
export type ErrorFormatter = (error: PortcullisError, req: Request) => FormattedError;

/** How a middleware answers a refused request. Shared by every portcullis factory. */
export interface ErrorResponseOptions {
  /**
   * `"respond"` answers the request directly; `"next"` passes the {@link PortcullisError} to
   * `next(err)` so the host's own error handler decides.
   * @default "respond"
   */
  readonly onError?: "respond" | "next";
  /**
   * Replaces the default body `{"error": code, "detail": sentence}`.
   * @default defaultErrorFormat
   */
  readonly formatError?: ErrorFormatter;
}

/** The default body: `error` for clients that branch on a code, `detail` for those that print it. */
export const defaultErrorFormat: ErrorFormatter = (error) => ({
  body: { error: error.code, detail: error.detail },
});

/**
 * RFC 9457 problem details, as an alternative `formatError`.
 *
 * @example
 * apiKeyAuth({ keys, formatError: problemDetailsFormat })
 */
export const problemDetailsFormat: ErrorFormatter = (error, req) => ({
  contentType: "application/problem+json",
  body: {
    ...error.data, // extension members first: they can never overwrite the standard ones
    type: `urn:portcullis:error:${error.code}`,
    title: error.code,
    status: error.status,
    detail: error.detail,
    instance: req.originalUrl.split("?", 1)[0], // never echo a query string back
  },
});

/** Writes a refusal as a response, with its headers, in the configured format. */
export function sendError(res: Response, req: Request, error: PortcullisError, format: ErrorFormatter): void {
  const formatted = format(error, req);
  if (formatted === null || typeof formatted !== "object" || !("body" in formatted)) {
    throw new TypeError(`formatError must return { body, status?, contentType? }; it returned ${typeof formatted} for ${error.code}`);
  }
  res.status(formatted.status ?? error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  // A refusal must never be cached by a shared cache, whatever the host's defaults.
  res.setHeader("Cache-Control", "no-store");
  const text = typeof formatted.body === "string";
  res.type(formatted.contentType ?? (text ? "text/plain" : "application/json"));
  res.send(text ? formatted.body : JSON.stringify(formatted.body));
}

/** A resolved responder: call it with a refusal, or with any error the middleware caught. */
export type ErrorResponder = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

/**
 * Resolves the error options of one factory once, at creation. Refusals are answered (or
 * passed on); anything else is a bug or a host error and goes to `next` untouched.
 */
export function createErrorResponder(factory: string, options: ErrorResponseOptions): ErrorResponder {
  const onError = options.onError ?? "respond";
  if (onError !== "respond" && onError !== "next") {
    throw configError(factory, `"onError" must be "respond" or "next", got ${JSON.stringify(onError)}`);
  }
  if (options.formatError !== undefined && typeof options.formatError !== "function") {
    throw configError(factory, `"formatError" must be a function (error, req) => ({ body, status?, contentType? })`);
  }
  const format = options.formatError ?? defaultErrorFormat;
  return function respondWithError(error, req, res, next) {
    if (!isPortcullisError(error) || onError === "next" || res.headersSent) return next(error);
    try {
      sendError(res, req, error, format);
    } catch (formatterFailure) {
      // A host formatter that throws is a host bug: it goes to the host's error handler, and the
      // request is still refused, never let through.
      next(formatterFailure);
    }
  };
}

/**
 * An Express error handler for hosts that use `onError: "next"`: answers portcullis refusals in
 * the given format and leaves every other error to the next handler.
 *
 * @example
 * app.use(portcullisErrorHandler());
 */
export function portcullisErrorHandler(options: Pick<ErrorResponseOptions, "formatError"> = {}) {
  assertKnownOptions("portcullisErrorHandler", options, ["formatError"]);
  const respond = createErrorResponder("portcullisErrorHandler", { ...options, onError: "respond" });
  return function portcullisErrorHandlerMiddleware(error: unknown, req: Request, res: Response, next: NextFunction) {
    respond(error, req, res, next);
  };
}

/**
 * Turns body-parser's errors (express.json) into refusals with a stable code instead of an HTML
 * 400 page; anything else is returned unchanged.
 *
 * @example
 * router.use((error, req, res, next) => respond(fromBodyParserError(error), req, res, next));
 */
export function fromBodyParserError(error: unknown): unknown {
  if (error instanceof PortcullisError) return error;
  const type = (error as { type?: unknown })?.type;
  const status = (error as { status?: unknown })?.status;
  if (type === "entity.too.large") return new PortcullisError("payload_too_large", undefined, { cause: error });
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new PortcullisError("unsupported_media_type", "The request body must be JSON in UTF-8.", { cause: error });
  }
  if (type === "entity.parse.failed") return new PortcullisError("invalid_request", "The request body is not valid JSON.", { cause: error });
  if (typeof status === "number" && status >= 400 && status < 500) return new PortcullisError("invalid_request", undefined, { cause: error });
  return error;
}

/**
 * The error options of a factory's options, to hand on to the factories it composes (the key
 * router builds `requireScope` and `requireRecentAuth` with the host's error format).
 *
 * @example
 * requireScope(manageScope, { policy, ...errorOptionsOf(options) });
 */
export function errorOptionsOf({ onError, formatError }: ErrorResponseOptions): ErrorResponseOptions {
  return { ...(onError === undefined ? {} : { onError }), ...(formatError === undefined ? {} : { formatError }) };
}
