/**
 * Sign-in through an OpenID Provider run by the test (oidc-provider on a loopback port), over
 * HTTP through the real app: sign-up, sign-in by identity, linking, and the refusals.
 */
import request from "supertest";
import { listEveryAuditEvent, useOpenIdProvider, type TestOpenIdAccount } from "@portcullis/testing";
import { APP_CLIENT, createOAuthApp, onApp, PASSWORD_USER, signInThrough, testProvider } from "./oauth-app";

const ALICE: TestOpenIdAccount = { sub: "alice-sub", email: "alice@example.test", email_verified: true };
const PAT_AT_PROVIDER: TestOpenIdAccount = { sub: "pat-sub", email: PASSWORD_USER.email, email_verified: true };
const UNVERIFIED_PAT: TestOpenIdAccount = { sub: "fake-pat", email: PASSWORD_USER.email.toUpperCase(), email_verified: false };
const NO_EMAIL: TestOpenIdAccount = { sub: "anon-sub" };

const op = useOpenIdProvider({ clients: [APP_CLIENT], accounts: [ALICE, PAT_AT_PROVIDER, UNVERIFIED_PAT, NO_EMAIL] });

async function openApp(oauth: Parameters<typeof createOAuthApp>[0]["oauth"] = { signUp: { role: "member" } }) {
  const made = await createOAuthApp({ providers: [testProvider(op())], oauth });
  return { ...made, browser: request.agent(made.app) };
}

function cookieOf(res: request.Response): string {
  const cookie = ((res.headers["set-cookie"] ?? []) as unknown as string[]).find((c) => c.startsWith("portcullis.sid="));
  if (!cookie) throw new Error("no session cookie");
  return cookie.split(";")[0]!;
}

describe("signing in through the provider", () => {
  test("a new user with a verified email gets a passwordless account with the sign-up role, and a session", async () => {
    const { browser, users, identities } = await openApp();
    const answer = await signInThrough(browser, op(), "alice-sub");
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/");

    const me = await browser.get("/api/auth/me").expect(200);
    expect(me.body).toMatchObject({ kind: "session", user: { email: "alice@example.test", role: "member" }, scopes: ["read"] });
    const user = await users.findByEmail("alice@example.test");
    expect(user).toMatchObject({ passwordless: true, role: "member" });
    expect(await identities.find("corp", "alice-sub")).toMatchObject({ userId: user!.id, email: "alice@example.test" });
    const listed = await browser.get("/api/auth/oauth/identities").expect(200);
    expect(listed.body).toEqual({
      identities: [{ provider: "corp", provider_name: "Corp SSO", subject: "alice-sub", email: "alice@example.test", linked_at: expect.any(String) }],
      password: false,
    });
  });

  test("the next sign-in finds the same user by the identity, under a new session id each time", async () => {
    const { browser, app, users } = await openApp();
    const first = await signInThrough(browser, op(), "alice-sub");
    const second = await signInThrough(request.agent(app), op(), "alice-sub");
    expect(cookieOf(first)).not.toBe(cookieOf(second));
    const alice = await users.findByEmail("alice@example.test");
    const me = await request(app).get("/api/auth/me").set("Cookie", cookieOf(second)).expect(200);
    expect(me.body.user.id).toBe(alice!.id);
  });

  test("the session id of the flow is not the signed-in session's: the flow's cookie signs nobody in", async () => {
    const { app } = await openApp();
    const started = await request(app).get("/api/auth/oauth/corp").expect(302);
    const flowCookie = cookieOf(started);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const answer = await request(app).get(onApp(callback)).set("Cookie", flowCookie).expect(303);
    expect(cookieOf(answer)).not.toBe(flowCookie);
    await request(app).get("/api/auth/me").set("Cookie", flowCookie).expect(401);
    await request(app).get("/api/auth/me").set("Cookie", cookieOf(answer)).expect(200);
  });

  test("the authorization request carries PKCE (S256), state, nonce and the registered redirect URI, and no implicit flow", async () => {
    const { app } = await openApp();
    const started = await request(app).get("/api/auth/oauth/corp").expect(302);
    const url = new URL(started.headers.location!);
    expect(url.origin).toBe(op().issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: APP_CLIENT.client_id,
      redirect_uri: APP_CLIENT.redirect_uris[0],
      code_challenge_method: "S256",
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      scope: "openid email profile",
    });
    expect(started.headers["cache-control"]).toBe("no-store");
  });

  test("sign-up closed: an unknown identity gets 403 signup_closed and no account", async () => {
    const { browser, users } = await openApp({});
    const answer = await signInThrough(browser, op(), "alice-sub");
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: "signup_closed" });
    expect(await users.findByEmail("alice@example.test")).toBeUndefined();
    await browser.get("/api/auth/me").expect(401);
  });

  test("a provider account without an email cannot sign up: 403 email_unverified", async () => {
    const { browser } = await openApp();
    const answer = await signInThrough(browser, op(), "anon-sub");
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("email_unverified");
  });

  test("a browser gets the refusal on the app's page, never a JSON page or a 500", async () => {
    const { app } = await openApp({});
    const browser = request.agent(app);
    const started = await browser.get("/api/auth/oauth/corp").set("Accept", "text/html").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const answer = await browser.get(onApp(callback)).set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").expect(303);
    expect(answer.headers.location).toBe("/?oauth_error=signup_closed");
  });

  test("GET /oauth/providers lists the sign-in buttons; an unknown provider is 404", async () => {
    const { app } = await openApp();
    const listed = await request(app).get("/api/auth/oauth/providers").expect(200);
    expect(listed.body).toEqual({ providers: [{ id: "corp", name: "Corp SSO", sign_in_url: "/api/auth/oauth/corp" }] });
    const unknown = await request(app).get("/api/auth/oauth/nope").expect(404);
    expect(unknown.body.error).toBe("not_found");
    await request(app).get("/api/auth/oauth/nope/callback?state=x&code=y").expect(404);
  });
});

