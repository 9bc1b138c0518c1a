import { describeKeyStoreContract, sampleRecord, useRedisServer } from "@portcullis/testing";
import { RedisKeyStore } from "@portcullis/redis";

const redis = useRedisServer();
let db = 0;

describeKeyStoreContract("RedisKeyStore", async () => {
  const client = redis().client();
  await client.flushall();
  db += 1;
  return new RedisKeyStore(client, { prefix: `t${db}:` });
});

describe("RedisKeyStore", () => {
  test("a client that is not ioredis is refused at creation", () => {
    expect(() => new RedisKeyStore({} as never)).toThrow(/RedisKeyStore: the first argument must be an ioredis client/);
  });

  test("options are checked at creation, each by name", () => {
    const client = { hgetall: () => undefined } as never;
    expect(() => new RedisKeyStore(client, { prefix: 1 as never })).toThrow('RedisKeyStore: "prefix" must be a string');
    expect(() => new RedisKeyStore(client, { usageFlushIntervalMs: 9 })).toThrow('RedisKeyStore: "usageFlushIntervalMs" must be a number of milliseconds, at least 10');
    expect(() => new RedisKeyStore(client, { usageFlushIntervalMs: Number.NaN })).toThrow('RedisKeyStore: "usageFlushIntervalMs" must be a number of milliseconds, at least 10');
    expect(() => new RedisKeyStore(client, { usageFlushIntervalMs: "100" as never })).toThrow('RedisKeyStore: "usageFlushIntervalMs" must be a number of milliseconds, at least 10');
    expect(() => new RedisKeyStore(client, { flushMs: 100 } as never)).toThrow('RedisKeyStore: unknown option "flushMs"; the options are prefix, usageFlushIntervalMs');
    expect(new RedisKeyStore(client, { usageFlushIntervalMs: 10 }).keys).toBeDefined();
  });

  test("usage is written by the background timer without an explicit flush", async () => {
    const store = new RedisKeyStore(redis().client(), { prefix: "timer:", usageFlushIntervalMs: 20 });
    const record = sampleRecord();
    await store.insert(record);
    store.recordUse(record, record.createdAt + 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await store.findById(record.id))?.usageCount).toBe(1);
    await store.close();
  });

  test("usage that could not be written while Redis was unreachable is written once it answers again", async () => {
    const client = redis().client({ enableOfflineQueue: false });
    await new Promise((resolve) => client.once("ready", resolve));
    const store = new RedisKeyStore(client, { prefix: "outage:" });
    const record = sampleRecord();
    await store.insert(record);
    store.recordUse(record, record.createdAt + 1);
    const ended = new Promise((resolve) => client.once("end", resolve));
    client.disconnect();
    await ended;
    await expect(store.flush()).rejects.toThrow();
    await client.connect();
    store.recordUse(record, record.createdAt + 2);
    await store.close();
    const found = await store.findById(record.id);
    expect(found?.usageCount).toBe(2);
    expect(found?.lastUsedAt).toBe(record.createdAt + 2);
  });
});
