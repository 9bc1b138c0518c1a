import request from "supertest";
import { MemoryAuditSink } from "@portcullis/core";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { EMAIL_CODE_COOLDOWN_MS, EMAIL_CODE_TTL_MS, pendingMfaLogin } from "@portcullis/mfa";
import { useSmtpServer } from "@portcullis/testing";
import { EMAIL, PASSWORD, sessionCookie } from "./create-app";
import {
  askAccountCode,
  askSignInCode,
  createEmailCodeApp,
  emailedCode,
  enableEmailCodes,
  passwordLoginAs,
  reauthenticate,
  signInWithEmailCode,
} from "./email-code-support";
import { codeAt, enrolAdmin, secondStep } from "./mfa-support";

const smtp = useSmtpServer();
const OTHER = "other@example.com";

test("a user turns codes by email on with a code from the real email, then signs in with password and an emailed code", async () => {
  const { app } = await createEmailCodeApp(smtp());
  const cookie = sessionCookie(await passwordLoginAs(app).expect(200));
  expect((await askAccountCode(app, cookie).expect(202)).body).toEqual({ sent: true, retry_after: 60 });
  const mail = await smtp().nextMessage({ to: EMAIL });
  expect(mail.subject).toMatch(/^Your Portcullis test code: \d{6}$/);
  const code = /^(\d{6})$/m.exec(mail.text)![1]!;
  const enabled = await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code }).expect(200);
  expect(enabled.body).toEqual({ email_codes: true, other_sessions_revoked: 0 });
  const status = await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200);
  expect(status.body).toEqual({ enabled: false, pending: false, recovery_codes_remaining: 0, email_codes: true, methods: ["email_code"] });

  const first = await passwordLoginAs(app).expect(401);
  expect(first.body).toEqual({ error: "mfa_required", detail: "Ask for a code by email, then enter it to finish signing in.", methods: ["email_code"] });
  const pending = sessionCookie(first);
  await request(app).get("/api/projects").set("Cookie", pending).expect(401);
  expect((await askSignInCode(app, pending).expect(202)).body).toEqual({ sent: true, retry_after: 60 });
  const done = await secondStep(app, pending, { email_code: await emailedCode(smtp()) }).expect(200);
  const signedIn = sessionCookie(done);
  expect(signedIn).not.toBe(pending);
  expect((await request(app).get("/api/auth/me").set("Cookie", signedIn).expect(200)).body.user.email).toBe(EMAIL);
});

test("turning email codes on needs the code from the email: another code is refused, and nothing changes", async () => {
  const { app } = await createEmailCodeApp(smtp());
  const cookie = sessionCookie(await passwordLoginAs(app).expect(200));
  await askAccountCode(app, cookie).expect(202);
  const code = await emailedCode(smtp());
  const wrong = code === "000000" ? "000001" : "000000";
  await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code: wrong }).expect(401);
  expect((await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200)).body.email_codes).toBe(false);
  await passwordLoginAs(app).expect(200);
});

