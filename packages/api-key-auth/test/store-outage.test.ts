import express from "express";
import request from "supertest";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp } from "./create-app";

const redis = useRedisServer();

test("with Redis unreachable a key it must look up gets 503 auth_unavailable, a cached one serves only for its TTL; all recover", async () => {
  const client = redis().client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once("ready", resolve));
  const store = new RedisKeyStore(client);
  // Wait for the change feed first: its confirmation clears the cache, which would race the warm-up.
  const feedUp = new Promise<void>((resolve) => store.watch({ changed: () => {}, lost: resolve }));
  await feedUp;
  const { app, keys, clock } = createApp({ store });
  const warm = await keys.create({ owner: "alice", name: "warm", scopes: ["read"] });
  const cold = await keys.create({ owner: "alice", name: "cold", scopes: ["read"] });
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(200);

  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
  const res = await request(app).get("/whoami").set("x-api-key", cold.key).expect(503);
  expect(res.body).toEqual({ error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." });
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(200); // from the cache
  clock.advance(10_001); // past the cache's default time to live
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(503);

  // A malformed key is still refused as such: it never needed the store.
  await request(app).get("/whoami").set("x-api-key", "cpx_live.garbage").expect(401);

  await client.connect();
  await request(app).get("/whoami").set("x-api-key", warm.key).expect(200);
  await request(app).get("/whoami").set("x-api-key", cold.key).expect(200);
  keys.close();
  await store.close();
});

test("a Redis that accepts commands but does not answer gets 503 with Retry-After once the store timeout passes, not a hang", async () => {
  const store = new RedisKeyStore(redis().client());
  const { app, keys } = createApp({ store, timeoutMs: 200 });
  const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  const admin = redis().client();
  await admin.client("PAUSE", 1500, "ALL"); // the real server stops answering every client for 1.5 s
  const res = await request(app).get("/whoami").set("x-api-key", key).expect(503);
  expect(res.body.error).toBe("auth_unavailable");
  expect(res.headers["retry-after"]).toBe("1");
  await admin.client("UNPAUSE");
  await request(app).get("/whoami").set("x-api-key", key).expect(200);
  keys.close();
  await store.close();
});

test("a formatError that throws on the verify path reaches the host's error handler instead of crashing the process", async () => {
  const { app, keys } = createApp({
    auth: {
      formatError: (error) => {
        if (error.code === "revoked_key") throw new Error("no Clarifai status for revoked_key");
        return { body: { status: error.code } };
      },
    },
  });
  const caught: string[] = [];
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    caught.push(error.message);
    res.status(500).json({ host: true });
  });
  const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  await keys.revoke(record.id);
  await request(app).get("/whoami").set("x-api-key", key).expect(500);
  expect(caught).toEqual(["no Clarifai status for revoked_key"]);
  await request(app).get("/whoami").expect(401); // the process is alive and still refusing
});
