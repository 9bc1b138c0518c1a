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
