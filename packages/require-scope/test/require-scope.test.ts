import express, { type RequestHandler } from "express";
import request from "supertest";
import { ScopePolicy, type Principal } from "@portcullis/core";
import { METRICS } from "@portcullis/core/internal";
import { requireAnyScope, requireScope, scopeGuards } from "@portcullis/require-scope";
import { recordTelemetry } from "@portcullis/testing";

const asKey = (scopes: string[]): Principal => ({ kind: "api_key", keyId: "key_1", owner: "alice", scopes });
const asSession = (scopes: string[]): Principal => ({ kind: "session", userId: "u1", sessionId: "s1", owner: "u1", scopes, authenticatedAt: 0 });

/** An app whose principal is set by the test, then guarded by `guard`. */
function createApp(principal: Principal | undefined, guard: RequestHandler) {
  const app = express();
  app.get(
    "/guarded",
    (req, _res, next) => {
      if (principal) req.auth = principal;
      next();
    },
    guard,
    (_req, res) => void res.json({ ok: true }),
  );
  return app;
}

describe("requireScope", () => {
  test("all-of by default: every scope is needed", async () => {
    await request(createApp(asKey(["read", "predict"]), requireScope(["read", "predict"]))).get("/guarded").expect(200);
    const res = await request(createApp(asKey(["read"]), requireScope(["read", "write", "predict"]))).get("/guarded").expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "Missing scopes: write, predict." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="write predict"');
  });

  test("any-of: one scope is enough, and the refusal names the choices", async () => {
    await request(createApp(asKey(["write"]), requireAnyScope(["read", "write"]))).get("/guarded").expect(200);
    const res = await request(createApp(asKey(["predict"]), requireScope(["read", "write"], { match: "any" }))).get("/guarded").expect(403);
    expect(res.body.detail).toBe("Requires one of the scopes: read, write.");
  });

  test("it works the same for a session principal", async () => {
    await request(createApp(asSession(["write"]), requireScope("write"))).get("/guarded").expect(200);
    await request(createApp(asSession(["read"]), requireScope("write"))).get("/guarded").expect(403);
  });

  test("no principal: 401 missing_credentials, not 403", async () => {
    const res = await request(createApp(undefined, requireScope("read"))).get("/guarded").expect(401);
    expect(res.body.error).toBe("missing_credentials");
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api"');
  });

  test("matching is exact and case-sensitive", async () => {
    await request(createApp(asKey(["Read", "read:all", "reader"]), requireScope("read"))).get("/guarded").expect(403);
  });

  test("an implication map from the policy: admin grants everything, read_write grants read and write", async () => {
    const policy = new ScopePolicy({ implies: { admin: "*", read_write: ["read", "write"] } });
    const guards = scopeGuards({ policy });
    await request(createApp(asKey(["admin"]), guards.requireScope(["write", "predict"]))).get("/guarded").expect(200);
    await request(createApp(asKey(["read_write"]), guards.requireScope(["read", "write"]))).get("/guarded").expect(200);
    await request(createApp(asKey(["read_write"]), guards.requireScope("predict"))).get("/guarded").expect(403);
    await request(createApp(asKey(["read_write"]), guards.requireAnyScope(["predict", "write"]))).get("/guarded").expect(200);
  });

  test("a Plexe-style read-only key can GET but not write", async () => {
    const policy = new ScopePolicy({ implies: { read_write: ["read_only", "write"] } });
    const { requireScope: guard } = scopeGuards({ policy });
    await request(createApp(asKey(["read_only"]), guard("read_only"))).get("/guarded").expect(200);
    await request(createApp(asKey(["read_only"]), guard("write"))).get("/guarded").expect(403);
  });

  test.each([
    [[], /non-empty array/],
    ["", /not a well-formed scope/],
    [["read", "has space"], /not a well-formed scope/],
    [["*"], /not a well-formed scope/],
    [["read\u0000"], /"read\\u0000" is not a well-formed scope/],
    [["read\r\nX-Injected: 1"], /not a well-formed scope/],
  ])("guarding %j is a configuration error", (scopes, message) => {
    expect(() => requireScope(scopes as never)).toThrow(message);
    expect(() => requireScope(scopes as never)).toThrow(/^requireScope: /);
  });

  test("with a known-scope list, guarding a typo fails at startup rather than locking the route", () => {
    const policy = new ScopePolicy({ known: ["read", "write"] });
    expect(() => requireScope("wirte", { policy })).toThrow(/requireScope: unknown scope "wirte"/);
  });

  test("unknown options and a realm that would break the WWW-Authenticate header are refused at creation", () => {
    expect(() => requireScope("read", { mode: "any" } as never)).toThrow(/unknown option "mode"/);
    expect(() => requireScope("read", { realm: 'a"b\r\nX-Injected: 1' })).toThrow(/requireScope: "realm" must be/);
  });

  test("a match that is neither all nor any, and a policy that is not a ScopePolicy, are refused at creation", () => {
    expect(() => requireScope("read", { match: "some" } as never)).toThrow(/^requireScope: "match" must be "all" or "any", got "some"$/);
    expect(() => requireScope("read", { policy: { implies: {} } } as never)).toThrow(/^requireScope: "policy" must be a ScopePolicy$/);
  });

  test("a policy of the host's own whose validate fails with a bug lets that error through unchanged", () => {
    const policy = new ScopePolicy();
    const broken = Object.assign(Object.create(policy) as ScopePolicy, {
      validate: () => {
        throw new RangeError("policy bug");
      },
    });
    expect(() => requireScope("read", { policy: broken })).toThrow(new RangeError("policy bug"));
  });
});

