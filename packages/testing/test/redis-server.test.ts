import { startRedisServer } from "@portcullis/testing";

test("without the redis-server binary the setup fails with a message saying how to install it", async () => {
  await expect(startRedisServer({ binary: "redis-server-that-is-not-installed" })).rejects.toThrow(
    /redis-server was not found on PATH.*apt-get install redis-server/,
  );
});

test("a started server answers on its own loopback port, never the standard one, and is gone after stop", async () => {
  const server = await startRedisServer();
  expect(server.port).not.toBe(6379);
  const client = server.client();
  expect(await client.ping()).toBe("PONG");
  await server.stop();
  const after = server.client({ maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  await expect(after.ping()).rejects.toThrow();
  after.disconnect();
});
