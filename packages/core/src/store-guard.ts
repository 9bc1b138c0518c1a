import { isPortcullisError, PortcullisError } from "./errors";

/** How long a store call may take before the request is refused, unless configured. */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/**
 * The 503 for a store that failed. The cause keeps the failure's name and message only: client
 * errors (ioredis's) carry the command's arguments, which can hold session ids and record data,
 * and error loggers print them.
 */
export function storeUnavailable(cause: unknown): PortcullisError {
  const scrubbed = cause instanceof Error ? new Error(`${cause.name}: ${cause.message}`) : new Error(String(cause));
  return new PortcullisError("auth_unavailable", undefined, { cause: scrubbed, headers: { "Retry-After": "1" } });
}

/**
 * Runs a store call with a time limit: a failure or a call slower than `timeoutMs` becomes a 503
 * `auth_unavailable` (refusals already decided pass through), so callers fail closed, and fast.
 *
 * @example
 * const user = await guardStore(users.findById(id), 2000);
 */
export async function guardStore<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([operation, timeout]);
  } catch (error) {
    if (isPortcullisError(error)) throw error;
    throw storeUnavailable(error);
  } finally {
    clearTimeout(timer);
  }
}
