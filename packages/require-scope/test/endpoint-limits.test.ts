import express, { type RequestHandler } from "express";
import request from "supertest";
import { problemDetailsFormat, type Principal } from "@portcullis/core";
import { endpoint, requireAnyScope, requireScope } from "@portcullis/require-scope";

const asKey = (scopes: string[]): Principal => ({ kind: "api_key", keyId: "key_1", owner: "alice", scopes });

/** An app whose principal holds `scopes`, with `mount` adding the guarded routes. */
function createApp(scopes: string[], mount: (app: express.Express) => void) {
  const app = express();
  app.use((req, _res, next) => {
    req.auth = asKey(scopes);
    next();
  });
  mount(app);
  return app;
}

const ok: RequestHandler = (_req, res) => void res.json({ ok: true });

describe("endpoint scopes listed in requireScope", () => {
  const guarded = (scopes: string[]) =>
    createApp(scopes, (app) => app.post("/searches", requireScope(["Search", "/svc/PostSearches", "/svc/PostSearchesV2"]), ok));

  test("a principal holding one endpoint of several may call the route", async () => {
    await request(guarded(["Search", "/svc/PostSearchesV2"])).post("/searches").expect(200);
    await request(guarded(["Search", "/svc/PostSearches"])).post("/searches").expect(200);
  });

  test("a principal holding no endpoint scope is limited by the operation scopes alone", async () => {
    await request(guarded(["Search"])).post("/searches").expect(200);
    const res = await request(guarded(["Predict"])).post("/searches").expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "Missing scope: Search." });
  });

  test("a principal limited to other endpoints is refused, naming the route's endpoints", async () => {
    const res = await request(guarded(["Search", "/svc/PostModelOutputs"])).post("/searches").expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "These credentials may not call /svc/PostSearches or /svc/PostSearchesV2." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="/svc/PostSearches /svc/PostSearchesV2"');
  });

  test("the endpoint does not stand in for the operation scopes: both are needed", async () => {
    const res = await request(guarded(["/svc/PostSearches"])).post("/searches").expect(403);
    expect(res.body.detail).toBe("Missing scope: Search.");
  });

  test("a guard of endpoint scopes alone needs no operation scope, with match all or any", async () => {
    const app = createApp(["/svc/Health"], (a) => {
      a.get("/all", requireScope("/svc/Health"), ok);
      a.get("/any", requireAnyScope(["/svc/Health"]), ok);
      a.get("/other", requireAnyScope(["/svc/Metrics"]), ok);
    });
    await request(app).get("/all").expect(200);
    await request(app).get("/any").expect(200);
    await request(app).get("/other").expect(403);
  });
});

describe("endpoint(id) names the route", () => {
  test("a principal limited to the name may call the route; one limited to another name may not", async () => {
    const mount = (app: express.Express) => app.post("/v2/models/:id/outputs", endpoint("/svc/PostModelOutputs"), requireScope("Predict"), ok);
    await request(createApp(["Predict", "/svc/PostModelOutputs"], mount)).post("/v2/models/7/outputs").expect(200);
    const res = await request(createApp(["Predict", "/svc/PostSearches"], mount)).post("/v2/models/7/outputs").expect(403);
    expect(res.body.detail).toBe("These credentials may not call /svc/PostModelOutputs.");
  });

  test("the name wins over the endpoint scopes the guard lists", async () => {
    const mount = (app: express.Express) => app.get("/models", endpoint("/svc/ListModels"), requireScope(["read", "/svc/Other"]), ok);
    await request(createApp(["read", "/svc/ListModels"], mount)).get("/models").expect(200);
    await request(createApp(["read", "/svc/Other"], mount)).get("/models").expect(403);
  });

  test.each(["models", "/a b", "GET /x y", "XGET /x", "GET  /x", ""])("%j is not an endpoint id: a configuration error", (id) => {
    expect(() => endpoint(id)).toThrow(new RegExp(`^endpoint: ${JSON.stringify(id).replace(/[/]/g, "\\/")} is not an endpoint id: use "/service/Method" or "METHOD /path/:param"$`));
  });
});

describe("a route without a name is METHOD /route/pattern", () => {
  const limitedTo = (scopes: string[]) =>
    createApp(["read", ...scopes], (app) => {
      const router = express.Router();
      router.get("/models/:id", requireScope("read"), ok);
      router.post("/models/:id", requireScope("read"), ok);
      app.use("/v2", router);
      app.get(["/a", "/b"], requireScope("read"), ok);
    });

  test("the pattern, under the router's mount path, is what an endpoint scope names", async () => {
    await request(limitedTo(["GET /v2/models/:id"])).get("/v2/models/7").expect(200);
    const res = await request(limitedTo(["GET /v2/models/:id"])).post("/v2/models/7").expect(403);
    expect(res.body.detail).toBe("These credentials may not call POST /v2/models/:id.");
    await request(limitedTo(["GET /models/:id"])).get("/v2/models/7").expect(403);
  });

  test("HEAD is checked as GET, the route Express answers it with", async () => {
    await request(limitedTo(["GET /v2/models/:id"])).head("/v2/models/7").expect(200);
    await request(limitedTo(["POST /v2/models/:id"])).head("/v2/models/7").expect(403);
  });

  test("a guard mounted with app.use, outside any route, names the path requested under its mount path", async () => {
    const app = (scopes: string[]) =>
      createApp(["read", ...scopes], (a) => {
        a.use("/api", requireScope("read"));
        a.get("/api/models", ok);
      });
    await request(app(["GET /api/models"])).get("/api/models").expect(200);
    expect((await request(app(["GET /api/other"])).get("/api/models").expect(403)).body.detail).toBe("These credentials may not call GET /api/models.");
  });

  test("a route of several paths is named by the path requested", async () => {
    await request(limitedTo(["GET /a"])).get("/a").expect(200);
    const res = await request(limitedTo(["GET /a"])).get("/b").expect(403);
    expect(res.body.detail).toBe("These credentials may not call GET /b.");
  });
});

describe("the refusal body", () => {
  const app = (scopes: string[], guard: RequestHandler) => createApp(scopes, (a) => a.get("/guarded", guard, ok));

  test("one missing scope is named in the singular, several in the plural, and missing_scopes lists them", async () => {
    const one = await request(app(["read"], requireScope(["read", "write"], { formatError: problemDetailsFormat }))).get("/guarded").expect(403);
    expect(one.body).toMatchObject({ detail: "Missing scope: write.", missing_scopes: ["write"] });
    const two = await request(app(["read"], requireScope(["write", "read", "predict"], { formatError: problemDetailsFormat }))).get("/guarded").expect(403);
    expect(two.body).toMatchObject({ detail: "Missing scopes: write, predict.", missing_scopes: ["write", "predict"] });
  });

  test("match any names every scope that would do", async () => {
    const res = await request(app(["read"], requireAnyScope(["write", "admin"], { formatError: problemDetailsFormat }))).get("/guarded").expect(403);
    expect(res.body).toMatchObject({ detail: "Requires one of the scopes: write, admin.", missing_scopes: ["write", "admin"] });
  });

  test("an endpoint refusal lists the endpoints in missing_scopes; the challenge names only those that are tokens", async () => {
    const res = await request(app(["read", "/svc/Other"], requireScope("read", { formatError: problemDetailsFormat }))).get("/guarded").expect(403);
    expect(res.body).toMatchObject({ detail: "These credentials may not call GET /guarded.", missing_scopes: ["GET /guarded"] });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope"');
  });
});
