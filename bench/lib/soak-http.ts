/** A request gets this long before it counts as failed: far beyond any answer on loopback. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One request as the soak saw it. Times are `Date.now()`, the clock the servers judge expiry by
 * (same machine): `sentAt` is taken before the request leaves, `receivedAt` when the status line
 * is back, so whatever the server decided, it decided between the two.
 */
export interface Exchange {
  /** Which demo process answered (its index). */
  readonly server: number;
  readonly sentAt: number;
  readonly receivedAt: number;
  /** The HTTP status, or "error" when no answer came (socket error, timeout). */
  readonly status: number | "error";
  /** A refusal's `error` code, or the failure's message. */
  readonly code?: string;
  /** The parsed JSON body, when there was one. */
  readonly body?: unknown;
  /** `name=value` of each cookie the answer set. */
  readonly cookies: readonly string[];
}

export interface RequestSpec {
  readonly method?: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON. */
  readonly json?: unknown;
}

/** Sends one request to `origin` and records it; never throws. */
export async function exchange(origin: string, server: number, spec: RequestSpec): Promise<Exchange> {
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.json !== undefined) headers["content-type"] = "application/json";
  const sentAt = Date.now();
  let receivedAt = sentAt;
  try {
    const response = await fetch(origin + spec.path, {
      method: spec.method ?? "GET",
      headers,
      ...(spec.json === undefined ? {} : { body: JSON.stringify(spec.json) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    receivedAt = Date.now();
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined; // not JSON: the status says enough
    }
    const code = (body as { error?: unknown } | undefined)?.error;
    const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(";", 1)[0]!);
    return { server, sentAt, receivedAt, status: response.status, ...(typeof code === "string" ? { code } : {}), body, cookies };
  } catch (error) {
    return { server, sentAt, receivedAt: Date.now(), status: "error", code: (error as Error).message, cookies: [] };
  }
}

/** "200", "401 revoked_key", "error": how statuses are tallied. */
export function statusLabel(exchange: Exchange): string {
  if (exchange.status === "error") return "error";
  return exchange.code !== undefined && exchange.status >= 400 ? `${exchange.status} ${exchange.code}` : String(exchange.status);
}