describe("attacks on the codes", () => {
  test("a code tried a sixth time is refused, even the right one; a new code then works", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const cookie = await enableEmailCodes(app, smtp());
    clock.advance(EMAIL_CODE_COOLDOWN_MS);
    await askAccountCode(app, cookie).expect(202);
    const code = await emailedCode(smtp());
    const wrong = code === "000000" ? "000001" : "000000";
    for (let i = 0; i < 5; i++) await reauthenticate(app, cookie, wrong).expect(401);
    const sixth = await reauthenticate(app, cookie, code).expect(401);
    expect(sixth.body).toEqual({ error: "invalid_credentials", detail: "Invalid password or code." });
    clock.advance(EMAIL_CODE_COOLDOWN_MS);
    await askAccountCode(app, cookie).expect(202);
    await reauthenticate(app, cookie, await emailedCode(smtp())).expect(200);
  });

  test("at sign-in, five wrong codes drop the pending sign-in: the right code is then refused", async () => {
    const { app } = await createEmailCodeApp(smtp());
    await enableEmailCodes(app, smtp());
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    await askSignInCode(app, pending).expect(202);
    const code = await emailedCode(smtp());
    const wrong = code === "000000" ? "000001" : "000000";
    for (let i = 0; i < 5; i++) await secondStep(app, pending, { email_code: wrong }).expect(401);
    const late = await secondStep(app, pending, { email_code: code }).expect(401);
    expect(late.body.detail).toBe("No sign-in is waiting for a code: sign in with your email and password first.");
  });

  test("ten wrong codes in a row lock the account's email codes for an hour, whatever the sign-in: a new sign-in brings no fresh tries", async () => {
    const { app } = await createEmailCodeApp(smtp());
    await enableEmailCodes(app, smtp());
    for (let signIn = 0; signIn < 2; signIn++) {
      const pending = sessionCookie(await passwordLoginAs(app).expect(401));
      for (let i = 0; i < 5; i++) await secondStep(app, pending, { email_code: "000000" }).expect(401);
    }
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    await askSignInCode(app, pending).expect(202);
    const locked = await secondStep(app, pending, { email_code: await emailedCode(smtp()) }).expect(429);
    expect(locked.body.error).toBe("rate_limit_exceeded");
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(3500);
  });

  test("a code works once", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const cookie = await enableEmailCodes(app, smtp());
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    await askSignInCode(app, pending).expect(202);
    const code = await emailedCode(smtp());
    await secondStep(app, pending, { email_code: code }).expect(200);
    // The same code on the same key a second time: the account's code, spent by /reauthenticate.
    clock.advance(EMAIL_CODE_COOLDOWN_MS);
    await askAccountCode(app, cookie).expect(202);
    const accountCode = await emailedCode(smtp());
    const renewed = sessionCookie(await reauthenticate(app, cookie, accountCode).expect(200));
    await reauthenticate(app, renewed, accountCode).expect(401);
  });

  test("an expired code is refused: ten minutes after it was sent, not a minute before", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const cookie = await enableEmailCodes(app, smtp());
    clock.advance(EMAIL_CODE_COOLDOWN_MS);
    await askAccountCode(app, cookie).expect(202);
    const stale = await emailedCode(smtp());
    clock.advance(EMAIL_CODE_TTL_MS);
    await reauthenticate(app, cookie, stale).expect(401);
    await askAccountCode(app, cookie).expect(202);
    const fresh = await emailedCode(smtp());
    clock.advance(EMAIL_CODE_TTL_MS - 1000);
    await reauthenticate(app, cookie, fresh).expect(200);
  });

  test("a code sent for one sign-in does not finish another: another user's, or the same user's", async () => {
    const { app, users } = await createEmailCodeApp(smtp());
    await users.create({ email: OTHER, password: PASSWORD, role: "member" });
    await enableEmailCodes(app, smtp());
    await enableEmailCodes(app, smtp(), OTHER);
    const mine = sessionCookie(await passwordLoginAs(app).expect(401));
    const mineAgain = sessionCookie(await passwordLoginAs(app).expect(401));
    const theirs = sessionCookie(await passwordLoginAs(app, OTHER).expect(401));
    await askSignInCode(app, theirs).expect(202);
    const theirCode = await emailedCode(smtp(), OTHER);
    await secondStep(app, mine, { email_code: theirCode }).expect(401);
    await askSignInCode(app, mineAgain).expect(202);
    const myOtherCode = await emailedCode(smtp());
    await secondStep(app, mine, { email_code: myOtherCode }).expect(401);
    // Each code still finishes its own sign-in.
    await secondStep(app, theirs, { email_code: theirCode }).expect(200);
    await secondStep(app, mineAgain, { email_code: myOtherCode }).expect(200);
  });

  test("a second code within the cool-down is 429 with Retry-After, at sign-in and when signed in", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const cookie = await enableEmailCodes(app, smtp());
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    await askSignInCode(app, pending).expect(202);
    await emailedCode(smtp());
    clock.advance(30_000);
    const again = await askSignInCode(app, pending).expect(429);
    expect(again.body).toEqual({ error: "rate_limit_exceeded", detail: "A code was sent a moment ago: wait before asking for another." });
    expect(again.headers["retry-after"]).toBe("30");
    const account = await askAccountCode(app, cookie).expect(429); // enabling sent one 30 s ago
    expect(account.headers["retry-after"]).toBe("30");
    clock.advance(30_000);
    await askSignInCode(app, pending).expect(202);
    await askAccountCode(app, cookie).expect(202);
    const [afterSignIn, afterAccount] = [await emailedCode(smtp()), await emailedCode(smtp())];
    expect(afterSignIn).toMatch(/^\d{6}$/);
    expect(afterAccount).toMatch(/^\d{6}$/);
    expect(smtp().messages()).toHaveLength(4); // enabling's, the first sign-in code, and the two after the cool-down
  });

  test("no code is sent without a pending sign-in, or to a user who has not turned email codes on", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const bare = await request(app).post("/api/auth/login/mfa/email-code").expect(401);
    expect(bare.body).toEqual({ error: "invalid_credentials", detail: "No sign-in is waiting for a code: sign in with your email and password first." });
    await enrolAdmin(app, clock); // TOTP only
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    expect((await askSignInCode(app, pending).expect(409)).body.error).toBe("conflict");
    await secondStep(app, pending, { email_code: "123456" }).expect(401);
    expect(smtp().messages()).toHaveLength(0);
  });

  test("no code appears in the access log or in an error's body", async () => {
    const audit = new MemoryAuditSink();
    const { app } = await createEmailCodeApp(smtp(), { session: { audit } });
    const sent: string[] = [];
    const bodies: string[] = [];
    const cookie = sessionCookie(await passwordLoginAs(app).expect(200));
    await askAccountCode(app, cookie).expect(202);
    sent.push(await emailedCode(smtp()));
    await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code: sent[0] }).expect(200);
    const pending = sessionCookie(await passwordLoginAs(app).expect(401));
    await askSignInCode(app, pending).expect(202);
    sent.push(await emailedCode(smtp()));
    const wrong = sent[1] === "999999" ? "999998" : "999999";
    bodies.push(JSON.stringify((await secondStep(app, pending, { email_code: wrong }).expect(401)).body));
    bodies.push(JSON.stringify((await askSignInCode(app, pending).expect(429)).body));
    await secondStep(app, pending, { email_code: sent[1] }).expect(200);
    await audit.flush();
    const { events } = await audit.list({ limit: 100 });
    const steps = events.map((e) => [e.action, e.outcome, e.code, e.targetId]).reverse();
    expect(steps).toEqual([
      ["session.login", "success", undefined, undefined],
      ["mfa.enable", "success", undefined, "email_code"],
      ["session.login", "failure", "mfa_required", undefined],
      ["session.login", "failure", "invalid_credentials", undefined],
      ["session.login", "success", undefined, undefined],
    ]);
    const logged = JSON.stringify(events.map(({ at: _at, id: _id, ...rest }) => rest)); // timestamps hold digits of their own
    for (const code of [...sent, wrong]) {
      expect(logged).not.toContain(code);
      for (const body of bodies) expect(body).not.toContain(code);
    }
  });
});

