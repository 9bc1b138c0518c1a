import express from "express";
import request from "supertest";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp } from "./create-app";

const redis = useRedisServer();

test("with Redis unreachable a request gets 503 auth_unavailable, never a pass; it recovers when Redis is back", async () => {
  const client = redis().client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once("ready", resolve));
  const { app, keys } = createApp({ store: new RedisKeyStore(client) });
  const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  await request(app).get("/whoami").set("x-api-key", key).expect(200);

  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
  const res = await request(app).get("/whoami").set("x-api-key", key).expect(503);
  expect(res.body).toEqual({ error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." });

  // A malformed key is still refused as such: it never needed the store.
  await request(app).get("/whoami").set("x-api-key", "cpx_live.garbage").expect(401);

  await client.connect();
  await request(app).get("/whoami").set("x-api-key", key).expect(200);
});

test("a Redis that accepts commands but does not answer gets 503 with Retry-After once the store timeout passes, not a hang", async () => {
  const client = redis().client();
  const { app, keys } = createApp({ store: new RedisKeyStore(client), timeoutMs: 200 });
  const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  const admin = redis().client();
  await admin.client("PAUSE", 1500, "ALL"); // the real server stops answering every client for 1.5 s
  const res = await request(app).get("/whoami").set("x-api-key", key).expect(503);
  expect(res.body.error).toBe("auth_unavailable");
  expect(res.headers["retry-after"]).toBe("1");
  await admin.client("UNPAUSE");
  await request(app).get("/whoami").set("x-api-key", key).expect(200);
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
