import { PortcullisError, isPortcullisError } from "@portcullis/core";

/** Whether a failure means the provider could not be reached or did not answer in time. */
function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  if (error instanceof TypeError && error.message === "fetch failed") return true; // undici: refused, reset, DNS
  const status = (error as { status?: unknown }).status ?? (error.cause as { status?: unknown } | undefined)?.status;
  if (typeof status === "number" && status >= 500) return true;
  return error.cause !== undefined && error.cause !== error && isUnreachable(error.cause);
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