describe("beside TOTP", () => {
  test("a TOTP user with email codes too sees every method, and may finish with either", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const { secret, cookie } = await enrolAdmin(app, clock);
    await askAccountCode(app, cookie).expect(202);
    await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code: await emailedCode(smtp()) }).expect(200);
    const first = await passwordLoginAs(app).expect(401);
    expect(first.body).toEqual({
      error: "mfa_required",
      detail: "Enter a code from your authenticator app, a code sent by email, or a recovery code, to finish signing in.",
      methods: ["totp", "recovery_code", "email_code"],
    });
    await secondStep(app, sessionCookie(first), { code: await codeAt(secret, clock) }).expect(200);
    await signInWithEmailCode(app, smtp());
  });

  test("with an emailed code unused, a TOTP code still re-authenticates, and a wrong one is refused", async () => {
    const { app, clock } = await createEmailCodeApp(smtp());
    const { secret, cookie } = await enrolAdmin(app, clock);
    await askAccountCode(app, cookie).expect(202);
    await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code: await emailedCode(smtp()) }).expect(200);
    clock.advance(EMAIL_CODE_COOLDOWN_MS);
    await askAccountCode(app, cookie).expect(202);
    await emailedCode(smtp()); // left unused
    await reauthenticate(app, cookie, await codeAt(secret, clock, 5)).expect(401);
    await reauthenticate(app, cookie, await codeAt(secret, clock)).expect(200);
  });
});

