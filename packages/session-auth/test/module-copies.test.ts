import express from "express";
import request from "supertest";
import { sessionCookie } from "./create-app";

// An app whose dependencies resolve two versions of a package gets two copies of its modules.
// Each copy here is loaded into a module registry of its own, so nothing one copy keeps at module
// level can reach the other: whatever the middlewares tell each other must travel with the request.
interface Copy {
  readonly core: typeof import("@portcullis/core");
  readonly coreInternal: typeof import("@portcullis/core/internal");
  readonly apiKeys: typeof import("@portcullis/api-key-auth");
  readonly scopes: typeof import("@portcullis/require-scope");
  readonly sessions: typeof import("@portcullis/session-auth");
  readonly limits: typeof import("@portcullis/login-rate-limit");
}

function loadCopy(): Copy {
  let copy: Copy | undefined;
  jest.isolateModules(() => {
    copy = {
      core: require("@portcullis/core"),
      coreInternal: require("@portcullis/core/internal"),
      apiKeys: require("@portcullis/api-key-auth"),
      scopes: require("@portcullis/require-scope"),
      sessions: require("@portcullis/session-auth"),
      limits: require("@portcullis/login-rate-limit"),
    };
  });
  return copy!;
}

const first = loadCopy();
const second = loadCopy();
const EMAIL = "you@example.com";
const PASSWORD = "your-password";
const ROLES = { admin: ["admin"], member: ["read"] };
const SECRET = "session-secret-of-at-least-32-bytes!!";

test("the two copies really are two: neither shares the other's classes", () => {
  expect(first.core.PortcullisError).not.toBe(second.core.PortcullisError);
  expect(first.sessions.sessionAuth).not.toBe(second.sessions.sessionAuth);
});

/** Sessions and login from `sessions`, the user store from `users`; the clock is the test's. */
async function sessionApp(sessions: Copy, users: Copy, options: { rateLimit?: express.RequestHandler } = {}) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const userStore = new users.core.MemoryUserStore({ passwords: sessions.sessions.bcryptPasswords({ cost: 4 }), now });
  await userStore.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const app = express();
  app.use("/api", sessions.sessions.sessionAuth({ secret: SECRET, roles: ROLES, now }));
  app.use("/api/auth", sessions.sessions.authRouter({ users: userStore, ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}) }));
  return { app, clock };
}

test("a session that expired under one copy's sessionAuth answers session_expired from the other copy's guards and refusal helper", async () => {
  const { app, clock } = await sessionApp(first, first);
  app.get("/api/projects", second.scopes.requireScope("admin"), (_req, res) => void res.json([]));
  app.get("/api/me", (req, res) => {
    if (!req.auth) throw second.coreInternal.unauthenticated(req, "api");
    res.json({ owner: req.auth.owner });
  });
  app.use(second.core.portcullisErrorHandler({ otherErrors: "respond" }));
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  clock.now += 31 * 60_000; // past the idle timeout
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
  expect((await request(app).get("/api/me").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("one copy's authRouter works behind the other copy's sessionAuth", async () => {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const users = new first.core.MemoryUserStore({ passwords: first.sessions.bcryptPasswords({ cost: 4 }), now });
  await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const app = express();
  app.use("/api", second.sessions.sessionAuth({ secret: SECRET, roles: ROLES, now }));
  app.use("/api/auth", first.sessions.authRouter({ users }));
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  expect((await request(app).get("/api/auth/me").set("Cookie", cookie).expect(200)).body.user.email).toBe(EMAIL);
  // A logout while the password is checked: the save after it finds the session gone (401), as
  // the other copy's store says, rather than a store failure (503).
  const verify = users.verifyCredentials.bind(users);
  jest.spyOn(users, "verifyCredentials").mockImplementationOnce(async (email, password) => {
    await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
    return verify(email, password);
  });
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD }).expect(401);
  expect((await request(app).get("/api/auth/me").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("an endpoint named by one copy's endpoint() reaches the other copy's requireScope", async () => {
  const policy = new second.core.ScopePolicy({ known: ["read", "/svc/Predict"] });
  const keys = new first.core.ApiKeys({ store: new first.core.MemoryKeyStore(), secret: "s".repeat(40), prefix: "cpx_live.", scopes: policy });
  const { key } = await keys.create({ owner: "alice", name: "predictor", scopes: ["read", "/svc/Predict"] });
  const app = express();
  app.use(first.apiKeys.apiKeyAuth({ keys }));
  app.post("/v2/models/:id/outputs", first.scopes.endpoint("/svc/Predict"), second.scopes.requireScope("read", { policy }), (_req, res) => void res.json({ ok: true }));
  app.get("/v2/models/:id", first.scopes.endpoint("/svc/GetModel"), second.scopes.requireScope("read", { policy }), (_req, res) => void res.json({ ok: true }));
  await request(app).post("/v2/models/7/outputs").set("Authorization", `Bearer ${key}`).expect(200);
  const refused = await request(app).get("/v2/models/7").set("Authorization", `Bearer ${key}`).expect(403);
  expect(refused.body.error).toBe("insufficient_permissions");
});

test("one copy's refusals passed on with onError: \"next\" are answered as refusals by the other copy's error handler", async () => {
  const { app, clock } = await sessionApp(first, first);
  app.get("/api/projects", first.scopes.requireScope("admin", { onError: "next" }), (_req, res) => void res.json([]));
  app.use(second.core.portcullisErrorHandler({ otherErrors: "respond" }));
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  clock.now += 31 * 60_000;
  const expired = await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  expect(expired.body.error).toBe("session_expired");
  expect(expired.headers["www-authenticate"]).toBe('Bearer realm="api"');
  expect(new first.core.PortcullisError("not_found")).toBeInstanceOf(second.core.PortcullisError);
  expect(second.core.isPortcullisError(new first.core.PortcullisError("not_found"))).toBe(true);
  expect(new Error("not a refusal")).not.toBeInstanceOf(second.core.PortcullisError);
});
