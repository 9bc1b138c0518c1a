/** The quick start answers JSON for an unknown route and a malformed URL, never Express's HTML page. */
import request from "supertest";
import { MemoryKeyStore, MemoryUserStore, bcryptPasswords } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp } = require("../app") as typeof import("../app");

test.each<[string, string, number, object]>([
  ["an unknown route", "/api/nowhere", 404, { error: "not_found", detail: "Not found." }],
  ["a bad URL escape", "/api/models/%E0%A4%A/predict", 400, { error: "invalid_request", detail: "The URL is malformed: it holds an invalid percent-escape." }],
])("%s: JSON", async (_what, path, status, body) => {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const { app, keys } = createApp({ keyStore: new MemoryKeyStore(), users, secret: "k".repeat(32), sessionSecret: "s".repeat(32) });
  const { key } = await keys.create({ owner: "admin", name: "k", scopes: ["admin"] });
  const res = await request(app).post(path).set("Authorization", `Bearer ${key}`).expect(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.body).toEqual(body);
  await request(app).get("/healthz").expect(200, { status: "ok" });
});

describe("POST /api/projects with odd bodies: a 4xx, never a 500", () => {
  async function quickstart() {
    const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
    const { app, keys } = createApp({ keyStore: new MemoryKeyStore(), users, secret: "k".repeat(32), sessionSecret: "s".repeat(32) });
    const { key } = await keys.create({ owner: "admin", name: "k", scopes: ["admin"] });
    return { app, auth: { Authorization: `Bearer ${key}` } };
  }
  beforeEach(() => jest.spyOn(console, "error").mockImplementation(() => {}));
  afterEach(() => jest.restoreAllMocks());

  test.each<[string, unknown, object]>([
    ["a name that is an object with toString", { name: { toString: 1 } }, { error: "invalid_request", detail: "name: must be a string of 1 to 100 characters" }],
    ["a body that is not an object", [1, 2], { error: "invalid_request", detail: "body: must be a JSON object" }],
  ])("%s: 400", async (_what, body, expected) => {
    const { app, auth } = await quickstart();
    const res = await request(app).post("/api/projects").set(auth).set("Content-Type", "application/json").send(typeof body === "string" ? body : JSON.stringify(body)).expect(400);
    expect(res.body).toEqual(expected);
    expect(console.error).not.toHaveBeenCalled();
  });

  test("a body that is not JSON: 415; a JSON one creates the project; no X-Powered-By", async () => {
    const { app, auth } = await quickstart();
    const refused = await request(app).post("/api/projects").set(auth).set("Content-Type", "text/plain").send("name=x").expect(415);
    expect(refused.body.error).toBe("unsupported_media_type");
    const created = await request(app).post("/api/projects").set(auth).send({ name: "Forecast" }).expect(201);
    expect(created.body).toEqual({ id: "p2", name: "Forecast" });
    expect(created.headers["x-powered-by"]).toBeUndefined();
  });
});
