import request from "supertest";
import { MemoryAuditSink, MemoryMfaStore } from "@portcullis/core";
import { RedisMfaStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { EMAIL, sessionCookie } from "./create-app";
import { codeAt, createMfaApp, enrolAdmin, expectFiveChecked, mfaLogin, passwordLogin, secondStep, STEP_MS, wrongCodesAtOnce } from "./mfa-support";

const redis = useRedisServer();
let run = 0;

describe.each([
  ["in memory", () => createMfaApp()],
  ["on Redis", () => createMfaApp({ redis: redis().client(), redisUsers: true, mfaStore: new RedisMfaStore(redis().client(), { prefix: `mfa${++run}:` }) })],
])("two-step sign-in %s", (_where, makeApp) => {
  test("an enrolled user's password alone signs nobody in; a code finishes it under a new session id", async () => {
    const { app, clock } = await makeApp();
    const { secret } = await enrolAdmin(app, clock);

    const first = await passwordLogin(app).expect(401);
    expect(first.body).toEqual({
      error: "mfa_required",
      detail: "Enter a code from your authenticator app, or a recovery code, to finish signing in.",
      methods: ["totp", "recovery_code"],
    });
    expect(first.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication"');
    const pending = sessionCookie(first);
    expect((await request(app).get("/api/auth/me").set("Cookie", pending).expect(401)).body.error).toBe("missing_credentials");
    await request(app).get("/api/projects").set("Cookie", pending).expect(401);
    await request(app).post("/api/auth/mfa/enrol").set("Cookie", pending).expect(401);

    const done = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(200);
    expect(done.body).toEqual({ kind: "session", user: { id: expect.any(String), email: EMAIL, role: "admin" }, scopes: ["admin"] });
    expect(done.headers["cache-control"]).toBe("no-store");
    const signedIn = sessionCookie(done);
    expect(signedIn).not.toBe(pending);
    expect((await request(app).get("/api/auth/me").set("Cookie", signedIn).expect(200)).body.user.email).toBe(EMAIL);
    await request(app).get("/api/projects").set("Cookie", signedIn).expect(200);
    // The pending session is gone: its cookie can neither finish again nor act.
    await secondStep(app, pending, { code: await codeAt(secret, clock, 1) }).expect(401);
  });

  test("replay: a code that signed in once is refused the next time, even within its 30 seconds", async () => {
    const { app, clock } = await makeApp();
    const { secret } = await enrolAdmin(app, clock);
    const code = await codeAt(secret, clock);
    const [one, two] = [sessionCookie(await passwordLogin(app).expect(401)), sessionCookie(await passwordLogin(app).expect(401))];
    await secondStep(app, one, { code }).expect(200);
    const replayed = await secondStep(app, two, { code }).expect(401);
    expect(replayed.body).toEqual({ error: "invalid_credentials", detail: "Invalid or already used code." });
    clock.advance(STEP_MS);
    await secondStep(app, two, { code: await codeAt(secret, clock) }).expect(200);
  });

  test("the code that confirmed the enrolment cannot then sign in", async () => {
    const { app, clock } = await makeApp();
    const cookie = sessionCookie(await passwordLogin(app).expect(200));
    const { secret } = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200)).body;
    const code = await codeAt(secret, clock);
    await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code }).expect(200);
    await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { code }).expect(401);
  });

  test("a recovery code finishes a sign-in once, typed however; then it is refused", async () => {
    const { app, clock } = await makeApp();
    const { recoveryCodes } = await enrolAdmin(app, clock);
    const [first, second] = recoveryCodes as [string, string];
    const signedIn = sessionCookie(await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: first }).expect(200));
    expect((await request(app).get("/api/auth/mfa").set("Cookie", signedIn).expect(200)).body.recovery_codes_remaining).toBe(9);
    const again = await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: first }).expect(401);
    expect(again.body.error).toBe("invalid_credentials");
    const typed = ` ${second.toUpperCase().replace("-", " ")} `;
    await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: typed }).expect(200);
  });
});