describe("pre-account takeover: an email never links an identity by itself", () => {
  test("a verified email that an account already has: 409 account_exists, nothing linked, nobody signed in", async () => {
    const { browser, identities, pat } = await openApp();
    const answer = await signInThrough(browser, op(), "pat-sub");
    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe("account_exists");
    expect(await identities.listByUser(pat.id)).toEqual([]);
    await browser.get("/api/auth/me").expect(401);
  });

  test("an unverified email that matches an account: 403 email_unverified, and the answer does not say the account exists", async () => {
    const { browser, identities, pat } = await openApp();
    const answer = await signInThrough(browser, op(), "fake-pat");
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("email_unverified");
    expect(JSON.stringify(answer.body)).not.toMatch(/exist/i);
    expect(await identities.listByUser(pat.id)).toEqual([]);
  });

  test("the account's owner, signed in with the password and recently, links the identity; then it signs in", async () => {
    const { app, browser, identities, pat } = await openApp();
    await browser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await browser.post("/api/auth/oauth/corp/link").expect(303);
    const callback = await op().completeLogin(started.headers.location!, "pat-sub");
    const answer = await browser.get(onApp(callback)).expect(303);
    expect(answer.headers.location).toBe("/");
    expect(await identities.find("corp", "pat-sub")).toMatchObject({ userId: pat.id });
    // Still signed in, under a new session id.
    await browser.get("/api/auth/me").expect(200);

    const viaProvider = request.agent(app);
    await signInThrough(viaProvider, op(), "pat-sub");
    const me = await viaProvider.get("/api/auth/me").expect(200);
    expect(me.body.user.id).toBe(pat.id);
  });

  test("linking needs a signed-in session (401), a recent sign-in (401 reauthentication_required) and a same-site request (403)", async () => {
    const { app, browser, clock } = await openApp();
    await request(app).post("/api/auth/oauth/corp/link").expect(401);
    await browser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const crossSite = await browser.post("/api/auth/oauth/corp/link").set("Sec-Fetch-Site", "cross-site").expect(403);
    expect(crossSite.body.error).toBe("cross_site_request");
    clock.advance(16 * 60_000);
    const stale = await browser.post("/api/auth/oauth/corp/link").expect(401);
    expect(stale.body.error).toBe("reauthentication_required");
  });

  test("an unverified email cannot be linked even by a signed-in owner", async () => {
    const { browser, identities, pat } = await openApp();
    await browser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await browser.post("/api/auth/oauth/corp/link").expect(303);
    const callback = await op().completeLogin(started.headers.location!, "fake-pat");
    const answer = await browser.get(onApp(callback)).expect(403);
    expect(answer.body.error).toBe("email_unverified");
    expect(await identities.listByUser(pat.id)).toEqual([]);
  });

  test("an identity linked to another user cannot be linked again: 409 identity_in_use", async () => {
    const { app, browser, identities } = await openApp();
    await signInThrough(request.agent(app), op(), "alice-sub"); // alice's own account now holds it
    await browser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await browser.post("/api/auth/oauth/corp/link").expect(303);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const answer = await browser.get(onApp(callback)).expect(409);
    expect(answer.body.error).toBe("identity_in_use");
    expect((await identities.find("corp", "alice-sub"))?.userId).not.toBe((await browser.get("/api/auth/me")).body.user.id);
  });
});

