/**
 * Enterprise SSO by email domain, against a real OpenID Provider: password sign-in refused with a
 * route, just-in-time accounts with roles from a claim, roles that follow the claim, and the
 * domain's own provider as the only way in.
 */
import request from "supertest";
import { useOpenIdProvider, type TestOpenIdAccount } from "@portcullis/testing";
import { APP_CLIENT, createOAuthApp, onApp, signInThrough, testProvider } from "./oauth-app";

const CAROL: TestOpenIdAccount = { sub: "carol-sub", email: "carol@corp.test", email_verified: true, groups: ["corp-admins", "corp-staff"] };
const DAN: TestOpenIdAccount = { sub: "dan-sub", email: "Dan@Corp.Test", email_verified: true, groups: ["corp-staff"] };
const EVE: TestOpenIdAccount = { sub: "eve-sub", email: "eve@corp.test", email_verified: true, groups: ["visitors"] };
/** Carol's address given to someone new after she left: another subject at the same provider. */
const CAROLS_SUCCESSOR: TestOpenIdAccount = { sub: "carol-successor", email: "carol@corp.test", email_verified: true, groups: ["corp-staff"] };
const op = useOpenIdProvider({ clients: [APP_CLIENT], accounts: [CAROL, DAN, EVE, CAROLS_SUCCESSOR] });

const SSO = { domain: "corp.test", provider: "corp", roleClaim: "groups", roleMap: { "corp-admins": "admin", "corp-staff": "member" } };

async function openApp(sso: object = SSO) {
  return createOAuthApp({ providers: [testProvider(op()), testProvider(op(), "social")], oauth: { sso: [sso as typeof SSO], signUp: { role: "member" } } });
}

test("password sign-in for an SSO domain answers 403 sso_required naming the route, before any password check", async () => {
  const { app, users, audit } = await openApp();
  await users.create({ email: "carol@corp.test", password: "an old password", role: "member" });
  const refused = await request(app).post("/api/auth/login").send({ email: "Carol@CORP.test", password: "an old password" }).expect(403);
  expect(refused.body).toEqual({
    error: "sso_required",
    detail: "Accounts at corp.test sign in through single sign-on: /api/auth/oauth/corp",
    sso_url: "/api/auth/oauth/corp",
  });
  // Any address of the domain, account or not: the answer says nothing about accounts.
  const unknown = await request(app).post("/api/auth/login").send({ email: "nobody@corp.test", password: "x" }).expect(403);
  expect(unknown.body.sso_url).toBe("/api/auth/oauth/corp");
  // Other domains still sign in with passwords, and a subdomain is not the domain.
  await request(app).post("/api/auth/login").send({ email: "nobody@sub.corp.test", password: "x" }).expect(401);
  expect((await audit.list({ limit: 10, unowned: true })).events.map((event) => event.code)).toContain("sso_required");
});

test("just in time: the first SSO sign-in creates the account, its role from the first mapped group", async () => {
  const { app, users } = await openApp();
  const browser = request.agent(app);
  expect((await signInThrough(browser, op(), "carol-sub")).headers.location).toBe("/");
  expect(await users.findByEmail("carol@corp.test")).toMatchObject({ role: "admin", passwordless: true });
  const me = await browser.get("/api/auth/me").expect(200);
  expect(me.body.scopes).toEqual(["admin"]);
});

test("the role follows the claim at every sign-in", async () => {
  const { app, users } = await openApp();
  await signInThrough(request.agent(app), op(), "dan-sub");
  expect((await users.findByEmail("dan@corp.test"))?.role).toBe("member");
  (DAN as unknown as { groups: string[] }).groups = ["corp-admins"];
  try {
    const browser = request.agent(app);
    await signInThrough(browser, op(), "dan-sub");
    expect((await users.findByEmail("dan@corp.test"))?.role).toBe("admin");
    expect((await browser.get("/api/auth/me").expect(200)).body.scopes).toEqual(["admin"]);
  } finally {
    (DAN as unknown as { groups: string[] }).groups = ["corp-staff"];
  }
});

