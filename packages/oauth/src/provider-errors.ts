import { PortcullisError, isPortcullisError } from "@portcullis/core";

/**
 * Whether a failure means the provider could not be reached or did not answer in time. Read by
 * shape, not `instanceof`: fetch's errors come from Node's own realm, which a test runner's
 * sandbox (or a second copy of a library) does not share.
 */
function isUnreachable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const { name, message, status, cause } = error as { name?: unknown; message?: unknown; status?: unknown; cause?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return true;
  if (name === "TypeError" && message === "fetch failed") return true; // undici: refused, reset, DNS
  if (typeof status === "number" && status >= 500) return true;
  return isUnreachable(cause, depth + 1);
}

/**
 * A provider call's failure as a refusal: 503 `provider_unavailable` when the provider is down,
 * slow or failing, 401 `oauth_failed` when its answer does not verify. The cause is kept for logs,
 * never sent.
 */
export function providerFailure(error: unknown, provider: string): PortcullisError {
  if (isPortcullisError(error)) return error;
  if (isUnreachable(error)) {
    return new PortcullisError("provider_unavailable", `The sign-in provider "${provider}" did not answer in time; retry later.`, { cause: error });
  }
  return new PortcullisError("oauth_failed", undefined, { cause: error });
}

/** Runs a call to the provider, its failure turned into the refusal above. */
export async function askProvider<T>(provider: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerFailure(error, provider);
  }
}
