/**
 * The demo's web console in headless Chromium, used as a person uses it: sign in, make a key that
 * is shown once, call the API with it, revoke it, read the sessions and the access log, then turn
 * on two-factor authentication and sign in with a code and with a recovery code. The tests are one
 * journey, run in order in one browser against `node server.js`: once in memory, once with
 * DATABASE_URL on a PostgreSQL of its own. Each step leaves a screenshot in
 * examples/demo-server/screenshots/ (screenshots/postgres/ for the second journey).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { generate } from "otplib";
import type { Page } from "playwright-core";
import { eventually, startExampleServer, startPostgres, type ExampleServer } from "@portcullis/testing";
import { openChromium, type TestBrowser } from "./support/chromium";
import { DEMO_SECRETS } from "./support/start-demo";

const SCREENSHOTS = resolve(__dirname, "../screenshots");
const ADMIN = { email: "admin@example.com", password: "demo-password-123" };
const KEY_PATTERN = /^cpx_live\.[0-9A-Za-z]{38}$/;

jest.setTimeout(120_000); // a slow, shared machine: Chromium's start alone can take a while

/** Where a journey's demo keeps its state: what it adds to the environment, and what to stop after it. */
interface Backing {
  readonly env: Record<string, string>;
  readonly screenshots: string;
  stop(): Promise<void>;
}

const JOURNEYS: [string, () => Promise<Backing>][] = [
  ["in memory", async () => ({ env: {}, screenshots: SCREENSHOTS, stop: async () => {} })],
  [
    "on PostgreSQL (DATABASE_URL)",
    async () => {
      const pg = await startPostgres();
      return { env: { DATABASE_URL: pg.url, ...DEMO_SECRETS }, screenshots: join(SCREENSHOTS, "postgres"), stop: () => pg.stop() };
    },
  ],
];

