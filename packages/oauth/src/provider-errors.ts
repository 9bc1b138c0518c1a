import { PortcullisError, isPortcullisError } from "@portcullis/core";

/**
 * Whether a failure means the provider could not be reached or did not answer in time. Read by
 * name and code, not `instanceof`: fetch's errors (undici's `TypeError`, the `DOMException` of a
 * timeout) come from Node's own realm, which is not the caller's under a VM such as jest's.
 */
function isUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 5) return false;
  const { name, message, code, status, cause } = error as { name?: unknown; message?: unknown; code?: unknown; status?: unknown; cause?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return true;
  if (code === "OAUTH_TIMEOUT" || code === "OAUTH_ABORT") return true; // openid-client's wrapping of the two above
  if (name === "TypeError" && message === "fetch failed") return true; // undici: refused, reset, DNS
  const answered = status ?? (cause as { status?: unknown } | undefined)?.status;
  if (typeof answered === "number" && answered >= 500) return true;
  return cause !== undefined && cause !== error && isUnreachable(cause, depth + 1);
}

/**
 * A provider call's failure as a refusal: 503 `provider_unavailable` when the provider is down,
 * slow or failing, 401 `oauth_failed` when its answer does not verify. The cause is kept for logs,
 * never sent.
 */
export function providerFailure(error: unknown, provider: string): PortcullisError {
  if (isPortcullisError(error)) return error;
  if (isUnreachable(error)) return providerUnavailable(provider, error);
  return new PortcullisError("oauth_failed", undefined, { cause: error });
}

/** 503 `provider_unavailable`: the provider is down, slow, or refuses to serve for now. */
export function providerUnavailable(provider: string, cause: unknown): PortcullisError {
  return new PortcullisError("provider_unavailable", `The sign-in provider "${provider}" did not answer in time; retry later.`, { cause });
}

/** Runs a call to the provider, its failure turned into the refusal above. */
export async function askProvider<T>(provider: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerFailure(error, provider);
  }
}
