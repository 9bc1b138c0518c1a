import type { NextFunction, Request, Response } from "express";
import { z } from "zod";
import { isPortcullisError, PortcullisError, type ErrorCode } from "./errors";
import type { Logger } from "./logger";
import { errorResponseOptions, loggerOption, resolveOptions } from "./option-schema";

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
 * passed on); anything else is a bug or a host error and goes to `next` untouched. The factory's
 * own schema has checked the options (`errorResponseOptions` spread into it).
 */
export function createErrorResponder(options: ErrorResponseOptions): ErrorResponder {
  const onError = options.onError ?? "respond";
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
   * What becomes of an error that is neither a refusal nor a client error the router or
   * body-parser raised (the host's own http-errors 404, a bug, a database failure): `"next"`
   * hands it, untouched, to the next error handler; `"respond"` answers a host error with a 4xx
   * `status` (or `statusCode`) with that status and a generic sentence (404 `not_found`, 409
   * `conflict`, another 4xx without a code of its own `request_refused`; never the host's
   * message, `expose` or not), and anything else 500 `internal_error` with a generic sentence
   * (never the stack, a path or the error's message), logged once through `logger`. Use
   * `"respond"` at the end of the stack, or {@link portcullisFinalHandlers}, which also answers
   * unknown routes.
   * @default "next"
   */
  readonly otherErrors?: "respond" | "next";
  /**
   * Where an unexpected error answered 500 is logged, with its stack.
   * @default console
   */
  readonly logger?: Logger;
}

const portcullisErrorHandlerOptions = z.strictObject({
  formatError: errorResponseOptions.formatError,
  otherErrors: z.enum(["respond", "next"]).default("next"),
  logger: loggerOption,
});

/**
 * An Express error handler: answers portcullis refusals in the given format, and body-parser's
 * errors and a malformed URL as the 4xx refusals they are (413, 415, 400); every other error goes
 * to the next handler untouched, or with `otherErrors: "respond"` is answered as its 4xx status
 * says or as a 500 `internal_error`.
 *
 * @example
 * app.use(portcullisErrorHandler());                           // then the host's own handler
 * @example
 * app.use(portcullisErrorHandler({ otherErrors: "respond" })); // the last handler of the app
 */
export function portcullisErrorHandler(options: Readonly<PortcullisErrorHandlerOptions> = {}) {
  const name = "portcullisErrorHandler";
  const { formatError = defaultErrorFormat, otherErrors, logger } = resolveOptions(name, portcullisErrorHandlerOptions, options);
  const respond = createErrorResponder({ formatError, onError: "respond" });
  const unexpected = new PortcullisError("internal_error");
  return function portcullisErrorHandlerMiddleware(error: unknown, req: Request, res: Response, next: NextFunction) {
    const mapped = fromRequestError(error);
    // The host's own errors (an http-errors 404 from its route, a bug) are its own business here.
    if (otherErrors === "next" || res.headersSent) return respond(mapped, req, res, next);
    let refusal: PortcullisError | undefined = isPortcullisError(mapped) ? mapped : fromHostClientError(error);
    if (refusal === undefined) {
      logger.error(`${name}: ${req.method} ${req.originalUrl.split("?", 1)[0]} failed; answered 500 internal_error`, error);
      refusal = unexpected;
    }
    const answered = refusal;
    respond(answered, req, res, (formatterFailure?: unknown) => {
      // The last handler has no one to pass a formatter's failure to: the default body, not Express's page.
      logger.error(`${name}: formatError threw; answered with the default body`, formatterFailure);
      sendError(res, req, answered, defaultErrorFormat);
    });
  };
}

/**
 * The client errors body-parser raises, by their `type`, as refusals. Its other types are a
 * host's `verify` refusing (`entity.verify.failed`) or a bug (`stream.not.readable`): not mapped.
 */
const BODY_PARSER_ERRORS: Readonly<Record<string, (cause: unknown) => PortcullisError>> = {
  "entity.too.large": (cause) => new PortcullisError("payload_too_large", undefined, { cause }),
  "parameters.too.many": (cause) => new PortcullisError("payload_too_large", undefined, { cause }),
  "charset.unsupported": (cause) =>
    new PortcullisError("unsupported_media_type", "The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8).", { cause }),
  "encoding.unsupported": (cause) =>
    new PortcullisError("unsupported_media_type", "The request body's Content-Encoding is not supported; send it uncompressed or gzip-compressed.", { cause }),
  "entity.parse.failed": (cause) => new PortcullisError("invalid_request", "The request body is not valid JSON.", { cause }),
  "querystring.parse.rangeError": (cause) => new PortcullisError("invalid_request", "The request body is nested too deeply.", { cause }),
  "request.aborted": (cause) => new PortcullisError("invalid_request", "The request body was not received in full.", { cause }),
  "request.size.invalid": (cause) => new PortcullisError("invalid_request", "The request body's length does not match its Content-Length.", { cause }),
};

/**
 * Turns the client errors Express raises before a route runs into refusals with a stable code,
 * instead of an HTML 400 page: body-parser's (express.json, by the error's `type`) too large,
 * unsupported charset or Content-Encoding, unparseable or truncated body, and the router's
 * decoding of a route parameter with an invalid percent-escape. Anything else, a host's own
 * http-errors 404 included, is returned unchanged.
 *
 * @example
 * router.use((error, req, res, next) => respond(fromRequestError(error), req, res, next));
 */
export function fromRequestError(error: unknown): unknown {
  if (error instanceof PortcullisError) return error;
  const type = (error as { type?: unknown })?.type;
  const status = (error as { status?: unknown })?.status;
  if (typeof type === "string" && typeof status === "number" && Object.hasOwn(BODY_PARSER_ERRORS, type)) return BODY_PARSER_ERRORS[type]!(error);
  // Express's router decoding a route parameter (`/things/%E0%A4%A`); the message, which quotes
  // the parameter, stays in the cause.
  if (error instanceof URIError && status === 400) {
    return new PortcullisError("invalid_request", "The URL is malformed: it holds an invalid percent-escape.", { cause: error });
  }
  return error;
}

/** Host 4xx statuses that have a code of their own; any other 4xx is `request_refused`. */
const HOST_STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: "invalid_request",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limit_exceeded",
};

/**
 * A host's own client error (http-errors style: `status` or `statusCode` 400-499) as a refusal
 * with the same status and the code's generic sentence: the host's message is never sent, as
 * it may name a record, a tenant or an account. Undefined for anything else.
 */
function fromHostClientError(error: unknown): PortcullisError | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = status ?? statusCode;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 400 || value > 499) return undefined;
  const code = HOST_STATUS_CODES[value];
  return code ? new PortcullisError(code, undefined, { cause: error }) : new PortcullisError("request_refused", undefined, { cause: error, status: value });
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
