import request from "supertest";
import { MemoryMfaStore, MemoryUserStore } from "@portcullis/core";
import { totpSecondFactor } from "@portcullis/mfa";
import { authRouter, bcryptPasswords } from "@portcullis/session-auth";
import { PASSWORD, sessionCookie } from "./create-app";
import { codeAt, createMfaApp, enrolAdmin, mfaLogin, MFA_KEY, passwordLogin, secondStep, STEP_MS } from "./mfa-support";

const MINUTE = 60_000;

test("enrolment: a secret, its otpauth URI and a QR code once; a first valid code confirms it and shows ten recovery codes once", async () => {
  const { app, clock } = await createMfaApp();
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  expect((await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200)).body).toEqual({ enabled: false, pending: false, recovery_codes_remaining: 0, email_codes: false, methods: [] });

  const started = await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200);
  expect(started.headers["cache-control"]).toBe("no-store");
  const { secret, otpauth_url: uri, qr_code: qr } = started.body;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(uri).toBe(`otpauth://totp/Portcullis%20test:you%40example.com?secret=${secret}&issuer=Portcullis%20test`);
  expect(qr).toMatch(/^data:image\/svg\+xml;base64,/);
  expect(Buffer.from(qr.split(",")[1], "base64").toString()).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);

  const status = await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200);
  expect(status.body).toEqual({ enabled: false, pending: true, recovery_codes_remaining: 0, email_codes: false, methods: [] });
  // Pending is not on: the password alone still signs in.
  await passwordLogin(app).expect(200);

  const wrong = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(secret, clock, 3) }).expect(401);
  expect(wrong.body).toEqual({ error: "invalid_credentials", detail: "Invalid code: enter the 6 digits your authenticator app shows now." });
  const confirmed = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(200);
  expect(confirmed.headers["cache-control"]).toBe("no-store");
  expect(confirmed.body.recovery_codes).toHaveLength(10);
  expect(Object.keys(confirmed.body)).toEqual(["recovery_codes", "other_sessions_revoked"]);

  const enabled = await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200);
  expect(enabled.body).toEqual({ enabled: true, pending: false, recovery_codes_remaining: 10, email_codes: false, methods: ["totp", "recovery_code"] });
  expect(JSON.stringify(enabled.body)).not.toContain(secret);
  await passwordLogin(app).expect(401);
});

test("starting again replaces a pending enrolment (the old secret's codes no longer confirm); a confirmed one is a 409", async () => {
  const { app, clock } = await createMfaApp();
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  const first = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200)).body.secret;
  const second = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200)).body.secret;
  expect(second).not.toBe(first);
  await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(first, clock) }).expect(401);
  await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(second, clock) }).expect(200);
  const again = await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(409);
  expect(again.body).toEqual({ error: "conflict", detail: "Two-factor authentication is already on: turn it off before setting it up again." });
  const reconfirm = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(second, clock, 1) }).expect(409);
  expect(reconfirm.body.error).toBe("conflict");
});

test("a set-up left waiting more than ten minutes cannot be confirmed, even with a right code", async () => {
  const { app, clock } = await createMfaApp();
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  const { secret } = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200)).body;
  clock.advance(10 * 60_000 + 1);
  const late = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(409);
  expect(late.body.error).toBe("conflict");
});

test("turning MFA on signs out the user's other sessions, opened with the password alone", async () => {
  const { app, clock } = await createMfaApp();
  const elsewhere = sessionCookie(await passwordLogin(app).expect(200));
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  const { secret } = (await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200)).body;
  const confirmed = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(200);
  expect(confirmed.body.other_sessions_revoked).toBe(1);
  await request(app).get("/api/auth/me").set("Cookie", elsewhere).expect(401);
  await request(app).get("/api/auth/me").set("Cookie", cookie).expect(200);
});

