import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { MAX_SESSIONS_PER_USER } from "../src/login-session";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();
type App = Parameters<typeof request>[0];

async function loginAs(app: App, userAgent: string, credentials = { email: EMAIL, password: PASSWORD }) {
  return sessionCookie(await request(app).post("/api/auth/login").set("User-Agent", userAgent).send(credentials).expect(200));
}

describe.each([["in memory", false], ["on Redis", true]])("a user's sessions %s", (_where, onRedis) => {
  const app = async () => createApp(onRedis ? { redis: redis().client() } : {});

  test("are listed with their times, IP and user agent, the current one marked, and no session id shown", async () => {
    const { app: server, clock } = await app();
    const laptop = await loginAs(server, "laptop");
    clock.advance(1000); // oldest first; sessions created in the same millisecond have no order
    const phone = await loginAs(server, "phone");
    const listed = await request(server).get("/api/auth/sessions").set("Cookie", phone).expect(200);
    expect(listed.body.sessions).toHaveLength(2);
    expect(listed.body.sessions.map((s: { user_agent: string; current: boolean }) => [s.user_agent, s.current])).toEqual([
      ["laptop", false],
      ["phone", true],
    ]);
    expect(listed.body.sessions[0]).toMatchObject({ id: expect.stringMatching(/^[0-9A-Za-z]{16}$/), ip: expect.any(String), created_at: expect.any(String), last_seen_at: expect.any(String) });
    const sid = (cookie: string) => decodeURIComponent(cookie.split("=")[1]!).slice(2).split(".")[0]!;
    expect(JSON.stringify(listed.body)).not.toContain(sid(laptop));
    expect(JSON.stringify(listed.body)).not.toContain(sid(phone));
  });

  test("one can be revoked: it is refused on its next request, the others go on", async () => {
    const { app: server } = await app();
    const laptop = await loginAs(server, "laptop");
    const phone = await loginAs(server, "phone");
    const listed = await request(server).get("/api/auth/sessions").set("Cookie", phone).expect(200);
    const laptopId = listed.body.sessions.find((s: { user_agent: string }) => s.user_agent === "laptop").id;
    await request(server).delete(`/api/auth/sessions/${laptopId}`).set("Cookie", phone).expect(204);
    await request(server).get("/api/projects").set("Cookie", laptop).expect(401);
    await request(server).get("/api/projects").set("Cookie", phone).expect(200);
    await request(server).delete(`/api/auth/sessions/${laptopId}`).set("Cookie", phone).expect(404);
  });

  test("revoking the others keeps only the current one", async () => {
    const { app: server } = await app();
    const others = [await loginAs(server, "a"), await loginAs(server, "b")];
    const current = await loginAs(server, "c");
    expect((await request(server).post("/api/auth/sessions/revoke-others").set("Cookie", current).expect(200)).body).toEqual({ revoked: 2 });
    for (const cookie of others) await request(server).get("/api/projects").set("Cookie", cookie).expect(401);
    expect((await request(server).get("/api/auth/sessions").set("Cookie", current).expect(200)).body.sessions).toHaveLength(1);
  });

  test("changing the password revokes every other session, renews this one's id, and the old password stops working", async () => {
    const { app: server } = await app();
    const other = await loginAs(server, "other");
    const current = await loginAs(server, "current");
    const changed = await request(server).post("/api/auth/password").set("Cookie", current).send({ current_password: PASSWORD, new_password: "a-new-password" }).expect(200);
    expect(changed.body).toEqual({ password_changed: true, other_sessions_revoked: 1 });
    const renewed = sessionCookie(changed);
    expect(renewed).not.toBe(current);
    await request(server).get("/api/projects").set("Cookie", other).expect(401);
    await request(server).get("/api/projects").set("Cookie", current).expect(401);
    await request(server).get("/api/projects").set("Cookie", renewed).expect(200);
    await request(server).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(401);
    await request(server).post("/api/auth/login").send({ email: EMAIL, password: "a-new-password" }).expect(200);
  });

  test("a request still in flight when its session is revoked cannot write the session back", async () => {
    const { app: server, clock } = await app();
    let release!: () => void;
    let reached!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    server.get("/api/slow", async (_req, res) => {
      reached();
      await held;
      res.json({ slow: true });
    });
    const cookie = await loginAs(server, "browser");
    clock.advance(61_000); // so the slow request updates last-seen and saves the session when it ends
    const slow = request(server).get("/api/slow").set("Cookie", cookie).then((res) => res);
    await inHandler; // the slow request holds the loaded session now
    await request(server).post("/api/auth/logout").set("Cookie", cookie).expect(204);
    release();
    expect((await slow).status).toBe(200);
    await request(server).get("/api/projects").set("Cookie", cookie).expect(401);
  });
});

test("sessions are managed from a session: an API key gets 403; without credentials 401", async () => {
  const { app, keys } = await createApp();
  const { key } = await keys.create({ owner: "o", name: "k", scopes: ["admin"] });
  await request(app).get("/api/auth/sessions").set("x-api-key", key).expect(403);
  await request(app).get("/api/auth/sessions").expect(401);
  const cookie = await loginAs(app, "x");
  await request(app).delete("/api/auth/sessions/not-a-handle").set("Cookie", cookie).expect(404);
});

test("a password change needs a recent password check, and a new password bcrypt can store", async () => {
  const { app, clock } = await createApp();
  const cookie = await loginAs(app, "x");
  await request(app).post("/api/auth/password").set("Cookie", cookie).send({ current_password: PASSWORD, new_password: "é".repeat(40) }).expect(400);
  await request(app).post("/api/auth/password").set("Cookie", cookie).send({ current_password: PASSWORD, new_password: 123 }).expect(400);
  clock.advance(16 * 60_000);
  expect((await request(app).post("/api/auth/password").set("Cookie", cookie).send({ current_password: PASSWORD, new_password: "fine-password" }).expect(401)).body.error).toBe("reauthentication_required");
});

test(`past ${MAX_SESSIONS_PER_USER} sessions, the oldest is signed out at each login`, async () => {
  const { app } = await createApp();
  const first = await loginAs(app, "first");
  for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) await loginAs(app, `n${i}`);
  await request(app).get("/api/projects").set("Cookie", first).expect(401);
});
