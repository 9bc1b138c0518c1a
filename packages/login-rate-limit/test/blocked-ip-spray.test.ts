import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { createApp } from "./create-app";

const redis = useRedisServer();

test("a blocked IP spraying fresh usernames creates no per-username counters (no growth per guess)", async () => {
  const client = redis().client();
  await new Promise((resolve) => client.once("ready", resolve)); // before it is ready, counts go to the memory insurance
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client, { prefix: "spray:" }), perIpPerDay: { points: 5, blockSeconds: 3600 } } });
  const attempt = (username: string) => request(app).post("/api/auth/login").set("x-test-ip", "203.0.113.9").send({ username, password: "wrong" });
  for (let i = 0; i < 5; i++) expect((await attempt(`user${i}`)).status).toBe(401);
  expect((await attempt("user5")).status).toBe(429);
  const before = (await client.keys("spray:*")).length;
  for (let i = 6; i < 56; i++) expect((await attempt(`fresh${i}`)).status).toBe(429);
  expect((await client.keys("spray:*")).length).toBe(before);
});
