/**
 * The access log over HTTP, on a real Redis: strangers cannot flush it, one owner cannot flush
 * another's, and no reader sees another owner's events.
 */
import express from "express";
import request from "supertest";
import { ApiKeys, MemoryAuditSink, MemoryKeyStore, ScopePolicy, type AuditRetentionOptions } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { accessLogRouter } from "@portcullis/api-keys-router";
import { RedisAuditSink } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";

const SECRET = "access-log-test-secret-at-least-32-bytes";
const redis = useRedisServer();
let n = 0;
const sinks: RedisAuditSink[] = [];
afterEach(() => Promise.all(sinks.splice(0).map((sink) => sink.close())));

interface LogEntry {
  id: string;
  action: string;
  outcome: string;
  code: string | null;
  key_id: string | null;
  owner: string | null;
  route: string | null;
}

async function createLogApp(options: { retention?: AuditRetentionOptions; allOwners?: boolean } = {}) {
  const client = redis().client();
  const audit = new RedisAuditSink(client, { prefix: `log${++n}:`, flushIntervalMs: 5, ...options.retention });
  const policy = new ScopePolicy({ known: ["read", "admin"], implies: { admin: "*" } });
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: SECRET, prefix: "cpx_live.", scopes: policy });
  const app = express();
  app.use(apiKeyAuth({ keys, audit }));
  app.get("/api/projects", (_req, res) => void res.json([]));
  app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy, allOwners: options.allOwners ?? false }));
  const alice = (await keys.create({ owner: "alice", name: "alice admin", scopes: ["admin"] })).key;
  const bob = (await keys.create({ owner: "bob", name: "bob admin", scopes: ["admin"] })).key;
  sinks.push(audit);
  return { app, audit, client, alice, bob };
}

/** Every event the key's holder can read with these query parameters, page after page. */
async function readLog(app: express.Express, key: string, query: Record<string, string> = {}): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res: request.Response = await request(app)
      .get("/api/auth/audit")
      .query({ limit: "100", ...query, ...(cursor === null ? {} : { cursor }) })
      .set("Authorization", `Bearer ${key}`)
      .expect(200);
    all.push(...(res.body.events as LogEntry[]));
    cursor = res.body.next_cursor;
    if (cursor === null) return all;
  }
  throw new Error("the log never ended");
}

/** Sends `count` requests, `parallel` at a time. */
async function flood(count: number, send: (i: number) => Promise<unknown>, parallel = 25) {
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => send(i + j)));
  }
}

const projectsCalls = (log: LogEntry[]) => log.filter((e) => e.route === "/api/projects");

test("a junk-key flood far past the cap keeps storage bounded and every owner's history whole", async () => {
  const { app, audit, client, alice } = await createLogApp({ retention: { maxUnownedEvents: 150 } });
  for (let i = 0; i < 3; i++) await request(app).get("/api/projects").set("Authorization", `Bearer ${alice}`).expect(200);
  await flood(1200, (i) =>
    request(app)
      .get("/api/projects")
      .set("Authorization", `Bearer ${i % 2 ? "cpx_live.junk" : `cpx_live.${"x".repeat(38)}`}${i}`)
      .expect(401),
  );
  await audit.flush();

  const aliceLog = await readLog(app, alice);
  expect(projectsCalls(aliceLog)).toHaveLength(3);
  expect(projectsCalls(aliceLog).every((e) => e.outcome === "success" && e.owner === "alice")).toBe(true);
  expect(await client.xlen(audit.keys.auditUnowned())).toBeLessThanOrEqual(250);
  // Junk adds no key per request: the log is three streams, whatever the flood.
  const names = await client.keys(`${audit.keys.prefix}*`);
  expect(names.sort()).toEqual([audit.keys.auditOverview(), audit.keys.auditOwner("alice"), audit.keys.auditUnowned()].sort());
}, 60_000);

test("one owner's flood with a valid key does not evict another owner's events", async () => {
  const { app, audit, alice, bob } = await createLogApp({ retention: { maxEventsPerOwner: 150 } });
  for (let i = 0; i < 3; i++) await request(app).get("/api/projects").set("Authorization", `Bearer ${alice}`).expect(200);
  await flood(600, () => request(app).get("/api/projects").set("Authorization", `Bearer ${bob}`).expect(200));
  await audit.flush();
  expect(projectsCalls(await readLog(app, alice))).toHaveLength(3);
  const bobLog = await readLog(app, bob);
  expect(bobLog.length).toBeGreaterThanOrEqual(150);
  expect(bobLog.length).toBeLessThanOrEqual(250);
}, 60_000);

