import request from "supertest";
import { useSmtpServer } from "@portcullis/testing";
import { ADA, APP_URL, BOB, createEmailApp, linkIn, nextAbout, signedIn, tokenIn } from "./email-app";

const smtp = useSmtpServer();
const NEW_ADDRESS = "ada.lovelace@example.test";

describe("changing the account's address", () => {
  test("the new address is proven by its link before it replaces the old one, and the old one is told", async () => {
    const { app, users, ada, audit } = await createEmailApp(smtp());
    const browser = await signedIn(app, ADA);
    const asked = await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(202);
    expect(asked.body.detail).toBe(`A link to confirm ${NEW_ADDRESS} is on its way to it.`);
    const told = await nextAbout(smtp(), ADA.email, /change of your Acme email/);
    expect(told.text).toContain(NEW_ADDRESS);
    expect(told.text).not.toMatch(/#token=/);
    expect((await users.findById(ada.id))?.email).toBe(ADA.email); // nothing changes yet
    const message = await nextAbout(smtp(), NEW_ADDRESS, /^Confirm your new/);
    await request(app).post("/api/auth/password/forgot").send({ email: NEW_ADDRESS }).expect(202); // no reset to an unproven address
    await expect(smtp().nextMessage({ to: NEW_ADDRESS, timeoutMs: 300 })).rejects.toThrow(/no message/);

    expect(`${linkIn(message).origin}${linkIn(message).pathname}`).toBe(`${APP_URL}/verify-email`);
    const verified = await request(app).post("/api/auth/email/verify").send({ token: tokenIn(message) }).expect(200);
    expect(verified.body).toEqual({ email: NEW_ADDRESS });
    expect((await users.findById(ada.id))?.email).toBe(NEW_ADDRESS);
    await request(app).post("/api/auth/login").send(ADA).expect(401);
    await request(app).post("/api/auth/login").send({ email: NEW_ADDRESS, password: ADA.password }).expect(200);
    await request(app).post("/api/auth/email/verify").send({ token: tokenIn(message) }).expect(400);
    await audit.flush();
    expect((await audit.list({ owner: ada.id, limit: 100 })).events.map((event) => event.action)).toContain("email.change");
  });

  test("a reset link sent to the old address dies with the change", async () => {
    const { app } = await createEmailApp(smtp());
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    const oldReset = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    const browser = await signedIn(app, ADA);
    await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(202);
    await request(app).post("/api/auth/email/verify").send({ token: tokenIn(await nextAbout(smtp(), NEW_ADDRESS, /^Confirm/)) }).expect(200);
    await request(app).post("/api/auth/password/reset").send({ token: oldReset, new_password: "hijacked" }).expect(400);
  });

  test("needs a recent sign-in, and a signed-in session", async () => {
    const { app, clock } = await createEmailApp(smtp());
    await request(app).post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(401);
    const browser = await signedIn(app, ADA);
    clock.advance(16 * 60_000);
    expect((await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(401)).body.error).toBe("reauthentication_required");
    await browser.post("/api/auth/reauthenticate").send({ password: ADA.password }).expect(200);
    await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(202);
  });

  test("an address another account has is answered alike, and the change fails at the link with a 409", async () => {
    const { app, users, ada } = await createEmailApp(smtp());
    const browser = await signedIn(app, ADA);
    await browser.post("/api/auth/email").send({ email: BOB.email }).expect(202);
    const token = tokenIn(await nextAbout(smtp(), BOB.email, /^Confirm/));
    expect((await request(app).post("/api/auth/email/verify").send({ token }).expect(409)).body.error).toBe("conflict");
    expect((await users.findById(ada.id))?.email).toBe(ADA.email);
    expect((await browser.post("/api/auth/email").send({ email: ADA.email.toUpperCase() }).expect(400)).body.detail).toBe("email: is already this account's address");
    await browser.post("/api/auth/email").send({ email: "a b@c" }).expect(400);
  });
});

describe("changing the address of an account with a second factor", () => {
  test("needs the second factor again, as a password change does: a recent password alone is refused", async () => {
    const { MemoryMfaStore } = await import("@portcullis/core");
    const { totpCode, totpSecondFactor } = await import("@portcullis/mfa");
    const mfa = totpSecondFactor({ store: new MemoryMfaStore(), encryptionKey: "an-encryption-key-of-at-least-32-bytes", issuer: "Acme" });
    const { app, clock } = await createEmailApp(smtp(), { mfa });
    const setUp = await signedIn(app, ADA);
    const { secret } = (await setUp.post("/api/auth/mfa/enrol").expect(200)).body as { secret: string };
    await setUp.post("/api/auth/mfa/confirm").send({ code: await totpCode(secret, Math.floor(clock.now / 1000)) }).expect(200);

    clock.advance(16 * 60_000);
    const browser = request.agent(app);
    const pending = await browser.post("/api/auth/login").send(ADA).expect(401);
    expect(pending.body.error).toBe("mfa_required");
    clock.advance(30_000);
    await browser.post("/api/auth/login/mfa").send({ code: await totpCode(secret, Math.floor(clock.now / 1000)) }).expect(200);
    clock.advance(16 * 60_000); // the second factor is no longer recent
    await browser.post("/api/auth/reauthenticate").send({ password: ADA.password }).expect(200);
    const refused = await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(401);
    expect(refused.body).toEqual({ error: "reauthentication_required", detail: "Confirm your password and a second-factor code to continue." });
    clock.advance(30_000);
    await browser.post("/api/auth/reauthenticate").send({ password: ADA.password, code: await totpCode(secret, Math.floor(clock.now / 1000)) }).expect(200);
    await browser.post("/api/auth/email").send({ email: NEW_ADDRESS }).expect(202);
  });
});
