import session, { MemoryStore } from "express-session";
import request from "supertest";
import { expressSessionStorage, MemorySessionIndex, sessionAuth } from "@portcullis/session-auth";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

type App = Parameters<typeof request>[0];
const SECRET = "session-secret-of-at-least-32-bytes!!";
const roles = { admin: ["admin"] };

/** The app of the other session tests, its sessions in express-session's own MemoryStore: a store portcullis did not write. */
function onPlainStore(store: session.Store = new MemoryStore()) {
  return createApp({ session: { sessions: expressSessionStorage({ store, index: new MemorySessionIndex() }) } });
}

async function loginAs(app: App, userAgent: string) {
  return sessionCookie(await request(app).post("/api/auth/login").set("User-Agent", userAgent).send({ email: EMAIL, password: PASSWORD }).expect(200));
}

describe("sessions on a third-party express-session store", () => {
  test("login, me and logout work, and the logged-out cookie is refused", async () => {
    const { app } = await onPlainStore();
    const cookie = await loginAs(app, "laptop");
    expect((await request(app).get("/api/auth/me").set("Cookie", cookie).expect(200)).body.user.email).toBe(EMAIL);
    await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
    await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
    expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
  });

  test("a user's sessions are listed, one can be revoked, and revoking the others keeps only the current one", async () => {
    const { app } = await onPlainStore();
    const laptop = await loginAs(app, "laptop");
    const tablet = await loginAs(app, "tablet");
    const phone = await loginAs(app, "phone");
    const listed = (await request(app).get("/api/auth/sessions").set("Cookie", phone).expect(200)).body.sessions as { id: string; user_agent: string; current: boolean }[];
    expect(listed.map((s) => s.user_agent).sort()).toEqual(["laptop", "phone", "tablet"]);
    expect(listed.filter((s) => s.current).map((s) => s.user_agent)).toEqual(["phone"]);
    await request(app).delete(`/api/auth/sessions/${listed.find((s) => s.user_agent === "laptop")!.id}`).set("Cookie", phone).expect(204);
    await request(app).get("/api/projects").set("Cookie", laptop).expect(401);
    expect((await request(app).post("/api/auth/sessions/revoke-others").set("Cookie", phone).expect(200)).body).toEqual({ revoked: 1 });
    await request(app).get("/api/projects").set("Cookie", tablet).expect(401);
    await request(app).get("/api/projects").set("Cookie", phone).expect(200);
  });

  test("a password change ends the session under its old id (take) and goes on under a new one", async () => {
    const { app } = await onPlainStore();
    const before = await loginAs(app, "laptop");
    const changed = await request(app).post("/api/auth/password").set("Cookie", before).send({ current_password: PASSWORD, new_password: "a-new-password" }).expect(200);
    const after = sessionCookie(changed);
    expect(after).not.toBe(before);
    await request(app).get("/api/projects").set("Cookie", before).expect(401);
    await request(app).get("/api/projects").set("Cookie", after).expect(200);
  });

  test("a store that does not answer is a 503 after timeoutMs, not a hang", async () => {
    const stalled = new MemoryStore();
    stalled.get = stalled.set = stalled.destroy = () => undefined;
    const { app } = await createApp({
      session: { timeoutMs: 50, sessions: expressSessionStorage({ store: stalled, index: new MemorySessionIndex() }) },
    });
    const res = await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(503);
    expect(res.body.error).toBe("auth_unavailable");
  });
});

test("the storage options are checked when sessionAuth is created, and the replaced ones say what to pass", () => {
  expect(() => sessionAuth({ secret: SECRET, roles, redis: {} } as never)).toThrow(/^sessionAuth: "redis" was replaced by "sessions": pass sessions: redisSessionStorage\(redis\)/);
  expect(() => sessionAuth({ secret: SECRET, roles, redisPrefix: "app:" } as never)).toThrow(/^sessionAuth: "redisPrefix" was replaced .* redisSessionStorage\(redis, \{ prefix \}\)/);
  expect(() => sessionAuth({ secret: SECRET, roles, sessions: new MemoryStore() } as never)).toThrow(/^sessionAuth: "sessions" must be a session storage/);
  // A plain store handed over without the wrapper lacks take and creating.
  expect(() => sessionAuth({ secret: SECRET, roles, sessions: () => ({ store: new MemoryStore(), index: new MemorySessionIndex() }) } as never)).toThrow(
    /^sessionAuth: "sessions" must return \{ store, index \} .* expressSessionStorage/,
  );
  const notAStore = { get() {}, set() {}, destroy() {}, take: async () => false, creating: <T>(_sid: string, save: () => Promise<T>) => save() };
  expect(() => sessionAuth({ secret: SECRET, roles, sessions: () => ({ store: notAStore, index: new MemorySessionIndex() }) })).toThrow(
    /^sessionAuth: "sessions" must return a store that extends express-session's Store/,
  );
  expect(() => expressSessionStorage({ store: {} as never, index: new MemorySessionIndex() })).toThrow(/^expressSessionStorage: "store" must be an express-session Store/);
  expect(() => expressSessionStorage({ store: new MemoryStore() } as never)).toThrow(/^expressSessionStorage: "index" must be a SessionIndex/);
  expect(() => expressSessionStorage(undefined as never)).toThrow(/^expressSessionStorage: "store" must be an express-session Store/);
  expect(() => expressSessionStorage({ store: new MemoryStore(), index: new MemorySessionIndex(), ttl: 60 } as never)).toThrow(
    'expressSessionStorage: unknown option "ttl"; the options are store, index',
  );
});
