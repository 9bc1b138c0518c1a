import request from "supertest";
import { MemoryAuditSink, MemoryKeyStore, MemoryUserStore, bcryptPasswords } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDemoApp } = require("../app") as typeof import("../app");

async function demo() {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const { app, keys } = createDemoApp({ keyStore: new MemoryKeyStore(), users, audit: new MemoryAuditSink(), secret: "d".repeat(32), sessionSecret: "e".repeat(32) });
  await users.create({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await users.create({ email: "member@example.com", password: "member-password", role: "member" });
  const signIn = async (email: string, password: string) => {
    const agent = request.agent(app);
    await agent.post("/api/auth/login").send({ email, password }).expect(200);
    return agent;
  };
  return { app, keys, signIn };
}

test("a model's training_data is for admins: a member gets the model with that field redacted", async () => {
  const { signIn } = await demo();
  const member = await signIn("member@example.com", "member-password");
  const seen = await member.get("/api/models/mdl_1").expect(200);
  expect(seen.body).toEqual({ id: "mdl_1", name: "churn-gbm" });
  expect(seen.headers["x-redacted-fields"]).toBe("training_data");
  const list = await member.get("/api/models").expect(200);
  expect(list.body[0]).not.toHaveProperty("training_data");
  const admin = await signIn("admin@example.com", "admin-password");
  expect((await admin.get("/api/models/mdl_1").expect(200)).body.training_data).toMatch(/^s3:/);
});

test("training_data is hidden on every answer about models, and only an admin may set it", async () => {
  const { app, keys, signIn } = await demo();
  const member = await signIn("member@example.com", "member-password");
  const patched = await member.patch("/api/models/mdl_1").send({ name: "churn-gbm-v2" }).expect(200);
  expect(patched.body).toEqual({ id: "mdl_1", name: "churn-gbm-v2" });
  expect(patched.headers["x-redacted-fields"]).toBe("training_data");
  const refused = await member.patch("/api/models/mdl_1").send({ training_data: "mine.parquet" }).expect(403);
  expect(refused.body).toEqual({ error: "insufficient_permissions", detail: "Missing scope: admin (to set training_data)." });
  // JSON under another content type is not let through unchecked.
  await member.patch("/api/models/mdl_1").set("Content-Type", "text/plain").send('{"training_data":"mine.parquet"}').expect(415);

  const writer = (await keys.create({ owner: "o", name: "w", scopes: ["read", "write"] })).key;
  const auth = { Authorization: `Bearer ${writer}` };
  await request(app).post("/api/models").set(auth).send({ name: "mine", training_data: "mine.parquet" }).expect(403);
  const created = await request(app).post("/api/models").set(auth).send({ name: "mine" }).expect(201);
  expect(created.body).toEqual({ id: "mdl_2", name: "mine" });

  const admin = await signIn("admin@example.com", "admin-password");
  expect((await admin.get("/api/models/mdl_1").expect(200)).body.training_data).toBe("s3://ml-private/customers-2026.parquet");
  const moved = await admin.patch("/api/models/mdl_1").send({ training_data: "customers-2027.parquet" }).expect(200);
  expect(moved.body).toEqual({ id: "mdl_1", name: "churn-gbm-v2", training_data: "customers-2027.parquet" });
  expect((await member.get("/api/models/mdl_1").expect(200)).body).toEqual({ id: "mdl_1", name: "churn-gbm-v2" });
});

test("a model's write nested thousands deep gets a 4xx, not a crash, and models keep the 16 kb body limit", async () => {
  const { app, keys } = await demo();
  const writer = (await keys.create({ owner: "o", name: "w", scopes: ["read", "write"] })).key;
  const auth = { Authorization: `Bearer ${writer}` };
  // redactResponse reads a model's write body (before requireScope runs) to look for training_data.
  const deep = (levels: number, inner: string) => '{"__proto__":'.repeat(levels) + inner + "}".repeat(levels);
  const patch = (body: string) => request(app).patch("/api/models/mdl_1").set("Content-Type", "application/json").send(body);
  // 6,000 levels are 84 KB: over the routes' 16 kb, as any other body that size.
  expect((await patch(deep(6000, "{}")).expect(413)).body.error).toBe("payload_too_large");
  await patch(deep(6000, '{"training_data":"x"}')).set(auth).expect(413);
  await patch(deep(1100, "{}")).expect(401);
  await patch(deep(1100, '{"training_data":"x"}')).set(auth).expect(403);
  // The routes parse at most 16 kb; what redactResponse reads for them is held to the same.
  const padded = JSON.stringify({ name: "churn-gbm-v3", notes: "n".repeat(20_000) });
  expect((await patch(padded).set(auth).expect(413)).body.error).toBe("payload_too_large");
  await request(app).patch("/api/projects/prj_1").set(auth).set("Content-Type", "application/json").send(padded).expect(413);
  expect((await request(app).get("/api/models/mdl_1").set(auth).expect(200)).body.name).toBe("churn-gbm");
});

test("GET needs read, POST/PATCH/DELETE need write, predict needs predict, /api/users needs admin", async () => {
  const { app, keys } = await demo();
  const reader = (await keys.create({ owner: "o", name: "r", scopes: ["read"] })).key;
  const writer = (await keys.create({ owner: "o", name: "w", scopes: ["read", "write"] })).key;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
  await request(app).get("/api/projects").set(auth(reader)).expect(200);
  await request(app).post("/api/projects").set(auth(reader)).send({ name: "x" }).expect(403);
  const created = await request(app).post("/api/projects").set(auth(writer)).send({ name: "Fraud" }).expect(201);
  await request(app).patch(`/api/projects/${created.body.id}`).set(auth(writer)).send({ name: "Fraud v2" }).expect(200);
  await request(app).delete(`/api/projects/${created.body.id}`).set(auth(writer)).expect(204);
  await request(app).post("/api/models/mdl_1/predict").set(auth(writer)).expect(403);
  await request(app).get("/api/users").set(auth(writer)).expect(403);
  await request(app).get("/api/datasets").expect(401);
});

test("an admin manages users; bad resource bodies are 400 and unknown ids 404, never 500", async () => {
  const { signIn } = await demo();
  const admin = await signIn("admin@example.com", "admin-password");
  const made = await admin.post("/api/users").send({ email: "new@example.com", password: "new-password", role: "viewer" }).expect(201);
  expect(made.body).toEqual({ id: expect.stringMatching(/^usr_/), email: "new@example.com", role: "viewer" });
  await admin.post("/api/users").send({ email: "new@example.com", password: "other-password", role: "viewer" }).expect(409);
  await admin.post("/api/users").send({ email: "x@example.com", password: "pw", role: "god" }).expect(400);
  await admin.post("/api/projects").send({ name: 5 }).expect(400);
  await admin.post("/api/projects").set("Content-Type", "application/json").send("{oops").expect(400);
  // Routes that parse their own bodies answer bad JSON in JSON too, never Express's HTML page with a stack.
  for (const path of ["/api/users", "/api/models/mdl_1/predict"]) {
    const bad = await admin.post(path).set("Content-Type", "application/json").send("{oops").expect(400);
    expect(bad.body).toEqual({ error: "invalid_request", detail: "The request body is not valid JSON." });
  }
  await admin.patch("/api/projects/prj_404").send({ name: "x" }).expect(404);
});
test("the console is served at / with a strict Content-Security-Policy", async () => {
  const { app } = await demo();
  const page = await request(app).get("/").expect(200);
  expect(page.headers["content-type"]).toMatch(/text\/html/);
  expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
});
