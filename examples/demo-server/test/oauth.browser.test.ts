/**
 * Sign-in through a provider in the demo's console, in headless Chromium against `node server.js`
 * with nothing configured, so the demo starts its Demo IdP: a visitor cancels at the IdP and is
 * told so, then signs in there (login page, consent page) and comes back signed in to a new
 * account that lists the Demo IdP on its Account page, and once that account has two-factor
 * authentication the IdP's sign-in leads to the console's code step; the admin, signed in with a password, tries
 * to link that same IdP account and is told it belongs to someone else. One journey, in order, in
 * one browser; each step leaves a screenshot in examples/demo-server/screenshots/oauth/.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { generate } from "otplib";
import type { Page } from "playwright-core";
import { startExampleServer, type ExampleServer } from "@portcullis/testing";
import { openChromium, type TestBrowser } from "./support/chromium";
const SCREENSHOTS = resolve(__dirname, "../screenshots/oauth");
const ADMIN = { email: "admin@example.com", password: "demo-password-123" };
const IDP_USER = { login: "demo-user", email: "demo@idp.example" };

jest.setTimeout(120_000); // a slow, shared machine: Chromium's start alone can take a while

let server: ExampleServer;
let browser: TestBrowser | undefined;
let page: Page;
/** Where the browser opens the demo: PUBLIC_URL's default, the address the IdP sends it back to. */
let consoleUrl = "";
let idpOrigin = "";
/** Uncaught exceptions and console errors (a CSP violation is one) other than failed requests. */
let problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startExampleServer(resolve(__dirname, "../server.js"), "portcullis demo on", { PORTCULLIS_ADMIN_EMAIL: ADMIN.email, PORTCULLIS_ADMIN_PASSWORD: ADMIN.password });
  consoleUrl = server.baseUrl.replace("127.0.0.1", "localhost");
  idpOrigin = /Demo IdP on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1] ?? "";
  if (!idpOrigin) throw new Error(`the demo did not start its Demo IdP:\n${server.output()}`);
  browser = await openChromium();
  ({ page, problems } = browser);
});

afterAll(async () => {
  await browser?.close();
  server?.stop();
});

const screenshot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
/** The console, on the demo's address, not on the IdP. */
const onConsole = () => page.waitForURL((url) => url.origin === consoleUrl);

test("the sign-in page offers the Demo IdP beside the password form, also on a phone's width", async () => {
  await page.goto(consoleUrl);
  const button = page.getByRole("link", { name: "Sign in with Demo IdP" });
  await button.waitFor();
  expect(await button.getAttribute("href")).toBe("/api/auth/oauth/demo");
  expect(await page.getByTestId("signin-form").getByLabel("Password").isVisible()).toBe(true);
  await screenshot("01-sign-in-providers.png");

  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
  expect(await button.isVisible()).toBe(true);
  await screenshot("02-sign-in-narrow.png");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("cancelling at the IdP comes back to the sign-in page with a sentence, and the code leaves the address bar", async () => {
  await page.getByRole("link", { name: "Sign in with Demo IdP" }).click();
  await page.waitForURL((url) => url.origin === idpOrigin);
  // The IdP's development login page, filled in with its one user.
  expect(await page.locator('input[name="login"]').inputValue()).toBe(IDP_USER.login);
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await onConsole();
  await page.getByTestId("signin-error").filter({ hasText: "The sign-in was cancelled at the provider" }).waitFor();
  expect(page.url()).toBe(`${consoleUrl}/`);
  expect(await page.getByTestId("app-view").isHidden()).toBe(true);
  await screenshot("03-cancelled.png");
});

test("signing in at the IdP (login, then consent) lands back signed in to a new member account", async () => {
  await page.getByRole("link", { name: "Sign in with Demo IdP" }).click();
  await page.waitForURL((url) => url.origin === idpOrigin);
  await page.locator('input[name="password"]').fill("any password at all");
  await screenshot("04-idp-login.png");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click(); // the consent page
  await onConsole();
  await page.getByTestId("user-email").filter({ hasText: IDP_USER.email }).waitFor();
  expect(await page.getByTestId("user-role").textContent()).toBe("member");
  expect(page.url()).not.toContain("oauth_error");
  await screenshot("05-signed-in-through-idp.png");
});

test("the Account page lists the Demo IdP identity, and refuses to unlink an account's only way in", async () => {
  await page.getByRole("link", { name: "Account" }).click();
  const row = page.getByTestId("identity-row").filter({ hasText: "Demo IdP" });
  await row.getByTestId("identity-email").filter({ hasText: IDP_USER.email }).waitFor();
  expect(await row.textContent()).toContain(IDP_USER.login);
  await page.getByTestId("account-password").filter({ hasText: "This account has no password" }).waitFor();
  expect(await page.getByTestId("link-providers").isHidden()).toBe(true); // its one provider is linked
  await screenshot("06-account-page.png");

  await row.getByRole("button", { name: "Unlink Demo IdP" }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Unlink" }).click();
  await page.getByTestId("account-error").filter({ hasText: "last way to sign in" }).waitFor();
  expect(await page.getByTestId("identity-row").count()).toBe(1);
});

test("with two-factor authentication on, signing in through the IdP goes on to the console's code step", async () => {
  await page.getByRole("link", { name: "Two-factor authentication" }).click();
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await page.getByTestId("mfa-secret").filter({ hasText: /[A-Z2-7]{32}/ }).waitFor();
  const secret = ((await page.getByTestId("mfa-secret").textContent()) ?? "").trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const step = Math.floor(Date.now() / 30_000);
  await page.getByTestId("mfa-enrol-code").fill(await generate({ secret, epoch: step * 30 }));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByRole("button", { name: "Done, I have saved them" }).click();
  await page.getByTestId("mfa-status").filter({ hasText: "Two-factor authentication is on." }).waitFor();

  await page.getByTestId("sign-out").click();
  await page.getByRole("link", { name: "Sign in with Demo IdP" }).click();
  // The IdP remembers this browser's sign-in and consent: it answers at once, and the code is due.
  await page.getByTestId("mfa-signin-form").waitFor();
  expect(page.url()).toBe(`${consoleUrl}/`);
  expect(await page.getByTestId("app-view").isHidden()).toBe(true);
  await screenshot("07-code-step-after-idp.png");
  await page.getByTestId("mfa-signin-code").fill(await generate({ secret, epoch: (step + 1) * 30 })); // a step not used yet
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByTestId("user-email").filter({ hasText: IDP_USER.email }).waitFor();
});

test("the admin, signed in with a password, is told that IdP account is someone else's when linking it", async () => {
  await page.getByTestId("sign-out").click();
  const form = page.getByTestId("signin-form");
  await form.getByLabel("Email").fill(ADMIN.email);
  await form.getByLabel("Password").fill(ADMIN.password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor();
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByTestId("identities-empty").waitFor();
  await page.getByTestId("account-password").filter({ hasText: "You also sign in with your email and password." }).waitFor();

  // A form post to the demo that it redirects to the IdP, which knows this browser already.
  await page.getByRole("button", { name: "Link Demo IdP" }).click();
  await page.getByTestId("account-error").filter({ hasText: "already linked to another user" }).waitFor();
  expect(page.url()).toBe(`${consoleUrl}/#account`);
  await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor(); // still the admin
  await page.getByTestId("identities-empty").waitFor();
  expect(await page.getByTestId("account-error").textContent()).toBe("That account at the provider is already linked to another user here.");
  await screenshot("08-link-refused.png");
  expect(problems).toEqual([]);
});
