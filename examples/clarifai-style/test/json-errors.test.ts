/** The Clarifai-style app answers an unknown route and a malformed URL as a status object, never Express's HTML page. */
import request from "supertest";
import { MemoryKeyStore } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp } = require("../app") as typeof import("../app");

test.each<[string, string, number, object]>([
  ["an unknown route", "/v2/nowhere", 404, { status: { code: 11101, description: "Not found.", details: "not_found" } }],
  [
    "a bad URL escape",
    "/v2/users/me/apps/%E0%A4%A/models",
    400,
    { status: { code: 11102, description: "The URL is malformed: it holds an invalid percent-escape.", details: "invalid_request" } },
  ],
])("%s: JSON", async (_what, path, status, body) => {
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: "c".repeat(32) });
  const { key } = await keys.create({ owner: "me", app: "me/demo", name: "k", scopes: ["Models:Get"] });
  const res = await request(app).get(path).set("Authorization", `Key ${key}`).expect(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.body).toEqual(body);
  expect(res.headers["x-powered-by"]).toBeUndefined();
});
