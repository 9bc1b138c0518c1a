/** How a promise has settled so far: read it after `settle()`. */
export function track(promise: Promise<unknown>): { readonly settled: "pending" | "resolved" | "rejected" } {
  const call = { settled: "pending" as "pending" | "resolved" | "rejected" };
  promise.then(
    () => void (call.settled = "resolved"),
    () => void (call.settled = "rejected"),
  );
  return call;
}

/** Lets every promise callback that can run, run (setImmediate: jest's fake timers are told to leave it alone). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
