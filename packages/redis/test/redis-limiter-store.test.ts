import type { Redis } from "ioredis";
import { insuredLimiter } from "@portcullis/core/internal";
import { RedisLimiterStore } from "@portcullis/redis";
import { describeLimiterStoreContract, useRedisServer, whenReady } from "@portcullis/testing";

// A file of its own: the stall (SIGSTOP) holds every client of this server.
const redis = useRedisServer();
let client: Redis;
beforeAll(async () => {
  client = await whenReady(redis().client({ enableOfflineQueue: false }));
});
let run = 0;

describeLimiterStoreContract("RedisLimiterStore", () => new RedisLimiterStore(client, { prefix: `l${++run}:` }), {
  stall: async () => {
    redis().stall();
    return async () => redis().resume();
  },
  outage: async () => {
    const ended = new Promise((resolve) => client.once("end", resolve));
    client.disconnect();
    await ended;
    return async () => {
      await client.connect();
    };
  },
});

test("RedisLimiterStore checks its client and its prefix when it is made", () => {
  expect(() => new RedisLimiterStore({} as never)).toThrow(/^RedisLimiterStore: the first argument must be an ioredis client/);
  expect(() => new RedisLimiterStore(client, { prefix: 5 } as never)).toThrow(/^RedisLimiterStore: "prefix" must be a string/);
  expect(() => new RedisLimiterStore(client, { keyPrefix: "x:" } as never)).toThrow(/^RedisLimiterStore: unknown option "keyPrefix"/);
  expect(() => new RedisLimiterStore(client, { prefix: 5 } as never)).toThrow('RedisLimiterStore: "prefix" must be a string of at most 100 characters, such as "myapp:"');
  expect(() => new RedisLimiterStore(client, { prefix: "x".repeat(101) })).toThrow('RedisLimiterStore: "prefix" must be a string of at most 100 characters, such as "myapp:"');
  expect(() => new RedisLimiterStore(client, { keyPrefix: "x:" } as never)).toThrow('RedisLimiterStore: unknown option "keyPrefix"; the options are prefix');
  expect(new RedisLimiterStore(client, { prefix: "x".repeat(100) }).keys).toBeDefined();
});

test("the counters are under <prefix><limiter name>:<id>, as RedisKeys names them, and the default prefix is portcullis:", async () => {
  const store = new RedisLimiterStore(client);
  expect(store.keys.limiter("login-ip")).toBe("portcullis:login-ip");
  const limit = insuredLimiter("test", new RedisLimiterStore(client, { prefix: "layout:" }), { name: "key-rate:60", points: 5, durationSeconds: 60, blockSeconds: 0 });
  await limit.count("k1", undefined);
  expect(await client.get("layout:key-rate:60:k1")).toBe("1");
});
