import request from "supertest";
import { MemoryKeyStore } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp } = require("../app") as typeof import("../app");

const APP = "/v2/users/me/apps/demo";

async function clarifai() {
  const clock = { now: Date.UTC(2026, 0, 1), advance: (ms: number) => void (clock.now += ms) };
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: "c".repeat(32), now: () => clock.now });
  const keyFor = async (scopes: string[], appId = "me/demo") => (await keys.create({ owner: "me", app: appId, name: "k", scopes })).key;
  const as = (key: string) => ({ Authorization: `Key ${key}` });
  return { app, keys, clock, keyFor, as };
}

test("keys travel in Authorization: Key; a Bearer header is not read; errors come as a Clarifai status object", async () => {
  const { app, keyFor, as } = await clarifai();
  const key = await keyFor(["Models:Get"]);
  await request(app).get(`${APP}/models`).set(as(key)).expect(200);
  const bearer = await request(app).get(`${APP}/models`).set("Authorization", `Bearer ${key}`).expect(401);
  expect(bearer.body).toEqual({ status: { code: 11009, description: "The Authorization scheme is not supported; use Key.", details: "missing_credentials" } });
});

test("a key gives access to a single app: the same key on another app (or another user's) is refused", async () => {
  const { app, keyFor, as } = await clarifai();
  const key = await keyFor(["Models:Get"]);
  const other = await request(app).get("/v2/users/me/apps/other/models").set(as(key)).expect(403);
  expect(other.body.status).toMatchObject({ code: 11007, details: "insufficient_permissions", description: "This key is bound to another app." });
  await request(app).get("/v2/users/someone-else/apps/demo/models").set(as(key)).expect(403);
});

test("operation scopes: Models:Get reads models but cannot train; Models:* can", async () => {
  const { app, keyFor, as } = await clarifai();
  const reader = await keyFor(["Models:Get"]);
  const refused = await request(app).post(`${APP}/models/general/versions`).set(as(reader)).expect(403);
  expect(refused.body.status.description).toBe("Missing scope: Models:Train.");
  await request(app).post(`${APP}/models/general/versions`).set(as(await keyFor(["Models:*"]))).expect(200);
  await request(app).delete(`${APP}/inputs/i1`).set(as(reader)).expect(403);
});

test("Predict at the operation level with only the search endpoint can search, but cannot call PostModelOutputs", async () => {
  const { app, keyFor, as } = await clarifai();
  const searchOnly = await keyFor(["Predict", "Search", "/clarifai.api.V2/PostSearches"]);
  await request(app).post(`${APP}/searches`).set(as(searchOnly)).expect(200);
  const refused = await request(app).post(`${APP}/models/general/outputs`).set(as(searchOnly)).expect(403);
  expect(refused.body.status.description).toBe("These credentials may not call /clarifai.api.V2/PostModelOutputs.");
  // With Predict and no endpoint scope at all, both work: operation scopes alone limit it.
  const predict = await keyFor(["Predict", "Search"]);
  await request(app).post(`${APP}/models/general/outputs`).set(as(predict)).expect(200);
  await request(app).post(`${APP}/searches`).set(as(predict)).expect(200);
  // The endpoint scope alone is not enough: the endpoint still needs its operation scopes.
  await request(app).post(`${APP}/searches`).set(as(await keyFor(["Search", "/clarifai.api.V2/PostSearches"]))).expect(403);
});

test("a redacted response: the model comes back without its training details for a key without Models:Train", async () => {
  const { app, keyFor, as } = await clarifai();
  const redacted = await request(app).get(`${APP}/models/general`).set(as(await keyFor(["Models:Get"]))).expect(200);
  expect(redacted.body.model).not.toHaveProperty("train_info");
  expect(redacted.body.model).toMatchObject({ id: "general", name: "general-image-recognition" });
  expect(redacted.headers["x-redacted-fields"]).toBe("model.train_info");
  const whole = await request(app).get(`${APP}/models/general`).set(as(await keyFor(["Models:Get", "Models:Train"]))).expect(200);
  expect(whole.body.model.train_info).toEqual({ params: { epochs: 12, learning_rate: 0.01 } });
  expect(whole.headers["x-redacted-fields"]).toBeUndefined();
});

test("a rejected request: when most of the response needs the missing scope, the request is refused instead", async () => {
  const { app, keyFor, as } = await clarifai();
  const refused = await request(app).get(`${APP}/models/general/versions/v1/metrics`).set(as(await keyFor(["Models:Get"]))).expect(403);
  expect(refused.body.status).toMatchObject({ code: 11007, details: "insufficient_permissions" });
  await request(app).get(`${APP}/models/general/versions/v1/metrics`).set(as(await keyFor(["Models:Get", "Models:Train"]))).expect(200);
});

test("keys never expire unless deleted", async () => {
  const { app, keys, clock, keyFor, as } = await clarifai();
  const key = await keyFor(["Models:Get"]);
  clock.advance(10 * 365 * 24 * 3600_000);
  await request(app).get(`${APP}/models`).set(as(key)).expect(200);
  const { records } = await keys.list("me");
  await keys.revoke(records[0]!.id);
  expect((await request(app).get(`${APP}/models`).set(as(key)).expect(401)).body.status.details).toBe("revoked_key");
});

test("a scope the page does not list, or a malformed one, is refused when the key is created", async () => {
  const { keys } = await clarifai();
  await expect(keys.create({ owner: "me", app: "me/demo", name: "k", scopes: ["Models:Fly"] })).rejects.toMatchObject({ code: "invalid_request" });
  await expect(keys.create({ owner: "me", app: "me/demo", name: "k", scopes: ["/clarifai.api.V2/PostNothing"] })).rejects.toMatchObject({ code: "invalid_request" });
  await expect(keys.create({ owner: "me", app: "me/demo", name: "k", scopes: ["Models:*", "Workflows:Get"] })).resolves.toBeDefined();
});