test("with MFA on, changing the password needs a recent code as well as the password", async () => {
  const { app, clock } = await createMfaApp();
  const { secret } = await enrolAdmin(app, clock);
  let cookie = await mfaLogin(app, clock, secret);
  clock.advance(16 * 60_000); // past the 15 minutes of the login's password and code
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD }).expect(200);
  const change = { current_password: PASSWORD, new_password: "a-new-password-123" };
  const refused = await request(app).post("/api/auth/password").set("Cookie", cookie).send(change).expect(401);
  expect(refused.body).toEqual({ error: "reauthentication_required", detail: "Confirm your password and a second-factor code to continue." });
  const renewed = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD, code: await codeAt(secret, clock) }).expect(200);
  cookie = sessionCookie(renewed);
  await request(app).post("/api/auth/password").set("Cookie", cookie).send(change).expect(200);
});

test("enrolling needs a recent password check, as changing the password does", async () => {
  const { app, clock } = await createMfaApp();
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  clock.advance(16 * MINUTE);
  expect((await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(401)).body.error).toBe("reauthentication_required");
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password" }).expect(200);
  await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200);
});

test("disabling needs a recent password check and a valid code (or recovery code); then the password alone signs in", async () => {
  const { app, clock } = await createMfaApp();
  const { secret, recoveryCodes } = await enrolAdmin(app, clock);
  const cookie = await mfaLogin(app, clock, secret);
  clock.advance(16 * MINUTE);
  const stale = await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(401);
  expect(stale.body.error).toBe("reauthentication_required");
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password" }).expect(200);
  expect((await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).send({ code: "000000" }).expect(401)).body.error).toBe("invalid_credentials");
  expect((await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).send({}).expect(400)).body.error).toBe("invalid_request");
  const off = await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).send({ recovery_code: recoveryCodes[0] }).expect(200);
  expect(off.body).toEqual({ enabled: false });
  expect((await request(app).get("/api/auth/mfa").set("Cookie", cookie).expect(200)).body).toEqual({ enabled: false, pending: false, recovery_codes_remaining: 0, email_codes: false, methods: [] });
  await passwordLogin(app).expect(200);
  expect((await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(409)).body.error).toBe("conflict");
});

test("new recovery codes need a valid code, and retire every old one", async () => {
  const { app, clock } = await createMfaApp();
  const { secret, recoveryCodes, cookie } = await enrolAdmin(app, clock);
  await request(app).post("/api/auth/mfa/recovery-codes").set("Cookie", cookie).send({ code: "000000" }).expect(401);
  const fresh = await request(app).post("/api/auth/mfa/recovery-codes").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(200);
  expect(fresh.headers["cache-control"]).toBe("no-store");
  expect(fresh.body.recovery_codes).toHaveLength(10);
  expect(fresh.body.recovery_codes).not.toContain(recoveryCodes[0]);
  await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: recoveryCodes[0] }).expect(401);
  await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: fresh.body.recovery_codes[0] }).expect(200);
});

test("the MFA routes are the signed-in session's own: an API key gets 403, nobody gets 401", async () => {
  const { app, keys } = await createMfaApp();
  const { key } = await keys.create({ owner: "acct_1", name: "k", scopes: ["admin"] });
  for (const [method, path] of [["get", "/api/auth/mfa"], ["post", "/api/auth/mfa/enrol"], ["post", "/api/auth/mfa/confirm"], ["post", "/api/auth/mfa/disable"], ["post", "/api/auth/mfa/recovery-codes"]] as const) {
    const body = method === "post" ? { code: "123456" } : undefined;
    const asKey = await request(app)[method](path).set("Authorization", `Bearer ${key}`).send(body);
    expect([path, asKey.status, asKey.body.error]).toEqual([path, 403, "insufficient_permissions"]);
    const anonymous = await request(app)[method](path).send(body);
    expect([path, anonymous.status, anonymous.body.error]).toEqual([path, 401, "missing_credentials"]);
  }
});

test("a cross-site page cannot enrol, confirm or finish a sign-in with the visitor's cookie", async () => {
  const { app, clock } = await createMfaApp();
  const { secret, cookie } = await enrolAdmin(app, clock);
  await request(app).post("/api/auth/mfa/disable").set("Cookie", cookie).set("Sec-Fetch-Site", "cross-site").send({ code: await codeAt(secret, clock) }).expect(403);
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  await secondStep(app, pending, { code: await codeAt(secret, clock) }).set("Sec-Fetch-Site", "cross-site").expect(403);
  await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(200);
});

