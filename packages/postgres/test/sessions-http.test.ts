import express from "express";
import request from "supertest";
import { migrate, postgresSessionStorage, PostgresUserStore } from "@portcullis/postgres";
import { requireScope } from "@portcullis/require-scope";
import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";
import { usePostgres } from "@portcullis/testing";
import type { Pool } from "pg";

const pg = usePostgres();
const PASSWORD = "your-password";
const UNAVAILABLE = { error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." };
let pool: Pool;
let run = 0;

beforeAll(async () => {
  pool = pg().pool();
  await migrate(pool);
});

/**
 * Only a database: users and sessions on PostgreSQL, login under /api/auth, a guarded route. The
 * clock is the test's and stands still; each app has a user of its own.
 */
async function createApp(session: { timeoutMs?: number } = {}) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const users = new PostgresUserStore(pool, { passwords: bcryptPasswords({ cost: 4 }), now });
  const email = `user${++run}@example.com`;
  await users.create({ email, password: PASSWORD, role: "admin" });
  const app = express();
  app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["read"] }, now, users, sessions: postgresSessionStorage(pool), ...session }));
  app.use("/api/auth", authRouter({ users }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json([{ id: "p1" }]));
  const login = (userAgent = "test") => request(app).post("/api/auth/login").set("User-Agent", userAgent).send({ email, password: PASSWORD });
  return { app, clock, login };
}

function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const cookie = ((res.headers["set-cookie"] ?? []) as string[]).find((c) => c.startsWith("portcullis.sid="));
  if (!cookie) throw new Error("no session cookie");
  return cookie.split(";")[0]!;
}

/** The session id in a cookie whose value is `s:<session id>.<signature>`, URL-encoded. */
const sessionIdOf = (cookie: string) => {
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
  return signed.slice(2, signed.lastIndexOf("."));
};
const stored = async (cookie: string) => (await pool.query("SELECT 1 FROM portcullis.sessions WHERE sid = $1", [sessionIdOf(cookie)])).rowCount;

test("login, a guarded request, listing and revoking a session, logout; an old cookie is refused after each", async () => {
  const { app, clock, login } = await createApp();
  await request(app).get("/api/projects").expect(401);
  const laptop = sessionCookie(await login("laptop").expect(200));
  clock.now += 1000; // oldest first; sessions created in the same millisecond have no order
  const phone = sessionCookie(await login("phone").expect(200));
  await request(app).get("/api/projects").set("Cookie", laptop).expect(200);

  const listed = (await request(app).get("/api/auth/sessions").set("Cookie", phone).expect(200)).body.sessions as { id: string; user_agent: string; current: boolean }[];
  expect(listed.map((s) => [s.user_agent, s.current])).toEqual([
    ["laptop", false],
    ["phone", true],
  ]);
  await request(app).delete(`/api/auth/sessions/${listed[0]!.id}`).set("Cookie", phone).expect(204);
  expect(await stored(laptop)).toBe(0);
  await request(app).get("/api/projects").set("Cookie", laptop).expect(401); // revoked
  expect((await request(app).get("/api/auth/sessions").set("Cookie", phone).expect(200)).body.sessions).toHaveLength(1);

  await request(app).post("/api/auth/logout").set("Cookie", phone).expect(204);
  expect(await stored(phone)).toBe(0);
  await request(app).get("/api/projects").set("Cookie", phone).expect(401); // replayed after logout
});

test("with PostgreSQL stopped mid-run a signed-in request and a login get 503, never 500 or a pass; the same app recovers, the session intact", async () => {
  const { app, login } = await createApp();
  const cookie = sessionCookie(await login().expect(200));
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);

  await pg().kill();
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  expect(refused.body).toEqual(UNAVAILABLE);
  expect(refused.headers["retry-after"]).toBe("1");
  expect(refused.headers["set-cookie"]).toBeUndefined();
  expect((await login().expect(503)).body).toEqual(UNAVAILABLE);
  await request(app).get("/api/auth/sessions").set("Cookie", cookie).expect(503);

  await pg().restart();
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  const again = sessionCookie(await login().expect(200));
  expect((await request(app).get("/api/auth/sessions").set("Cookie", again).expect(200)).body.sessions).toHaveLength(2);
});

test("a session read stuck behind a lock is one 503 after one timeout: the session is neither destroyed nor rewritten, and works once the lock is gone", async () => {
  const { app, login } = await createApp({ timeoutMs: 200 });
  const cookie = sessionCookie(await login().expect(200));
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200); // the store's first read, and its sweep, are done
  const row = async () => (await pool.query("SELECT sess::text, expire FROM portcullis.sessions WHERE sid = $1", [sessionIdOf(cookie)])).rows[0];
  const before = await row();
  expect(before).toBeDefined();

  const admin = await pool.connect();
  await admin.query("BEGIN; LOCK TABLE portcullis.sessions IN ACCESS EXCLUSIVE MODE");
  const calls = jest.spyOn(pool, "connect");
  let refused;
  try {
    refused = await request(app).get("/api/projects").set("Cookie", cookie);
  } finally {
    await admin.query("COMMIT");
    admin.release();
  }
  expect(refused.status).toBe(503);
  expect(refused.body).toEqual(UNAVAILABLE);
  expect(refused.headers["set-cookie"]).toBeUndefined();
  // One call, the read, and its timeout is the answer: no delete (express-session's unset:
  // "destroy" of a request left without a session) and no save were sent, to wait in turn.
  expect(calls).toHaveBeenCalledTimes(1);
  calls.mockRestore();
  expect(await row()).toEqual(before);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
});
