import { describeAuditSinkContract, eventually, listAllAuditEvents, sampleAuditEvent, usePostgres } from "@portcullis/testing";
import { migrate, PostgresAuditSink, type PostgresAuditSinkOptions } from "@portcullis/postgres";
import type { Pool } from "pg";
import { planAuditListing } from "../src/audit-listing";
import { deleteAged, trimLog } from "../src/audit-pruning";

const pg = usePostgres();
let pool: Pool;
const sinks: PostgresAuditSink[] = [];

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});
afterEach(() => Promise.all(sinks.splice(0).map((sink) => sink.close())));

/** A sink on an empty log, closed after the test. */
async function emptySink(options: PostgresAuditSinkOptions = {}): Promise<PostgresAuditSink> {
  await pool.query("TRUNCATE portcullis.audit_events");
  const sink = new PostgresAuditSink(pool, options);
  sinks.push(sink);
  return sink;
}

const rowsIn = async (where = "true") => Number((await pool.query(`SELECT count(*) AS n FROM portcullis.audit_events WHERE ${where}`)).rows[0].n);

describeAuditSinkContract("PostgresAuditSink", async (retention) => {
  await pool.query("TRUNCATE portcullis.audit_events");
  return new PostgresAuditSink(pool, retention);
});

describe("PostgresAuditSink", () => {
  test("a pool that is not node-postgres's, or an option that makes no sense, is refused at creation", () => {
    expect(() => new PostgresAuditSink({} as never)).toThrow(/^PostgresAuditSink: the first argument must be a node-postgres Pool/);
    expect(() => new PostgresAuditSink(pool, { maxLength: 200 } as never)).toThrow(/^PostgresAuditSink: "maxLength" was replaced by "maxEventsPerOwner" \(each owner's log\)/);
    expect(() => new PostgresAuditSink(pool, { prefix: "x" } as never)).toThrow(
      'PostgresAuditSink: unknown option "prefix"; the options are schema, timeoutMs, flushIntervalMs, maxBuffered, pruneIntervalMs, maxEventsPerOwner',
    );
    expect(() => new PostgresAuditSink(pool, { schema: "Bad-Name" })).toThrow('PostgresAuditSink: "schema" must be a lowercase SQL name');
    expect(() => new PostgresAuditSink(pool, { flushIntervalMs: 0 })).toThrow('PostgresAuditSink: "flushIntervalMs" must be a number of milliseconds from 1 to 2147483647');
    expect(() => new PostgresAuditSink(pool, { pruneIntervalMs: 2 ** 31 })).toThrow('PostgresAuditSink: "pruneIntervalMs" must be a number of milliseconds from 1 to 2147483647');
    expect(() => new PostgresAuditSink(pool, { maxBuffered: 0 })).toThrow('PostgresAuditSink: "maxBuffered" must be a whole number of events, at least 1');
  });

  test("events are written in batches, never one INSERT per event", async () => {
    const sink = await emptySink();
    const statements = jest.spyOn(pool, "connect");
    // The hundredth starts a write of 100; the 900 recorded meanwhile go in two INSERTs of 500 and 400.
    for (let i = 0; i < 1000; i++) sink.record(sampleAuditEvent({ owner: `owner${i % 5}`, targetId: `t${i}` }));
    await sink.flush();
    expect(statements).toHaveBeenCalledTimes(3);
    statements.mockRestore();
    expect(await rowsIn()).toBe(1000);
  });

  test("events are written in the background, without an explicit flush; a full batch at once", async () => {
    const sink = await emptySink({ flushIntervalMs: 10 });
    sink.record(sampleAuditEvent());
    await eventually(async () => (await rowsIn()) === 1);
    for (let i = 0; i < 100; i++) sink.record(sampleAuditEvent());
    await eventually(async () => (await rowsIn()) === 101);
    expect(sink.pending).toBe(0);
  });

  test("each log is trimmed to within a tenth of its cap as it is written, and a flood of one log touches no other", async () => {
    const sink = await emptySink({ maxEventsPerOwner: 200, maxUnownedEvents: 300 });
    for (let i = 0; i < 3; i++) sink.record(sampleAuditEvent({ owner: "quiet", targetId: `q${i}` }));
    for (let i = 0; i < 2000; i++) sink.record(sampleAuditEvent({ owner: "busy", targetId: `b${i}` }));
    for (let i = 0; i < 3000; i++) sink.record(sampleAuditEvent({ owner: undefined, targetId: `junk${i}` }));
    await sink.flush();
    expect(await rowsIn("owner = 'quiet'")).toBe(3);
    expect(await rowsIn("owner = 'busy'")).toBeGreaterThanOrEqual(200);
    expect(await rowsIn("owner = 'busy'")).toBeLessThanOrEqual(220);
    expect(await rowsIn("owner IS NULL")).toBeGreaterThanOrEqual(300);
    expect(await rowsIn("owner IS NULL")).toBeLessThanOrEqual(330);
    // The newest are kept.
    expect((await sink.list({ limit: 1, owner: "busy" })).events[0]?.targetId).toBe("b1999");
    expect((await listAllAuditEvents(sink, { limit: 100, owner: "busy" })).at(-1)?.targetId).toMatch(/^b1[89]\d\d$/);

    await sink.prune(); // the rest of each log written to, to its cap exactly
    expect(await rowsIn("owner = 'busy'")).toBe(200);
    expect(await rowsIn("owner IS NULL")).toBe(300);
    expect(await rowsIn("owner = 'quiet'")).toBe(3);
  });

  test("the pruning job deletes events past maxAgeMs from the table, in batches, and keeps the younger", async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const sink = await emptySink({ maxAgeMs: 60_000, now: () => clock.now, maxEventsPerOwner: 100_000, maxUnownedEvents: 100_000 });
    for (let i = 0; i < 2500; i++) sink.record(sampleAuditEvent({ owner: i % 2 === 0 ? "alice" : undefined, targetId: `old${i}` }));
    await sink.flush();
    clock.now += 30_000;
    sink.record(sampleAuditEvent({ targetId: "young" }));
    await sink.flush();
    clock.now += 31_000; // the 2500 are 61 s old, "young" 31 s
    const deletes = jest.spyOn(pool, "connect");
    await sink.prune();
    expect(deletes.mock.calls.length).toBeGreaterThanOrEqual(4); // no DELETE removes more than 1000 rows
    deletes.mockRestore();
    expect(await rowsIn()).toBe(1);
    expect((await sink.list({ limit: 10 })).events.map((e) => e.targetId)).toEqual(["young"]);
  });

  test("the pruning job runs by itself every pruneIntervalMs", async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const sink = await emptySink({ maxAgeMs: 1000, now: () => clock.now, pruneIntervalMs: 20 });
    sink.record(sampleAuditEvent());
    await sink.flush();
    clock.now += 2000;
    await eventually(async () => (await rowsIn()) === 0);
  });

  test("listing, paging and trimming walk the log's index, not the table", async () => {
    await emptySink();
    await pool.query(`INSERT INTO portcullis.audit_events (recorded_at, at, action, outcome, owner)
      SELECT now() - i * interval '1 ms', now(), 'api_key.authenticate', 'success', CASE WHEN i % 3 = 0 THEN NULL ELSE 'owner' || (i % 50) END
      FROM generate_series(1, 30000) AS i`);
    await pool.query("ANALYZE portcullis.audit_events");
    const plan = async (sql: string, values: unknown[]) => (await pool.query(`EXPLAIN ${sql}`, values)).rows.map((row) => row["QUERY PLAN"]).join("\n");
    const table = "portcullis.audit_events";
    const owner = planAuditListing(table, { limit: 50, owner: "owner7", before: undefined }, [Date.now(), 99_999], 0);
    expect(await plan(owner.text, owner.values as unknown[])).toMatch(/Index Scan using audit_events_by_owner.*\n.*Index Cond: \(\(owner = .*\(recorded_at, seq\) < /);
    const overview = planAuditListing(table, { limit: 50, keyId: "key_x" }, undefined, 0);
    expect(await plan(overview.text, overview.values as unknown[])).toMatch(/Index Scan using audit_events_overview/);
    const unowned = planAuditListing(table, { limit: 50, unowned: true }, undefined, 0);
    expect(await plan(unowned.text, unowned.values as unknown[])).toMatch(/Index Scan using audit_events_unowned/);
    const trim = trimLog(table, "owner7", 100);
    expect(await plan(trim.text, trim.values as unknown[])).toMatch(/Index (Only )?Scan using audit_events_by_owner/);
    const aged = deleteAged(table, true, Date.now() - 29_500); // the oldest minute of a longer log, as in each run
    expect(await plan(aged.text, aged.values as unknown[])).toMatch(/(Index Scan using|Bitmap Index Scan on) audit_events_overview/);
  });

  test("a filtered listing reads a bounded number of rows per call and says where to go on", async () => {
    const sink = await emptySink();
    sink.record(sampleAuditEvent({ keyId: "key_rare" }));
    for (let i = 0; i < 2500; i++) sink.record(sampleAuditEvent({ keyId: "key_common" }));
    await sink.flush();
    const first = await sink.list({ limit: 10, keyId: "key_rare" });
    expect(first).toEqual({ events: [], next: expect.any(String) });
    const second = await sink.list({ limit: 10, keyId: "key_rare", before: first.next! });
    expect(second).toEqual({ events: [], next: expect.any(String) });
    const third = await sink.list({ limit: 10, keyId: "key_rare", before: second.next! });
    expect(third.events.map((e) => e.keyId)).toEqual(["key_rare"]);
    expect(third.next).toBeUndefined();
  });

  test("times and cursors beyond what PostgreSQL holds list nothing or everything, never an error", async () => {
    const sink = await emptySink();
    sink.record(sampleAuditEvent({ at: 1e20, targetId: "far" })); // finite, so the sanitizer keeps it: stored as now
    await sink.flush();
    const [far] = (await sink.list({ limit: 10 })).events;
    expect(far?.at).toBeLessThanOrEqual(Date.now());
    expect((await sink.list({ limit: 10, since: -8.64e15 })).events).toHaveLength(1);
    expect((await sink.list({ limit: 10, until: 8.64e15 })).events).toHaveLength(1);
    expect((await sink.list({ limit: 10, since: 8.64e15 })).events).toHaveLength(0);
    expect((await sink.list({ limit: 10, since: Number.NaN })).events).toHaveLength(0);
    expect((await sink.list({ limit: 10, before: "9999999999999999-9999999999999999" })).events).toHaveLength(0); // not an id it made
    expect((await sink.list({ limit: 10, before: "0-0" })).events).toHaveLength(0);
  });

  test("an event id does not reveal how many events other owners had: its sequence number is sealed", async () => {
    const sink = await emptySink();
    sink.record(sampleAuditEvent({ owner: "alice", targetId: "a1" }));
    for (let i = 0; i < 50; i++) sink.record(sampleAuditEvent({ owner: "bob" }));
    sink.record(sampleAuditEvent({ owner: "alice", targetId: "a2" }));
    await sink.flush();
    const { events } = await sink.list({ limit: 10, owner: "alice" });
    const { rows } = await pool.query<{ seq: string }>("SELECT seq::text FROM portcullis.audit_events WHERE owner = 'alice' ORDER BY seq DESC");
    expect(events.map((event) => event.targetId)).toEqual(["a2", "a1"]);
    for (const [i, event] of events.entries()) {
      expect(event.id).toMatch(/^\d+-[A-Za-z0-9_-]{22}$/);
      expect(event.id).not.toContain(rows[i]!.seq);
    }
    // The older id is still a cursor, and pages from where it stands.
    expect((await sink.list({ limit: 10, owner: "alice", before: events[0]!.id })).events.map((event) => event.targetId)).toEqual(["a1"]);
  });

  test("a cursor that was altered, or made by another schema's log, lists nothing", async () => {
    const sink = await emptySink();
    for (let i = 0; i < 3; i++) sink.record(sampleAuditEvent({ targetId: `t${i}` }));
    await sink.flush();
    const newest = (await sink.list({ limit: 1 })).events[0]!.id;
    expect((await sink.list({ limit: 10, before: newest })).events).toHaveLength(2);
    const last = newest.at(-2) === "A" ? "B" : "A";
    const altered = `${newest.slice(0, -2)}${last}${newest.at(-1)}`;
    expect((await sink.list({ limit: 10, before: altered })).events).toHaveLength(0);
    await migrate(pool, { schema: "other_log" });
    const other = new PostgresAuditSink(pool, { schema: "other_log" });
    other.record(sampleAuditEvent({ targetId: "elsewhere" }));
    await other.flush();
    const foreign = (await other.list({ limit: 1 })).events[0]!.id;
    await other.close();
    expect((await sink.list({ limit: 10, before: foreign })).events).toHaveLength(0);
  });

  test("a row written by hand that is not an event is skipped when listed, never passed on", async () => {
    const sink = await emptySink();
    sink.record(sampleAuditEvent({ targetId: "real" }));
    await sink.flush();
    await pool.query(`INSERT INTO portcullis.audit_events (recorded_at, at, action, outcome, owner, key_id)
      VALUES (now() + interval '1 s', now(), 'no.such_action', 'success', 'alice', 'x'), (now() + interval '2 s', now(), 'api_key.create', 'success', 'alice', 'Bearer abc')`);
    const { events } = await sink.list({ limit: 10, owner: "alice" });
    expect(events.map((e) => [e.action, e.keyId, e.targetId])).toEqual([["api_key.create", undefined, undefined], ["api_key.authenticate", "key_0123456789abcdef", "real"]]);
  });
});
