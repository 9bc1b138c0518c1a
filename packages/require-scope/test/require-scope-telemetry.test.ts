import express from "express";
import request from "supertest";
import type { Principal } from "@portcullis/core";
import { METRICS } from "@portcullis/core/internal";
import { requireScope } from "@portcullis/require-scope";
import { recordTelemetry, type RecordedTelemetry } from "@portcullis/testing";

let telemetry: RecordedTelemetry;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(() => telemetry.stop());

/** requireScope("write") behind a principal the test sets (none for `undefined`). */
function createApp(principal: Principal | undefined) {
  const app = express();
  app.get(
    "/guarded",
    (req, _res, next) => {
      if (principal) req.auth = principal;
      next();
    },
    requireScope("write"),
    (_req, res) => void res.json({ ok: true }),
  );
  return app;
}

test("requireScope counts each decision under its own name, by outcome and credential type", async () => {
  const key = (scopes: string[]): Principal => ({ kind: "api_key", keyId: "key_1", owner: "alice", scopes });
  await request(createApp(key(["write"]))).get("/guarded").expect(200);
  await request(createApp(key(["read"]))).get("/guarded").expect(403);
  await request(createApp(undefined)).get("/guarded").expect(401);

  const decisions = (await telemetry.points(METRICS.authOutcomes)).map(({ attributes, value }) => [
    attributes["portcullis.middleware"],
    attributes["portcullis.outcome"],
    attributes["portcullis.credential.type"],
    value,
  ]);
  expect(decisions).toEqual(
    expect.arrayContaining([
      ["requireScope", "success", "api_key", 1],
      ["requireScope", "insufficient_permissions", "api_key", 1],
      ["requireScope", "missing_credentials", "none", 1],
    ]),
  );
  expect(decisions).toHaveLength(3);
});
