import {
  KeyFormat,
  type AuditEvent,
  type AuditQuery,
  type AuditRetentionOptions,
  type AuditSink,
  type OwnedAuditQuery,
  type StoredAuditEvent,
} from "@portcullis/core";

const T0 = 1_700_000_000_000;
/** A well-formed key of the shape the sanitizer must refuse, and a header that carries a token. */
export const SAMPLE_FULL_KEY = "cpx_live.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef012345";

/**
 * A complete, valid event; fields can be overridden.
 *
 * @example
 * sink.record(sampleAuditEvent({ outcome: "failure", code: "revoked_key" }));
 */
export function sampleAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    at: T0,
    action: "api_key.authenticate",
    outcome: "success",
    keyId: "key_0123456789abcdef",
    owner: "alice",
    ip: "203.0.113.7",
    userAgent: "curl/8.5.0",
    method: "GET",
    route: "/v1/models",
    ...overrides,
  };
}

/**
 * Every event matching the query, page after page, failing if a page is longer than its limit.
 *
 * @example
 * const all = await listAllAuditEvents(sink, { limit: 100, keyId });
 */
export async function listAllAuditEvents(sink: AuditSink, query: DistributiveOmit<AuditQuery, "before">): Promise<StoredAuditEvent[]> {
  const all: StoredAuditEvent[] = [];
  let before: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await sink.list(before === undefined ? query : { ...query, before });
    expect(page.events.length).toBeLessThanOrEqual(query.limit);
    all.push(...page.events);
    if (page.next === undefined) return all;
    before = page.next;
  }
  throw new Error("listAllAuditEvents: the listing never ended");
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Every event the sink keeps: all owners' (the overview) and those that belong to no owner.
 *
 * @example
 * expect(JSON.stringify(await listEveryAuditEvent(sink))).not.toContain(key);
 */
export async function listEveryAuditEvent(sink: AuditSink): Promise<StoredAuditEvent[]> {
  return [...(await listAllAuditEvents(sink, { limit: 100 })), ...(await listAllAuditEvents(sink, { limit: 100, unowned: true }))];
}

/** A clock a test moves by hand. */
function manualClock(start = Date.now()) {
  const clock = { now: start, read: () => clock.now, advance: (ms: number) => void (clock.now += ms) };
  return clock;
}

/**
 * How far above its cap a stream may stay: Redis trims `MAXLEN ~` in whole nodes
 * (`stream-node-max-entries`, 100 by default); the memory sink trims exactly.
 */
const TRIM_SLACK = 100;

/** The time an event id starts with: `<ms>-…`, whatever the adapter puts after the dash. */
function timeOfId(id: string): number {
  return Number(/^(\d+)-[\w-]+$/.exec(id)![1]);
}

/**
 * The behaviour every `AuditSink` adapter must have. Each adapter's test file calls this with a
 * factory that returns a fresh, empty sink.
 *
 * @example
 * describeAuditSinkContract("MemoryAuditSink", () => new MemoryAuditSink());
 */
