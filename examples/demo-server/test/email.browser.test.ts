/**
 * The demo's email flows in headless Chromium against `node server.js` with no mail server, so
 * every message lands in the development outbox that the console's Outbox page shows: a user who
 * forgot their password asks for a link, reads it on the Outbox page (signed out), opens it, sets a
 * new password and signs in with it (the old one no longer works); a visitor signs up through the
 * emailed link; an admin invites someone, who accepts, turns on codes by email on the MFA page and
 * signs in with a code read in the Outbox. One journey, in order, in one browser,
 * opened at `PUBLIC_URL`'s default (localhost), where the links point. Each step leaves a
 * screenshot in examples/demo-server/screenshots/email/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { startExampleServer, type ExampleServer } from "@portcullis/testing";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOTS = resolve(__dirname, "../screenshots/email");
const ADMIN = { email: "admin@example.com", password: "demo-password-123" };
const NEW_PASSWORD = "a-new-password-456";

jest.setTimeout(120_000); // a slow, shared machine: Chromium's start alone can take a while

let server: ExampleServer;
let browser: BrowserContext | undefined;
let page: Page;
let profile = "";
/** Where the browser opens the demo: PUBLIC_URL's default, the origin of the emailed links. */
let consoleUrl = "";
/** Uncaught exceptions and console errors (a CSP violation is one) other than failed requests. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install chromium\` (.ci/run does)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startExampleServer(resolve(__dirname, "../server.js"), "portcullis demo on", { PORTCULLIS_ADMIN_EMAIL: ADMIN.email, PORTCULLIS_ADMIN_PASSWORD: ADMIN.password });
  consoleUrl = server.baseUrl.replace("127.0.0.1", "localhost");
  profile = mkdtempSync(join(tmpdir(), "portcullis-chromium-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 }, timeout: 90_000 });
  browser.setDefaultTimeout(30_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.push(`${page.url()}: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const screenshot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });

/** Everything the page could keep across loads: both storages, its readable cookies, its URL. */
const keptByThePage = () =>
  page.evaluate<string>("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie, location.href])");

/** The newest message to `to` on the Outbox page, refreshing it until the message is there (sending does not hold up the answer). */
async function newestMessageTo(to: string, subject: string): Promise<Locator> {
  const message = page.locator(`[data-testid="outbox-message"][data-to="${to}"]`).filter({ hasText: subject }).first();
  for (let tries = 0; tries < 20; tries++) {
    if ((await message.count()) > 0) return message;
    await page.getByTestId("outbox-refresh").click();
    await message.waitFor({ timeout: 500 }).catch(() => {});
  }
  throw new Error(`no message "${subject}" to ${to} in the outbox: ${await page.getByTestId("outbox-list").innerText()}`);
}

/** The 6-digit code in an emailed code's subject. */
const codeIn = (subject: string | null) => /\b(\d{6})\b/.exec(subject ?? "")?.[1] ?? "";

/** Signs in from the sign-in form; `expectError` for a refusal. */
async function signIn(email: string, password: string, expectError?: string) {
  const form = page.getByTestId("signin-form");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  if (expectError) await page.getByTestId("signin-error").filter({ hasText: expectError }).waitFor();
  else {
    await page.getByTestId("user-email").filter({ hasText: email }).waitFor({ timeout: 10_000 }).catch(async (error: Error) => {
      throw new Error(`not signed in as ${email}: "${await page.getByTestId("signin-error").textContent()}" (${error.message})`);
    });
  }
}

