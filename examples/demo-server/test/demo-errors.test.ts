/** Every answer of the demo is JSON, in production and in development: no stack, no path, no HTML. */
import request from "supertest";
import { storeUnavailable } from "@portcullis/core/internal";
import { MemoryAuditSink, MemoryKeyStore, MemoryUserStore, PortcullisError, bcryptPasswords } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDemoApp } = require("../app") as typeof import("../app");

const LEAKS = /<html|<pre|at .+\.[jt]s:\d+|\/work\/|node_modules|Error:/i;

/** The demo with an admin key, whose user store's `create` fails as `failure` says. */
async function demoWhoseStoreFails(failure: () => unknown) {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  users.create = async () => {
    throw failure();
  };
  const { app, keys } = createDemoApp({ keyStore: new MemoryKeyStore(), users, audit: new MemoryAuditSink(), secret: "d".repeat(32), sessionSecret: "e".repeat(32) });
  const { key } = await keys.create({ owner: "admin", name: "admin", scopes: ["admin"] });
  return { app, admin: { Authorization: `Bearer ${key}` } };
}

describe.each(["production", "development"])("NODE_ENV=%s", (env) => {
  const saved = process.env.NODE_ENV;
  beforeAll(() => void (process.env.NODE_ENV = env));
  afterAll(() => void (process.env.NODE_ENV = saved));
  beforeEach(() => jest.spyOn(console, "error").mockImplementation(() => {}));
  afterEach(() => jest.restoreAllMocks());

  test("a store outage in POST /api/users: 503 auth_unavailable as JSON", async () => {
    const { app, admin } = await demoWhoseStoreFails(() => storeUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:6379")));
    const res = await request(app).post("/api/users").set(admin).send({ email: "a@example.com", password: "a-password", role: "viewer" }).expect(503);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." });
    expect(res.text).not.toMatch(LEAKS);
    expect(console.error).not.toHaveBeenCalled();
  });

  test("a bug in POST /api/users: 500 internal_error as JSON, without its message or stack, logged once", async () => {
    const { app, admin } = await demoWhoseStoreFails(() => new TypeError("Cannot read properties of undefined (reading 'hset') at /srv/demo/users.js:42"));
    const res = await request(app).post("/api/users").set(admin).send({ email: "a@example.com", password: "a-password", role: "viewer" }).expect(500);
    expect(res.body).toEqual({ error: "internal_error", detail: "Something went wrong on our side; retry later." });
    expect(res.text).not.toMatch(LEAKS);
    expect(res.text).not.toMatch(/hset|srv/);
    expect(console.error).toHaveBeenCalledTimes(1);
  });

  test("a refusal from the store keeps its status and sentence", async () => {
    const { app, admin } = await demoWhoseStoreFails(() => new PortcullisError("conflict", "email: already registered"));
    const res = await request(app).post("/api/users").set(admin).send({ email: "a@example.com", password: "a-password", role: "viewer" }).expect(409);
    expect(res.body).toEqual({ error: "conflict", detail: "email: already registered" });
  });

  test.each<[string, (r: request.Test) => request.Test, string, number, object]>([
    ["a bad URL escape", (r) => r, "GET /api/projects/%E0%A4%A", 400, { error: "invalid_request", detail: "The URL is malformed: it holds an invalid percent-escape." }],
    ["a body not declared as JSON", (r) => r.type("form").send({ name: "x" }), "POST /api/projects", 415, { error: "unsupported_media_type", detail: "Send the body as JSON (Content-Type: application/json)." }],
    ["a charset other than UTF-8", (r) => r.set("Content-Type", "application/json; charset=latin2").send("{}"), "POST /api/users", 415, { error: "unsupported_media_type", detail: "The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8)." }],
    ["an unsupported Content-Encoding", (r) => r.set("Content-Type", "application/json").set("Content-Encoding", "zz").send("{}"), "POST /api/projects", 415, { error: "unsupported_media_type", detail: "The request body's Content-Encoding is not supported; send it uncompressed or gzip-compressed." }],
    ["broken JSON", (r) => r.set("Content-Type", "application/json").send("{oops"), "POST /api/models/mdl_1/predict", 400, { error: "invalid_request", detail: "The request body is not valid JSON." }],
    ["an unknown route", (r) => r, "GET /api/nowhere", 404, { error: "not_found", detail: "Not found." }],
  ])("%s: a JSON answer that says what happened", async (_what, send, route, status, body) => {
    const { app, admin } = await demoWhoseStoreFails(() => new Error("unused"));
    const [method, path] = route.split(" ") as ["GET" | "POST", string];
    const res = await send(request(app)[method === "GET" ? "get" : "post"](path).set(admin)).expect(status);
    expect(res.body).toEqual(body);
    expect(res.text).not.toMatch(LEAKS);
  });
});

test.each<[string, object]>([
  ["a role that is an object with toString", { email: "a@example.com", password: "a-password", role: { toString: 1 } }],
  ["a role that is an array", { email: "a@example.com", password: "a-password", role: ["viewer"] }],
])("POST /api/users with %s: 400 naming role, never a 500", async (_what, body) => {
  const { app, admin } = await demoWhoseStoreFails(() => new Error("unused"));
  const spy = jest.spyOn(console, "error").mockImplementation(() => {});
  try {
    const res = await request(app).post("/api/users").set(admin).send(body).expect(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.detail).toMatch(/^role: /);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
});

test("/healthz and /readyz answer without credentials", async () => {
  const { app } = await demoWhoseStoreFails(() => new Error("unused"));
  await request(app).get("/healthz").expect(200, { status: "ok" });
  await request(app).get("/readyz").expect(200, { status: "ready", checks: {} });
});