describe("state, replay and the flow's life", () => {
  test("a wrong state is refused (400), and the browser's own answer still works afterwards", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const forged = new URL(callback);
    forged.searchParams.set("state", "A".repeat(43));
    const refused = await browser.get(onApp(forged)).expect(400);
    expect(refused.body.error).toBe("oauth_invalid_state");
    await browser.get(onApp(callback)).expect(303);
    await browser.get("/api/auth/me").expect(200);
  });

  test("an answer replayed in the same browser is refused: the flow was spent", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    await browser.get(onApp(callback)).expect(303);
    const replayed = await browser.get(onApp(callback)).expect(400);
    expect(replayed.body.error).toBe("oauth_invalid_state");
  });

  test("login CSRF: an answer carried to another browser (the victim's) matches no flow there", async () => {
    const { app } = await openApp();
    const attacker = request.agent(app);
    const started = await attacker.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const victim = request.agent(app);
    await victim.get("/api/auth/oauth/corp").expect(302); // the victim's own flow, with its own state
    const refused = await victim.get(onApp(callback)).expect(400);
    expect(refused.body.error).toBe("oauth_invalid_state");
    await victim.get("/api/auth/me").expect(401);
  });

  test("a code used twice: a stolen code with the thief's own state fails the exchange (401 oauth_failed)", async () => {
    const { app } = await openApp();
    const owner = request.agent(app);
    const started = await owner.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    await owner.get(onApp(callback)).expect(303);

    const thief = request.agent(app);
    const thiefStart = new URL((await thief.get("/api/auth/oauth/corp").expect(302)).headers.location!);
    const stolen = new URL(callback);
    stolen.searchParams.set("state", thiefStart.searchParams.get("state")!);
    const refused = await thief.get(onApp(stolen)).expect(401);
    expect(refused.body.error).toBe("oauth_failed");
    await thief.get("/api/auth/me").expect(401);
  });

  test("concurrent answers for one flow: exactly one signs in", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const answers = await Promise.all(Array.from({ length: 4 }, () => browser.get(onApp(callback))));
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400, 400, 400]);
  });

  test("a wrong nonce in the ID token is refused (401 oauth_failed)", async () => {
    const { browser } = await openApp();
    const started = new URL((await browser.get("/api/auth/oauth/corp").expect(302)).headers.location!);
    started.searchParams.set("nonce", "an-attacker-chosen-nonce-of-enough-length");
    const callback = await op().completeLogin(started, "alice-sub");
    const refused = await browser.get(onApp(callback)).expect(401);
    expect(refused.body.error).toBe("oauth_failed");
    await browser.get("/api/auth/me").expect(401);
  });

  test("an answer for another provider's flow is refused (mix-up): the flow is bound to its provider", async () => {
    const made = await createOAuthApp({ providers: [testProvider(op()), testProvider(op(), "social")], oauth: { signUp: { role: "member" } } });
    const browser = request.agent(made.app);
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    const mixed = await browser.get(onApp(callback).replace("/corp/", "/social/")).expect(400);
    expect(mixed.body.error).toBe("oauth_invalid_state");
  });

  test("an expired flow: 400 with its own sentence", async () => {
    const { browser, clock } = await openApp();
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub");
    clock.advance(10 * 60_000 + 1);
    const refused = await browser.get(onApp(callback)).expect(400);
    expect(refused.body).toMatchObject({ error: "oauth_invalid_state", detail: "This sign-in took too long; start again." });
  });

  test("a denied consent ends on 403 oauth_denied", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/corp").expect(302);
    const callback = await op().completeLogin(started.headers.location!, "alice-sub", { denyConsent: true });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    const refused = await browser.get(onApp(callback)).expect(403);
    expect(refused.body).toMatchObject({ error: "oauth_denied", detail: "The sign-in was cancelled at the provider." });
  });

  test("a callback without a flow, or without a state, is 400", async () => {
    const { app } = await openApp();
    expect((await request(app).get("/api/auth/oauth/corp/callback?code=x&state=y").expect(400)).body.error).toBe("oauth_invalid_state");
    const browser = request.agent(app);
    await browser.get("/api/auth/oauth/corp").expect(302);
    expect((await browser.get("/api/auth/oauth/corp/callback?code=x").expect(400)).body.error).toBe("oauth_invalid_state");
    expect((await browser.get("/api/auth/oauth/corp/callback?code=x&state=a&state=b").expect(400)).body.error).toBe("oauth_invalid_state");
  });
});

