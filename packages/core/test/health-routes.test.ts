/** Liveness and readiness for a load balancer: /healthz while the process serves, /readyz while its stores answer. */
import express from "express";
import request from "supertest";
import { healthRoutes, type HealthCheck } from "@portcullis/core";

function app(checks: Record<string, HealthCheck>, timeoutMs?: number) {
  const host = express();
  host.use(healthRoutes({ checks, ...(timeoutMs === undefined ? {} : { timeoutMs }) }));
  host.get("/other", (_req, res) => void res.json({ other: true }));
  return host;
}

const never = () => new Promise<never>(() => {});

test("/healthz answers 200 whatever the stores do", async () => {
  const res = await request(app({ store: () => Promise.reject(new Error("down")) })).get("/healthz").expect(200);
  expect(res.body).toEqual({ status: "ok" });
  expect(res.headers["cache-control"]).toBe("no-store");
});

test("/readyz answers 200 when every check resolves, naming each", async () => {
  const res = await request(app({ redis: () => Promise.resolve("PONG"), db: () => undefined })).get("/readyz").expect(200);
  expect(res.body).toEqual({ status: "ready", checks: { redis: "ok", db: "ok" } });
  expect(res.headers["cache-control"]).toBe("no-store");
});

test("/readyz answers 503 with a JSON body when a check fails, throws or does not answer in time, without the failure's message", async () => {
  const res = await request(
    app(
      {
        ok: () => Promise.resolve(),
        rejects: () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.5:6379")),
        throws: () => {
          throw new Error("boom");
        },
        stalls: never,
      },
      50,
    ),
  )
    .get("/readyz")
    .expect(503);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.body).toEqual({ status: "unavailable", checks: { ok: "ok", rejects: "failed", throws: "failed", stalls: "timeout" } });
  expect(res.text).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|boom/);
});

test("HEAD works as GET; other paths and methods pass on", async () => {
  const host = app({ redis: () => Promise.resolve() });
  await request(host).head("/readyz").expect(200);
  await request(host).head("/healthz").expect(200);
  await request(host).get("/other").expect(200, { other: true });
  await request(host).post("/healthz").expect(404);
});

test("options are checked when the routes are made", () => {
  expect(() => healthRoutes({ checks: { redis: "PING" as never } })).toThrow(/^healthRoutes: "checks\.redis" must be a function/);
  expect(() => healthRoutes({ timeoutMs: 0 })).toThrow(/^healthRoutes: "timeoutMs"/);
  expect(() => healthRoutes({ checkz: {} } as never)).toThrow(/^healthRoutes: unknown option "checkz"/);
});