test("logging out of a pending sign-in drops it", async () => {
  const { app, clock } = await createMfaApp();
  const { secret } = await enrolAdmin(app, clock);
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  await request(app).post("/api/auth/logout").set("Cookie", pending).expect(204);
  clock.advance(STEP_MS);
  await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(401);
});

describe("totpSecondFactor's options are checked when it is made", () => {
  const store = new MemoryMfaStore();
  test.each([
    ["not an object", "yes", /^totpSecondFactor: options are required: totpSecondFactor\(\{ store, encryptionKey, issuer \}\)/],
    ["an unknown key", { store, encryptionKey: MFA_KEY, issuer: "Acme", digits: 8 }, /^totpSecondFactor: unknown option "digits"/],
    ["no store", { encryptionKey: MFA_KEY, issuer: "Acme" }, /^totpSecondFactor: "store" is required/],
    [
      "a store that cannot count a sign-in's codes",
      { store: { useStep: store.useStep, useRecoveryCode: store.useRecoveryCode }, encryptionKey: MFA_KEY, issuer: "Acme" },
      /^totpSecondFactor: "store" must implement countSignInCode/,
    ],
    ["a short key", { store, encryptionKey: "short", issuer: "Acme" }, /^totpSecondFactor: "encryptionKey" must be a string of at least 32 bytes/],
    ["an empty key list", { store, encryptionKey: [], issuer: "Acme" }, /^totpSecondFactor: "encryptionKey"/],
    ["an issuer with a colon", { store, encryptionKey: MFA_KEY, issuer: "Acme:Prod" }, /^totpSecondFactor: "issuer" must be 1 to 64 characters without ":"/],
    ["no issuer", { store, encryptionKey: MFA_KEY }, /^totpSecondFactor: "issuer" must be 1 to 64 characters without ":", such as "Acme": authenticator apps show it$/],
    ["an issuer with a control character", { store, encryptionKey: MFA_KEY, issuer: "Acme\n" }, /^totpSecondFactor: "issuer" must be 1 to 64 characters/],
    ["a key list with a short key", { store, encryptionKey: [MFA_KEY, "short"], issuer: "Acme" }, /^totpSecondFactor: "encryptionKey" must be a string of at least 32 bytes, or an array of them/],
    ["no options at all", undefined, /^totpSecondFactor: options are required: totpSecondFactor\(\{ store, encryptionKey, issuer \}\)$/],
    ["an unknown key, with the options there are", { store, encryptionKey: MFA_KEY, issuer: "Acme", digits: 8 }, /^totpSecondFactor: unknown option "digits"; the options are store, encryptionKey, issuer, emailCodes$/],
  ])("%s", (_what, options, message) => {
    expect(() => totpSecondFactor(options as never)).toThrow(message);
  });

  test("authRouter takes what it makes, and points the options it used to take at it", () => {
    const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
    expect(() => authRouter({ users, mfa: totpSecondFactor({ store, encryptionKey: MFA_KEY, issuer: "Acme" }) })).not.toThrow();
    expect(() => authRouter({ users, mfa: { store, encryptionKey: MFA_KEY, issuer: "Acme" } as never })).toThrow(
      /^authRouter: "mfa" must be a second factor, such as totpSecondFactor\(\{ store, encryptionKey, issuer \}\) from @portcullis\/mfa/,
    );
  });
});

test.each([
  ["/api/auth/mfa/confirm", { code: "12 456" }, 400],
  ["/api/auth/mfa/confirm", { recovery_code: "abcde-12345" }, 400],
  ["/api/auth/mfa/recovery-codes", { recovery_code: "abcde-12345" }, 400],
  ["/api/auth/mfa/disable", { code: "123456", recovery_code: "abcde-12345" }, 400],
  ["/api/auth/mfa/disable", "code=123456", 415],
  ["/api/auth/mfa/disable", { code: "1".repeat(20_000) }, 413],
])("%s with %j: %i, never a 500", async (path, body, status) => {
  const { app, clock } = await createMfaApp();
  const { cookie } = await enrolAdmin(app, clock);
  const req = request(app).post(path).set("Cookie", cookie);
  const res = await (typeof body === "string" ? req.set("Content-Type", "application/x-www-form-urlencoded").send(body) : req.send(body));
  expect([res.status, res.body.error]).toEqual([status, expect.any(String)]);
});
