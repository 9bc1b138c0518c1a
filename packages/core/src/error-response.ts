import { assertKnownOptions } from "./options";
import type { NextFunction, Request, Response } from "express";
import { configError, isPortcullisError, PortcullisError } from "./errors";
import { resolveLogger, type Logger } from "./logger";

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

/** Options of {@link portcullisErrorHandler}. */
export interface PortcullisErrorHandlerOptions extends Pick<ErrorResponseOptions, "formatError"> {
  /**
   * What becomes of an error that is neither a refusal nor a client error Express or body-parser
   * raised (a bug, a database failure): `"next"` hands it to the next error handler; `"respond"`
   * answers 500 `internal_error` with a generic sentence (never the stack, a path or the error's
   * message) and logs the error once through `logger`. Use `"respond"` at the end of the stack,
   * or {@link portcullisFinalHandlers}, which also answers unknown routes.
   * @default "next"
   */
  readonly otherErrors?: "respond" | "next";
  /**
   * Where an unexpected error answered 500 is logged, with its stack.
   * @default console
   */
  readonly logger?: Logger;
}

/**
 * An Express error handler: answers portcullis refusals in the given format, and body-parser's
 * errors and a malformed URL as the 4xx refusals they are (413, 415, 400); every other error goes
 * to the next handler, or with `otherErrors: "respond"` is answered 500 `internal_error`.
 *
 * @example
 * app.use(portcullisErrorHandler());                           // then the host's own handler
 * @example
 * app.use(portcullisErrorHandler({ otherErrors: "respond" })); // the last handler of the app
 */
export function portcullisErrorHandler(options: Readonly<PortcullisErrorHandlerOptions> = {}) {
  const name = "portcullisErrorHandler";
  assertKnownOptions(name, options, ["formatError", "otherErrors", "logger"]);
  const otherErrors = options.otherErrors ?? "next";
  if (otherErrors !== "respond" && otherErrors !== "next") {
    throw configError(name, `"otherErrors" must be "respond" or "next", got ${JSON.stringify(otherErrors)}`);
  }
  const logger = resolveLogger(name, options.logger);
  const respond = createErrorResponder(name, { formatError: options.formatError ?? defaultErrorFormat, onError: "respond" });
  const unexpected = new PortcullisError("internal_error");
  return function portcullisErrorHandlerMiddleware(error: unknown, req: Request, res: Response, next: NextFunction) {
    const mapped = fromRequestError(error);
    if (otherErrors === "next" || res.headersSent) return respond(mapped, req, res, next);
    let refusal: PortcullisError;
    if (isPortcullisError(mapped)) {
      refusal = mapped;
    } else {
      logger.error(`${name}: ${req.method} ${req.originalUrl.split("?", 1)[0]} failed; answered 500 internal_error`, error);
      refusal = unexpected;
    }
    respond(refusal, req, res, (formatterFailure?: unknown) => {
      // The last handler has no one to pass a formatter's failure to: the default body, not Express's page.
      logger.error(`${name}: formatError threw; answered with the default body`, formatterFailure);
      sendError(res, req, refusal, defaultErrorFormat);
    });
  };
}

/**
 * Turns the client errors Express raises before a route runs into refusals with a stable code,
 * instead of an HTML 400 page: body-parser's (express.json) too large, unsupported charset or
 * Content-Encoding, unparseable JSON, and a route parameter with an invalid percent-escape.
 * Anything else is returned unchanged.
 *
 * @example
 * router.use((error, req, res, next) => respond(fromRequestError(error), req, res, next));
 */
export function fromRequestError(error: unknown): unknown {
  if (error instanceof PortcullisError) return error;
  const type = (error as { type?: unknown })?.type;
  const status = (error as { status?: unknown })?.status;
  if (type === "entity.too.large") return new PortcullisError("payload_too_large", undefined, { cause: error });
  if (type === "charset.unsupported") {
    return new PortcullisError("unsupported_media_type", "The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8).", { cause: error });
  }
  if (type === "encoding.unsupported") {
    return new PortcullisError("unsupported_media_type", "The request body's Content-Encoding is not supported; send it uncompressed or gzip-compressed.", { cause: error });
  }
  if (type === "entity.parse.failed") return new PortcullisError("invalid_request", "The request body is not valid JSON.", { cause: error });
  // Express's router decoding a route parameter (`/things/%E0%A4%A`); the message, which quotes
  // the parameter, stays in the cause.
  if (error instanceof URIError && status === 400) {
    return new PortcullisError("invalid_request", "The URL is malformed: it holds an invalid percent-escape.", { cause: error });
  }
  if (typeof status === "number" && status >= 400 && status < 500) return new PortcullisError("invalid_request", undefined, { cause: error });
  return error;
}

/**
 * The former name of {@link fromRequestError}, which it now is.
 * @deprecated use fromRequestError
 *
 * @example
 * router.use((error, req, res, next) => respond(fromBodyParserError(error), req, res, next));
 */
export const fromBodyParserError = fromRequestError;

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
