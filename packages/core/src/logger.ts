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

/** True for anything a factory can log through: `warn` and `error` methods (console, pino, winston). */
export function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Logger> | null;
  return (typeof logger === "object" || typeof logger === "function") && typeof logger?.warn === "function" && typeof logger.error === "function";
}
