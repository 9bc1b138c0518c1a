import request from "supertest";
import { MemoryKeyStore, MemoryUserStore, bcryptPasswords } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp } = require("../app") as typeof import("../app");

async function quickstart() {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  await users.create({ email: "admin@example.com", password: "admin-password", role: "admin" });
  const { app, keys } = createApp({ keyStore: new MemoryKeyStore(), users, secret: "k".repeat(32), sessionSecret: "s".repeat(32) });
  return { app, keys };
}

test("an admin key makes a read+predict key, which reads and predicts but cannot write", async () => {
  const { app, keys } = await quickstart();
  const admin = await keys.create({ owner: "admin", name: "bootstrap", scopes: ["admin"] });
  const created = await request(app)
    .post("/api/auth/api-keys")
    .set("Authorization", `Bearer ${admin.key}`)
    .send({ name: "CI Pipeline", scopes: ["read", "predict"] })
    .expect(201);
  const auth = { Authorization: `Bearer ${created.body.key}` };
  await request(app).get("/api/projects").set(auth).expect(200);
  await request(app).post("/api/models/m1/predict").set(auth).expect(200);
  const refused = await request(app).post("/api/projects").set(auth).send({ name: "x" }).expect(403);
  expect(refused.body).toEqual({ error: "insufficient_permissions", detail: "Missing scope: write." });
  const anonymous = await request(app).get("/api/projects").expect(401);
  expect(anonymous.body.detail).toBe("Authentication credentials were not provided.");
});

test("a key without admin cannot manage keys; a signed-in admin can", async () => {
  const { app, keys } = await quickstart();
  const reader = await keys.create({ owner: "admin", name: "reader", scopes: ["read"] });
  await request(app).get("/api/auth/api-keys").set("Authorization", `Bearer ${reader.key}`).expect(403);
  const session = request.agent(app);
  await session.post("/api/auth/login").send({ email: "admin@example.com", password: "admin-password" }).expect(200);
  await session.get("/api/auth/api-keys").expect(200);
});

test("an admin reads the access log: the login, the key it made, and a refused key, without any key in it", async () => {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  await users.create({ email: "admin@example.com", password: "admin-password", role: "admin" });
  const { app, audit } = createApp({ keyStore: new MemoryKeyStore(), users, secret: "k".repeat(32), sessionSecret: "s".repeat(32) });
  const session = request.agent(app);
  await session.post("/api/auth/login").send({ email: "admin@example.com", password: "admin-password" }).expect(200);
  const { key } = (await session.post("/api/auth/api-keys").send({ name: "ci", scopes: ["read"] }).expect(201)).body;
  await request(app).get("/api/projects").set("Authorization", `Bearer ${key}`).expect(200);
  await audit.flush();
  const log = await session.get("/api/auth/audit").expect(200);
  const actions = log.body.events.map((e: { action: string }) => e.action);
  expect(actions).toEqual(expect.arrayContaining(["session.login", "api_key.create", "api_key.authenticate"]));
  expect(JSON.stringify(log.body)).not.toContain(key);
});
