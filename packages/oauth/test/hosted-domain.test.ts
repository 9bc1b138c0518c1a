/**
 * googleProvider's `hostedDomain`: the ID token's `hd` claim decides, checked by withHostedDomain
 * around a real OpenID Provider run by the test (Google itself cannot be reached from the tests).
 */
import request from "supertest";
import { useOpenIdProvider, type TestOpenIdAccount } from "@portcullis/testing";
import { withHostedDomain } from "../src/hosted-domain";
import { APP_CLIENT, createOAuthApp, signInThrough, testProvider } from "./oauth-app";

const ANN: TestOpenIdAccount = { sub: "ann-sub", email: "ann@acme.test", email_verified: true, hd: "acme.test" };
const OUTSIDER: TestOpenIdAccount = { sub: "out-sub", email: "out@other.test", email_verified: true, hd: "other.test" };
const PERSONAL: TestOpenIdAccount = { sub: "personal-sub", email: "someone@gmail.test", email_verified: true };

const op = useOpenIdProvider({ clients: [APP_CLIENT], accounts: [ANN, OUTSIDER, PERSONAL] });

async function openApp() {
  const made = await createOAuthApp({ providers: [withHostedDomain(testProvider(op()), "ACME.test")], oauth: { signUp: { role: "member" } } });
  return { ...made, browser: request.agent(made.app) };
}

test("an account of the hosted domain signs in (the domain compared without case)", async () => {
  const { browser } = await openApp();
  expect((await signInThrough(browser, op(), "ann-sub")).status).toBe(303);
  const me = await browser.get("/api/auth/me").expect(200);
  expect(me.body.user.email).toBe("ann@acme.test");
});

test.each([
  ["of another domain", "out-sub", "out@other.test"],
  ["without an hd claim (a personal account)", "personal-sub", "someone@gmail.test"],
])("an account %s: 403 oauth_denied, no account made", async (_what, sub, email) => {
  const { browser, users } = await openApp();
  const answer = await signInThrough(browser, op(), sub);
  expect(answer.status).toBe(403);
  expect(answer.body).toMatchObject({ error: "oauth_denied", detail: "Only acme.test accounts can sign in here." });
  expect(await users.findByEmail(email)).toBeUndefined();
  await browser.get("/api/auth/me").expect(401);
});
