import request from "supertest";
import { MemoryEmailTokenStore, MemoryMfaStore, type EmailToken } from "@portcullis/core";
import { totpCode, totpSecondFactor } from "@portcullis/mfa";
import { useSmtpServer } from "@portcullis/testing";
import { ADA, APP_URL, BOB, createEmailApp, linkIn, nextAbout, signedIn, tokenIn } from "./email-app";

const smtp = useSmtpServer();
const forgot = (app: Parameters<typeof request>[0], email: string) => request(app).post("/api/auth/password/forgot").send({ email });
const reset = (app: Parameters<typeof request>[0], token: string, new_password = "a brand new password") =>
  request(app).post("/api/auth/password/reset").send({ token, new_password });

describe("password reset", () => {
  test("the emailed link sets a new password: the old one stops working, every session is signed out, and the change is logged and told", async () => {
    const { app, audit, ada } = await createEmailApp(smtp());
    const before = await signedIn(app, ADA);
    const answer = await forgot(app, "  ADA@example.test ").expect(202);
    expect(answer.body).toEqual({ detail: "If an account uses this address, a link to set a new password is on its way." });
    const message = await nextAbout(smtp(), ADA.email, /^Reset your/);
    expect(message.subject).toBe("Reset your Acme password");
    expect(message.from).toEqual({ name: "Acme", address: "no-reply@acme.test" });
    const link = linkIn(message);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/reset-password`);
    expect(message.html).toContain(link.href.replace(/&/g, "&amp;"));

    const done = await reset(app, tokenIn(message)).expect(200);
    expect(done.body).toEqual({ password_reset: true, sessions_revoked: 1 });
    await before.get("/api/auth/me").expect(401);
    await request(app).post("/api/auth/login").send(ADA).expect(401);
    await request(app).post("/api/auth/login").send({ email: ADA.email, password: "a brand new password" }).expect(200);
    const notice = await nextAbout(smtp(), ADA.email, /password was changed/);
    expect(notice.subject).toBe("Your Acme password was changed");
    await audit.flush();
    const events = (await audit.list({ owner: ada.id, limit: 100 })).events.map((event) => event.action);
    expect(events).toContain("password.reset");
  });

  test("a link works once: the second use, and a concurrent one, are refused", async () => {
    const { app } = await createEmailApp(smtp());
    await forgot(app, ADA.email).expect(202);
    const token = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    const answers = await Promise.all([reset(app, token, "first new password"), reset(app, token, "second new password")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    const refused = await reset(app, token, "third new password").expect(400);
    expect(refused.body).toEqual({ error: "invalid_token", detail: "This link is invalid, already used or expired: ask for a new one." });
  });

  test("a link expires after 30 minutes", async () => {
    const { app, clock } = await createEmailApp(smtp());
    await forgot(app, ADA.email).expect(202);
    const token = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    clock.advance(30 * 60_000);
    expect((await reset(app, token).expect(400)).body.error).toBe("invalid_token");
    await request(app).post("/api/auth/login").send(ADA).expect(200);
  });

  test("a link resets only the account it was sent for, and no field of the request can point it elsewhere", async () => {
    const { app } = await createEmailApp(smtp());
    await forgot(app, BOB.email).expect(202);
    const bobs = tokenIn(await nextAbout(smtp(), BOB.email, /^Reset your/));
    await request(app).post("/api/auth/password/reset").send({ token: bobs, new_password: "taken over", email: ADA.email }).expect(400);
    await reset(app, bobs, "bob's newer password").expect(200);
    await request(app).post("/api/auth/login").send(ADA).expect(200);
    await request(app).post("/api/auth/login").send({ email: BOB.email, password: "bob's newer password" }).expect(200);
  });

  test("an older link dies when the password changes: using one link voids the others", async () => {
    const { app } = await createEmailApp(smtp());
    await forgot(app, ADA.email).expect(202);
    const first = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    await forgot(app, ADA.email).expect(202);
    const second = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    await reset(app, second).expect(200);
    await reset(app, first, "someone else's choice").expect(400);
  });

  test("anything that is not a live token is refused alike, and a refused new password keeps the link working", async () => {
    const { app } = await createEmailApp(smtp());
    for (const token of ["", "x", "A".repeat(43), "A".repeat(128), "../../etc"]) {
      expect((await reset(app, token).expect(400)).body.error).toBe("invalid_token");
    }
    await request(app).post("/api/auth/password/reset").send({ token: ["x"], new_password: "p" }).expect(400);
    await forgot(app, ADA.email).expect(202);
    const token = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    const tooLong = await reset(app, token, "é".repeat(40)).expect(400); // 80 bytes: more than bcrypt keeps
    expect(tooLong.body.error).toBe("invalid_request");
    await reset(app, token, "a fitting password").expect(200);
  });

  test("the store keeps only a digest of the token, and the token is in no log", async () => {
    const tokens = new MemoryEmailTokenStore();
    const issued: { digest: string; token: EmailToken }[] = [];
    const issue = tokens.issue.bind(tokens);
    tokens.issue = async (digest, token) => {
      issued.push({ digest, token });
      return issue(digest, token);
    };
    const { app, audit, logger } = await createEmailApp(smtp(), { tokens });
    await forgot(app, ADA.email).expect(202);
    const token = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    expect(issued).toHaveLength(1);
    expect(JSON.stringify(issued)).not.toContain(token);
    expect(issued[0]!.token).toMatchObject({ purpose: "password_reset", email: ADA.email });
    await reset(app, token).expect(200);
    await audit.flush();
    expect(JSON.stringify(await audit.list({ limit: 100 }))).not.toContain(token);
    expect(logger.lines.join("\n")).not.toContain(token);
  });
});

describe("password reset requests tell nothing of accounts", () => {
  test("an unknown address gets the same status, body and headers as an account's, and no message", async () => {
    const { app } = await createEmailApp(smtp());
    const known = await forgot(app, ADA.email);
    const unknown = await forgot(app, "nobody@example.test");
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    const headers = (response: request.Response) => Object.keys(response.headers).filter((name) => !["date", "etag"].includes(name)).sort();
    expect(headers(unknown)).toEqual(headers(known));
    await nextAbout(smtp(), ADA.email, /^Reset your/);
    await expect(smtp().nextMessage({ to: "nobody@example.test", timeoutMs: 300 })).rejects.toThrow(/no message/);
  });

  test("the answer never waits for the mail: a server that hangs changes nothing the visitor sees", async () => {
    const { app, logger } = await createEmailApp(smtp());
    smtp().setFaults({ delivery: "hang" });
    const known = await forgot(app, ADA.email).expect(202);
    const unknown = await forgot(app, "nobody@example.test").expect(202);
    expect(known.body).toEqual(unknown.body);
    smtp().setFaults({ delivery: "refuse" });
    await forgot(app, BOB.email).expect(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logger.lines.some((line) => line.startsWith("emailFlows: a message could not be sent"))).toBe(true);
  });

  test("requests are limited per address (known or not) and per IP, with Retry-After", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { sendLimits: { perAddressPerHour: 2, perIpPerHour: 5 } } });
    for (const email of [ADA.email, "nobody@example.test"]) {
      await forgot(app, email).expect(202);
      await forgot(app, email).expect(202);
      const refused = await forgot(app, email.toUpperCase()).expect(429);
      expect(refused.body.error).toBe("rate_limit_exceeded");
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    }
    // Four counted from this IP so far (and two refused, which count too): the IP is past its five.
    await forgot(app, "third@example.test").expect(429);
  });

  test("a malformed request is a 400, and the route wants JSON", async () => {
    const { app } = await createEmailApp(smtp());
    await request(app).post("/api/auth/password/forgot").send({}).expect(400);
    await request(app).post("/api/auth/password/forgot").send({ email: 5 }).expect(400);
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email, extra: 1 }).expect(400);
    await request(app).post("/api/auth/password/forgot").type("form").send("email=ada@example.test").expect(415);
  });

  test("a cross-site form cannot start a reset", async () => {
    const { app } = await createEmailApp(smtp());
    await request(app).post("/api/auth/password/forgot").set("Origin", "https://evil.test").send({ email: ADA.email }).expect(403);
  });
});

describe("accounts without a password", () => {
  test("a reset sets a first password for an account made through a sign-in provider", async () => {
    const { app, users } = await createEmailApp(smtp());
    await users.create({ email: "sso@example.test", role: "viewer" });
    await forgot(app, "sso@example.test").expect(202);
    await reset(app, tokenIn(await nextAbout(smtp(), "sso@example.test", /^Reset your/)), "now with a password").expect(200);
    await request(app).post("/api/auth/login").send({ email: "sso@example.test", password: "now with a password" }).expect(200);
  });
});

describe("a reset and the second factor", () => {
  test("a reset changes the password only: the account's second factor is still asked at the next sign-in", async () => {
    const mfa = totpSecondFactor({ store: new MemoryMfaStore(), encryptionKey: "an-encryption-key-of-at-least-32-bytes", issuer: "Acme" });
    const { app, clock } = await createEmailApp(smtp(), { mfa });
    const browser = await signedIn(app, ADA);
    const { secret } = (await browser.post("/api/auth/mfa/enrol").expect(200)).body as { secret: string };
    await browser.post("/api/auth/mfa/confirm").send({ code: await totpCode(secret, Math.floor(clock.now / 1000)) }).expect(200);

    await forgot(app, ADA.email).expect(202);
    await reset(app, tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/)), "a new password for ada").expect(200);
    const next = await request(app).post("/api/auth/login").send({ email: ADA.email, password: "a new password for ada" }).expect(401);
    expect(next.body.error).toBe("mfa_required");
  });
});