test("forgot password: the reset link arrives in the Outbox, opens the console, and the new password signs in, not the old one", async () => {
  await page.goto(consoleUrl);
  await page.getByRole("button", { name: "Forgot password?" }).click();
  const forgot = page.getByTestId("forgot-form");
  await forgot.getByLabel("Email").fill(ADMIN.email);
  await forgot.getByRole("button", { name: "Email me a link" }).click();
  await page.getByTestId("forgot-status").filter({ hasText: "If an account uses this address, a link to set a new password is on its way." }).waitFor();
  await screenshot("01-forgot-password.png");

  await page.getByTestId("topbar-outbox").click(); // signed out: the Outbox page on its own
  await page.getByTestId("outbox-banner").filter({ hasText: "only a browser on the machine the demo runs on" }).waitFor();
  const message = await newestMessageTo(ADMIN.email, "Reset your portcullis demo password");
  expect(await message.getByTestId("outbox-to").textContent()).toBe(ADMIN.email);
  const link = message.getByTestId("outbox-link");
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toMatch(new RegExp(`^${consoleUrl}/reset-password#token=[A-Za-z0-9_-]{20,}$`));
  const token = href.split("#token=")[1]!;
  await screenshot("02-outbox.png");

  await link.click();
  await page.getByTestId("link-title").filter({ hasText: "Set a new password" }).waitFor();
  expect(page.url()).toBe(`${consoleUrl}/reset-password`); // the token is off the address bar
  expect(await keptByThePage()).not.toContain(token);
  await page.getByTestId("link-password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByTestId("link-status").filter({ hasText: "Your password is set" }).waitFor();
  await screenshot("03-password-set.png");

  await page.getByTestId("link-signin").click();
  await signIn(ADMIN.email, ADMIN.password, "Invalid email or password.");
  await signIn(ADMIN.email, NEW_PASSWORD);
  expect(problems).toEqual([]);
});

test("the link works once: opened again, it is refused, and the password stays", async () => {
  await page.getByTestId("nav-outbox").click(); // signed in: a page of the console
  const message = await newestMessageTo(ADMIN.email, "Reset your portcullis demo password");
  await message.getByTestId("outbox-link").click();
  await page.getByTestId("link-password").fill("yet-another-password-789");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByTestId("link-error").filter({ hasText: "This link does not work" }).waitFor();
  const login = (password: string) =>
    fetch(`${server.baseUrl}/api/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: ADMIN.email, password }) });
  expect((await login("yet-another-password-789")).status).toBe(401);
  expect((await login(NEW_PASSWORD)).status).toBe(200);
  await page.getByTestId("link-signin").click();
  await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor(); // the failed link signed nobody out
});

test("sign-up: the emailed link lets a newcomer choose a password, and the new account (a viewer) signs in", async () => {
  const newcomer = { email: "newcomer@example.com", password: "newcomer-password-1" };
  await page.getByTestId("sign-out").click();
  await page.getByRole("button", { name: "Create an account" }).click();
  const signUp = page.getByTestId("signup-form");
  await signUp.getByLabel("Email").fill(newcomer.email);
  await signUp.getByRole("button", { name: "Email me a link" }).click();
  await page.getByTestId("signup-status").filter({ hasText: "Check your inbox" }).waitFor();

  await page.getByTestId("topbar-outbox").click();
  const message = await newestMessageTo(newcomer.email, "Finish signing up for portcullis demo");
  await message.getByTestId("outbox-link").click();
  await page.getByTestId("link-title").filter({ hasText: "Finish signing up" }).waitFor();
  await page.getByTestId("link-password").fill(newcomer.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByTestId("link-status").filter({ hasText: `The account ${newcomer.email} is ready.` }).waitFor();
  await screenshot("04-signed-up.png");

  await page.getByTestId("link-signin").click();
  await signIn(newcomer.email, newcomer.password);
  expect(await page.getByTestId("user-role").textContent()).toBe("viewer");
  expect(await page.getByTestId("nav-users").isHidden()).toBe(true); // inviting is for admins
});

test("an admin invites someone from the Users page; the invitee accepts through the emailed link and signs in with the role given", async () => {
  const invitee = { email: "invitee@example.com", password: "invitee-password-1" };
  await page.getByTestId("sign-out").click();
  await signIn(ADMIN.email, NEW_PASSWORD);
  await page.getByTestId("nav-users").click();
  const form = page.getByTestId("invite-form");
  await form.getByLabel("Email").fill(invitee.email);
  await form.getByLabel("Greet them as").fill("<b>Ina</b>");
  // An admin's scope is "admin" (which implies every scope), but emailFlows compares the role's scopes one by one:
  // until it honours the demo's ScopePolicy, an admin can invite admins only.
  await form.getByLabel("Role").selectOption("admin");
  await form.getByRole("button", { name: "Send the invitation" }).click();
  await page.getByTestId("users-status").filter({ hasText: `Invitation sent to ${invitee.email} as admin` }).waitFor();

  await page.getByTestId("nav-outbox").click();
  const message = await newestMessageTo(invitee.email, "You are invited to portcullis demo");
  expect(await message.locator("b").count()).toBe(0); // the name is text, never markup
  await screenshot("05-invitation.png");
  await message.getByTestId("outbox-link").click();
  await page.getByTestId("link-password").fill(invitee.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByTestId("link-status").filter({ hasText: `The account ${invitee.email} (admin) is ready.` }).waitFor();
  await page.getByTestId("link-signin").click();
  await page.getByTestId("user-email").waitFor(); // the admin's session is still on in this browser
  await page.getByTestId("sign-out").click();
  await signIn(invitee.email, invitee.password);
  expect(await page.getByTestId("user-role").textContent()).toBe("admin");
  expect(problems).toEqual([]);
});

test("codes by email: turned on from the MFA page with a code read in the Outbox, then a sign-in asks for one and the emailed code finishes it", async () => {
  const invitee = { email: "invitee@example.com", password: "invitee-password-1" };
  await page.getByTestId("nav-mfa").click();
  const card = page.getByTestId("mfa-email");
  await card.getByTestId("mfa-email-status").filter({ hasText: "Codes by email are off." }).waitFor();
  await card.getByRole("button", { name: "Email me a code" }).click();
  await page.getByTestId("mfa-message").filter({ hasText: `A code is on its way to ${invitee.email}` }).waitFor();
  await page.getByTestId("nav-outbox").click();
  const enableCode = codeIn(await (await newestMessageTo(invitee.email, "Your portcullis demo code")).getByTestId("outbox-subject").textContent());
  await page.getByTestId("nav-mfa").click();
  await card.getByLabel("Code from the email").fill(enableCode);
  await card.getByRole("button", { name: "Enable codes by email" }).click();
  await card.getByTestId("mfa-email-status").filter({ hasText: "Codes by email are on" }).waitFor();
  await screenshot("06-email-codes-on.png");

  await page.getByTestId("sign-out").click();
  const form = page.getByTestId("signin-form");
  await form.getByLabel("Email").fill(invitee.email);
  await form.getByLabel("Password").fill(invitee.password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("mfa-signin-form").waitFor();
  await page.getByRole("button", { name: "Email me a code" }).click();
  await page.getByTestId("mfa-signin-status").filter({ hasText: "A code is on its way to your email." }).waitFor();

  // The Outbox in another tab, as a mail app beside the sign-in: this tab keeps the pending sign-in's step.
  const mail = await browser!.newPage();
  try {
    await mail.goto(`${consoleUrl}/#outbox`);
    const message = mail.locator(`[data-testid="outbox-message"][data-to="${invitee.email}"]`).filter({ hasText: "Your portcullis demo code" }).first();
    let signInCode = "";
    for (let tries = 0; tries < 20 && !signInCode; tries++) {
      const subject = (await message.count()) > 0 ? await message.getByTestId("outbox-subject").textContent() : null;
      if (subject && codeIn(subject) !== enableCode) signInCode = codeIn(subject);
      else await mail.getByTestId("outbox-refresh").click();
    }
    expect(signInCode).toMatch(/^\d{6}$/);
    await page.getByTestId("mfa-signin-code").fill(signInCode);
  } finally {
    await mail.close();
  }
  await screenshot("07-email-code-step.png");
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByTestId("user-email").filter({ hasText: invitee.email }).waitFor();
  expect(problems).toEqual([]);
});
