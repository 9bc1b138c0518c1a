import { SessionGone, type TakingSessionStore } from "./session-storage";
import { storeFailureType } from "./store-guard";
import { SESSION_STORE } from "./store-operations";
import { startStoreCall, type StoreOperation } from "./telemetry";


/** Marks a store already traced, by any installed copy of this module. */
const TRACED = Symbol.for("@portcullis/core traced session store v1");

type Callback = (error?: unknown, value?: unknown) => void;
/** Where each method takes its callback: `get(sid, cb)`, `set(sid, data, cb?)`, `destroy(sid, cb?)`, `touch(sid, data, cb?)`. */
const CALLBACK_POSITIONS = [["get", 1], ["set", 2], ["destroy", 1], ["touch", 2]] as const;
type CallbackMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Traces the calls express-session makes on `store` (`get`, `set`, `destroy`, `touch`): each
 * becomes a span, and a failure is counted in `portcullis.store.errors`, whichever adapter the
 * store is. The methods are replaced on the instance itself, the one `sessionAuth`'s session
 * storage made for it, because express-session calls it directly and needs the instance (an
 * express-session `Store`, with its events). A `SessionGone` answer is no failure.
 *
 * @example
 * const { store } = sessions(settings);
 * traceSessionStore(store);
 */
export function traceSessionStore<S extends TakingSessionStore>(store: S): S {
  if ((store as { [TRACED]?: unknown })[TRACED]) return store;
  const methods = store as unknown as Record<string, CallbackMethod | undefined>;
  for (const [name, callbackAt] of CALLBACK_POSITIONS) {
    const method = methods[name];
    if (typeof method === "function") methods[name] = tracedCallbackMethod(SESSION_STORE[name], method, callbackAt);
  }
  Object.defineProperty(store, TRACED, { value: true });
  return store;
}

/** A callback-style method (its callback at `callbackAt`, optional for some) in a span ended by the callback. */
function tracedCallbackMethod(operation: StoreOperation, method: CallbackMethod, callbackAt: number): CallbackMethod {
  return function tracedStoreCall(this: unknown, ...args: unknown[]) {
    const traced = startStoreCall(operation);
    const callback = args[callbackAt] as Callback | undefined;
    args[callbackAt] = (error?: unknown, value?: unknown) => {
      const type = error && !(error instanceof SessionGone) ? storeFailureType(error) : undefined;
      traced.end(type, error);
      if (typeof callback === "function") callback(error, value);
    };
    try {
      return traced.run(() => method.apply(this, args));
    } catch (error) {
      traced.end(storeFailureType(error), error);
      throw error;
    }
  };
}
