import { RedisAuditSink } from "@portcullis/redis";
import { describeAuditSinkContract, eventually, listAllAuditEvents, sampleAuditEvent, useRedisCluster, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let n = 0;
const uniquePrefix = (name: string) => `${name}${++n}:`;

describeAuditSinkContract("RedisAuditSink", (retention) => new RedisAuditSink(redis().client(), { prefix: uniquePrefix("contract"), ...retention }));

describe("RedisAuditSink", () => {
  test("a client that is not ioredis, or an unknown option, is refused at creation", () => {
    expect(() => new RedisAuditSink({} as never)).toThrow(/^RedisAuditSink: the first argument must be an ioredis client/);
    const client = redis().client();
    expect(() => new RedisAuditSink(client, { maxlen: 5 } as never)).toThrow(/^RedisAuditSink: unknown option "maxlen"/);
    expect(() => new RedisAuditSink(client, { maxEventsPerOwner: 0 })).toThrow(/^RedisAuditSink: "maxEventsPerOwner" must be/);
    expect(() => new RedisAuditSink(client, { maxLength: 200 } as never)).toThrow(/^RedisAuditSink: "maxLength" was replaced by "maxEventsPerOwner" \(each owner's log\)/);
    expect(() => new RedisAuditSink(client, { maxlen: 5 } as never)).toThrow(
      'RedisAuditSink: unknown option "maxlen"; the options are prefix, flushIntervalMs, maxBuffered, maxEventsPerOwner',
    );
    expect(() => new RedisAuditSink(client, { prefix: 1 as never })).toThrow('RedisAuditSink: "prefix" must be a string');
    expect(() => new RedisAuditSink(client, { flushIntervalMs: 0 })).toThrow('RedisAuditSink: "flushIntervalMs" must be a number of milliseconds, at least 1');
    expect(() => new RedisAuditSink(client, { flushIntervalMs: Number.POSITIVE_INFINITY })).toThrow('RedisAuditSink: "flushIntervalMs" must be a number of milliseconds, at least 1');
    expect(() => new RedisAuditSink(client, { maxBuffered: 0.5 })).toThrow('RedisAuditSink: "maxBuffered" must be a whole number of events, at least 1');
    expect(() => new RedisAuditSink(client, { maxBuffered: 0 })).toThrow('RedisAuditSink: "maxBuffered" must be a whole number of events, at least 1');
  });

  test("an owner's events go to the overview and to the owner's stream, the others to the stream of no owner", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: "named:" });
    sink.record(sampleAuditEvent({ owner: "alice" }));
    sink.record(sampleAuditEvent({ owner: undefined }));
    await sink.close();
    expect(sink.keys.auditOwner("alice")).toBe('named:{audit}:owner:"alice"');
    expect((await client.keys("named:*")).sort()).toEqual(['named:{audit}:overview', 'named:{audit}:owner:"alice"', "named:{audit}:unowned"]);
    expect(await client.xlen('named:{audit}:owner:"alice"')).toBe(1);
    expect(await client.xlen("named:{audit}:overview")).toBe(1);
    expect(await client.xlen("named:{audit}:unowned")).toBe(1);
    // Every stream lives maxAgeMs (90 days) after its last write, so an idle owner's log goes away.
    for (const name of await client.keys("named:*")) expect(await client.pttl(name)).toBeGreaterThan(89 * 86_400_000);
  });

  test("each stream is capped near its own cap (approximate trimming), and a junk flood adds no keys", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("capped"), maxEventsPerOwner: 200, maxUnownedEvents: 200, maxOverviewEvents: 300 });
    for (let i = 0; i < 2000; i++) sink.record(sampleAuditEvent({ owner: `owner${i % 2}`, targetId: `t${i}` }));
    for (let i = 0; i < 5000; i++) sink.record(sampleAuditEvent({ owner: undefined, targetId: `junk${i}` }));
    await sink.close();
    for (const [key, cap] of [[sink.keys.auditOwner("owner0"), 200], [sink.keys.auditUnowned(), 200], [sink.keys.auditOverview(), 300]] as const) {
      const length = await client.xlen(key);
      expect(length).toBeGreaterThanOrEqual(cap);
      expect(length).toBeLessThanOrEqual(cap + 100);
    }
    expect(await client.keys(`${sink.keys.prefix}*`)).toHaveLength(4);
    expect((await sink.list({ limit: 1 })).events[0]?.targetId).toBe("t1999");
    expect((await sink.list({ limit: 1, unowned: true })).events[0]?.targetId).toBe("junk4999");
  });

  test("a write past maxAgeMs removes the owner's aged events from Redis, not only from the listing", async () => {
    const client = redis().client();
    const clock = { now: Date.now() };
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("aged"), maxAgeMs: 60_000, now: () => clock.now });
    for (let i = 0; i < 5; i++) sink.record(sampleAuditEvent({ targetId: `old${i}` }));
    await sink.flush();
    clock.now += 61_000;
    sink.record(sampleAuditEvent({ targetId: "new" }));
    await sink.close();
    expect(await client.xlen(sink.keys.auditOwner("alice"))).toBe(1);
    expect(await client.xlen(sink.keys.auditOverview())).toBe(1);
  });

  test("while Redis is down, a junk flood never pushes an owner's waiting events out of the buffer", async () => {
    const client = redis().client({ enableOfflineQueue: false });
    await new Promise((resolve) => client.once("ready", resolve));
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("buffer"), maxBuffered: 10 });
    const ended = new Promise((resolve) => client.once("end", resolve));
    client.disconnect();
    await ended;
    for (let i = 0; i < 3; i++) sink.record(sampleAuditEvent({ targetId: `owned${i}` }));
    for (let i = 0; i < 500; i++) sink.record(sampleAuditEvent({ owner: undefined, targetId: `junk${i}` }));
    expect(sink.pending).toBe(13);
    expect(sink.dropped).toBe(490);
    await client.connect();
    await sink.close();
    expect((await sink.list({ limit: 100, owner: "alice" })).events.map((e) => e.targetId)).toEqual(["owned2", "owned1", "owned0"]);
  });

  test("events are written in the background, without an explicit flush", async () => {
    const client = redis().client();
    const sink = new RedisAuditSink(client, { prefix: uniquePrefix("timer"), flushIntervalMs: 10 });
    sink.record(sampleAuditEvent());
    await eventually(async () => (await client.xlen(sink.keys.auditOverview())) === 1);
    for (let i = 0; i < 100; i++) sink.record(sampleAuditEvent()); // a full batch is written at once
    await eventually(async () => (await client.xlen(sink.keys.auditOverview())) === 101);
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
  // Every stream of the log carries the hash tag {audit}, so the script that writes a batch targets one slot.
  const cluster = useRedisCluster();
  describeAuditSinkContract("RedisAuditSink on Redis Cluster", (retention) => new RedisAuditSink(cluster().client(), { prefix: uniquePrefix("cluster"), ...retention }));
});
