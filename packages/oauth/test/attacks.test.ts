/**
 * Attacks from outside on sign-in through providers and SSO that the other suites do not cover:
 * each test is an attack through the real app, and asserts that it fails.
 */
import request from "supertest";
import { MemoryIdentityStore } from "@portcullis/core";
import { oidcProvider } from "@portcullis/oauth";
import { createOAuthApp, onApp } from "./oauth-app";
import { startForgingProvider } from "./forging-provider";

// Sam's organization (corp.test, its own provider) and Sam's personal account at another provider.
const CORP = { clientId: "corp-client", subject: "sam-corp", email: "sam@corp.test" };
const SOCIAL = { clientId: "social-client", subject: "sam-social", email: "sam@home.test" };
let corpIdp: Awaited<ReturnType<typeof startForgingProvider>>;
let socialIdp: Awaited<ReturnType<typeof startForgingProvider>>;
beforeAll(async () => {
  [corpIdp, socialIdp] = await Promise.all([startForgingProvider(CORP), startForgingProvider(SOCIAL)]);
});
afterAll(() => Promise.all([corpIdp.stop(), socialIdp.stop()]));
afterEach(() => {
  corpIdp.setClaims({});
  socialIdp.setClaims({});
});

const providerAt = (id: string, idp: typeof corpIdp, clientId: string) =>
  oidcProvider({ id, name: id, issuer: idp.issuer, clientId, clientSecret: `${id}-client-secret`, allowHttpOnLoopback: true });

/** The provider's answer to the app's redirect (the forging provider approves at once). */
async function answerOf(redirect: request.Response): Promise<string> {
  return onApp((await fetch(redirect.headers.location!, { redirect: "manual" })).headers.get("location")!);
}

const SSO = { domain: "corp.test", provider: "corp", defaultRole: "member", secondFactor: { amr: ["mfa"] } };

async function openSsoApp() {
  const made = await createOAuthApp({ providers: [providerAt("corp", corpIdp, CORP.clientId), providerAt("social", socialIdp, SOCIAL.clientId)], oauth: { sso: [SSO], signUp: { role: "member" } } });
  return { ...made, browser: request.agent(made.app) };
}

describe("an SSO domain's user and another provider", () => {
  /** Sam signs in through corp (just in time), then links the personal account while the sign-in is recent. */
  async function samWithPersonalAccountLinked() {
    const made = await openSsoApp();
    corpIdp.setClaims({ amr: ["pwd"] });
    expect((await made.browser.get(await answerOf(await made.browser.get("/api/auth/oauth/corp").expect(302)))).headers.location).toBe("/");
    const linking = await made.browser.post("/api/auth/oauth/social/link").expect(303);
    expect((await made.browser.get(await answerOf(linking))).headers.location).toBe("/");
    expect((await made.browser.get("/api/auth/oauth/identities").expect(200)).body.identities.map((identity: { provider: string }) => identity.provider).sort()).toEqual(["corp", "social"]);
    made.clock.advance(10 * 60_000);
    await made.browser.post("/api/danger").expect(401);
    return made;
  }

  test("cannot renew the session's sign-in: re-authenticating through it is 403 sso_required, and guards still refuse", async () => {
    const { browser } = await samWithPersonalAccountLinked();
    const started = await browser.post("/api/auth/oauth/social/reauthenticate").expect(303);
    const refused = await browser.get(await answerOf(started)).expect(403);
    expect(refused.body.error).toBe("sso_required");
    await browser.post("/api/danger").expect(401);
    // The session goes on, and the domain's own provider still renews it.
    expect((await browser.get("/api/auth/me").expect(200)).body.user.email).toBe("sam@corp.test");
    const again = await browser.post("/api/auth/oauth/corp/reauthenticate").expect(303);
    expect((await browser.get(await answerOf(again))).headers.location).toBe("/");
    await browser.post("/api/danger").expect(200);
  });

  test("cannot prove the domain's second factor with its own amr: the domain trusts only its provider's", async () => {
    const { browser } = await samWithPersonalAccountLinked();
    socialIdp.setClaims({ amr: ["mfa"] }); // the personal provider says what the domain's policy trusts
    const answer = await browser.get(await answerOf(await browser.post("/api/auth/oauth/social/reauthenticate").expect(303)));
    expect(answer.body.error).toBe("sso_required");
    await browser.post("/api/critical").expect(401);
  });
});

test("an SSO domain's user cannot change the password the domain no longer lets sign in: 403 sso_required", async () => {
  const { browser, users } = await openSsoApp();
  await users.create({ email: CORP.email, password: "a password from before SSO", role: "member" });
  expect((await browser.get(await answerOf(await browser.get("/api/auth/oauth/corp").expect(302)))).headers.location).toBe("/");
  const refused = await browser.post("/api/auth/password").send({ current_password: "a password from before SSO", new_password: "a new password for later" }).expect(403);
  expect(refused.body.error).toBe("sso_required");
  expect(await users.verifyCredentials(CORP.email, "a new password for later")).toBeUndefined();
});

describe("an SSO domain spelled otherwise is still the domain", () => {
  test("with a trailing dot (corp.test.): another provider cannot create an account of the domain, nor a password sign in", async () => {
    const { app, browser, users } = await openSsoApp();
    socialIdp.forge({ claims: (claims) => ({ ...claims, sub: "someone-else", email: "boss@corp.test." }) });
    const refused = await browser.get(await answerOf(await browser.get("/api/auth/oauth/social").expect(302))).expect(403);
    expect(refused.body).toMatchObject({ error: "sso_required", sso_url: "/api/auth/oauth/corp" });
    expect(await users.findByEmail("boss@corp.test.")).toBeUndefined();
    await browser.get("/api/auth/me").expect(401);
    expect((await request(app).post("/api/auth/login").send({ email: "Boss@Corp.Test.", password: "x" }).expect(403)).body.error).toBe("sso_required");
  });
});

