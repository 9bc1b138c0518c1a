import { isPortcullisError, PortcullisError } from "./errors";
import { startStoreCall, type StoreOperation } from "./telemetry";

/** How long a store call may take before the request is refused, unless configured. */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/**
 * What failed, on the 503 made for a store failure: `timeout` or the failure's class name, for
 * `error.type` in telemetry. Not enumerable, so no formatter or log serialiser sees it; a shared
 * symbol, so a 503 made by another installed copy of this module is read the same.
 */
const FAILURE_TYPE = Symbol.for("@portcullis/core store failure type v1");

/**
 * The 503 for a store that failed. The cause keeps the failure's name and message only: client
 * errors (ioredis's) carry the command's arguments, which can hold session ids and record data,
 * and error loggers print them.
 */
export function storeUnavailable(cause: unknown): PortcullisError {
  const scrubbed = cause instanceof Error ? new Error(`${cause.name}: ${cause.message}`) : new Error(String(cause));
  return tagged(new PortcullisError("auth_unavailable", undefined, { cause: scrubbed, headers: { "Retry-After": "1" } }), errorTypeOf(cause));
}

/** The 503 for a store that did not answer within `timeoutMs`. */
export function storeTimeout(timeoutMs: number): PortcullisError {
  const cause = new Error(`the store did not answer within ${timeoutMs} ms`);
  return tagged(new PortcullisError("auth_unavailable", undefined, { cause, headers: { "Retry-After": "1" } }), "timeout");
}

/**
 * What kind of store failure `error` is, for telemetry's `error.type`: `timeout`, the failure's
 * class name, or undefined for a refusal the store decided (a `PortcullisError` that is not a
 * store failure), which is an answer, not a failure.
 */
export function storeFailureType(error: unknown): string | undefined {
  if (!isPortcullisError(error)) return errorTypeOf(error);
  const type = (error as { [FAILURE_TYPE]?: unknown })[FAILURE_TYPE];
  if (typeof type === "string") return type;
  return error.code === "auth_unavailable" ? "auth_unavailable" : undefined;
}

/**
 * Runs a store call with a time limit: a failure or a call slower than `timeoutMs` becomes a 503
 * `auth_unavailable` (refusals already decided pass through), so callers fail closed, and fast.
 * Adapters use it for their own commands; middlewares call a port through {@link callStore}.
 *
 * @example
 * const user = await guardStore(redis.hgetall(key), 2000);
 */
export function guardStore<T>(operation: PromiseLike<T> | T, timeoutMs: number): Promise<T> {
  // One promise and one timer per call, not Promise.race's extra ones: this runs on every
  // request that reaches a store.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(storeTimeout(timeoutMs)), timeoutMs);
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

/**
 * Calls a store port from a middleware: the call runs in a span named after `operation`, with
 * {@link guardStore}'s time limit, and a failure or a timeout is counted in
 * `portcullis.store.errors`. A call that throws at once fails like one that rejects.
 *
 * @example
 * const KEY_STORE = storeOperations("KeyStore", ["findById"]);
 * const record = await callStore(KEY_STORE.findById, 2000, () => store.findById(id));
 */
export function callStore<T>(operation: StoreOperation, timeoutMs: number, call: () => PromiseLike<T> | T): Promise<T> {
  const traced = startStoreCall(operation);
  let started: PromiseLike<T> | T;
  try {
    started = traced.run(call);
  } catch (error) {
    started = Promise.reject(error);
  }
  const guarded = guardStore(started, timeoutMs);
  guarded.then(
    () => traced.end(),
    (error: unknown) => {
      const type = storeFailureType(error);
      traced.end(type, type === undefined ? undefined : reportable(error));
    },
  );
  return guarded;
}

/** The error a span's exception event describes: a 503's scrubbed cause rather than its client sentence. */
function reportable(error: unknown): unknown {
  return isPortcullisError(error) && error.cause instanceof Error ? error.cause : error;
}

function tagged(error: PortcullisError, type: string): PortcullisError {
  Object.defineProperty(error, FAILURE_TYPE, { value: type });
  return error;
}

/** A class name is a bounded set (the code's own); anything else is `_OTHER`, as the semantic conventions say. */
function errorTypeOf(error: unknown): string {
  const name = error instanceof Error ? error.name : undefined;
  return typeof name === "string" && /^[A-Za-z_$][\w$]{0,63}$/.test(name) ? name : "_OTHER";
}
