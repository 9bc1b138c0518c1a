import express from "express";
import request from "supertest";
import { MemoryUserStore, type UserStore } from "@portcullis/core";
import { totpCode, totpSecondFactor } from "@portcullis/mfa";
import { migrate, PostgresMfaStore, PostgresUserStore } from "@portcullis/postgres";
import { requireScope } from "@portcullis/require-scope";
import { authRouter, bcryptPasswords, sessionAuth, type SecondFactor } from "@portcullis/session-auth";
import { usePostgres } from "@portcullis/testing";

const pg = usePostgres();
const EMAIL = "you@example.com";
const PASSWORD = "your-password";
const UNAVAILABLE = { error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." };
const passwords = bcryptPasswords({ cost: 4 });

/** Login under /api/auth, a session-guarded route, sessions in memory; the clock is the test's and stands still. */
function createApp(users: UserStore & { create: MemoryUserStore["create"] }, mfa?: SecondFactor) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const app = express();
  app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["read"] }, now, users }));
  app.use("/api/auth", authRouter({ users, ...(mfa ? { mfa } : {}) }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json([{ id: "p1" }]));
  return { app, clock };
}

const login = (app: express.Express) => request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD });

function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const cookie = ((res.headers["set-cookie"] ?? []) as string[]).find((c) => c.startsWith("portcullis.sid="));
  if (!cookie) throw new Error("no session cookie");
  return cookie.split(";")[0]!;
}

test("with PostgreSQL stopped mid-run, a login and a signed-in request that need the user store get 503, never 500 or a pass; both recover with the same store", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const users = new PostgresUserStore(pool, { passwords });
  await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const { app, clock } = createApp(users);
  const cookie = sessionCookie(await login(app).expect(200));
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);

  await pg().kill();
  const refused = await login(app).expect(503);
  expect(refused.body).toEqual(UNAVAILABLE);
  expect(refused.headers["retry-after"]).toBe("1");
  expect(refused.headers["set-cookie"]).toBeUndefined();
  // A signed-in request reads its user again once a minute (a removed user or a changed password
  // ends the session): that read fails closed too.
  clock.now += 61_000;
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(503)).body).toEqual(UNAVAILABLE);

  await pg().restart();
  clock.now += 61_000; // the next user check is due
  const reads = jest.spyOn(users, "findById");
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  expect(reads).toHaveBeenCalledTimes(1);
  await login(app).expect(200);
  await request(app).post("/api/auth/login").send({ email: EMAIL, password: "wrong password" }).expect(401);
});

test("with PostgreSQL stopped mid-run, both steps of a sign-in with a second factor get 503; after the restart the waiting sign-in finishes with its code", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const users = new MemoryUserStore({ passwords }); // only the second factor is on PostgreSQL here
  await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const mfa = totpSecondFactor({ store: new PostgresMfaStore(pool), encryptionKey: "mfa-encryption-key-of-at-least-32-bytes!", issuer: "Portcullis test" });
  const { app, clock } = createApp(users, mfa);
  const codeNow = (secret: string) => totpCode(secret, Math.floor(clock.now / 1000));

  const first = sessionCookie(await login(app).expect(200));
  const { secret } = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", first).expect(200)).body as { secret: string };
  await request(app).post("/api/auth/mfa/confirm").set("Cookie", first).send({ code: await codeNow(secret) }).expect(200);
  clock.now += 30_000; // the confirming code's step is spent
  const pending = sessionCookie(await login(app).expect(401)); // mfa_required: a sign-in waits for its code

  await pg().kill();
  expect((await login(app).expect(503)).body).toEqual(UNAVAILABLE); // is this user enrolled? Unknown: not a pass
  const refused = await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ code: await codeNow(secret) }).expect(503);
  expect(refused.body).toEqual(UNAVAILABLE);

  await pg().restart();
  const done = await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ code: await codeNow(secret) }).expect(200);
  await request(app).get("/api/projects").set("Cookie", sessionCookie(done)).expect(200);
});
