/** One warning when Redis goes away and one when it is back, instead of ioredis's line per reconnection attempt. */
import { Cluster, Redis } from "ioredis";
import { eventually, freePort, useRedisServer } from "@portcullis/testing";
import { watchRedisConnection } from "@portcullis/redis";
import type { Logger } from "@portcullis/core";

const redis = useRedisServer();
const clients: (Redis | Cluster)[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) if (client.status !== "end") client.disconnect(); // an ended one would leave a timer
  jest.restoreAllMocks();
});

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { warn: (message) => void lines.push(`warn ${message}`), error: (message) => void lines.push(`error ${message}`) };
  return { logger, lines };
}

/** A client as a host makes it: no error listener of its own, reconnecting quickly. */
function hostClient(port: number): Redis {
  const client = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 20, disconnectTimeout: 100 });
  clients.push(client);
  return client;
}

test("an outage with many reconnection attempts logs one warning when Redis goes and one when it is back, and ioredis prints nothing", async () => {
  const ioredisLines = jest.spyOn(console, "error").mockImplementation(() => {});
  const client = hostClient(redis().port);
  const { logger, lines } = recordingLogger();
  const watch = watchRedisConnection(client, { logger });
  await eventually(() => client.status === "ready");
  expect(watch.connected).toBe(true);

  let attempts = 0;
  client.on("reconnecting", () => attempts++);
  await redis().kill();
  await eventually(() => attempts >= 5, { timeoutMs: 10_000 }); // several failed reconnections
  expect(watch.connected).toBe(false);
  expect(lines).toEqual([expect.stringMatching(/^warn portcullis: lost the connection to Redis \(.+\); requests that need it are refused with 503 until it is back$/)]);

  await redis().restart();
  await eventually(() => client.status === "ready", { timeoutMs: 10_000 });
  expect(watch.connected).toBe(true);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe("warn portcullis: the connection to Redis is back");
  expect(ioredisLines).not.toHaveBeenCalled();

  // A second outage warns again, once.
  await redis().kill();
  await eventually(() => !watch.connected, { timeoutMs: 10_000 });
  await redis().restart();
  await eventually(() => watch.connected, { timeoutMs: 10_000 });
  expect(lines).toHaveLength(4);
});

test("a client that has not reached Redis yet warns once, and a manual disconnect warns nothing", async () => {
  jest.spyOn(console, "error").mockImplementation(() => {});
  const { logger, lines } = recordingLogger();
  const client = hostClient(await freePort()); // nothing listens there
  watchRedisConnection(client, { logger, name: "sessions Redis" });
  let attempts = 0;
  client.on("reconnecting", () => attempts++);
  await eventually(() => attempts >= 3, { timeoutMs: 10_000 });
  expect(lines).toEqual([expect.stringMatching(/^warn portcullis: lost the connection to sessions Redis \(.*ECONNREFUSED.*\)/)]);

  const { logger: quiet, lines: none } = recordingLogger();
  const healthy = hostClient(redis().port);
  watchRedisConnection(healthy, { logger: quiet });
  await eventually(() => healthy.status === "ready");
  healthy.disconnect();
  await eventually(() => healthy.status === "end");
  expect(none).toEqual([]);
});

test("a Cluster client's node errors are deduplicated the same way", async () => {
  const ioredisLines = jest.spyOn(console, "error").mockImplementation(() => {});
  const { logger, lines } = recordingLogger();
  const cluster = new Cluster([{ host: "127.0.0.1", port: await freePort() }], { clusterRetryStrategy: () => 20, redisOptions: { disconnectTimeout: 100 } });
  clients.push(cluster);
  let attempts = 0;
  cluster.on("reconnecting", () => attempts++);
  watchRedisConnection(cluster, { logger });
  await eventually(() => attempts >= 3, { timeoutMs: 10_000 });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^warn portcullis: lost the connection to Redis/);
  expect(ioredisLines).not.toHaveBeenCalled();
});

test("options are checked when the watch starts", () => {
  const client = hostClient(redis().port);
  expect(() => watchRedisConnection({} as never)).toThrow(/^watchRedisConnection: the client must be an ioredis Redis or Cluster/);
  expect(() => watchRedisConnection(client, { logger: console, name: "" })).toThrow(/^watchRedisConnection: "name"/);
  expect(() => watchRedisConnection(client, { loger: console } as never)).toThrow(/^watchRedisConnection: unknown option "loger"/);
  expect(() => watchRedisConnection(client, { loger: console } as never)).toThrow('watchRedisConnection: unknown option "loger"; the options are logger, name');
  expect(() => watchRedisConnection(client, { name: "" })).toThrow('watchRedisConnection: "name" must be a string of 1 to 100 characters, such as "sessions Redis"');
  expect(() => watchRedisConnection(client, { name: "x".repeat(101) })).toThrow('watchRedisConnection: "name" must be a string of 1 to 100 characters, such as "sessions Redis"');
  expect(() => watchRedisConnection(client, { logger: { warn() {} } as never })).toThrow(
    'watchRedisConnection: "logger" must have warn(message) and error(message) methods, such as console or a pino logger',
  );
});