export function describeAuditSinkContract(
  adapter: string,
  makeSink: (retention: Readonly<AuditRetentionOptions>) => Promise<AuditSink> | AuditSink,
): void {
  describe(`AuditSink contract: ${adapter}`, () => {
    let sink: AuditSink;
    /** Sinks made with other retention options by a test; closed after it. */
    const extra: AuditSink[] = [];
    beforeEach(async () => {
      sink = await makeSink({});
    });
    afterEach(async () => {
      await Promise.all([sink, ...extra.splice(0)].map((s) => s.close()));
    });
    async function sinkWith(retention: Readonly<AuditRetentionOptions>): Promise<AuditSink> {
      const made = await makeSink(retention);
      extra.push(made);
      return made;
    }

    /** Records events told apart by `targetId` ("t0", "t1", …), oldest first. */
    async function recordNumbered(count: number, overrides: (i: number) => Partial<AuditEvent> = () => ({})) {
      for (let i = 0; i < count; i++) sink.record(sampleAuditEvent({ at: T0 + i, targetId: `t${i}`, ...overrides(i) }));
      await sink.flush();
    }

    test("recorded events list newest first, whole, with distinct ids that start with their time, once flushed", async () => {
      const event = sampleAuditEvent({ action: "api_key.revoke", userId: "usr_1", targetId: "key_x", code: "x" });
      sink.record(event);
      await recordNumbered(4);
      const { events, next } = await sink.list({ limit: 100 });
      expect(next).toBeUndefined();
      expect(events.map((e) => e.targetId)).toEqual(["t3", "t2", "t1", "t0", "key_x"]);
      expect(events[4]).toEqual({ ...event, id: expect.stringMatching(/^\d+-[\w-]+$/) });
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      for (let i = 1; i < events.length; i++) expect(timeOfId(events[i - 1]!.id)).toBeGreaterThanOrEqual(timeOfId(events[i]!.id));
    });

    test("an empty log lists nothing", async () => {
      expect(await sink.list({ limit: 10 })).toEqual({ events: [] });
    });

    test("optional fields that were never set stay absent", async () => {
      sink.record({ at: T0, action: "session.logout", outcome: "success" });
      await sink.flush();
      const [stored] = (await sink.list({ limit: 1, unowned: true })).events;
      expect(stored).toEqual({ id: expect.any(String), at: T0, action: "session.logout", outcome: "success" });
    });

    test("each filter keeps only the matching events, and filters combine", async () => {
      await recordNumbered(12, (i) => ({
        keyId: i % 2 === 0 ? "key_even" : "key_odd",
        userId: i % 3 === 0 ? "usr_three" : "usr_other",
        owner: i < 6 ? "alice" : "bob",
        outcome: i % 4 === 0 ? "failure" : "success",
        action: i === 5 ? "api_key.rotate" : "api_key.authenticate",
      }));
      const targets = async (query: Omit<OwnedAuditQuery, "limit">) =>
        (await sink.list({ limit: 100, ...query })).events.map((e) => e.targetId);
      expect(await targets({ keyId: "key_odd" })).toEqual(["t11", "t9", "t7", "t5", "t3", "t1"]);
      expect(await targets({ userId: "usr_three" })).toEqual(["t9", "t6", "t3", "t0"]);
      expect(await targets({ owner: "alice" })).toEqual(["t5", "t4", "t3", "t2", "t1", "t0"]);
      expect(await targets({ outcome: "failure" })).toEqual(["t8", "t4", "t0"]);
      expect(await targets({ action: "api_key.rotate" })).toEqual(["t5"]);
      expect(await targets({ since: T0 + 9 })).toEqual(["t11", "t10", "t9"]);
      expect(await targets({ until: T0 + 2 })).toEqual(["t2", "t1", "t0"]);
      expect(await targets({ since: T0 + 4, until: T0 + 6, keyId: "key_even" })).toEqual(["t6", "t4"]);
      expect(await targets({ owner: "bob", outcome: "failure" })).toEqual(["t8"]);
      expect(await targets({ keyId: "key_nobody" })).toEqual([]);
    });

    test("a filter holding U+0000 matches nothing rather than failing: a reader's query can send one", async () => {
      await recordNumbered(2, () => ({ owner: "alice", keyId: "key_a", userId: "usr_a" }));
      for (const query of [{ owner: "alice\u0000" }, { keyId: "key_a\u0000" }, { userId: "\u0000" }, { owner: "alice", keyId: "\u0000" }]) {
        expect((await sink.list({ limit: 10, ...query })).events).toEqual([]);
      }
      expect((await sink.list({ limit: 10, owner: "alice" })).events).toHaveLength(2);
    });

    test("paging with next returns every event exactly once, newest first", async () => {
      await recordNumbered(23);
      const all = await listAllAuditEvents(sink, { limit: 5 });
      expect(all.map((e) => e.targetId)).toEqual(Array.from({ length: 23 }, (_, i) => `t${22 - i}`));
      expect(new Set(all.map((e) => e.id)).size).toBe(23);
      const first = await sink.list({ limit: 5 });
      expect(first.events).toHaveLength(5);
      expect(first.next).toBe(first.events[4]!.id);
    });

    test("paging through a filtered log returns every match exactly once", async () => {
      await recordNumbered(30, (i) => ({ outcome: i % 3 === 0 ? "failure" : "success" }));
      const failures = await listAllAuditEvents(sink, { limit: 4, outcome: "failure" });
      expect(failures.map((e) => e.targetId)).toEqual(["t27", "t24", "t21", "t18", "t15", "t12", "t9", "t6", "t3", "t0"]);
    });

    test("before lists only strictly older events; a malformed cursor lists nothing", async () => {
      await recordNumbered(6);
      const { events } = await sink.list({ limit: 100 });
      const older = await sink.list({ limit: 100, before: events[2]!.id });
      expect(older.events.map((e) => e.targetId)).toEqual(["t2", "t1", "t0"]);
      expect((await sink.list({ limit: 100, before: events[5]!.id })).events).toEqual([]);
      expect(await sink.list({ limit: 10, before: "not-a-cursor" })).toEqual({ events: [] });
    });

    test("limit bounds a page, and a limit outside 1 to 100 is refused", async () => {
      await recordNumbered(3);
      expect((await sink.list({ limit: 1 })).events.map((e) => e.targetId)).toEqual(["t2"]);
      expect((await sink.list({ limit: 2 })).events).toHaveLength(2);
      for (const limit of [0, 101, 1.5, Number.NaN, "10" as unknown as number]) {
        await expect(sink.list({ limit })).rejects.toThrow(RangeError);
      }
    });

    test("a field holding a full key or a bearer token is dropped; the route loses its query; a long user agent is cut", async () => {
      sink.record(
        sampleAuditEvent({
          keyId: SAMPLE_FULL_KEY,
          targetId: `revoked ${SAMPLE_FULL_KEY} today`,
          userAgent: "Bearer abc",
          owner: "bearer abc.def",
          route: "/v1/keys?key=secret&x=1",
        }),
      );
      sink.record(sampleAuditEvent({ userAgent: "x".repeat(10_000), route: `/a/${"r".repeat(500)}` }));
      await sink.flush();
      // An owner that looked like a credential was dropped, so that event belongs to no owner.
      const [long] = (await sink.list({ limit: 10 })).events;
      const [keyed] = (await sink.list({ limit: 10, unowned: true })).events;
      expect(keyed).not.toHaveProperty("keyId");
      expect(keyed).not.toHaveProperty("targetId");
      expect(keyed).not.toHaveProperty("userAgent");
      expect(keyed).not.toHaveProperty("owner");
      expect(keyed?.route).toBe("/v1/keys");
      expect(keyed?.ip).toBe("203.0.113.7");
      expect(long?.userAgent).toBe("x".repeat(256));
      expect(long?.route).toHaveLength(200);
    });

    test("fields outside the event are not stored", async () => {
      sink.record({ ...sampleAuditEvent(), password: "hunter2", apiKey: "whatever", nested: { a: 1 } } as AuditEvent);
      sink.record(sampleAuditEvent({ keyId: 42 as unknown as string, userId: { id: "x" } as unknown as string }));
      await sink.flush();
      const [wrongTypes, extra] = (await sink.list({ limit: 10 })).events;
      expect(Object.keys(extra!).sort()).toEqual(["action", "at", "id", "ip", "keyId", "method", "outcome", "owner", "route", "userAgent"]);
      expect(wrongTypes).not.toHaveProperty("keyId");
      expect(wrongTypes).not.toHaveProperty("userId");
    });

    test("record never throws, whatever it is given, and keeps what is an event", async () => {
      const garbage: unknown[] = [
        42,
        undefined,
        null,
        "api_key.create",
        [],
        {},
        { action: "api_key.create" },
        { action: "no.such_action", outcome: "success", at: T0 },
        { action: "api_key.create", outcome: "maybe", at: T0 },
        Object.defineProperty({}, "action", {
          enumerable: true,
          get() {
            throw new Error("boom");
          },
        }),
      ];
      for (const event of garbage) expect(() => sink.record(event as AuditEvent)).not.toThrow();
      const before = Date.now();
      expect(() =>
        sink.record({ action: "api_key.create", outcome: "success", at: undefined, keyId: undefined } as unknown as AuditEvent),
      ).not.toThrow();
      expect(() => sink.record(sampleAuditEvent({ at: Number.NaN, targetId: "nan" }))).not.toThrow();
      await sink.flush();
      const events = await listEveryAuditEvent(sink);
      expect(events).toHaveLength(2);
      expect(events[0]).toEqual(expect.objectContaining({ targetId: "nan", at: expect.any(Number) }));
      expect(events[1]).toEqual({ id: expect.any(String), at: expect.any(Number), action: "api_key.create", outcome: "success" });
      expect(events[1]!.at).toBeGreaterThanOrEqual(before);
    });

    test("no stored entry holds a planted key, wherever the host put it", async () => {
      const key = new KeyFormat({ prefix: "cpx_live." }).generate();
      const secretPart = key.slice("cpx_live.".length);
      const fields = ["code", "keyId", "userId", "owner", "targetId", "ip", "userAgent", "method", "route"] as const;
      const placements = [key, `Bearer ${key}`, `/v1/keys/${key}/revoke`, `${"u".repeat(240)} ${key}`, `x-api-key: ${key}`];
      for (const field of fields) {
        for (const value of placements) sink.record(sampleAuditEvent({ [field]: value }));
      }
      sink.record({ ...sampleAuditEvent(), password: key, key, authorization: `Bearer ${key}` } as AuditEvent);
      sink.record(sampleAuditEvent({ route: `/v1/whoami?api_key=${key}` }));
      await sink.flush();
      const all = await listEveryAuditEvent(sink);
      expect(all).toHaveLength(fields.length * placements.length + 2);
      const text = JSON.stringify(all);
      expect(text).not.toContain(key);
      expect(text).not.toContain(secretPart.slice(0, 24));
      expect(text).not.toContain(secretPart.slice(-24));
    });

    test("the overview lists every owner's events and none without an owner; unowned lists only those", async () => {
      sink.record(sampleAuditEvent({ at: T0, owner: "alice", targetId: "a" }));
      sink.record(sampleAuditEvent({ at: T0 + 1, owner: undefined, keyId: undefined, code: "invalid_key", targetId: "junk" }));
      sink.record(sampleAuditEvent({ at: T0 + 2, owner: "bob", targetId: "b" }));
      await sink.flush();
      const targets = async (query: DistributiveOmit<AuditQuery, "limit">) =>
        (await sink.list({ limit: 100, ...query } as AuditQuery)).events.map((e) => e.targetId);
      expect(await targets({})).toEqual(["b", "a"]);
      expect(await targets({ unowned: true })).toEqual(["junk"]);
      expect(await targets({ owner: "alice" })).toEqual(["a"]);
      expect(await targets({ owner: "carol" })).toEqual([]);
    });

    test("an event has the same id in the overview and in its owner's listing", async () => {
      await recordNumbered(5, (i) => ({ owner: i % 2 === 0 ? "alice" : "bob" }));
      const overview = (await sink.list({ limit: 100 })).events;
      const alice = (await sink.list({ limit: 100, owner: "alice" })).events;
      expect(alice.map((e) => e.targetId)).toEqual(["t4", "t2", "t0"]);
      for (const event of alice) expect(overview.find((e) => e.targetId === event.targetId)?.id).toBe(event.id);
      const older = await sink.list({ limit: 100, owner: "alice", before: overview[0]!.id });
      expect(older.events.map((e) => e.targetId)).toEqual(["t2", "t0"]);
    });

    test("asking for one owner's events and for those without an owner at once is refused", async () => {
      await expect(sink.list({ limit: 10, owner: "alice", unowned: true } as unknown as AuditQuery)).rejects.toThrow(RangeError);
    });

    test("a flood of events without an owner stays bounded and evicts no owner's events", async () => {
      const capped = await sinkWith({ maxUnownedEvents: 150 });
      for (let i = 0; i < 3; i++) capped.record(sampleAuditEvent({ owner: "alice", targetId: `alice${i}` }));
      for (let i = 0; i < 2000; i++) {
        capped.record(sampleAuditEvent({ owner: undefined, keyId: undefined, code: "invalid_key", targetId: `junk${i}` }));
      }
      await capped.flush();
      expect((await listAllAuditEvents(capped, { limit: 100, owner: "alice" })).map((e) => e.targetId)).toEqual(["alice2", "alice1", "alice0"]);
      expect((await listAllAuditEvents(capped, { limit: 100 })).map((e) => e.targetId)).toEqual(["alice2", "alice1", "alice0"]);
      const junk = await listAllAuditEvents(capped, { limit: 100, unowned: true });
      expect(junk.length).toBeGreaterThanOrEqual(150);
      expect(junk.length).toBeLessThanOrEqual(150 + TRIM_SLACK);
      expect(junk.slice(0, 150).map((e) => e.targetId)).toEqual(Array.from({ length: 150 }, (_, i) => `junk${1999 - i}`));
    });

    test("one owner's flood evicts only that owner's oldest events, never another owner's", async () => {
      const capped = await sinkWith({ maxEventsPerOwner: 150 });
      for (let i = 0; i < 3; i++) capped.record(sampleAuditEvent({ owner: "bob", targetId: `bob${i}` }));
      for (let i = 0; i < 2000; i++) capped.record(sampleAuditEvent({ owner: "alice", targetId: `alice${i}` }));
      await capped.flush();
      expect((await listAllAuditEvents(capped, { limit: 100, owner: "bob" })).map((e) => e.targetId)).toEqual(["bob2", "bob1", "bob0"]);
      const alice = await listAllAuditEvents(capped, { limit: 100, owner: "alice" });
      expect(alice.length).toBeGreaterThanOrEqual(150);
      expect(alice.length).toBeLessThanOrEqual(150 + TRIM_SLACK);
      expect(alice[0]?.targetId).toBe("alice1999");
    });

    test("events older than maxAgeMs are no longer listed, by owner, overview or unowned", async () => {
      const day = 86_400_000;
      const clock = manualClock();
      const aging = await sinkWith({ maxAgeMs: 30 * day, now: clock.read });
      aging.record(sampleAuditEvent({ owner: "alice", targetId: "old" }));
      aging.record(sampleAuditEvent({ owner: undefined, targetId: "old-junk" }));
      await aging.flush();
      clock.advance(20 * day);
      aging.record(sampleAuditEvent({ owner: "alice", targetId: "recent" }));
      await aging.flush();
      const targets = async (query: DistributiveOmit<AuditQuery, "limit">) =>
        (await aging.list({ limit: 100, ...query } as AuditQuery)).events.map((e) => e.targetId);
      expect(await targets({ owner: "alice" })).toEqual(["recent", "old"]);
      expect(await targets({ unowned: true })).toEqual(["old-junk"]);

      clock.advance(11 * day); // "old" is 31 days old now; "recent" 11
      expect(await targets({ owner: "alice" })).toEqual(["recent"]);
      expect(await targets({})).toEqual(["recent"]);
      expect(await targets({ unowned: true })).toEqual([]);
      aging.record(sampleAuditEvent({ owner: "alice", targetId: "new" }));
      await aging.flush();
      expect(await targets({ owner: "alice" })).toEqual(["new", "recent"]);
    });

    test("retention options that make no sense are refused at creation", async () => {
      for (const retention of [
        { maxEventsPerOwner: 0 },
        { maxUnownedEvents: -1 },
        { maxOverviewEvents: 1.5 },
        { maxAgeMs: 0 },
        { maxAgeMs: Number.POSITIVE_INFINITY },
        { now: 5 as unknown as () => number },
      ]) {
        await expect(Promise.resolve().then(() => makeSink(retention))).rejects.toThrow(/must be/);
      }
    });
  });
}
