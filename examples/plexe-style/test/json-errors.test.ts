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
