/**
 * Attacks on the email flows by an outsider, or by a user with an account of their own, beyond
 * those the flow suites already show failing. Each test is an attack that must fail.
 */
import express from "express";
import request from "supertest";
import { PortcullisError } from "@portcullis/core";
import type { OAuthSignIn } from "@portcullis/session-auth";
import { RedisUserStore } from "@portcullis/redis";
import { useRedisServer, useSmtpServer } from "@portcullis/testing";
import { ADA, APP_URL, createEmailApp, linkIn, nextAbout, signedIn, tokenIn } from "./email-app";

const smtp = useSmtpServer();
const redis = useRedisServer();
const MALLORY = "mallory@evil.test";

/**
 * A sign-in provider stand-in for an SSO domain: password sign-in for `corp.test` is refused, as
 * `oauthSignIn({ sso })` does, and `GET /test-sso?email=` signs its account in as the domain's
 * provider would after a verified answer.
 */
const corpSso: OAuthSignIn = {
  passwordRefusal: (req, email) =>
    email.endsWith("@corp.test") ? new PortcullisError("sso_required", "Accounts at corp.test sign in through single sign-on.", { data: { ssoUrl: `${req.baseUrl}/oauth/corp` } }) : undefined,
  addRoutes(router, routes) {
    router.get("/test-sso", (req, res, next) => {
      void (async () => {
        const user = await routes.users.findByEmail(String(req.query.email));
        if (!user) throw new PortcullisError("invalid_credentials");
        await routes.signIn(req, user, { provider: "corp", authenticatedAt: routes.context(req).now() });
        res.json({ signed_in: true });
      })().catch(next);
    });
  },
};

describe("an email change cannot outlive what should end it", () => {
  test("a password reset voids a pending change of address (the note to the old address tells its owner to change the password)", async () => {
    // Mallory holds Ada's session for a moment (a borrowed laptop) and asks to move the account to her address.
    const { app, users, ada, clock } = await createEmailApp(smtp());
    const stolen = await signedIn(app, ADA);
    await stolen.post("/api/auth/email").send({ email: MALLORY }).expect(202);
    const mallorys = tokenIn(await nextAbout(smtp(), MALLORY, /^Confirm your new/));
    // Ada reads the note, and does what it says: a new password (by reset), which signs Mallory out.
    clock.advance(60_000);
    expect((await nextAbout(smtp(), ADA.email, /change of your Acme email/)).text).toContain("change your password now");
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    const reset = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    await request(app).post("/api/auth/password/reset").send({ token: reset, new_password: "ada's safe password" }).expect(200);
    await stolen.get("/api/auth/me").expect(401);

    // Mallory's link must be dead: otherwise the account moves to her address, and her reset takes it.
    expect((await request(app).post("/api/auth/email/verify").send({ token: mallorys }).expect(400)).body.error).toBe("invalid_token");
    expect((await users.findById(ada.id))?.email).toBe(ADA.email);
  });

  test("a password change by the signed-in user voids a pending change of address too", async () => {
    const { app, users, ada, clock } = await createEmailApp(smtp());
    const browser = await signedIn(app, ADA);
    await browser.post("/api/auth/email").send({ email: MALLORY }).expect(202);
    const mallorys = tokenIn(await nextAbout(smtp(), MALLORY, /^Confirm your new/));
    clock.advance(60_000);
    await browser.post("/api/auth/password").send({ current_password: ADA.password, new_password: "ada's safe password" }).expect(200);
    await request(app).post("/api/auth/email/verify").send({ token: mallorys }).expect(400);
    expect((await users.findById(ada.id))?.email).toBe(ADA.email);
  });
});

describe("single sign-on cannot be left through the email flows", () => {
  test("an SSO account cannot move its address out of the domain (and then get a password by reset)", async () => {
    // Carol signs in only through corp's provider; when corp offboards her there, she must lose access.
    const { app, users } = await createEmailApp(smtp(), { oauth: corpSso });
    const carol = await users.create({ email: "carol@corp.test", role: "admin" });
    const browser = request.agent(app);
    await browser.get("/api/auth/test-sso").query({ email: carol.email }).expect(200);
    const refused = await browser.post("/api/auth/email").send({ email: "carol@home.test" }).expect(403);
    expect(refused.body.error).toBe("sso_required");
    expect((await users.findById(carol.id))?.email).toBe("carol@corp.test");
  });

  test("an account cannot move its address into an SSO domain, whose people sign in through it", async () => {
    const { app } = await createEmailApp(smtp(), { oauth: corpSso });
    const browser = await signedIn(app, ADA);
    expect((await browser.post("/api/auth/email").send({ email: "ada@corp.test" }).expect(403)).body.error).toBe("sso_required");
  });

  test("an invitation to an SSO domain's address is refused: that person signs in through the domain's provider", async () => {
    const { app } = await createEmailApp(smtp(), { oauth: corpSso, flows: { invitations: { scope: "admin" } } });
    const admin = await signedIn(app, ADA);
    expect((await admin.post("/api/auth/invitations").send({ email: "dave@corp.test", role: "viewer" }).expect(403)).body.error).toBe("sso_required");
  });
  test("a link sent before single sign-on came to its domain cannot then move an account into it, nor make one there", async () => {
    const before = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    const browser = await signedIn(before.app, ADA);
    await browser.post("/api/auth/email").send({ email: "ada@corp.test" }).expect(202);
    const change = tokenIn(await nextAbout(smtp(), "ada@corp.test", /^Confirm your new/));
    await request(before.app).post("/api/auth/signup").send({ email: "dave@corp.test" }).expect(202);
    const signUp = tokenIn(await nextAbout(smtp(), "dave@corp.test", /^Finish signing up/));

    const { app, users, ada } = await createEmailApp(smtp(), { users: before.users, tokens: before.tokens, oauth: corpSso, flows: { signUp: { role: "viewer" } } });
    expect((await request(app).post("/api/auth/email/verify").send({ token: change }).expect(403)).body.error).toBe("sso_required");
    expect((await request(app).post("/api/auth/signup/complete").send({ token: signUp, password: "dave's password" }).expect(403)).body.error).toBe("sso_required");
    expect((await users.findById(ada.id))?.email).toBe(ADA.email);
    expect(await users.findByEmail("dave@corp.test")).toBeUndefined();
  });
});

