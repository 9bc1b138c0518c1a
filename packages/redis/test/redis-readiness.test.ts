/** /readyz on a real Redis: 503 while it is gone, 200 again once it is back, /healthz 200 throughout. */
import express from "express";
import request from "supertest";
import { Redis } from "ioredis";
import { healthRoutes } from "@portcullis/core";
import { redisPing, watchRedisConnection } from "@portcullis/redis";
import { eventually, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();

test("readiness follows Redis through an outage; liveness does not", async () => {
  const client = new Redis(redis().port, "127.0.0.1", { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 20, disconnectTimeout: 100 });
  watchRedisConnection(client, { logger: { warn: () => {}, error: () => {} } });
  const app = express();
  app.use(healthRoutes({ checks: { redis: redisPing(client) } }));
  try {
    await eventually(() => client.status === "ready");
    expect((await request(app).get("/readyz").expect(200)).body).toEqual({ status: "ready", checks: { redis: "ok" } });

    await redis().kill();
    const down = await request(app).get("/readyz").expect(503);
    expect(down.body).toEqual({ status: "unavailable", checks: { redis: "failed" } });
    await request(app).get("/healthz").expect(200, { status: "ok" });

    await redis().restart();
    await eventually(async () => (await request(app).get("/readyz")).status === 200, { timeoutMs: 10_000 });
  } finally {
    client.disconnect();
  }
});
