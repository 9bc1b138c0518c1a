import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();
type App = Parameters<typeof request>[0];

const login = async (app: App, userAgent = "browser") =>
  sessionCookie(await request(app).post("/api/auth/login").set("User-Agent", userAgent).send({ email: EMAIL, password: PASSWORD }).expect(200));

/** Holds the next password change inside the store until released, as a slow hash would. */
function holdPasswordChange(users: { changePassword(id: string, password: string): Promise<boolean> }) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inside = new Promise<void>((resolve) => (reached = resolve));
  const change = users.changePassword.bind(users);
  users.changePassword = async (id, password) => {
    reached();
    await gate;
    return change(id, password);
  };
  return { inside, release };
}

/** Holds the next password check inside the store until released, as a slow hash would. */
function holdPasswordCheck(users: { verifyCredentials(email: string, password: string): Promise<unknown> }) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inside = new Promise<void>((resolve) => (reached = resolve));
  const verify = users.verifyCredentials.bind(users);
  users.verifyCredentials = async (email, password) => {
    reached();
    await gate;
    return verify(email, password);
  };
  return { inside, release };
}

describe.each([["in memory", false], ["on Redis", true]])("%s", (_where, onRedis) => {
  const app = () => createApp(onRedis ? { redis: redis().client() } : {});

  test("a password change that a logout overtakes does not bring the session back", async () => {
    const { app: server, users } = await app();
    const cookie = await login(server);
    const held = holdPasswordChange(users);
    const changing = request(server).post("/api/auth/password").set("Cookie", cookie).send({ current_password: PASSWORD, new_password: "the-new-password" }).then((r) => r);
    await held.inside;
    await request(server).post("/api/auth/logout").set("Cookie", cookie).expect(204);
    held.release();
    const changed = await changing;
    expect(changed.status).toBe(401);
    expect(changed.headers["set-cookie"] ?? []).not.toContainEqual(expect.stringMatching(/^portcullis\.sid=s/));
    await request(server).get("/api/projects").set("Cookie", cookie).expect(401);
  });

  test("a re-authentication that a logout overtakes is a 401 (the session is gone, the store is fine) and does not bring the session back", async () => {
    const { app: server, users } = await app();
    const cookie = await login(server);
    const held = holdPasswordCheck(users);
    const confirming = request(server).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD }).then((r) => r);
    await held.inside;
    await request(server).post("/api/auth/logout").set("Cookie", cookie).expect(204);
    held.release();
    const confirmed = await confirming;
    expect(confirmed.status).toBe(401);
    expect(confirmed.body.error).toBe("missing_credentials");
    expect((await request(server).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
  });

  test("a session revoked while it changes the password stays revoked, and its new cookie never works", async () => {
    const { app: server, users } = await app();
    const attacker = await login(server, "attacker");
    const owner = await login(server, "owner");
    const held = holdPasswordChange(users);
    const changing = request(server).post("/api/auth/password").set("Cookie", attacker).send({ current_password: PASSWORD, new_password: "attackers-pick" }).then((r) => r);
    await held.inside;
    await request(server).post("/api/auth/sessions/revoke-others").set("Cookie", owner).expect(200);
    held.release();
    const changed = await changing;
    expect(changed.status).toBe(401);
    const issued = ((changed.headers["set-cookie"] as unknown as string[] | undefined) ?? []).find((c) => c.startsWith("portcullis.sid=s"));
    if (issued) await request(server).get("/api/projects").set("Cookie", issued.split(";")[0]!).expect(401);
    await request(server).get("/api/projects").set("Cookie", attacker).expect(401);
  });
});

test("a password changed elsewhere (an admin reset) ends the user's sessions within a minute", async () => {
  const { app, users, clock, admin } = await createApp();
  const cookie = await login(app);
  clock.advance(1000);
  await users.changePassword(admin.id, "reset-by-an-admin");
  clock.advance(60_000);
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  expect(refused.body.error).toBe("session_expired");
});

test("a role changed or a user removed is seen within a minute too; a user who did nothing keeps the session", async () => {
  const { app, users, clock } = await createApp();
  const cookie = await login(app);
  const find = users.findById.bind(users);
  users.findById = async (id) => {
    const user = await find(id);
    return user && { ...user, role: "member" }; // demoted by the host's user database
  };
  clock.advance(61_000);
  expect((await request(app).get("/api/auth/me").set("Cookie", cookie).expect(200)).body.scopes).toEqual(["read", "predict"]);
  users.findById = async () => undefined; // deleted
  clock.advance(61_000);
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body.error).toBe("session_expired");
});

test("changing the password needs the current one", async () => {
  const { app } = await createApp();
  const cookie = await login(app);
  const res = await request(app).post("/api/auth/password").set("Cookie", cookie).send({ current_password: "not-it", new_password: "whatever-new" }).expect(401);
  expect(res.body.error).toBe("invalid_credentials");
  await request(app).post("/api/auth/password").set("Cookie", cookie).send({ new_password: "whatever-new" }).expect(400);
});

test("re-authenticating a session that was logged out meanwhile is a 401, not a success", async () => {
  const { app } = await createApp();
  const cookie = await login(app);
  const other = request.agent(app);
  await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD }).expect(401);
  await other.get("/api/auth/me").expect(401);
});

test("with Redis down, login and session management answer 503 (never a 500) and recover", async () => {
  const client = redis().client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once("ready", resolve));
  const { app } = await createApp({ redis: client, redisUsers: true });
  const cookie = await login(app);
  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
  const down = { error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." };
  expect((await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(503)).body).toEqual(down);
  expect((await request(app).get("/api/auth/sessions").set("Cookie", cookie).expect(503)).body).toEqual(down);
  await client.connect();
  await request(app).get("/api/auth/sessions").set("Cookie", cookie).expect(200);
  await login(app);
});
