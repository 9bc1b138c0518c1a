import type { RequestHandler, Response } from "express";
import { z } from "zod";
import { resolveOptions, wholeNumber } from "./option-schema";

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

const healthRoutesOptions = z.strictObject({
  checks: z
    .record(
      z.string(),
      z.custom<HealthCheck>((check) => typeof check === "function", {
        error: (issue) => `must be a function that resolves when ${String(issue.path?.at(-1) ?? "the dependency")} answers, such as redisPing(redis)`,
      }),
    )
    .default({}),
  timeoutMs: wholeNumber(1, 60_000, "milliseconds").default(1000),
});

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
  const { checks, timeoutMs } = resolveOptions("healthRoutes", healthRoutesOptions, options);
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
