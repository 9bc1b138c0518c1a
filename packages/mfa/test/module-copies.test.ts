import express from "express";
import request from "supertest";
import { sessionCookie } from "./create-app";

// An app whose dependencies resolve two versions of a package gets two copies of its modules, each
// loaded here into a module registry of its own: the second factor and the sessions it guards
// must cooperate through what travels with the request and what authRouter lends, never through
// module state.
interface Copy {
  readonly core: typeof import("@portcullis/core");
  readonly sessions: typeof import("@portcullis/session-auth");
  readonly mfa: typeof import("@portcullis/mfa");
  readonly limits: typeof import("@portcullis/login-rate-limit");
}

function loadCopy(): Copy {
  let copy: Copy | undefined;
  jest.isolateModules(() => {
    copy = {
      core: require("@portcullis/core"),
      sessions: require("@portcullis/session-auth"),
      mfa: require("@portcullis/mfa"),
      limits: require("@portcullis/login-rate-limit"),
    };
  });
  return copy!;
}

const first = loadCopy();
const second = loadCopy();
const EMAIL = "you@example.com";
const PASSWORD = "your-password";

test("the two copies really are two", () => {
  expect(first.mfa.totpSecondFactor).not.toBe(second.mfa.totpSecondFactor);
  expect(first.sessions.authRouter).not.toBe(second.sessions.authRouter);
});

test("one copy's TOTP factor on the other copy's authRouter: a right password awaiting its code costs nothing at a third's login rate limit", async () => {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const users = new first.core.MemoryUserStore({ passwords: first.sessions.bcryptPasswords({ cost: 4 }), now });
  await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const rateLimit = second.limits.loginRateLimit({
    username: (req) => req.body?.email ?? second.mfa.pendingMfaLogin(req)?.email,
    perIpPerDay: { points: 3, blockSeconds: 3600 },
  });
  const mfa = second.mfa.totpSecondFactor({ store: new second.core.MemoryMfaStore(), encryptionKey: "mfa-encryption-key-of-at-least-32-bytes!", issuer: "Copies" });
  const app = express();
  app.use("/api", first.sessions.sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { admin: ["admin"] }, now }));
  app.use("/api/auth", first.sessions.authRouter({ users, rateLimit, mfa }));

  const login = () => request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD });
  const signedIn = sessionCookie(await login().expect(200));
  const enrolment = await request(app).post("/api/auth/mfa/enrol").set("Cookie", signedIn).expect(200);
  const code = () => first.mfa.totpCode(enrolment.body.secret, Math.floor(clock.now / 1000));
  await request(app).post("/api/auth/mfa/confirm").set("Cookie", signedIn).send({ code: await code() }).expect(200);
  for (let i = 0; i < 5; i++) {
    clock.now += 30_000; // each code once
    const pending = sessionCookie(await login().expect(401)); // mfa_required: the password was right
    await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ code: await code() }).expect(200);
  }
});
