/**
 * The ID token's checks, against a hostile provider that forges what the test says: a token for
 * another audience, signed by another key, from another issuer, expired, without the nonce, or
 * unsigned, never signs anyone in. And the `amr` policy of an SSO domain.
 */
import request from "supertest";
import { MemoryMfaStore } from "@portcullis/core";
import { totpCode, totpSecondFactor } from "@portcullis/mfa";
import { oidcProvider } from "@portcullis/oauth";
import { createOAuthApp, onApp } from "./oauth-app";
import { startForgingProvider } from "./forging-provider";

const CLIENT = { clientId: "forged-client", subject: "sam-sub", email: "sam@corp.test" };
let idp: Awaited<ReturnType<typeof startForgingProvider>>;
beforeAll(async () => {
  idp = await startForgingProvider(CLIENT);
});
afterAll(() => idp.stop());
afterEach(() => idp.setClaims({}));

const provider = () =>
  oidcProvider({ id: "corp", name: "Corp SSO", issuer: idp.issuer, clientId: CLIENT.clientId, clientSecret: "forged-client-secret", allowHttpOnLoopback: true });

async function signIn(browser: request.Agent) {
  const started = await browser.get("/api/auth/oauth/corp").expect(302);
  const callback = (await fetch(started.headers.location!, { redirect: "manual" })).headers.get("location")!;
  return browser.get(onApp(callback));
}

async function openApp(options: Parameters<typeof createOAuthApp>[0]["oauth"] = { signUp: { role: "member" } }) {
  const made = await createOAuthApp({ providers: [provider()], oauth: options });
  return { ...made, browser: request.agent(made.app) };
}

test("the stand-in is faithful: an untampered token signs in", async () => {
  const { browser } = await openApp();
  expect((await signIn(browser)).status).toBe(303);
  expect((await browser.get("/api/auth/me").expect(200)).body.user.email).toBe("sam@corp.test");
});

test.each([
  ["for another audience", { claims: (c: Record<string, unknown>) => ({ ...c, aud: "some-other-client" }) }],
  ["for several audiences without this client as azp", { claims: (c: Record<string, unknown>) => ({ ...c, aud: [CLIENT.clientId, "other"], azp: "other" }) }],
  ["signed by a key the provider never published", { foreignKey: true }],
  ["unsigned (alg none)", { unsigned: true }],
  ["from another issuer", { claims: (c: Record<string, unknown>) => ({ ...c, iss: "https://evil.example" }) }],
  ["expired", { claims: (c: Record<string, unknown>) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 3600 }) }],
  ["without the nonce", { claims: ({ nonce: _nonce, ...c }: Record<string, unknown>) => c }],
  ["with another nonce", { claims: (c: Record<string, unknown>) => ({ ...c, nonce: "replayed-from-another-flow" }) }],
  ["without a subject", { claims: ({ sub: _sub, ...c }: Record<string, unknown>) => c }],
])("an ID token %s is refused: 401 oauth_failed, nobody signed in, nothing created", async (_name, forgery) => {
  const { browser, users } = await openApp();
  idp.forge(forgery);
  const answer = await signIn(browser);
  expect(answer.status).toBe(401);
  expect(answer.body.error).toBe("oauth_failed");
  await browser.get("/api/auth/me").expect(401);
  expect(await users.findByEmail("sam@corp.test")).toBeUndefined();
});

test("an ID token without an email: userinfo gives the email and whether it is verified together, never one from each", async () => {
  const { browser, users } = await openApp();
  idp.forge({ claims: ({ email: _email, ...claims }) => ({ ...claims, email_verified: true }) });
  idp.setUserInfo({ email: "sam@corp.test", email_verified: false });
  try {
    const answer = await signIn(browser);
    expect([answer.status, answer.body.error]).toEqual([403, "email_unverified"]);
    expect(await users.findByEmail("sam@corp.test")).toBeUndefined();
  } finally {
    idp.setUserInfo({});
  }
});

describe("an SSO domain's second-factor policy", () => {
  const sso = { domain: "corp.test", provider: "corp", defaultRole: "member", secondFactor: { amr: ["mfa", "hwk"] } };

  async function withTotp() {
    const mfaStore = new MemoryMfaStore();
    const made = await createOAuthApp({ providers: [provider()], oauth: { sso: [sso] }, mfa: totpSecondFactor({ store: mfaStore, encryptionKey: "mfa-encryption-key-of-at-least-32-bytes!", issuer: "test" }) });
    // Sam signs in once through SSO (just in time) and enrols TOTP.
    idp.setClaims({ amr: ["pwd"] });
    const browser = request.agent(made.app);
    await signIn(browser).then((answer) => expect(answer.status).toBe(303));
    const enrolment = await browser.post("/api/auth/mfa/enrol").expect(200);
    await browser.post("/api/auth/mfa/confirm").send({ code: await totpCode(enrolment.body.secret, Math.floor(made.clock.now / 1000)) }).expect(200);
    made.clock.advance(30_000);
    return { ...made, secret: enrolment.body.secret as string };
  }

  test("without a trusted amr, the user's own second factor is still asked, and then completes the sign-in", async () => {
    const { app, clock, secret } = await withTotp();
    idp.setClaims({ amr: ["pwd"] });
    const browser = request.agent(app);
    const answer = await signIn(browser);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/?oauth_error=mfa_required");
    await browser.get("/api/auth/me").expect(401);
    await browser.post("/api/auth/login/mfa").send({ code: await totpCode(secret, Math.floor(clock.now / 1000)) }).expect(200);
    await browser.get("/api/auth/me").expect(200);
    await browser.post("/api/critical").expect(200); // the code, not the provider, proved the second factor
  });

  test("a user without a second factor of their own, and no trusted amr: signed in, but a second-factor guard refuses", async () => {
    const made = await createOAuthApp({ providers: [provider()], oauth: { sso: [sso] } });
    idp.setClaims({ amr: ["pwd"] });
    const browser = request.agent(made.app);
    expect((await signIn(browser)).headers.location).toBe("/");
    const refused = await browser.post("/api/critical").expect(401);
    expect(refused.body.error).toBe("reauthentication_required");
  });

  test("an acr the domain trusts counts too; another acr does not", async () => {
    const byAcr = { domain: "corp.test", provider: "corp", defaultRole: "member", secondFactor: { acr: ["urn:corp:mfa"] } };
    const made = await createOAuthApp({ providers: [provider()], oauth: { sso: [byAcr] } });
    idp.setClaims({ acr: "urn:corp:password" });
    const weak = request.agent(made.app);
    await signIn(weak);
    await weak.post("/api/critical").expect(401);
    idp.setClaims({ acr: "urn:corp:mfa" });
    const strong = request.agent(made.app);
    await signIn(strong);
    await strong.post("/api/critical").expect(200);
  });

  test("an amr the domain trusts counts as the second factor: signed in at once, and a second-factor guard passes", async () => {
    const { app } = await withTotp();
    idp.setClaims({ amr: ["pwd", "hwk"] });
    const browser = request.agent(app);
    expect((await signIn(browser)).headers.location).toBe("/");
    await browser.get("/api/auth/me").expect(200);
    await browser.post("/api/critical").expect(200);
  });
});
