import { RedisAuditSink } from "@portcullis/redis";
import { describeAuditSinkContract, eventually, listAllAuditEvents, sampleAuditEvent, useRedisCluster, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let n = 0;
const uniquePrefix = (name: string) => `${name}${++n}:`;

describeAuditSinkContract("RedisAuditSink", () => new RedisAuditSink(redis().client(), { prefix: uniquePrefix("contract") }));

describe("RedisAuditSink", () => {
  test("a client that is not ioredis, or an unknown option, is refused at creation", () => {
    expect(() => new RedisAuditSink({} as never)).toThrow(/^RedisAuditSink: the first argument must be an ioredis client/);
    const client = redis().client();
    expect(() => new RedisAuditSink(client, { maxlen: 5 } as never)).toThrow(/^RedisAuditSink: unknown option "maxlen"/);
    expect(() => new RedisAuditSink(client, { maxLength: 0 })).toThrow(/^RedisAuditSink: "maxLength" must be/);
  });

  test("events go to the one stream <prefix>audit", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: "named:" });
    sink.record(sampleAuditEvent());
    await sink.close();
    expect(sink.keys.auditStream()).toBe("named:audit");
    expect(await client.xlen("named:audit")).toBe(1);
  });

  test("the stream is capped near maxLength (approximate trimming)", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("capped"), maxLength: 200 });
    for (let i = 0; i < 2000; i++) sink.record(sampleAuditEvent({ targetId: `t${i}` }));
    await sink.close();
    const length = await client.xlen(sink.keys.auditStream());
    expect(length).toBeGreaterThanOrEqual(200);
    expect(length).toBeLessThanOrEqual(300);
    const newest = await sink.list({ limit: 1 });
    expect(newest.events[0]?.targetId).toBe("t1999");
  });

  test("events are written in the background, without an explicit flush", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("timer"), flushIntervalMs: 10 });
    sink.record(sampleAuditEvent());
    await eventually(async () => (await client.xlen(sink.keys.auditStream())) === 1);
    for (let i = 0; i < 100; i++) sink.record(sampleAuditEvent()); // a full batch is written at once
    await eventually(async () => (await client.xlen(sink.keys.auditStream())) === 101);
    expect(sink.pending).toBe(0);
    await sink.close();
  });

  test("a filtered listing scans a bounded number of entries per call and says where to go on", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("bounded") });
    sink.record(sampleAuditEvent({ keyId: "key_rare" }));
    for (let i = 0; i < 2500; i++) sink.record(sampleAuditEvent({ keyId: "key_common" }));
    await sink.flush();
    const first = await sink.list({ limit: 10, keyId: "key_rare" });
    expect(first.events).toEqual([]);
    expect(first.next).toBeDefined();
    const second = await sink.list({ limit: 10, keyId: "key_rare", before: first.next! });
    expect(second.events).toEqual([]);
    const third = await sink.list({ limit: 10, keyId: "key_rare", before: second.next! });
    expect(third.events.map((e) => e.keyId)).toEqual(["key_rare"]);
    expect(third.next).toBeUndefined();
    await sink.close();
  });

  test("events recorded while Redis is unreachable are written once it answers again; record never throws", async () => {
    // Jest fails the test on an unhandled rejection, so the failing background retries are checked too.
    const client = redis().client({ enableOfflineQueue: false });
    await new Promise((resolve) => client.once("ready", resolve));
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("outage"), flushIntervalMs: 5 });
    sink.record(sampleAuditEvent({ targetId: "before" }));
    await sink.flush();

    const ended = new Promise((resolve) => client.once("end", resolve));
    client.disconnect();
    await ended;
    for (let i = 0; i < 150; i++) expect(() => sink.record(sampleAuditEvent({ targetId: `during${i}` }))).not.toThrow();
    await expect(sink.flush()).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 30)); // a few background retries fail, quietly
    expect(sink.pending).toBe(150);

    await client.connect();
    sink.record(sampleAuditEvent({ targetId: "after" }));
    await sink.close();
    const targets = (await listAllAuditEvents(sink, { limit: 100 })).map((e) => e.targetId);
    expect(targets).toEqual(["after", ...Array.from({ length: 150 }, (_, i) => `during${149 - i}`), "before"]);
    expect(sink.dropped).toBe(0);
  });

  test("past maxBuffered the oldest waiting events are dropped and counted", async () => {
    const client = redis().client({ enableOfflineQueue: false });
    await new Promise((resolve) => client.once("ready", resolve));
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("overflow"), maxBuffered: 10 });
    const ended = new Promise((resolve) => client.once("end", resolve));
    client.disconnect();
    await ended;
    for (let i = 0; i < 15; i++) sink.record(sampleAuditEvent({ targetId: `t${i}` }));
    expect(sink.pending).toBe(10);
    expect(sink.dropped).toBe(5);
    await client.connect();
    await sink.close();
    const targets = (await sink.list({ limit: 100 })).events.map((e) => e.targetId);
    expect(targets).toEqual(Array.from({ length: 10 }, (_, i) => `t${14 - i}`));
  });
});

describe("RedisAuditSink on Redis Cluster", () => {
  // Every XADD of a pipeline names the one stream key, so the pipeline targets one slot.
  const cluster = useRedisCluster();
  describeAuditSinkContract("RedisAuditSink on Redis Cluster", () => new RedisAuditSink(cluster().client(), { prefix: uniquePrefix("cluster") }));
});