describe("the address an account holds is the one its link went to", () => {
  test("an address a mailer reads as another one (or as a list) is refused, so no account keeps an address nobody proved", async () => {
    // Before: "x<mallory@evil.test>" was delivered to mallory@evil.test and kept as typed. One mailbox
    // could hold any number of accounts, each address counted apart by the per-address limit, and
    // "x<dave@corp.test>" was not of the SSO domain corp.test: a password account for an SSO user.
    const { app } = await createEmailApp(smtp(), { oauth: corpSso, flows: { signUp: { role: "viewer" } } });
    for (const email of ["x<mallory@evil.test>", "ada@example.test,", "ada;mallory@evil.test", "x<dave@corp.test>", '"ada"@example.test', "ＡＤＡ＠example.test＞"]) {
      const answer = await request(app).post("/api/auth/signup").send({ email });
      expect([email, answer.status, answer.body.detail]).toEqual([email, 400, "email: must be an email address"]);
    }
    await expect(smtp().nextMessage({ timeoutMs: 300 })).rejects.toThrow(/no message/);
  });
});

describe("the link's origin", () => {
  test("a forged Host or X-Forwarded-Host cannot point a reset link at another site: links come from appUrl only", async () => {
    const { app } = await createEmailApp(smtp());
    app.set("trust proxy", true); // even behind a proxy that passes the headers on
    await request(app).post("/api/auth/password/forgot").set("Host", "evil.test").set("X-Forwarded-Host", "evil.test").set("X-Forwarded-Proto", "https").send({ email: ADA.email }).expect(202);
    const link = linkIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/reset-password`);
  });
});

describe("enumeration by time", () => {
  test("on Redis, looking up a stranger's address costs the user store as many round trips as an account's", async () => {
    const client = redis().client();
    await client.flushall();
    const calls: string[] = [];
    // The user store's own view of the client, counting the commands it sends.
    const counted = new Proxy(client, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { app } = await createEmailApp(undefined, { mailer: { send: async () => {} }, users: (passwords, now) => new RedisUserStore(counted, { passwords, now }) });
    const commandsFor = async (email: string) => {
      calls.length = 0;
      await request(app).post("/api/auth/password/forgot").send({ email }).expect(202);
      return [...calls];
    };
    // Measured before, 480 tries each: 2.71 ms at the median for an account, 1.91 ms for a stranger.
    expect(await commandsFor("nobody@example.test")).toEqual(await commandsFor(ADA.email));
  });

  test("the mailer starts only once the answer is written, so its work never lengthens an account's answer", async () => {
    // Measured in the handler over SMTP, 1200 tries: a reset for an account took 2.32 ms at the
    // median against 1.61 ms for a stranger while nodemailer started within the request.
    const answered: boolean[] = [];
    let ended = false;
    const mailer = { send: async () => void answered.push(ended) };
    const { app } = await createEmailApp(undefined, { mailer });
    const outer = express();
    outer.use((_req, res, next) => {
      ended = false;
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((...args: unknown[]) => ((ended = true), end(...args))) as typeof res.end;
      next();
    });
    outer.use(app);
    await request(outer).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toEqual([true]);
  });
});

describe("odd requests", () => {
  test("odd bodies on every route are refused with a 4xx, never a 500, and pollute nothing", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" }, invitations: { scope: "admin" }, sendLimits: { perIpPerHour: 1000 } } });
    const admin = await signedIn(app, ADA);
    const routes = ["/password/forgot", "/password/reset", "/signup", "/signup/complete", "/invitations", "/invitations/accept", "/email", "/email/verify"];
    const bodies: (string | Buffer)[] = [
      "[]",
      "null",
      "5",
      '"ada@example.test"',
      '{"email":["ada@example.test"]}',
      '{"email":{"$ne":""}}',
      '{"email":"ada@example.test","__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}},"email":"ada@example.test"}',
      '{"token":{"length":43},"password":"p","new_password":"p"}',
      '{"email":"ada@example.test","role":"constructor"}',
      '{"email":"ada@example.test","role":"__proto__"}',
      `{"email":"${"a".repeat(20_000)}@example.test"}`,
      `${"[".repeat(5000)}${"]".repeat(5000)}`,
      Buffer.from([0x7b, 0x22, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x40, 0x78, 0x22, 0x7d]), // {"email":"\xff\xfe@x"}
    ];
    for (const route of routes) {
      for (const body of bodies) {
        const answer = await admin.post(`/api/auth${route}`).set("Content-Type", "application/json").send(body);
        expect([route, String(body).slice(0, 40), answer.status >= 400 && answer.status < 500]).toEqual([route, String(body).slice(0, 40), true]);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("an invitation's display name is one line: it cannot forge paragraphs or a link line in the text part", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { invitations: { scope: "admin" } } });
    const admin = await signedIn(app, ADA);
    const name = "Grace,\n\nYour account is on hold. Set your password: https://evil.test/accept-invitation#token=x\n\nBye";
    const refused = await admin.post("/api/auth/invitations").send({ email: "grace@example.test", role: "viewer", name }).expect(400);
    expect(refused.body.detail).toMatch(/^name: /);
    for (const bad of ["Grace\r\nBcc: m@evil.test", "Grace\u2028Line", "Grace\u0085", "Grace\u0000"]) {
      await admin.post("/api/auth/invitations").send({ email: "grace@example.test", role: "viewer", name: bad }).expect(400);
    }
    await admin.post("/api/auth/invitations").send({ email: "grace@example.test", role: "viewer", name: "Grace Hopper 👩‍💻" }).expect(202);
  });

  test("a sign-up for an account's address and for a stranger's answer with the same headers, and neither sets a cookie", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { signUp: { role: "viewer" } } });
    const known = await request(app).post("/api/auth/signup").send({ email: ADA.email }).expect(202);
    const unknown = await request(app).post("/api/auth/signup").send({ email: "stranger@example.test" }).expect(202);
    const headers = (answer: request.Response) => Object.entries(answer.headers).filter(([name]) => !["date", "etag"].includes(name)).sort();
    expect(headers(unknown)).toEqual(headers(known));
    expect(known.headers["set-cookie"]).toBeUndefined();
  });
});

describe("store outages fail closed", () => {
  test.each(["/signup/complete", "/invitations/accept", "/email/verify", "/signup"])("a token store that fails answers 503 on %s, and makes no account", async (route) => {
    const fail = () => Promise.reject(new Error("connection lost"));
    const tokens = { issue: fail, take: fail, issueCode: fail, useCode: fail };
    const { app, users } = await createEmailApp(undefined, { mailer: { send: async () => {} }, tokens, flows: { signUp: { role: "viewer" }, invitations: { scope: "admin" } } });
    const answer = await request(app).post(`/api/auth${route}`).send(route === "/signup" ? { email: "new@example.test" } : { token: "A".repeat(43), ...(route === "/email/verify" ? {} : { password: "a password" }) });
    expect(answer.status).toBe(503);
    expect(await users.findByEmail("new@example.test")).toBeUndefined();
  });
});

describe("invitations", () => {
  // Found by the attack: invitations were not counted at all, so a holder of the scope could send
  // one address messages without end (mail bombing, or phishing through the display name).
  test("invitations to one address are limited as resets are (by address only: an admin's IP may invite a team)", async () => {
    const { app } = await createEmailApp(smtp(), { flows: { invitations: { scope: "admin" }, sendLimits: { perAddressPerHour: 2 } } });
    const admin = await signedIn(app, ADA);
    await admin.post("/api/auth/invitations").send({ email: "victim@example.test", role: "viewer" }).expect(202);
    await admin.post("/api/auth/invitations").send({ email: "victim@example.test", role: "viewer" }).expect(202);
    await admin.post("/api/auth/invitations").send({ email: "victim@example.test", role: "viewer" }).expect(429);
    for (let i = 0; i < 25; i++) await admin.post("/api/auth/invitations").send({ email: `member${i}@example.test`, role: "viewer" }).expect(202);
  });
});

describe("found, not fixed", () => {

  // A reset link is voided by a change of address only while the address differs: moving A -> B
  // -> A within 30 minutes revives a link sent to A before. It needs an "email changed at" in the
  // user stores (as passwordChangedAt), a port change across three adapters.
  test.skip("a reset link sent before the address changed stays dead when the address changes back", async () => {
    const { app, clock } = await createEmailApp(smtp());
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    const oldReset = tokenIn(await nextAbout(smtp(), ADA.email, /^Reset your/));
    const browser = await signedIn(app, ADA);
    for (const address of [MALLORY, ADA.email]) {
      clock.advance(1000);
      await browser.post("/api/auth/email").send({ email: address }).expect(202);
      await request(app).post("/api/auth/email/verify").send({ token: tokenIn(await nextAbout(smtp(), address, /^Confirm/)) }).expect(200);
    }
    await request(app).post("/api/auth/password/reset").send({ token: oldReset, new_password: "revived link" }).expect(400);
  });
});
