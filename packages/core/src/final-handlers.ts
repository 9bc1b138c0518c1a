import type { ErrorRequestHandler, RequestHandler } from "express";
import { PortcullisError } from "./errors";
import { z } from "zod";
import { portcullisErrorHandler, type PortcullisErrorHandlerOptions } from "./error-response";
import { errorResponseOptions, loggerOption, resolveOptions } from "./option-schema";

/** Options of {@link portcullisFinalHandlers}. */
export type PortcullisFinalHandlersOptions = Omit<PortcullisErrorHandlerOptions, "otherErrors">;

const portcullisFinalHandlersOptions = z.strictObject({ formatError: errorResponseOptions.formatError, logger: loggerOption });

/**
 * The last two middlewares of an app, so that nothing it answers is Express's HTML page: a 404
 * `not_found` for a route nothing answered, then {@link portcullisErrorHandler} with
 * `otherErrors: "respond"` (refusals as they are, body-parser errors and malformed URLs as 4xx,
 * a host's own 4xx error with its status and a generic sentence, anything else a 500
 * `internal_error` without its stack, logged once). Mount it after every
 * route, whatever `NODE_ENV` says.
 *
 * @example
 * app.use(portcullisFinalHandlers());
 * @example
 * app.use(portcullisFinalHandlers({ formatError: problemDetailsFormat, logger: pino() }));
 */
export function portcullisFinalHandlers(options: Readonly<PortcullisFinalHandlersOptions> = {}): [RequestHandler, ErrorRequestHandler] {
  const config = resolveOptions("portcullisFinalHandlers", portcullisFinalHandlersOptions, options);
  const notFound = new PortcullisError("not_found");
  const handler = portcullisErrorHandler({ ...config, otherErrors: "respond" });
  return [
    function portcullisNotFoundMiddleware(_req, _res, next) {
      next(notFound);
    },
    handler,
  ];
}
