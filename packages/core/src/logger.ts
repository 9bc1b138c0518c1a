import { configError } from "./errors";

/**
 * Where portcullis writes the few lines it logs on its own: an unexpected error answered 500, a
 * store connection lost and back, a deployment mistake found at the first request. `console`
 * fits, and so do pino and winston loggers.
 *
 * @example
 * portcullisFinalHandlers({ logger: pino() });
 */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/**
 * The logger a factory was given, checked, or `console`.
 *
 * @example
 * const logger = resolveLogger("watchRedisConnection", options.logger);
 */
export function resolveLogger(factory: string, logger: Logger | undefined): Logger {
  if (logger === undefined) return console;
  if (logger === null || typeof logger.warn !== "function" || typeof logger.error !== "function") {
    throw configError(factory, `"logger" must have warn(message) and error(message) methods, such as console or a pino logger`);
  }
  return logger;
}