describe("a subject that no identity store can keep is refused before any account is made", () => {
  test.each([
    ["holding U+0000", "sam\u0000social"],
    ["holding half a surrogate pair", "sam\ud800social"],
    ["longer than OpenID Connect's 255 characters", "s".repeat(256)],
  ])("a subject %s: 401 oauth_failed, no account left without a way in", async (_name, subject) => {
    const { browser, users } = await openSsoApp();
    socialIdp.forge({ claims: (claims) => ({ ...claims, sub: subject }) });
    const refused = await browser.get(await answerOf(await browser.get("/api/auth/oauth/social").expect(302))).expect(401);
    expect(refused.body.error).toBe("oauth_failed");
    // An account made before the link failed would keep the address from its owner for good: no password, no identity.
    expect(await users.findByEmail(SOCIAL.email)).toBeUndefined();
  });
});

describe("what held", () => {
  test("a role claim of the wrong shape, or naming an object's own keys, maps to no role: the default", async () => {
    const made = await createOAuthApp({
      providers: [providerAt("corp", corpIdp, CORP.clientId)],
      oauth: { sso: [{ domain: "corp.test", provider: "corp", roleClaim: "groups", roleMap: { "corp-admins": "admin" }, defaultRole: "member" }] },
    });
    const browser = request.agent(made.app);
    corpIdp.setClaims({ groups: ["__proto__", "constructor", "toString", "hasOwnProperty", ["corp-admins"], { "corp-admins": true }] });
    expect((await browser.get(await answerOf(await browser.get("/api/auth/oauth/corp").expect(302)))).headers.location).toBe("/");
    expect((await browser.get("/api/auth/me").expect(200)).body.user).toMatchObject({ email: CORP.email, role: "member" });
  });

  test.each([
    ["two states", "state=STATE&state=STATE&code=x"],
    ["a state array, Express 4 style", "state[]=STATE&code=x"],
    ["two codes", "state=STATE&code=a&code=b"],
    ["an invalid percent escape", "state=STATE&code=%E0%A4%A"],
    ["an escape of invalid UTF-8", "state=STATE&code=%ff%fe"],
    ["another issuer", "state=STATE&code=x&iss=https%3A%2F%2Fevil.example"],
    ["an ID token in the query", "state=STATE&code=x&id_token=a.b.c"],
    ["no code", "state=STATE"],
  ])("a callback with %s is refused with a 4xx, a browser sent to the app's page", async (_name, query) => {
    const { app } = await openSsoApp();
    for (const accept of ["application/json", "text/html"]) {
      const browser = request.agent(app);
      const started = await browser.get("/api/auth/oauth/social").expect(302);
      const state = new URL(started.headers.location!).searchParams.get("state")!;
      const answer = await browser.get(`/api/auth/oauth/social/callback?${query.replaceAll("STATE", state)}`).set("Accept", accept);
      if (accept === "text/html") expect(answer.headers.location).toMatch(/^\/\?oauth_error=(oauth_invalid_state|oauth_failed)$/);
      else expect([400, 401]).toContain(answer.status);
      await browser.get("/api/auth/me").expect(401);
    }
  });
});

describe("an account with no way in", () => {
  const home = () => providerAt("social", socialIdp, SOCIAL.clientId);

  test("a first sign-up cut short between the account and the link (503) is finished by the next sign-in, not locked with 409", async () => {
    const identities = new MemoryIdentityStore();
    const link = identities.link.bind(identities);
    let failures = 1;
    jest.spyOn(identities, "link").mockImplementation(async (identity) => {
      if (failures-- > 0) throw new Error("connection reset by peer");
      return link(identity);
    });
    const made = await createOAuthApp({ providers: [home()], oauth: { signUp: { role: "member" } }, identities });
    const browser = request.agent(made.app);
    const cut = await browser.get(await answerOf(await browser.get("/api/auth/oauth/social").expect(302)));
    expect(cut.status).toBe(503);
    expect(await made.users.findByEmail(SOCIAL.email)).toMatchObject({ passwordless: true });

    const retried = await browser.get(await answerOf(await browser.get("/api/auth/oauth/social").expect(302)));
    expect(retried.status).toBe(303);
    expect((await browser.get("/api/auth/me").expect(200)).body.user.email).toBe(SOCIAL.email);
    expect(await identities.find("social", SOCIAL.subject)).toMatchObject({ userId: (await made.users.findByEmail(SOCIAL.email))!.id });
  });

  test("an account made without a password (an invitation) is claimed by the provider that verifies its address; one with a password is not", async () => {
    const made = await createOAuthApp({ providers: [home()], oauth: {} }); // sign-up closed: only existing accounts
    const invited = await made.users.create({ email: SOCIAL.email, role: "member" });
    const browser = request.agent(made.app);
    expect((await browser.get(await answerOf(await browser.get("/api/auth/oauth/social").expect(302)))).status).toBe(303);
    expect((await browser.get("/api/auth/me").expect(200)).body.user.id).toBe(invited.id);

    const withPassword = await createOAuthApp({ providers: [home()], oauth: { signUp: { role: "member" } } });
    await withPassword.users.create({ email: SOCIAL.email, password: "a password of its own", role: "member" });
    const visitor = request.agent(withPassword.app);
    const attempt = await visitor.get(await answerOf(await visitor.get("/api/auth/oauth/social").expect(302)));
    expect([attempt.status, attempt.body.error]).toEqual([409, "account_exists"]);
  });
});
