import type { Redis } from "ioredis";
import { useRedisServer } from "@portcullis/testing";
import { RedisLimiterStore } from "@portcullis/redis";
import { attempt, createApp, fail, readyClient } from "./create-app";

// A file of its own: the server is killed, and every other client of it would be left reconnecting.
const redis = useRedisServer();

test("Redis dying under load crashes nothing and opens nothing: every attempt is answered and the limit holds", async () => {
  const client = await readyClient(redis(), { enableOfflineQueue: false });
  const { app } = createApp({ limit: { store: new RedisLimiterStore(client), perIpPerDay: { points: 40 } } });
  const during = Promise.all(Array.from({ length: 30 }, (_, i) => attempt(app, { username: `user${i % 3}` })));
  await redis().kill();
  const statuses = (await during).map((res) => res.status);
  expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  // While Redis stays down the insurance counts on, and the limit still holds.
  expect(await fail(app, 11, { username: "user0" })).toContain(429);
  await redis().restart();
  await readyAgain(client);
});

function readyAgain(client: Redis): Promise<unknown> {
  return client.status === "ready" ? Promise.resolve() : new Promise((resolve) => client.once("ready", resolve));
}