describe("identities and the access log", () => {
  test("a passwordless user cannot unlink the last identity (409); a user with a password can (204)", async () => {
    const { app, browser, identities, pat } = await openApp();
    await signInThrough(browser, op(), "alice-sub");
    const last = await browser.delete("/api/auth/oauth/identities/corp/alice-sub").expect(409);
    expect(last.body.error).toBe("last_sign_in_method");

    const patBrowser = request.agent(app);
    await patBrowser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await patBrowser.post("/api/auth/oauth/corp/link").expect(303);
    await patBrowser.get(onApp(await op().completeLogin(started.headers.location!, "pat-sub"))).expect(303);
    await patBrowser.delete("/api/auth/oauth/identities/corp/alice-sub").expect(404); // someone else's
    await patBrowser.delete("/api/auth/oauth/identities/corp/pat-sub").expect(204);
    expect(await identities.listByUser(pat.id)).toEqual([]);
  });

  test("every answer is in the access log: sign-up, link, refusals", async () => {
    const { app, browser, audit } = await openApp();
    await signInThrough(browser, op(), "alice-sub");
    await signInThrough(request.agent(app), op(), "pat-sub");
    await request(app).get("/api/auth/oauth/corp/callback?code=x&state=y");
    const events = (await listEveryAuditEvent(audit)).map(({ action, outcome, code, route, targetId }) => ({ action, outcome, code, route, targetId }));
    const route = "/api/auth/oauth/:provider/callback";
    expect(events).toHaveLength(4);
    expect(events).toEqual(
      expect.arrayContaining([
        { action: "identity.link", outcome: "success", code: undefined, route, targetId: "corp" },
        { action: "session.login", outcome: "success", code: undefined, route, targetId: "corp" },
        { action: "session.login", outcome: "failure", code: "account_exists", route, targetId: "corp" },
        { action: "session.login", outcome: "failure", code: "oauth_invalid_state", route, targetId: "corp" },
      ]),
    );
  });
});
