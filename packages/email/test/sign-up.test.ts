import request from "supertest";
import { useSmtpServer } from "@portcullis/testing";
import { ADA, APP_URL, createEmailApp, linkIn, nextAbout, tokenIn } from "./email-app";

const smtp = useSmtpServer();
const NEWCOMER = { email: "newcomer@example.test", password: "a newcomer's password" };

describe("self-service sign-up", () => {
  test("is off by default: the routes do not exist", async () => {
    const { app } = await createEmailApp(smtp());
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(404);
    await request(app).post("/api/auth/signup/complete").send({ token: "x", password: "p" }).expect(404);
  });

  test("the address is proven before the account exists: the emailed link sets the password, then the user signs in with the configured role", async () => {
    const { app, users, audit } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    const asked = await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    expect(asked.body).toEqual({ detail: "Check your inbox: a link to finish signing up is on its way." });
    expect(await users.findByEmail(NEWCOMER.email)).toBeUndefined();
    const message = await nextAbout(smtp(), NEWCOMER.email, /^Finish signing up/);
    const link = linkIn(message);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/sign-up`);

    const made = await request(app).post("/api/auth/signup/complete").send({ token: tokenIn(message), password: NEWCOMER.password }).expect(201);
    expect(made.body.user).toMatchObject({ email: NEWCOMER.email, role: "viewer" });
    expect(made.headers["set-cookie"]).toBeUndefined(); // it signs nobody in
    const me = await request.agent(app).post("/api/auth/login").send(NEWCOMER).expect(200);
    expect(me.body.scopes).toEqual(["read"]);
    await request(app).post("/api/auth/signup/complete").send({ token: tokenIn(message), password: "again" }).expect(400);
    await audit.flush();
    expect((await audit.list({ owner: made.body.user.id, limit: 100 })).events.map((event) => event.action)).toContain("user.sign_up");
  });

  test("an address with an account gets the same answer, and its owner a note instead of a link", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    const fresh = await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    const taken = await request(app).post("/api/auth/signup").send({ email: ADA.email.toUpperCase() }).expect(202);
    expect(taken.body).toEqual(fresh.body);
    const note = await nextAbout(smtp(), ADA.email, /already have/);
    expect(note.text).not.toMatch(/#token=/);
    expect(note.text).toContain(`${APP_URL}/forgot-password`);
    await request(app).post("/api/auth/login").send(ADA).expect(200);
  });

  test("two links for one address make one account: the second is a 409", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    const first = tokenIn(await nextAbout(smtp(), NEWCOMER.email, /^Finish signing up/));
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    const second = tokenIn(await nextAbout(smtp(), NEWCOMER.email, /^Finish signing up/));
    await request(app).post("/api/auth/signup/complete").send({ token: first, password: NEWCOMER.password }).expect(201);
    const refused = await request(app).post("/api/auth/signup/complete").send({ token: second, password: "an intruder's password" }).expect(409);
    expect(refused.body.error).toBe("conflict");
    await request(app).post("/api/auth/login").send(NEWCOMER).expect(200);
  });

  test("a sign-up link cannot reset a password, nor a reset link make an account", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    const signUp = tokenIn(await nextAbout(smtp(), NEWCOMER.email, /^Finish signing up/));
    await request(app).post("/api/auth/password/reset").send({ token: signUp, new_password: "x-password" }).expect(400);
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    const resetToken = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    await request(app).post("/api/auth/signup/complete").send({ token: resetToken, password: "x-password" }).expect(400);
    // Each link still works for what it was sent for.
    await request(app).post("/api/auth/signup/complete").send({ token: signUp, password: NEWCOMER.password }).expect(201);
    await request(app).post("/api/auth/password/reset").send({ token: resetToken, new_password: "ada's second password" }).expect(200);
  });

  test("an address that is no address is a 400, and sign-up is limited per address", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" }, sendLimits: { perAddressPerHour: 1 } } });
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(202);
    await request(app).post("/api/auth/signup").send({ email: NEWCOMER.email }).expect(429);
    expect((await request(app).post("/api/auth/signup").send({ email: "not an address" }).expect(400)).body.detail).toBe("email: must be an email address");
    const link = await request(app).post("/api/auth/signup/complete").send({ token: "A".repeat(43), password: "p" }).expect(400);
    expect(link.body.error).toBe("invalid_token");
  });

  test("sign-up cannot be turned on without a user store that can add users", async () => {
    const { emailFlows } = await import("@portcullis/email");
    const { MemoryEmailTokenStore, MemoryOutbox } = await import("@portcullis/core");
    const { authRouter } = await import("@portcullis/session-auth");
    const flows = emailFlows({ mailer: new MemoryOutbox(), tokens: new MemoryEmailTokenStore(), appUrl: APP_URL, signUp: { role: "viewer" } });
    const readOnlyUsers = { findById: async () => undefined, findByEmail: async () => undefined, verifyCredentials: async () => undefined, changePassword: async () => false };
    expect(() => authRouter({ users: readOnlyUsers, email: flows })).toThrow(/emailFlows: signUp and invitations need a user store/);
  });
});
