import { SpanStatusCode } from "@opentelemetry/api";
import express from "express";
import request from "supertest";
import { apiKeyAuth, keyRateLimit } from "@portcullis/api-key-auth";
import { METRICS } from "@portcullis/core/internal";
import { RedisKeyStore } from "@portcullis/redis";
import { requireScope } from "@portcullis/require-scope";
import { recordTelemetry, startRedisServer, type RecordedTelemetry } from "@portcullis/testing";
import { createApp, testClock } from "./create-app";

/** A client address no test machine has, so finding it in telemetry can only mean it leaked there. */
const CLIENT_IP = "203.0.113.77";

let telemetry: RecordedTelemetry;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(() => telemetry.stop());

/** The outcome counts of one middleware, by outcome. */
async function outcomesOf(middleware: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { attributes, value } of await telemetry.points(METRICS.authOutcomes)) {
    if (attributes["portcullis.middleware"] === middleware) counts[String(attributes["portcullis.outcome"])] = value;
  }
  return counts;
}

/** apiKeyAuth, keyRateLimit and requireScope, as an API mounts them, behind a proxy it trusts. */
function createApi() {
  const { keys, clock } = createApp({ clock: testClock() });
  const app = express();
  app.set("trust proxy", true);
  app.use("/api", apiKeyAuth({ keys }), keyRateLimit({ default: { points: 3, durationSeconds: 60 } }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json([]));
  app.post("/api/projects", requireScope("write"), (_req, res) => void res.status(201).json({}));
  const call = (method: "get" | "post", key?: string) => {
    const req = request(app)[method]("/api/projects").set("X-Forwarded-For", CLIENT_IP);
    return key === undefined ? req : req.set("x-api-key", key);
  };
  return { app, keys, clock, call };
}

test("every decision of apiKeyAuth, keyRateLimit and requireScope is counted by its outcome, with nothing that names a key, an owner or a client", async () => {
  const { keys, clock, call } = createApi();
  const reader = await keys.create({ owner: "alice", name: "reader", scopes: ["read"] });
  const revoked = await keys.create({ owner: "bob", name: "old", scopes: ["read"] });
  const expiring = await keys.create({ owner: "carol", name: "temp", scopes: ["read"], expiresAt: clock.now + 1000 });
  await keys.revoke(revoked.record.id);
  clock.advance(2000);

  await call("get", reader.key).expect(200);
  await call("get", reader.key).expect(200);
  await call("post", reader.key).expect(403); // insufficient_permissions; the key's third point
  await call("get", reader.key).expect(429); // the fourth point in a minute, over the default limit of 3
  await call("get").expect(401); // missing_credentials
  await call("get", keys.format.generate()).expect(401); // invalid_key
  await call("get", revoked.key).expect(401);
  await call("get", expiring.key).expect(401);

  expect(await outcomesOf("apiKeyAuth")).toEqual({ success: 4, missing_credentials: 1, invalid_key: 1, revoked_key: 1, expired_key: 1 });
  expect(await outcomesOf("keyRateLimit")).toEqual({ success: 3, rate_limit_exceeded: 1 });
  expect(await outcomesOf("requireScope")).toEqual({ success: 2, insufficient_permissions: 1 });
  const points = await telemetry.points(METRICS.authOutcomes);
  expect(new Set(points.map((point) => point.attributes["portcullis.credential.type"]))).toEqual(new Set(["api_key"]));

  // A cache hit: the reader's key was looked up once, then answered from memory.
  expect(await telemetry.total(METRICS.keyCacheLookups, { "portcullis.cache.result": "hit" })).toBeGreaterThanOrEqual(3);
  expect(await telemetry.total(METRICS.keyVerificationDuration, { "portcullis.outcome": "success", "portcullis.cache.result": "hit" })).toBe(3);

  const values = (await telemetry.attributeValues()).join("\n");
  for (const secret of [reader.key, reader.record.id, revoked.record.id, "alice", "bob", "carol", CLIENT_IP]) expect(values).not.toContain(secret);
});

test("with Redis stopped, a key lookup's failure is counted as a store error, its span failed, and the request refused 503", async () => {
  const redis = await startRedisServer();
  try {
    const client = redis.client({ enableOfflineQueue: false });
    await new Promise((resolve) => client.once("ready", resolve));
    const store = new RedisKeyStore(client);
    const { app, keys } = createApp({ store, auth: {} });
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    await redis.kill();

    await request(app).get("/whoami").set("x-api-key", key).expect(503);

    expect(await outcomesOf("apiKeyAuth")).toEqual({ auth_unavailable: 1 });
    const failed = { "portcullis.store": "KeyStore", "portcullis.store.operation": "findByDigest" };
    expect(await telemetry.total(METRICS.storeErrors, failed)).toBe(1);
    const [errorPoint] = await telemetry.points(METRICS.storeErrors);
    expect(errorPoint!.attributes["error.type"]).toMatch(/^\w+$/);
    const lookups = telemetry.spans().filter((span) => span.name === "KeyStore.findByDigest");
    expect(lookups.map((span) => span.status.code)).toEqual([SpanStatusCode.ERROR]);
    expect(lookups[0]!.events.map((event) => event.name)).toEqual(["exception"]);
    // Back up before closing: clients of a dead server are left reconnecting otherwise.
    await redis.restart();
    if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
    keys.close();
    await store.close();
  } finally {
    await redis.stop();
  }
});