describe("clock skew", () => {
  test("codes of the previous and the next step are accepted; two steps off is refused", async () => {
    const { app, clock } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    clock.advance(10 * STEP_MS);
    const attempt = async (steps: number) => secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { code: await codeAt(secret, clock, steps) });
    expect((await attempt(-2)).status).toBe(401);
    expect((await attempt(2)).status).toBe(401);
    expect((await attempt(-1)).status).toBe(200);
    expect((await attempt(0)).status).toBe(200);
    expect((await attempt(1)).status).toBe(200);
    // The next step is now spent, so the current one is a replay too: steps only move forward.
    expect((await attempt(0)).status).toBe(401);
  });
});

describe("wrong codes and a pending sign-in's limits", () => {
  test("five wrong codes drop the pending sign-in: even the right code then needs the password again", async () => {
    const { app, clock } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    const pending = sessionCookie(await passwordLogin(app).expect(401));
    for (let i = 1; i <= 4; i++) {
      expect((await secondStep(app, pending, { code: "000000" }).expect(401)).body.detail).toBe("Invalid or already used code.");
    }
    const fifth = await secondStep(app, pending, { code: "000000" }).expect(401);
    expect(fifth.body.detail).toBe("Invalid code. Too many wrong codes: sign in with your email and password again.");
    expect((fifth.headers["set-cookie"] as unknown as string[])[0]).toMatch(/^portcullis\.sid=;/);
    const late = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(401);
    expect(late.body.detail).toBe("No sign-in is waiting for a code: sign in with your email and password first.");
    await mfaLogin(app, clock, secret);
  });

  test("twenty wrong codes at once on one pending sign-in: exactly five are checked, and the sign-in is dropped", async () => {
    const { app, clock, mfaStore } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    expectFiveChecked(await wrongCodesAtOnce(app, clock, mfaStore, secret));
    await mfaLogin(app, clock, secret); // the password starts a new sign-in, with five codes of its own
  });

  test("a code more than five minutes after the password is refused, and the pending sign-in dropped", async () => {
    const { app, clock } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    const pending = sessionCookie(await passwordLogin(app).expect(401));
    clock.advance(5 * 60_000);
    const late = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(401);
    expect(late.body.detail).toBe("The sign-in took too long: sign in with your email and password again.");
    await secondStep(app, pending, { code: await codeAt(secret, clock, 1) }).expect(401);
  });

  test("without a pending sign-in, a code is refused the same way with or without a session cookie", async () => {
    const { app, clock } = await createMfaApp();
    const { secret, cookie } = await enrolAdmin(app, clock);
    const bare = await request(app).post("/api/auth/login/mfa").send({ code: await codeAt(secret, clock) }).expect(401);
    const signedIn = await secondStep(app, cookie, { code: await codeAt(secret, clock) }).expect(401);
    expect(bare.body).toEqual({ error: "invalid_credentials", detail: "No sign-in is waiting for a code: sign in with your email and password first." });
    expect(signedIn.body).toEqual(bare.body);
  });

  test.each([
    ["letters", { code: "12a456" }],
    ["five digits", { code: "12345" }],
    ["seven digits", { code: "1234567" }],
    ["an empty code", { code: "" }],
    ["a number instead of a string", { code: 123456 }],
    ["non-ASCII digits", { code: "١٢٣٤٥٦" }],
    ["neither field", {}],
    ["both fields", { code: "123456", recovery_code: "abcde-12345" }],
    ["an extra field", { code: "123456", remember: true }],
    ["an empty recovery code", { recovery_code: "" }],
    ["a malformed recovery code", { recovery_code: "abc" }],
  ])("%s: 400 invalid_request, and it does not count as a wrong code", async (_what, body) => {
    const { app, clock } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    const pending = sessionCookie(await passwordLogin(app).expect(401));
    for (let i = 0; i < 6; i++) expect((await secondStep(app, pending, body).expect(400)).body.error).toBe("invalid_request");
    await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(200);
  });

  test.each([
    [{ code: "12345" }, "code: must be the 6 digits your authenticator app shows"],
    [{ recovery_code: "abc" }, "recovery_code: must be a recovery code such as abcde-12345"],
    [{}, "body: send exactly one of code, recovery_code and email_code"],
    [{ code: "123456", recovery_code: "abcde-12345" }, "body: send exactly one of code, recovery_code and email_code"],
    [{ code: "123456", email_code: "123456" }, "body: send exactly one of code, recovery_code and email_code"],
    [{ email_code: "12a456" }, "email_code: must be the 6 digits of the code sent by email"],
  ])("the 400 for %j says what the field must be", async (body, detail) => {
    const { app, clock } = await createMfaApp();
    await enrolAdmin(app, clock);
    const pending = sessionCookie(await passwordLogin(app).expect(401));
    expect((await secondStep(app, pending, body).expect(400)).body).toEqual({ error: "invalid_request", detail });
  });
});