test("a user whose groups map to no role, with no default role, is refused (403 oauth_denied) and no account is made", async () => {
  const { app, users } = await openApp();
  const answer = await signInThrough(request.agent(app), op(), "eve-sub");
  expect(answer.status).toBe(403);
  expect(answer.body.error).toBe("oauth_denied");
  expect(await users.findByEmail("eve@corp.test")).toBeUndefined();
  const withDefault = await openApp({ ...SSO, defaultRole: "member" });
  expect((await signInThrough(request.agent(withDefault.app), op(), "eve-sub")).status).toBe(303);
  expect((await withDefault.users.findByEmail("eve@corp.test"))?.role).toBe("member");
});

test("the domain's own provider links an existing account of the domain; its password then no longer signs in", async () => {
  const { app, users, identities } = await openApp();
  const carol = await users.create({ email: "carol@corp.test", password: "a password made before SSO", role: "member" });
  const browser = request.agent(app);
  expect((await signInThrough(browser, op(), "carol-sub")).status).toBe(303);
  expect(await identities.find("corp", "carol-sub")).toMatchObject({ userId: carol.id });
  expect((await browser.get("/api/auth/me").expect(200)).body.user.id).toBe(carol.id);
  await request(app).post("/api/auth/login").send({ email: "carol@corp.test", password: "a password made before SSO" }).expect(403);
});

test("another provider cannot sign an SSO domain's user in, nor create an account of the domain", async () => {
  const { app, users } = await openApp();
  const answer = await signInThrough(request.agent(app), op(), "carol-sub", "social");
  expect(answer.status).toBe(403);
  expect(answer.body).toMatchObject({ error: "sso_required" });
  expect(await users.findByEmail("carol@corp.test")).toBeUndefined();
});

test("an SSO user re-authenticates through the provider (POST /reauthenticate with a password is sso_required)", async () => {
  const { app, clock } = await openApp();
  const browser = request.agent(app);
  await signInThrough(browser, op(), "carol-sub");
  clock.advance(10 * 60_000);
  expect((await browser.post("/api/danger").expect(401)).body.error).toBe("reauthentication_required");
  expect((await browser.post("/api/auth/reauthenticate").send({ password: "anything" }).expect(403)).body.error).toBe("sso_required");

  const started = await browser.post("/api/auth/oauth/corp/reauthenticate").expect(303);
  const url = new URL(started.headers.location!);
  expect(url.searchParams.get("prompt")).toBe("login");
  const callback = await op().completeLogin(url, "carol-sub");
  expect((await browser.get(onApp(callback))).headers.location).toBe("/");
  await browser.post("/api/danger").expect(200);
});

test("re-authenticating as another account of the provider is refused, and the session stays as it was", async () => {
  const { app, clock } = await openApp();
  const browser = request.agent(app);
  await signInThrough(browser, op(), "carol-sub");
  clock.advance(10 * 60_000);
  const started = await browser.post("/api/auth/oauth/corp/reauthenticate").expect(303);
  const callback = await op().completeLogin(started.headers.location!, "dan-sub");
  const refused = await browser.get(onApp(callback)).expect(401);
  expect(refused.body.error).toBe("oauth_failed");
  expect((await browser.get("/api/auth/me").expect(200)).body.user.email).toBe("carol@corp.test");
  await browser.post("/api/danger").expect(401);
});

test("a reused address does not inherit the account: another subject of the domain's provider is refused (409), the account untouched", async () => {
  const { app, identities, users } = await openApp();
  await signInThrough(request.agent(app), op(), "carol-sub");
  const carol = await users.findByEmail("carol@corp.test");
  const successor = request.agent(app);
  const answer = await signInThrough(successor, op(), "carol-successor");
  expect([answer.status, answer.body.error]).toEqual([409, "account_exists"]);
  await successor.get("/api/auth/me").expect(401);
  expect(await identities.listByUser(carol!.id)).toEqual([expect.objectContaining({ subject: "carol-sub" })]);
});
