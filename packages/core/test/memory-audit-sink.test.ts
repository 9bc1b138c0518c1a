import express from "express";
import request from "supertest";
import {
  loggerAuditSink,
  MemoryAuditSink,
  teeAuditSink,
  type AuditEvent,
  type AuditRecorder,
  type StoredAuditEvent,
} from "@portcullis/core";
import { auditEventFromRequest } from "@portcullis/core/internal";
import { describeAuditSinkContract, sampleAuditEvent, SAMPLE_FULL_KEY } from "@portcullis/testing";

describeAuditSinkContract("MemoryAuditSink", (retention) => new MemoryAuditSink(retention));

describe("MemoryAuditSink", () => {
  test("each log trims exactly to its cap, the oldest first", async () => {
    const sink = new MemoryAuditSink({ maxEventsPerOwner: 3, maxUnownedEvents: 2, maxOverviewEvents: 4 });
    for (let i = 0; i < 5; i++) sink.record(sampleAuditEvent({ owner: i % 2 ? "bob" : "alice", targetId: `t${i}` }));
    for (let i = 0; i < 5; i++) sink.record(sampleAuditEvent({ owner: undefined, targetId: `u${i}` }));
    const targets = async (query: object) => (await sink.list({ limit: 100, ...query })).events.map((e) => e.targetId);
    expect(await targets({ owner: "alice" })).toEqual(["t4", "t2", "t0"]);
    expect(await targets({ owner: "bob" })).toEqual(["t3", "t1"]);
    expect(await targets({})).toEqual(["t4", "t3", "t2", "t1"]);
    expect(await targets({ unowned: true })).toEqual(["u4", "u3"]);
  });

  test("an owner whose events have all aged out is forgotten", async () => {
    const clock = { now: 1_000_000 };
    const sink = new MemoryAuditSink({ maxAgeMs: 60_000, now: () => clock.now });
    for (let i = 0; i < 1000; i++) sink.record(sampleAuditEvent({ owner: `owner${i}` }));
    expect(sink.owners).toBe(1000);
    clock.now += 120_000;
    sink.record(sampleAuditEvent({ owner: "active" }));
    expect(sink.owners).toBe(1);
    expect((await sink.list({ limit: 100, owner: "owner1" })).events).toEqual([]);
    // Recording again for a forgotten owner starts an empty log, not the old one.
    sink.record(sampleAuditEvent({ owner: "owner1", targetId: "again" }));
    expect((await sink.list({ limit: 100, owner: "owner1" })).events.map((e) => e.targetId)).toEqual(["again"]);
  });

  test("ids follow the injected clock and keep increasing when it steps back", async () => {
    const times = [5000, 5000, 4000, 6000];
    const sink = new MemoryAuditSink({ now: () => times.shift()! });
    for (let i = 0; i < 4; i++) sink.record(sampleAuditEvent());
    const ids = (await sink.list({ limit: 10 })).events.map((e) => e.id);
    expect(ids).toEqual(["6000-0", "5000-2", "5000-1", "5000-0"]);
  });

  test("malformed events are counted as dropped", () => {
    const sink = new MemoryAuditSink();
    sink.record(42 as never);
    sink.record(sampleAuditEvent());
    expect(sink.dropped).toBe(1);
  });

  test("bad options are refused at creation", () => {
    expect(() => new MemoryAuditSink({ maxEventsPerOwner: 0 })).toThrow(/MemoryAuditSink: "maxEventsPerOwner" must be a whole number/);
    expect(() => new MemoryAuditSink({ capacity: 10 } as never)).toThrow(/MemoryAuditSink: "capacity" was replaced by "maxEventsPerOwner" \(each owner's log\), "maxUnownedEvents"/);
    expect(() => new MemoryAuditSink({ size: 5 } as never)).toThrow(/MemoryAuditSink: unknown option "size"/);
  });
});

describe("loggerAuditSink", () => {
  test("hands each sanitized event, with an id, to the host's logger", () => {
    const logged: StoredAuditEvent[] = [];
    const sink = loggerAuditSink((event) => logged.push(event));
    sink.record(sampleAuditEvent({ keyId: SAMPLE_FULL_KEY, route: "/x?token=1", password: "hunter2" } as Partial<AuditEvent>));
    expect(logged).toEqual([
      {
        id: expect.stringMatching(/^\d+-\d+$/),
        at: expect.any(Number),
        action: "api_key.authenticate",
        outcome: "success",
        owner: "alice",
        ip: "203.0.113.7",
        userAgent: "curl/8.5.0",
        method: "GET",
        route: "/x",
      },
    ]);
  });

  test("a logger that throws, or garbage, never reaches the caller and is counted", () => {
    const sink = loggerAuditSink(() => {
      throw new Error("disk full");
    });
    expect(() => sink.record(sampleAuditEvent())).not.toThrow();
    expect(() => sink.record(undefined as never)).not.toThrow();
    expect(sink.dropped).toBe(2);
  });

  test("something other than a function is refused at creation", () => {
    expect(() => loggerAuditSink("info" as never)).toThrow(/^loggerAuditSink: /);
  });
});

describe("teeAuditSink", () => {
  test("records into every sink and lists from the first that can list", async () => {
    const logged: StoredAuditEvent[] = [];
    const memory = new MemoryAuditSink();
    const tee = teeAuditSink(loggerAuditSink((event) => logged.push(event)), memory);
    tee.record(sampleAuditEvent({ targetId: "a" }));
    await tee.flush();
    expect(logged.map((e) => e.targetId)).toEqual(["a"]);
    expect((await tee.list({ limit: 10 })).events.map((e) => e.targetId)).toEqual(["a"]);
    await tee.close();
  });

  test("a sink that throws or fails to flush does not stop the others", async () => {
    const broken: AuditRecorder = {
      record() {
        throw new Error("broken record");
      },
      flush: () => Promise.reject(new Error("broken flush")),
      close: async () => {},
    };
    const memory = new MemoryAuditSink();
    const tee = teeAuditSink(broken, memory);
    expect(() => tee.record(sampleAuditEvent({ targetId: "kept" }))).not.toThrow();
    await expect(tee.flush()).rejects.toThrow("broken flush");
    expect((await memory.list({ limit: 10 })).events.map((e) => e.targetId)).toEqual(["kept"]);
  });

  test("a tee without a sink that can list, or with something that is not a sink, is refused", () => {
    expect(() => teeAuditSink(loggerAuditSink(() => {}))).toThrow(/^teeAuditSink: none of the sinks can list/);
    expect(() => teeAuditSink(new MemoryAuditSink(), {} as never)).toThrow(/^teeAuditSink: argument 2 is not an audit sink/);
  });
});

describe("auditEventFromRequest", () => {
  function appRecordingInto(sink: MemoryAuditSink) {
    const app = express();
    const router = express.Router();
    router.get("/keys/:id", (req, res) => {
      sink.record(auditEventFromRequest(req, { action: "api_key.revoke", outcome: "success", targetId: req.params.id }));
      res.end();
    });
    app.use("/v1", router);
    app.use((req, res) => {
      sink.record(auditEventFromRequest(req, { action: "api_key.authenticate", outcome: "failure", code: "invalid_key", at: 5 }));
      res.status(401).end();
    });
    return app;
  }

  test("fills ip, user agent, method and the matched route, never the query string", async () => {
    const sink = new MemoryAuditSink();
    const before = Date.now();
    await request(appRecordingInto(sink)).get("/v1/keys/key_1?token=secret").set("user-agent", "probe/1.0").expect(200);
    const [event] = (await sink.list({ limit: 1, unowned: true })).events;
    expect(event).toEqual({
      id: expect.any(String),
      at: expect.any(Number),
      action: "api_key.revoke",
      outcome: "success",
      targetId: "key_1",
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      userAgent: "probe/1.0",
      method: "GET",
      route: "/v1/keys/:id",
    });
    expect(event!.at).toBeGreaterThanOrEqual(before);
  });

  test("without a matched route it takes the path; fields given win", async () => {
    const sink = new MemoryAuditSink();
    await request(appRecordingInto(sink)).post("/elsewhere/x?api_key=secret").expect(401);
    const [event] = (await sink.list({ limit: 1, unowned: true })).events;
    expect(event).toEqual(expect.objectContaining({ at: 5, method: "POST", route: "/elsewhere/x", code: "invalid_key" }));
    expect(JSON.stringify(event)).not.toContain("secret");
  });
});
