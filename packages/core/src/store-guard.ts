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
export function guardStore<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  // One promise and one timer per call, not Promise.race's extra ones: this runs on every
  // request that reaches a store.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(storeUnavailable(new Error(`the store did not answer within ${timeoutMs} ms`))), timeoutMs);
    // Promise.resolve: a host's own store may answer with a plain value or a thenable.
    Promise.resolve(operation).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(isPortcullisError(error) ? error : storeUnavailable(error));
      },
    );
  });
}