describe("a second factor for the most sensitive actions", () => {
  test("requireRecentAuth({ secondFactor: true }) needs a recent code as well as a recent password", async () => {
    const { app, clock } = await createMfaApp();
    const { secret } = await enrolAdmin(app, clock);
    const cookie = await mfaLogin(app, clock, secret);
    await request(app).post("/api/account/critical").set("Cookie", cookie).expect(200);
    clock.advance(6 * 60_000);
    const refused = await request(app).post("/api/account/critical").set("Cookie", cookie).expect(401);
    expect(refused.body).toEqual({ error: "reauthentication_required", detail: "Confirm your password and a second-factor code to continue." });
    expect(refused.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication", acr_values="mfa", max_age="300"');
    await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password" }).expect(200);
    await request(app).post("/api/account/danger").set("Cookie", cookie).expect(200); // the password alone is enough here
    await request(app).post("/api/account/critical").set("Cookie", cookie).expect(401); // but not here
    const wrong = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password", code: "000000" }).expect(401);
    expect(wrong.body).toEqual({ error: "invalid_credentials", detail: "Invalid password or code." });
    const renewed = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password", code: await codeAt(secret, clock) }).expect(200);
    expect(renewed.body).toEqual({ reauthenticated_at: new Date(clock.now).toISOString(), second_factor_at: new Date(clock.now).toISOString() });
    // A second factor raises what the session may do, so it goes on under a new id; the old one is gone.
    const raised = sessionCookie(renewed);
    expect(raised).not.toBe(cookie);
    await request(app).post("/api/account/critical").set("Cookie", raised).expect(200);
    await request(app).post("/api/account/critical").set("Cookie", cookie).expect(401);
  });

  test("a user without MFA cannot pass a second-factor guard, nor send a code to /reauthenticate", async () => {
    const { app } = await createMfaApp();
    const cookie = sessionCookie(await passwordLogin(app).expect(200));
    await request(app).post("/api/account/danger").set("Cookie", cookie).expect(200);
    await request(app).post("/api/account/critical").set("Cookie", cookie).expect(401);
    const res = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password", code: "123456" }).expect(400);
    expect(res.body).toEqual({ error: "invalid_request", detail: "code: two-factor authentication is not on for this account" });
  });
});

test("the access log records each step of a two-step sign-in, and never a code", async () => {
  const audit = new MemoryAuditSink();
  const { app, clock } = await createMfaApp({ session: { audit }, mfaStore: new MemoryMfaStore() });
  const { secret, recoveryCodes } = await enrolAdmin(app, clock);
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  const wrong = await codeAt(secret, clock, 5);
  await secondStep(app, pending, { code: wrong }).expect(401);
  const code = await codeAt(secret, clock);
  await secondStep(app, pending, { code }).expect(200);
  await audit.flush();
  const { events } = await audit.list({ limit: 100 });
  const logins = events.filter((e) => e.action === "session.login" || e.action === "mfa.enable").map((e) => [e.action, e.outcome, e.code]).reverse();
  expect(logins).toEqual([
    ["session.login", "success", undefined], // the password-only login before enrolling
    ["mfa.enable", "success", undefined],
    ["session.login", "failure", "mfa_required"],
    ["session.login", "failure", "invalid_credentials"],
    ["session.login", "success", undefined],
  ]);
  const logged = JSON.stringify(events.map(({ at: _at, id: _id, ...rest }) => rest)); // timestamps hold digits of their own
  for (const secretValue of [secret, wrong, code, ...recoveryCodes]) expect(logged).not.toContain(secretValue);
});

test("an MFA store that fails or stalls is a 503 at the password step: never a sign-in with the password alone", async () => {
  const failing = new MemoryMfaStore();
  failing.find = () => Promise.reject(new Error("connection lost"));
  const { app } = await createMfaApp({ mfaStore: failing });
  const res = await passwordLogin(app).expect(503);
  expect(res.body.error).toBe("auth_unavailable");
  expect(res.headers["set-cookie"]).toBeUndefined();
});