describe.each(JOURNEYS)("the console %s", (_where, back) => {
  let backing: Backing | undefined;
  let server: ExampleServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  let key = "";
  let keyId = "";
  let totpSecret = "";
  let recoveryCodes: string[] = [];
  /** The last TOTP time step a code was sent for: the server refuses it, or any earlier one, again. */
  let lastStep = -1;
  /** Uncaught exceptions and console errors (a CSP violation is one) other than failed requests. */
  let problems: string[] = [];

  beforeAll(async () => {
    backing = await back();
    mkdirSync(backing.screenshots, { recursive: true });
    server = await startExampleServer(resolve(__dirname, "../server.js"), "portcullis demo on", {
      ...backing.env,
      PORTCULLIS_ADMIN_EMAIL: ADMIN.email,
      PORTCULLIS_ADMIN_PASSWORD: ADMIN.password,
    });
    // The journey on PostgreSQL is on PostgreSQL: the demo migrated it as it started.
    if (backing.env.DATABASE_URL && !/^PostgreSQL: applied migrations/m.test(server.output())) throw new Error(`the demo did not migrate:\n${server.output()}`);
    browser = await openChromium();
    ({ page, problems } = browser);
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl });
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop();
    await backing?.stop();
  });

  const screenshot = (name: string) => page.screenshot({ path: join(backing!.screenshots, name), fullPage: true });
  const withKey = (apiKey: string) => ({ headers: { Authorization: `Bearer ${apiKey}` } });

  /** Everything the page could keep across loads: both storages, its readable cookies, its URL. */
  const keptByThePage = () =>
    page.evaluate<string>("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie, location.href])");

  /**
   * A code an authenticator app would show, for the first step not used yet: the current one, or
   * the next (the server accepts a step either side), so a fast test never replays a step.
   */
  async function nextCode(): Promise<string> {
    const step = Math.max(Math.floor(Date.now() / 30_000), lastStep + 1);
    lastStep = step;
    return generate({ secret: totpSecret, epoch: step * 30 });
  }

  /** Signs out, then signs in with the password: the console asks for a second factor. */
  async function signInToTheCodeStep() {
    await page.getByTestId("sign-out").click();
    const form = page.getByTestId("signin-form");
    await form.getByLabel("Email").fill(ADMIN.email);
    await form.getByLabel("Password").fill(ADMIN.password);
    await form.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("mfa-signin-form").waitFor();
    expect(await page.getByTestId("app-view").isHidden()).toBe(true);
  }

  /** The masked form the server shows: the prefix, then the first and last four characters. */
  function previewOf(fullKey: string): string {
    const body = fullKey.slice("cpx_live.".length);
    return `cpx_live.${body.slice(0, 4)}…${body.slice(-4)}`;
  }

  test("signing in shows the account, the navigation and the API keys, under a strict CSP", async () => {
    const response = await page.goto(server.baseUrl);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
    const form = page.getByTestId("signin-form");
    await form.getByLabel("Email").fill(ADMIN.email);
    await form.getByLabel("Password").fill("not-the-password");
    await form.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("signin-error").filter({ hasText: "Invalid email or password." }).waitFor();

    await form.getByLabel("Password").fill(ADMIN.password);
    await form.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor();
    for (const name of ["Settings › API Keys", "Sessions", "Access log"]) await page.getByRole("link", { name }).waitFor();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByTestId("keys-table").waitFor();
    await screenshot("01-signed-in.png");
  });

  test("a new key is shown in full once, works, and after a reload only its preview is left", async () => {
    await page.getByLabel("Name").fill("ci-reader");
    await page.getByTestId("scope-read").check();
    await page.getByRole("button", { name: "Create key" }).click();
    const box = page.getByTestId("new-key");
    await box.filter({ hasText: "This is the only time this key is shown" }).waitFor();
    key = (await box.getByTestId("new-key-value").textContent()) ?? "";
    expect(key).toMatch(KEY_PATTERN);
    await box.getByRole("button", { name: "Copy" }).click();
    await box.getByTestId("copy-status").filter({ hasText: "Copied" }).waitFor();
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(key);
    await screenshot("02-key-created.png");
    expect(await keptByThePage()).not.toContain(key);

    const projects = await fetch(`${server.baseUrl}/api/projects`, withKey(key));
    expect(projects.status).toBe(200);

    await page.reload();
    const row = page.getByTestId("key-row").filter({ hasText: "ci-reader" });
    await row.getByTestId("key-preview").filter({ hasText: previewOf(key) }).waitFor();
    keyId = (await row.getAttribute("data-key-id")) ?? "";
    expect(await box.isHidden()).toBe(true);
    expect(await page.locator("body").innerText()).not.toContain(key);
    expect(await page.content()).not.toContain(key);
    expect(await keptByThePage()).not.toContain(key);
    await screenshot("03-key-masked-after-reload.png");
  });

  test("revoking the key in the console refuses it at once with revoked_key", async () => {
    const row = page.locator(`[data-testid="key-row"][data-key-id="${keyId}"]`);
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Revoke key" }).click();
    await row.getByTestId("key-status").filter({ hasText: "revoked" }).waitFor();
    await row.getByRole("button", { name: "Revoke" }).waitFor({ state: "detached" });
    await page.getByTestId("keys-status").filter({ hasText: "Revoked “ci-reader”." }).waitFor();
    await screenshot("04-key-revoked.png");

    const refused = await fetch(`${server.baseUrl}/api/projects`, withKey(key));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "revoked_key" });
  });

  test("the sessions page marks this browser's session and signs the others out", async () => {
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "curl/8.5.0" },
      body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    const otherCookie = login.headers.getSetCookie().map((cookie) => cookie.split(";")[0]).join("; ");

    await page.getByRole("link", { name: "Sessions" }).click();
    const rows = page.getByTestId("session-row");
    const current = rows.filter({ has: page.getByTestId("current-session") });
    await current.waitFor();
    await rows.filter({ hasText: "curl" }).getByRole("button", { name: "Revoke" }).waitFor();
    expect(await current.getByRole("button", { name: "Revoke" }).count()).toBe(0);
    await screenshot("05-sessions.png");

    await page.getByRole("button", { name: "Sign out other sessions" }).click();
    await page.getByTestId("sessions-status").filter({ hasText: "Signed out 1 other session." }).waitFor();
    await rows.filter({ hasText: "curl" }).waitFor({ state: "detached" });
    expect((await fetch(`${server.baseUrl}/api/auth/me`, { headers: { Cookie: otherCookie } })).status).toBe(401);
  });

  test("the access log shows the revoked key's refused request, and never the key", async () => {
    // A store that writes the log in the background (PostgreSQL's, every 500 ms) has it a moment
    // after the request: wait for it, with this browser's cookies, before the page reads it once.
    const logged = async () => JSON.stringify(await (await page.request.get(`${server.baseUrl}/api/auth/audit?limit=50`)).json()).includes('"code":"revoked_key"');
    await eventually(logged, { timeoutMs: 5000 });
    await page.getByRole("link", { name: "Access log" }).click();
    const refusal = page.getByTestId("audit-row").filter({ hasText: "api_key.authenticate" }).filter({ hasText: "revoked_key" }).first();
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-outcome")).toBe("failure");
    expect(await page.locator("body").innerText()).not.toContain(key);
    await screenshot("06-access-log.png");
    expect(problems).toEqual([]);
  });

  test("two-factor authentication: enrol with the QR code, confirm with a code, and see ten recovery codes once", async () => {
    await page.getByRole("link", { name: "Two-factor authentication" }).click();
    await page.getByTestId("mfa-status").filter({ hasText: "Two-factor authentication is off." }).waitFor();
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    const qr = page.getByTestId("mfa-qr");
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    // The image really rendered under the CSP: a blocked data: URL would leave it 0 wide.
    await page.waitForFunction(() => ((document.getElementById("mfa-qr") as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, undefined, { timeout: 10_000 });
    totpSecret = ((await page.getByTestId("mfa-secret").textContent()) ?? "").trim();
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot("07-mfa-enrol.png");

    await page.getByTestId("mfa-enrol-code").fill(await nextCode());
    await page.getByRole("button", { name: "Turn on" }).click();
    const codes = page.getByTestId("recovery-code");
    await page.getByTestId("recovery-box").filter({ hasText: "This is the only time these codes are shown" }).waitFor();
    recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    await page.getByTestId("mfa-status").filter({ hasText: "Two-factor authentication is on. 10 recovery codes left." }).waitFor();
    expect(await page.getByTestId("mfa-secret").textContent()).toBe(""); // the secret went with the set-up form
    await screenshot("08-mfa-recovery-codes.png");

    await page.getByRole("button", { name: "Done, I have saved them" }).click();
    await page.getByTestId("recovery-box").waitFor({ state: "hidden" });
    const shown = (await page.locator("body").innerText()) + (await keptByThePage());
    for (const secret of [totpSecret, ...recoveryCodes]) expect(shown).not.toContain(secret);
    await page.reload();
    await page.getByTestId("mfa-status").filter({ hasText: "10 recovery codes left" }).waitFor();
    expect(await page.content()).not.toContain(totpSecret);
  });

  test("with it on, the password alone is not enough: the console asks for a code, and a code computed here signs in", async () => {
    await signInToTheCodeStep();
    const api = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(ADMIN),
    });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: "mfa_required", methods: ["totp", "recovery_code"] });
    await screenshot("09-mfa-code-step.png");

    await page.getByTestId("mfa-signin-code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByTestId("mfa-signin-error").filter({ hasText: "Invalid or already used code." }).waitFor();
    await page.getByTestId("mfa-signin-code").fill(await nextCode());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor();
  });

  test("a recovery code signs in once; then two-factor authentication can be turned off with another", async () => {
    await signInToTheCodeStep();
    await page.getByTestId("mfa-signin-code").fill(recoveryCodes[0]!.toUpperCase());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor();
    await page.getByRole("link", { name: "Two-factor authentication" }).click();
    await page.getByTestId("mfa-status").filter({ hasText: "9 recovery codes left" }).waitFor();

    await signInToTheCodeStep();
    await page.getByTestId("mfa-signin-code").fill(recoveryCodes[0]!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByTestId("mfa-signin-error").filter({ hasText: "Invalid or already used code." }).waitFor();
    await page.getByTestId("mfa-signin-code").fill(recoveryCodes[1]!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByTestId("user-email").filter({ hasText: ADMIN.email }).waitFor();

    await page.getByRole("link", { name: "Two-factor authentication" }).click();
    await page.getByTestId("mfa-disable-code").fill(recoveryCodes[2]!);
    await page.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    await page.getByTestId("mfa-status").filter({ hasText: "Two-factor authentication is off." }).waitFor();
    await screenshot("10-mfa-off.png");
    const login = await fetch(`${server.baseUrl}/api/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(ADMIN) });
    expect(login.status).toBe(200);
    expect(problems).toEqual([]);
  });
});
