/** The Plexe-style app answers JSON for an unknown route and a malformed URL, never Express's HTML page. */
import request from "supertest";
import { MemoryKeyStore } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp, permissionLevels } = require("../app") as typeof import("../app");

test.each<[string, string, string, number, object]>([
  ["an unknown route", "GET", "/nowhere", 404, { error: "not_found", detail: "Not found." }],
  ["a bad URL escape", "DELETE", "/auth/api-keys/%E0%A4%A", 400, { error: "invalid_request", detail: "The URL is malformed: it holds an invalid percent-escape." }],
])("%s: JSON", async (_what, method, path, status, body) => {
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: "p".repeat(32) });
  const { key } = await keys.create({ owner: "acct", name: "rw", scopes: permissionLevels.read_write });
  const res = await request(app)[method === "GET" ? "get" : "delete"](path).set("x-api-key", key).expect(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.body).toEqual(body);
});

describe("POST /models with odd bodies: a 4xx, never a 500", () => {
  async function plexe() {
    const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: "p".repeat(32) });
    const { key } = await keys.create({ owner: "acct", name: "rw", scopes: permissionLevels.read_write });
    return { app, key };
  }
  beforeEach(() => jest.spyOn(console, "error").mockImplementation(() => {}));
  afterEach(() => jest.restoreAllMocks());

  test.each<[string, unknown, object]>([
    ["an id that is an object with toString", { id: { toString: 1 } }, { error: "invalid_request", detail: "id: must be a string of 1 to 64 characters" }],
    ["an id that is an array", { id: ["a"] }, { error: "invalid_request", detail: "id: must be a string of 1 to 64 characters" }],
    ["a body that is not an object", [1, 2], { error: "invalid_request", detail: "body: must be a JSON object" }],
  ])("%s: 400", async (_what, body, expected) => {
    const { app, key } = await plexe();
    const res = await request(app).post("/models").set("x-api-key", key).send(body as object).expect(400);
    expect(res.body).toEqual(expected);
    expect(console.error).not.toHaveBeenCalled();
  });

  test("a body that is not JSON: 415, and nothing is created", async () => {
    const { app, key } = await plexe();
    const res = await request(app).post("/models").set("x-api-key", key).set("Content-Type", "text/plain").send('{"id":"m"}').expect(415);
    expect(res.body.error).toBe("unsupported_media_type");
    expect((await request(app).get("/models").set("x-api-key", key).expect(200)).body).toHaveLength(1);
  });

  test("a JSON body still creates the model", async () => {
    const { app, key } = await plexe();
    await request(app).post("/models").set("x-api-key", key).send({ id: "churn-v3" }).expect(201, { id: "churn-v3", status: "training" });
    await request(app).post("/models").set("x-api-key", key).send({}).expect(201, { id: "model-3", status: "training" });
  });
});

test("no answer says X-Powered-By; a bad escape where no route parameter matches is the JSON 404", async () => {
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: "p".repeat(32) });
  const { key } = await keys.create({ owner: "acct", name: "rw", scopes: permissionLevels.read_write });
  for (const res of [await request(app).get("/models").set("x-api-key", key), await request(app).get("/models/%zz").set("x-api-key", key).expect(404)]) {
    expect(res.headers["x-powered-by"]).toBeUndefined();
  }
});
