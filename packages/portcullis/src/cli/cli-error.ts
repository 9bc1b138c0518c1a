/** Exit statuses: 1 when a command failed, 2 when the command line itself is wrong. */
export type ExitCode = 1 | 2;

/**
 * Why the CLI stopped, as one line for stderr. A usage error (exit 2) carries the usage text of
 * the command it was meant for, so the reader sees what the command does accept.
 *
 * @example
 * throw usageError("keys create: --owner is required", CREATE_USAGE);
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;
  /** Printed after the message on a usage error. */
  readonly usage: string | undefined;

  constructor(message: string, exitCode: ExitCode, usage?: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
    this.usage = usage;
  }
}

/**
 * The command line is wrong: an unknown command or option, a missing or malformed value.
 *
 * @example
 * throw usageError(`unknown command "keys ${action}"`, KEYS_USAGE);
 */
export function usageError(message: string, usage: string): CliError {
  return new CliError(message, 2, usage);
}

/**
 * The command could not be carried out: missing configuration, Redis or PostgreSQL out of reach.
 *
 * @example
 * throw failure("REDIS_URL is not set: …");
 */
export function failure(message: string, cause?: unknown): CliError {
  return new CliError(message, 1, undefined, cause === undefined ? undefined : { cause });
}

/**
 * The message of anything thrown. Duck-typed, because errors from Node's own modules fail
 * `instanceof Error` where the code runs in another realm (a jest sandbox, a vm context).
 *
 * @example
 * messageOf(new Error("connect ECONNREFUSED 127.0.0.1:6379")); // "connect ECONNREFUSED 127.0.0.1:6379"
 */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : String(error);
}

/**
 * The one-line failure for a store that refused, dropped or timed out, with the client's reason
 * (which names a host and port, never the password).
 *
 * @example
 * throw unreachable("Redis", target.displayUrl, error); // cannot reach Redis at redis://localhost:6379 (connect ECONNREFUSED 127.0.0.1:6379)
 */
export function unreachable(service: "Redis" | "PostgreSQL", displayUrl: string, error: unknown): CliError {
  const message = messageOf(error);
  const reason = message === "" ? "" : ` (${message})`;
  return failure(`cannot reach ${service} at ${displayUrl}${reason}`, error);
}
