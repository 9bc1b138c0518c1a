import { loginRateLimit } from "@portcullis/login-rate-limit";
import { pendingMfaLogin } from "@portcullis/mfa";
import { sessionCookie } from "./create-app";
import { codeAt, createMfaApp, enrolAdmin, mfaLogin, passwordLogin, secondStep, STEP_MS } from "./mfa-support";

/** The real login limit, counting a code step under the login name its password step was typed with. */
const limit = () =>
  loginRateLimit({ username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email ?? (req.auth?.kind === "session" ? req.auth.userId : undefined) });

test("wrong codes count against the login rate limit with wrong passwords: the eleventh failure in a row is a 429, even with the right code", async () => {
  const { app, clock } = await createMfaApp({ rateLimit: limit() });
  const { secret } = await enrolAdmin(app, clock);
  let pending = sessionCookie(await passwordLogin(app).expect(401)); // 1: a password step is not a 2xx
  for (let i = 2; i <= 6; i++) await secondStep(app, pending, { code: "000000" }).expect(401); // the sixth drops the sign-in
  pending = sessionCookie(await passwordLogin(app).expect(401)); // 7
  for (let i = 8; i <= 10; i++) await secondStep(app, pending, { code: "000000" }).expect(401);
  const blocked = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(429);
  expect(blocked.body.error).toBe("rate_limit_exceeded");
  expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
  await passwordLogin(app).expect(429);
});

test("a right code clears the count: an enrolled user signing in again and again is never blocked", async () => {
  const { app, clock } = await createMfaApp({ rateLimit: limit() });
  const { secret } = await enrolAdmin(app, clock);
  for (let i = 0; i < 12; i++) {
    await mfaLogin(app, clock, secret);
    clock.advance(STEP_MS);
  }
});

test("a right password awaiting its code costs the IP nothing: MFA sign-ins never use up the IP's daily failures", async () => {
  const perIpPerDay = loginRateLimit({ username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email, perIpPerDay: { points: 3, blockSeconds: 3600 } });
  const { app, clock } = await createMfaApp({ rateLimit: perIpPerDay });
  const { secret } = await enrolAdmin(app, clock);
  for (let i = 0; i < 5; i++) {
    await mfaLogin(app, clock, secret);
    clock.advance(STEP_MS);
  }
});

test("wrong codes are limited per account, whatever the IP or sign-in: past ten in a row even the right code waits, a recovery code does not", async () => {
  const { app, clock } = await createMfaApp(); // no login rate limit at all: only the account's own count stands
  const { secret, recoveryCodes } = await enrolAdmin(app, clock);
  for (let signIn = 0; signIn < 2; signIn++) {
    const pending = sessionCookie(await passwordLogin(app).expect(401)); // a fresh sign-in, as from another IP
    for (let i = 0; i < 5; i++) await secondStep(app, pending, { code: "000000" }).expect(401);
  }
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  const locked = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(429);
  expect(locked.body.error).toBe("rate_limit_exceeded");
  expect(locked.headers["retry-after"]).toBe("900");
  await secondStep(app, pending, { recovery_code: recoveryCodes[0] }).expect(200);
});

test("after the wait one more code may be tried, and a right one clears the count", async () => {
  const { app, clock } = await createMfaApp();
  const { secret } = await enrolAdmin(app, clock);
  for (let signIn = 0; signIn < 2; signIn++) {
    const pending = sessionCookie(await passwordLogin(app).expect(401));
    for (let i = 0; i < 5; i++) await secondStep(app, pending, { code: "000000" }).expect(401);
  }
  clock.advance(15 * 60_000);
  await mfaLogin(app, clock, secret);
  clock.advance(STEP_MS);
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  await secondStep(app, pending, { code: "000000" }).expect(401); // counted from zero again, not locked
});