test("a reader sees its own owner's events only, whatever it asks for", async () => {
  const { app, audit, alice, bob } = await createLogApp();
  await request(app).get("/api/projects").set("Authorization", `Bearer ${alice}`).expect(200);
  await request(app).get("/api/projects").set("Authorization", "Bearer cpx_live.junk").expect(401);
  await request(app).get("/api/projects").set("Authorization", `Bearer ${bob}`).expect(200);
  await audit.flush();
  const queries: Record<string, string>[] = [{}, { owner: "alice" }, { unowned: "true" }, { key_id: "anything" }];
  for (const query of queries) {
    const seen = await readLog(app, bob, query);
    expect(seen.every((e) => e.owner === "bob")).toBe(true);
  }
  expect(projectsCalls(await readLog(app, bob))).toHaveLength(1);
});

test("a request with an unknown key cannot claim an owner, however it names one", async () => {
  const { app, audit, alice } = await createLogApp({ allOwners: true });
  const wrongSecret = alice.slice(0, -3) + (alice.endsWith("A") ? "BBB" : "AAA"); // alice's prefix, not her key
  const attempts = [
    request(app).get("/api/projects?owner=alice&key_id=alice").set("Authorization", "Bearer cpx_live.junk"),
    request(app).get("/api/projects").set("x-api-key", wrongSecret).set("x-owner", "alice"),
    request(app).get("/api/projects").set("Authorization", `Bearer ${wrongSecret}`).set("User-Agent", "owner=alice"),
  ];
  for (const attempt of attempts) await attempt.expect(401);
  await audit.flush();
  const failures = (log: LogEntry[]) => projectsCalls(log).filter((e) => e.outcome === "failure");
  expect(failures(await readLog(app, alice, { owner: "alice" }))).toEqual([]);
  const unowned = failures(await readLog(app, alice, { unowned: "true" }));
  expect(unowned).toHaveLength(3);
  expect(unowned.every((e) => e.owner === null && e.key_id === null && e.code === "invalid_key")).toBe(true);
});

test("an operator with allOwners reads the overview, one owner, or the events of no owner; not two at once", async () => {
  const { app, audit, alice, bob } = await createLogApp({ allOwners: true });
  await request(app).get("/api/projects").set("Authorization", `Bearer ${alice}`).expect(200);
  await request(app).get("/api/projects").set("Authorization", "Bearer cpx_live.junk").expect(401);
  await request(app).get("/api/projects").set("Authorization", `Bearer ${bob}`).expect(200);
  await audit.flush();
  expect(projectsCalls(await readLog(app, alice)).map((e) => e.owner)).toEqual(["bob", "alice"]);
  expect(projectsCalls(await readLog(app, alice, { owner: "bob" })).map((e) => e.owner)).toEqual(["bob"]);
  expect(projectsCalls(await readLog(app, alice, { unowned: "true" })).map((e) => e.code)).toEqual(["invalid_key"]);
  const both = await request(app).get("/api/auth/audit?owner=bob&unowned=true").set("Authorization", `Bearer ${alice}`).expect(400);
  expect(both.body.error).toBe("invalid_request");
  await request(app).get("/api/auth/audit?unowned=maybe").set("Authorization", `Bearer ${alice}`).expect(400);
});

test("configuration mistakes are refused when the log router is created, naming the option", () => {
  const audit = new MemoryAuditSink();
  expect(() => accessLogRouter(undefined as never)).toThrow(/^accessLogRouter: options are required$/);
  expect(() => accessLogRouter({ audit: { record() {} }, viewScope: "admin" } as never)).toThrow(
    /^accessLogRouter: "audit" must be an AuditSink that can list, such as new RedisAuditSink\(redis\)$/,
  );
  expect(() => accessLogRouter({ audit, viewScope: "admin", policy: {} } as never)).toThrow(/^accessLogRouter: "policy" must be a ScopePolicy$/);
  // A string such as "false" would once have opened every owner's log to the reader.
  expect(() => accessLogRouter({ audit, viewScope: "admin", allOwners: "false" } as never)).toThrow(/^accessLogRouter: "allOwners" must be a boolean$/);
  expect(() => accessLogRouter({ audit, viewScope: "admin", alOwners: true } as never)).toThrow(/^accessLogRouter: unknown option "alOwners"; the options are audit, viewScope, policy, allOwners, onError, formatError$/);
  expect(() => accessLogRouter({ audit, viewScope: "admin", onError: "log" } as never)).toThrow(/^accessLogRouter: "onError" must be "respond" or "next", got "log"$/);
});
