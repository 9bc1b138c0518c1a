import express from "express";
import request from "supertest";
import { isPortcullisError, problemDetailsFormat, ScopePolicy } from "@portcullis/core";
import { redactResponse } from "@portcullis/redact-response";
import { asKey, authenticate, createApp, model, modelList } from "./support/create-app";

const policy = new ScopePolicy({ implies: { admin: "*" } });
const adminOnlyTrainingData = () => redactResponse([{ path: "training_data", scope: "admin" }], { policy });
const { training_data: _trainingData, ...publicModel } = model();

/** A model whose training data is most of it. */
const mostlyTrainingData = () => ({ id: "m1", training_data: { inputs: Array.from({ length: 50 }, (_, i) => `s3://train/${i}.jpg`) } });

describe("redactResponse", () => {
  test("a read key gets the model without its training data, and the header names the field", async () => {
    const res = await request(createApp(asKey(["read"]), adminOnlyTrainingData())).get("/resource").expect(200);
    expect(res.body).toEqual(publicModel);
    expect(res.headers["x-redacted-fields"]).toBe("training_data");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  test("an admin key gets the whole model, with no header", async () => {
    const res = await request(createApp(asKey(["admin"]), adminOnlyTrainingData())).get("/resource").expect(200);
    expect(res.body).toEqual(model());
    expect(res.headers["x-redacted-fields"]).toBeUndefined();
  });

  test("a request with no principal is treated as holding no scopes", async () => {
    const res = await request(createApp(undefined, adminOnlyTrainingData())).get("/resource").expect(200);
    expect(res.body).toEqual(publicModel);
  });

  test("a marker takes the place of a redacted field", async () => {
    const redactor = redactResponse([{ path: "training_data", scope: "admin" }], { marker: "[redacted]" });
    const res = await request(createApp(asKey(["read"]), redactor)).get("/resource").expect(200);
    expect(res.body).toEqual({ ...publicModel, training_data: "[redacted]" });
  });

  test("items[*].metrics is taken out of each of 100 models, and the rest of each is kept", async () => {
    const redactor = redactResponse([
      { path: "items[*].metrics", scope: "Models:Train" },
      { path: "items[*].owner.email", scope: "admin" },
    ]);
    const list = modelList(100);
    const res = await request(createApp(asKey(["Models:Get"]), redactor, (_req, r) => void r.json(list))).get("/resource").expect(200);
    expect(res.body.items).toHaveLength(100);
    expect(res.body.items).toEqual(list.items.map(({ metrics: _metrics, owner, ...rest }) => ({ ...rest, owner: { name: owner.name } })));
    expect(res.headers["x-redacted-fields"]).toBe("items[*].metrics, items[*].owner.email");
  });

  test("the policy's wildcards apply: Models:* sees the metrics", async () => {
    const redactor = redactResponse([{ path: "items[*].metrics", scope: "Models:Train" }]);
    const res = await request(createApp(asKey(["Models:*"]), redactor, (_req, r) => void r.json(modelList(3)))).get("/resource").expect(200);
    expect(res.body).toEqual(modelList(3));
  });

  test("when most of the body would be redacted, the request is refused with 403 insufficient_permissions", async () => {
    const app = createApp(asKey(["read"]), adminOnlyTrainingData(), (_req, res) => void res.json(mostlyTrainingData()));
    const res = await request(app).get("/resource").expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "Most of this response requires the missing scope: admin." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="admin"');
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["x-redacted-fields"]).toBeUndefined();
  });

  test("the threshold decides: the same body is refused at 0.5 and sent redacted at 0.99", async () => {
    const handler: express.RequestHandler = (_req, res) => void res.json(mostlyTrainingData());
    const lenient = redactResponse([{ path: "training_data", scope: "admin" }], { threshold: 0.99 });
    const res = await request(createApp(asKey(["read"]), lenient, handler)).get("/resource").expect(200);
    expect(res.body).toEqual({ id: "m1" });
    await request(createApp(asKey(["read"]), adminOnlyTrainingData(), handler)).get("/resource").expect(403);
    await request(createApp(asKey(["read"]), redactResponse([{ path: "training_data", scope: "admin" }], { threshold: 1 }), handler))
      .get("/resource")
      .expect(200);
  });

  test("a refusal names every missing scope, in the realm given, and carries them as data for formatters", async () => {
    const redactor = redactResponse(
      [
        { path: "a", scope: "Models:Train" },
        { path: "b", scope: "admin" },
        { path: "c", scope: "GET /api/secrets" },
      ],
      { realm: "clarifai", formatError: problemDetailsFormat },
    );
    const app = createApp(asKey(["/api.V2/GetModel"]), redactor, (_req, res) => void res.json({ a: "x".repeat(50), b: "y".repeat(50), c: 1, d: 2 }));
    const res = await request(app).get("/resource").expect(403);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="clarifai", error="insufficient_scope", scope="Models:Train admin"');
    expect(JSON.parse(res.text)).toMatchObject({
      title: "insufficient_permissions",
      detail: "Most of this response requires the missing scopes: Models:Train, admin, GET /api/secrets.",
      missing_scopes: ["Models:Train", "admin", "GET /api/secrets"],
    });
  });

  test('onError "next" hands the refusal to the host\'s error handler', async () => {
    const redactor = redactResponse([{ path: "training_data", scope: "admin" }], { onError: "next" });
    const app = createApp(asKey(["read"]), redactor, (_req, res) => void res.json(mostlyTrainingData()));
    app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (!isPortcullisError(error)) return next(error);
      res.status(499).json({ host: error.code, data: error.data });
    });
    const res = await request(app).get("/resource").expect(499);
    expect(res.body).toEqual({ host: "insufficient_permissions", data: { missing_scopes: ["admin"] } });
  });

  test("res.send of an object is redacted like res.json", async () => {
    const res = await request(createApp(asKey(["read"]), adminOnlyTrainingData(), (_req, r) => void r.send(model()))).get("/resource").expect(200);
    expect(res.body).toEqual(publicModel);
    expect(res.headers["x-redacted-fields"]).toBe("training_data");
  });

  test("res.jsonp is redacted like res.json, with a callback or without", async () => {
    const app = createApp(asKey(["read"]), adminOnlyTrainingData(), (_req, res) => void res.jsonp(model()));
    const plain = await request(app).get("/resource").expect(200);
    expect(plain.body).toEqual(publicModel);
    expect(plain.headers["x-redacted-fields"]).toBe("training_data");
    expect(plain.headers["cache-control"]).toBe("private");

    const wrapped = await request(app).get("/resource?callback=show").expect(200);
    expect(wrapped.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(wrapped.text).toContain(JSON.stringify(publicModel));
    expect(wrapped.text).not.toContain("training_data");
  });

  test("res.jsonp with nothing to redact sends the body whole, marked private", async () => {
    const app = createApp(asKey(["admin"]), adminOnlyTrainingData(), (_req, res) => void res.jsonp(model()));
    const res = await request(app).get("/resource").expect(200);
    expect(res.body).toEqual(model());
    expect(res.headers["x-redacted-fields"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBe("private");
  });

  test("res.jsonp of a body that is mostly redacted is refused like res.json's", async () => {
    const app = createApp(asKey(["read"]), adminOnlyTrainingData(), (_req, res) => void res.jsonp(mostlyTrainingData()));
    const res = await request(app).get("/resource?callback=show").expect(403);
    expect(res.body.error).toBe("insufficient_permissions");
    expect(res.text).not.toContain("s3://train");
  });

  test.each<[string, express.RequestHandler]>([
    ["a string", (_req, res) => void res.send(JSON.stringify(model()))],
    ["a Buffer", (_req, res) => void res.type("json").send(Buffer.from(JSON.stringify(model())))],
    ["a 404 error body", (_req, res) => void res.status(404).json(model())],
    ["a 500 error body", (_req, res) => void res.status(500).send(model())],
  ])("%s passes untouched", async (_kind, handler) => {
    const res = await request(createApp(asKey(["read"]), adminOnlyTrainingData(), handler)).get("/resource");
    expect(JSON.parse(res.text)).toEqual(model());
    expect(res.headers["x-redacted-fields"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBeUndefined();
  });

  test("a body without fields (null, a number) passes untouched", async () => {
    await request(createApp(asKey([]), adminOnlyTrainingData(), (_req, res) => void res.json(null))).get("/resource").expect(200, "null");
    await request(createApp(asKey([]), adminOnlyTrainingData(), (_req, res) => void res.json(42))).get("/resource").expect(200, "42");
  });

  test("the handler's object is unchanged after the response", async () => {
    const body = modelList(5);
    const copy = structuredClone(body);
    const redactor = redactResponse([{ path: "items[*].owner.email", scope: "admin" }], { marker: null });
    await request(createApp(asKey([]), redactor, (_req, res) => void res.json(body))).get("/resource").expect(200);
    expect(body).toEqual(copy);
  });

  test("every inspected response is private to the principal, redacted or not, keeping the host's max-age", async () => {
    const cached: express.RequestHandler = (_req, res) => void res.set("Cache-Control", "public, max-age=60").json(model());
    for (const scopes of [["read"], ["admin"]]) {
      const res = await request(createApp(asKey(scopes), adminOnlyTrainingData(), cached)).get("/resource").expect(200);
      expect(res.headers["cache-control"]).toBe("private, max-age=60");
    }
    const res = await request(createApp(asKey(["read"]), adminOnlyTrainingData())).get("/resource");
    expect(res.headers["cache-control"]).toBe("private");
    expect(res.headers.vary).toBeUndefined();
  });

  test("the header can be renamed or left out", async () => {
    const renamed = redactResponse([{ path: "training_data", scope: "admin" }], { header: "Clarifai-Redacted" });
    expect((await request(createApp(asKey([]), renamed)).get("/resource")).headers["clarifai-redacted"]).toBe("training_data");
    const none = redactResponse([{ path: "training_data", scope: "admin" }], { header: false });
    const res = await request(createApp(asKey([]), none)).get("/resource").expect(200);
    expect(res.headers["x-redacted-fields"]).toBeUndefined();
    expect(res.body).toEqual(publicModel);
  });

  test("the app's JSON settings apply to a redacted body as to any other", async () => {
    const app = createApp(asKey([]), adminOnlyTrainingData(), (_req, res) => void res.json({ html: "<b>&</b>", training_data: 1 }));
    app.set("json spaces", 2);
    app.set("json escape", true);
    const res = await request(app).get("/resource").expect(200);
    expect(res.text).toBe('{\n  "html": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e"\n}');
  });

  test("a content type the handler set is kept", async () => {
    const app = createApp(asKey([]), adminOnlyTrainingData(), (_req, res) => void res.type("application/vnd.api+json").json(model()));
    const res = await request(app).get("/resource").expect(200);
    expect(res.headers["content-type"]).toBe("application/vnd.api+json; charset=utf-8");
    expect(JSON.parse(res.text)).toEqual(publicModel);
  });

  test("the body is serialized once, redacted or not", async () => {
    for (const scopes of [["read"], ["admin"]]) {
      let serializations = 0;
      const counted = {
        toJSON: () => {
          serializations += 1;
          return { views: 10 };
        },
      };
      const app = createApp(asKey(scopes), adminOnlyTrainingData(), (_req, res) => void res.json({ ...model(), stats: counted }));
      await request(app).get("/resource").expect(200);
      expect(serializations).toBe(1);
    }
  });

  test("two redactResponse on one route both apply, and the header names the fields of both", async () => {
    const app = express();
    app.use(authenticate(asKey(["read"])));
    app.use(redactResponse([{ path: "training_data", scope: "admin" }]));
    app.get("/resource", redactResponse([{ path: "owner.email", scope: "admin" }]), (_req, res) => {
      res.json({ ...model(), owner: { name: "Ann", email: "ann@example.com" } });
    });
    const res = await request(app).get("/resource").expect(200);
    expect(res.body).toEqual({ ...publicModel, owner: { name: "Ann" } });
    expect(res.headers["x-redacted-fields"]).toBe("owner.email, training_data");
  });

  test("a host's own res.json wrapper (an envelope) still shapes redacted responses", async () => {
    const envelope: express.RequestHandler = (_req, res, next) => {
      const json = res.json;
      res.json = (body) => json.call(res, { data: body, request_id: "r1" });
      next();
    };
    for (const [scopes, data] of [[["read"], publicModel], [["admin"], model()]] as const) {
      const app = express();
      app.get("/resource", authenticate(asKey([...scopes])), envelope, adminOnlyTrainingData(), (_req, res) => void res.json(model()));
      const res = await request(app).get("/resource").expect(200);
      expect(res.body).toEqual({ data, request_id: "r1" });
    }
  });

  test("the middleware is a named function, for readable stack traces", () => {
    expect(adminOnlyTrainingData().name).toBe("redactResponseMiddleware");
  });
});
