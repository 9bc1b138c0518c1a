import type { RequestHandler, Response } from "express";
import { configError } from "./errors";
import { assertKnownOptions } from "./options";

/** One readiness check: resolves (with anything) when the dependency answers, rejects or throws when not. */
export type HealthCheck = () => unknown;

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions {
  /**
   * What `/readyz` checks, by name: `{ redis: redisPing(redis) }`, or any async function of yours.
   * @default {} (ready whenever the process serves)
   */
  readonly checks?: Readonly<Record<string, HealthCheck>>;
  /**
   * How long each check may take, in milliseconds, before it counts as failed.
   * @default 1000
   */
  readonly timeoutMs?: number;
}

type Outcome = "ok" | "failed" | "timeout";

/**
 * `GET /healthz` (liveness: 200 while the process serves requests) and `GET /readyz` (readiness:
 * 200 when every check answers within `timeoutMs`, else 503), for a load balancer or an
 * orchestrator. Both answer JSON with `Cache-Control: no-store` and never a failure's message.
 * Mount it before authentication: probes carry no credentials.
 *
 * @example
 * app.use(healthRoutes({ checks: { redis: redisPing(redis) } }));
 * // GET /readyz → 200 {"status":"ready","checks":{"redis":"ok"}}
 * //            or 503 {"status":"unavailable","checks":{"redis":"timeout"}}
 */
export function healthRoutes(options: Readonly<HealthRoutesOptions> = {}): RequestHandler {
  assertKnownOptions("healthRoutes", options, ["checks", "timeoutMs"]);
  const { checks = {}, timeoutMs = 1000 } = options;
  for (const [name, check] of Object.entries(checks)) {
    if (typeof check !== "function") throw configError("healthRoutes", `"checks.${name}" must be a function that resolves when ${name} answers, such as redisPing(redis)`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw configError("healthRoutes", `"timeoutMs" must be a whole number of milliseconds from 1 to 60000`);
  }
  const named = Object.entries(checks);
  return function healthRoutesMiddleware(req, res, next) {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    if (req.path === "/healthz") return answer(res, 200, { status: "ok" });
    if (req.path !== "/readyz") return next();
    void Promise.all(named.map(([, check]) => outcomeOf(check, timeoutMs))).then((outcomes) => {
      const ready = outcomes.every((outcome) => outcome === "ok");
      const byName = Object.fromEntries(named.map(([name], i) => [name, outcomes[i]]));
      answer(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", checks: byName });
    });
  };
}

function answer(res: Response, status: number, body: object): void {
  res.status(status).set("Cache-Control", "no-store").json(body);
}

function outcomeOf(check: HealthCheck, timeoutMs: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    const settle = (outcome: Outcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    try {
      Promise.resolve(check()).then(() => settle("ok"), () => settle("failed"));
    } catch {
      settle("failed");
    }
  });
}