test("re-authenticating with an emailed code renews second_factor_at, for requireRecentAuth({ secondFactor: true })", async () => {
  const { app, clock } = await createEmailCodeApp(smtp());
  await enableEmailCodes(app, smtp());
  const cookie = await signInWithEmailCode(app, smtp());
  await request(app).post("/api/account/critical").set("Cookie", cookie).expect(200);
  clock.advance(6 * 60_000);
  await request(app).post("/api/account/critical").set("Cookie", cookie).expect(401);
  await askAccountCode(app, cookie).expect(202);
  const renewed = await reauthenticate(app, cookie, await emailedCode(smtp())).expect(200);
  expect(renewed.body).toEqual({ reauthenticated_at: new Date(clock.now).toISOString(), second_factor_at: new Date(clock.now).toISOString() });
  await request(app).post("/api/account/critical").set("Cookie", sessionCookie(renewed)).expect(200);
});

test("turning email codes off takes an emailed code; then the password alone signs in again", async () => {
  const { app, clock } = await createEmailCodeApp(smtp());
  await enableEmailCodes(app, smtp());
  const cookie = await signInWithEmailCode(app, smtp());
  clock.advance(EMAIL_CODE_COOLDOWN_MS);
  await askAccountCode(app, cookie).expect(202);
  const code = await emailedCode(smtp());
  await request(app).post("/api/auth/mfa/email/disable").set("Cookie", cookie).send({ code: code === "000000" ? "000001" : "000000" }).expect(401);
  expect((await request(app).post("/api/auth/mfa/email/disable").set("Cookie", cookie).send({ code }).expect(200)).body).toEqual({ email_codes: false });
  await passwordLoginAs(app).expect(200);
  await request(app).post("/api/auth/mfa/email/disable").set("Cookie", cookie).send({ code }).expect(409);
});

test("asking for a code never clears the login rate limit's count: wrong emailed codes still add up to a 429", async () => {
  const rateLimit = loginRateLimit({ username: (req) => req.body?.email ?? pendingMfaLogin(req)?.email ?? (req.auth?.kind === "session" ? req.auth.userId : undefined) });
  const { app } = await createEmailCodeApp(smtp(), { rateLimit });
  await enableEmailCodes(app, smtp());
  let pending = sessionCookie(await passwordLoginAs(app).expect(401)); // 1: a password step is not a 2xx
  await askSignInCode(app, pending).expect(202);
  await emailedCode(smtp());
  for (let i = 2; i <= 6; i++) await secondStep(app, pending, { email_code: "000000" }).expect(401); // the sixth drops the sign-in
  pending = sessionCookie(await passwordLoginAs(app).expect(401)); // 7
  await askSignInCode(app, pending).expect(202); // a 2xx, but no proof: it must not reset the count
  const code = await emailedCode(smtp());
  const wrong = code === "000000" ? "000001" : "000000";
  for (let i = 8; i <= 10; i++) await secondStep(app, pending, { email_code: wrong }).expect(401);
  expect((await secondStep(app, pending, { email_code: code }).expect(429)).body.error).toBe("rate_limit_exceeded");
});
