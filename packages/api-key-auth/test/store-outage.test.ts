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
