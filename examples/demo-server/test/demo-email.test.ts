import request from "supertest";
import { MemoryAuditSink, MemoryEmailTokenStore, MemoryKeyStore, MemoryOutbox, MemoryUserStore, bcryptPasswords, smtpMailer, type Mailer } from "portcullis";
import { eventually, startRedisServer, startSmtpServer } from "@portcullis/testing";
import { DEMO_ADMIN, startDemo, startDemoOnRedis } from "./support/start-demo";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDemoApp } = require("../app") as typeof import("../app");

const ADMIN = { email: "admin@example.com", password: "admin-password" };
const APP_URL = "http://localhost:3000";

interface OutboxEntry {
  to: string;
  subject: string;
  text: string;
  sent_at: string;
}

async function demo(mailer: Mailer = new MemoryOutbox()) {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const { app } = createDemoApp({
    keyStore: new MemoryKeyStore(),
    users,
    audit: new MemoryAuditSink(),
    secret: "d".repeat(32),
    sessionSecret: "e".repeat(32),
    email: { mailer, tokens: new MemoryEmailTokenStore(), appUrl: APP_URL },
  });
  await users.create({ ...ADMIN, role: "admin" });
  return app;
}

/** The outbox as the console reads it, once it holds `count` messages (sending does not hold up the flows' answers). */
async function outboxOf(app: Awaited<ReturnType<typeof demo>>, count: number): Promise<OutboxEntry[]> {
  let messages: OutboxEntry[] = [];
  await eventually(async () => {
    messages = (await request(app).get("/api/demo/outbox").expect(200)).body.messages;
    return messages.length >= count;
  });
  return messages;
}

/** The token of the newest link in `messages` to `to`. */
const tokenFor = (messages: OutboxEntry[], to: string) => /#token=([A-Za-z0-9_-]+)/.exec(messages.find((message) => message.to === to)?.text ?? "")?.[1] ?? "";

test("every flow's message appears in the outbox, newest first, with a link that works", async () => {
  const app = await demo();
  await request(app).post("/api/auth/password/forgot").send({ email: ADMIN.email }).expect(202);
  const reset = tokenFor(await outboxOf(app, 1), ADMIN.email);
  expect(reset).not.toBe("");
  await request(app).post("/api/auth/password/reset").send({ token: reset, new_password: "a-new-password" }).expect(200);

  await request(app).post("/api/auth/signup").send({ email: "new@example.com" }).expect(202);
  await request(app).post("/api/auth/signup").send({ email: ADMIN.email }).expect(202); // has an account: a note, no link
  const signUp = tokenFor(await outboxOf(app, 4), "new@example.com");
  await request(app).post("/api/auth/signup/complete").send({ token: signUp, password: "new-user-password" }).expect(201);

  const admin = request.agent(app);
  await admin.post("/api/auth/login").send({ email: ADMIN.email, password: "a-new-password" }).expect(200);
  await admin.post("/api/auth/invitations").send({ email: "invitee@example.com", role: "admin", name: "Ina" }).expect(202);
  await admin.post("/api/auth/email").send({ email: "root@example.com" }).expect(202);
  const messages = await outboxOf(app, 7);
  await request(app).post("/api/auth/email/verify").send({ token: tokenFor(messages, "root@example.com") }).expect(200);

  expect(messages.map(({ to, subject }) => [to, subject])).toEqual([
    [ADMIN.email, "A change of your portcullis demo email address was requested"],
    ["root@example.com", "Confirm your new portcullis demo email address"],
    ["invitee@example.com", "You are invited to portcullis demo"],
    [ADMIN.email, "You already have a portcullis demo account"],
    ["new@example.com", "Finish signing up for portcullis demo"],
    [ADMIN.email, "Your portcullis demo password was changed"],
    [ADMIN.email, "Reset your portcullis demo password"],
  ]);
  expect(messages.map((message) => Date.parse(message.sent_at))).toEqual([...messages.map((message) => Date.parse(message.sent_at))].sort((a, b) => b - a));
  for (const message of messages.filter((entry) => entry.text.includes("#token="))) expect(message.text).toContain(`${APP_URL}/`);
});