describe("requireApp", () => {
  const bound = (app?: string): Principal => ({ kind: "api_key", keyId: "key_1", owner: "alice", scopes: ["read"], ...(app ? { app } : {}) });
  const { requireApp } = jest.requireActual("@portcullis/require-scope") as typeof import("@portcullis/require-scope");

  test("a bound key on its own app passes; on another app, or where the app cannot be read, it is refused", async () => {
    const guard = requireApp((req) => req.get("x-app-id"));
    await request(createApp(bound("a"), guard)).get("/guarded").set("x-app-id", "a").expect(200);
    await request(createApp(bound("a"), guard)).get("/guarded").set("x-app-id", "b").expect(403);
    await request(createApp(bound("a"), guard)).get("/guarded").expect(403); // no header: not its app
    await request(createApp(bound(), guard)).get("/guarded").expect(200); // unbound keys behave as before
    await request(createApp(asSession(["read"]), guard)).get("/guarded").set("x-app-id", "b").expect(200);
  });

  test("unknown options and a realm that would break the WWW-Authenticate header are refused at creation", () => {
    const appOf = (req: express.Request) => req.get("x-app-id");
    expect(() => requireApp(appOf, { relam: "x" } as never)).toThrow(/^requireApp: unknown option "relam"; the options are realm, onError, formatError$/);
    expect(() => requireApp(appOf, { realm: 'a"b' })).toThrow(/^requireApp: "realm" must be 1 to 64 printable ASCII characters without quotes or backslashes$/);
  });
});

test("an endpoint name holds only on its own route: a request that falls through to another route is checked as that route", async () => {
  const { endpoint } = jest.requireActual("@portcullis/require-scope") as typeof import("@portcullis/require-scope");
  const app = express();
  app.use((req, _res, next) => {
    req.auth = asKey(["read", "/svc/GetModel"]);
    next();
  });
  app.get("/models/:id", endpoint("/svc/GetModel"), (_req, _res, next) => next("route"));
  app.get("/models/:id", requireScope("read"), (_req, res) => void res.json({ reached: "the second route" }));
  await request(app).get("/models/7").expect(403); // the second route is "GET /models/:id", not /svc/GetModel
});

test("requireScope counts each decision under its own name, by outcome and credential type", async () => {
  const telemetry = recordTelemetry();
  try {
    await request(createApp(asKey(["write"]), requireScope("write"))).get("/guarded").expect(200);
    await request(createApp(asKey(["read"]), requireScope("write"))).get("/guarded").expect(403);
    await request(createApp(undefined, requireScope("write"))).get("/guarded").expect(401);
    const decisions = (await telemetry.points(METRICS.authOutcomes)).map(({ attributes, value }) => [
      attributes["portcullis.middleware"],
      attributes["portcullis.outcome"],
      attributes["portcullis.credential.type"],
      value,
    ]);
    expect(decisions).toEqual(
      expect.arrayContaining([
        ["requireScope", "success", "api_key", 1],
        ["requireScope", "insufficient_permissions", "api_key", 1],
        ["requireScope", "missing_credentials", "none", 1],
      ]),
    );
    expect(decisions).toHaveLength(3);
  } finally {
    telemetry.stop();
  }
});
