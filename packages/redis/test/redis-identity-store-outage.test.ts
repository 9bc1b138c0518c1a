import { Redis } from "ioredis";
import { RedisIdentityStore } from "@portcullis/redis";
import { eventually, useRedisServer } from "@portcullis/testing";

// A server of its own: it is stopped, and comes back empty.
const redis = useRedisServer();

test("with Redis stopped every call is a prompt 503 auth_unavailable, never a hang or a false answer; once back the same store answers", async () => {
  const client = new Redis(redis().port, "127.0.0.1", { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 20 });
  client.on("error", () => {}); // the outage is the point
  const store = new RedisIdentityStore(client, { prefix: "down:", timeoutMs: 1000 });
  await eventually(() => client.status === "ready");
  try {
    await store.link({ provider: "google", subject: "s", userId: "usr_1", linkedAt: 1 });
    await redis().kill();
    const unavailable = { code: "auth_unavailable", status: 503 };
    await expect(store.find("google", "s")).rejects.toMatchObject(unavailable);
    await expect(store.listByUser("usr_1")).rejects.toMatchObject(unavailable);
    await expect(store.link({ provider: "google", subject: "t", userId: "usr_1", linkedAt: 2 })).rejects.toMatchObject(unavailable);
    await expect(store.unlink("usr_1", "google", "s")).rejects.toMatchObject(unavailable);

    await redis().restart();
    await eventually(() => client.status === "ready", { timeoutMs: 5000 });
    expect(await store.link({ provider: "google", subject: "t", userId: "usr_1", linkedAt: 2 })).toBe(true);
    expect(await store.listByUser("usr_1")).toEqual([{ provider: "google", subject: "t", userId: "usr_1", linkedAt: 2 }]);
  } finally {
    client.disconnect();
  }
});