test("the outbox answers only a client on this machine that no proxy forwarded, under a loopback or PUBLIC_URL host name", async () => {
  const app = await demo();
  await request(app).post("/api/auth/password/forgot").send({ email: ADMIN.email }).expect(202);
  expect(await outboxOf(app, 1)).toHaveLength(1); // supertest connects over loopback
  await request(app).get("/api/demo/outbox").set("Host", "localhost:3000").expect(200);
  for (const [header, value] of [
    ["X-Forwarded-For", "203.0.113.5"],
    ["Forwarded", "for=203.0.113.5"],
    ["X-Real-IP", "203.0.113.5"],
    ["Via", "1.1 proxy"],
    ["Host", "attacker.example"], // a page whose name was rebound to 127.0.0.1
  ]) {
    const refused = await request(app).get("/api/demo/outbox").set(header!, value!).expect(404);
    expect(refused.body).toEqual({ error: "not_found", detail: "Not found." });
    expect(JSON.stringify(refused.body)).not.toContain("token");
  }
});

test("with a mailer that is not an outbox (SMTP) there is no outbox route, and the flows still answer", async () => {
  const app = await demo(smtpMailer({ url: "smtp://127.0.0.1:9", from: "demo <demo@localhost>", timeoutMs: 1000 }));
  await request(app).get("/api/demo/outbox").expect(404);
  await request(app).post("/api/auth/password/forgot").send({ email: "nobody@example.com" }).expect(202);
});

test("node server.js with SMTP_URL: the reset email arrives at the SMTP server, from MAIL_FROM, and there is no outbox", async () => {
  const smtp = await startSmtpServer();
  const server = await startDemo({ SMTP_URL: smtp.url, MAIL_FROM: "Demo <demo@example.test>" });
  try {
    await request(server.baseUrl).get("/api/demo/outbox").expect(404);
    await request(server.baseUrl).post("/api/auth/password/forgot").send({ email: DEMO_ADMIN.email }).expect(202);
    const email = await smtp.nextMessage({ to: DEMO_ADMIN.email, timeoutMs: 10_000 });
    expect(email.from).toEqual({ name: "Demo", address: "demo@example.test" });
    expect(email.subject).toBe("Reset your portcullis demo password");
    const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(email.text)?.[1];
    expect(token).toBeDefined();
    await request(server.baseUrl).post("/api/auth/password/reset").send({ token, new_password: "set-over-smtp-1" }).expect(200);
    await request(server.baseUrl).post("/api/auth/login").send({ email: DEMO_ADMIN.email, password: "set-over-smtp-1" }).expect(200);
  } finally {
    server.stop();
    await smtp.stop();
  }
});

test("two server.js processes on one Redis share the outbox and the links: a link sent by one works on the other", async () => {
  const redis = await startRedisServer();
  const first = await startDemoOnRedis(redis.url);
  const second = await startDemoOnRedis(redis.url);
  try {
    await request(first.baseUrl).post("/api/auth/password/forgot").send({ email: DEMO_ADMIN.email }).expect(202);
    let token = "";
    await eventually(async () => {
      const { messages } = (await request(second.baseUrl).get("/api/demo/outbox").expect(200)).body as { messages: OutboxEntry[] };
      token = tokenFor(messages, DEMO_ADMIN.email);
      return token !== "";
    }, { timeoutMs: 5000 });
    await request(second.baseUrl).post("/api/auth/password/reset").send({ token, new_password: "reset-on-redis-1" }).expect(200);
    await request(first.baseUrl).post("/api/auth/password/reset").send({ token, new_password: "reset-again-2" }).expect(400); // spent, for both
  } finally {
    first.stop();
    second.stop();
    await redis.stop();
  }
}, 60_000);

test("the pages the links open answer the console, under the same CSP; without email flows they do not exist", async () => {
  const app = await demo();
  for (const page of ["/reset-password", "/forgot-password", "/sign-up", "/accept-invitation", "/verify-email"]) {
    const res = await request(app).get(page).expect(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.text).toContain('<script src="console.js" defer></script>');
  }
  const { app: plain } = createDemoApp({ keyStore: new MemoryKeyStore(), users: new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) }), audit: new MemoryAuditSink(), secret: "d".repeat(32), sessionSecret: "e".repeat(32) });
  await request(plain).get("/reset-password").expect(404);
  await request(plain).get("/api/demo/outbox").expect(404);
});
