/**
 * The demo's sign-in providers, over HTTP against `node server.js`: with nothing configured it
 * starts its Demo IdP, offers it, and stops it when it stops; with a provider configured it offers
 * that one instead; a half-configured provider stops it at start.
 */
import { resolve } from "node:path";
import { eventually, freePort, startExampleServer, startOpenIdProvider, type ExampleServer } from "@portcullis/testing";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startDemoIdp, DEMO_IDP_USER } = require("../demo-idp") as typeof import("../demo-idp");

const SERVER = resolve(__dirname, "../server.js");

jest.setTimeout(60_000); // each test starts the demo as a process of its own

const started: ExampleServer[] = [];
afterEach(() => {
  for (const server of started.splice(0)) server.stop();
});

async function startDemo(env: Record<string, string> = {}): Promise<ExampleServer> {
  const server = await startExampleServer(SERVER, "portcullis demo on", env);
  started.push(server);
  return server;
}

/** Whether something answers HTTP at `url`: false once its port is closed. */
const answers = (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

const providersOf = async (server: ExampleServer) => ((await (await fetch(`${server.baseUrl}/api/auth/oauth/providers`)).json()) as { providers: { id: string; name: string; sign_in_url: string }[] }).providers;

test("with no provider configured, the demo starts the Demo IdP, offers it, sends sign-ins to it, and stops it when it stops", async () => {
  const server = await startDemo();
  const issuer = /Demo IdP on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1];
  expect(issuer).toBeDefined();
  const metadata = await fetch(`${issuer}/.well-known/openid-configuration`);
  expect(metadata.status).toBe(200);
  expect(((await metadata.json()) as { issuer: string }).issuer).toBe(issuer);

  expect(await providersOf(server)).toEqual([{ id: "demo", name: "Demo IdP", sign_in_url: "/api/auth/oauth/demo" }]);
  const start = await fetch(`${server.baseUrl}/api/auth/oauth/demo`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const authorization = new URL(start.headers.get("location")!);
  expect(authorization.origin).toBe(issuer);
  const port = new URL(server.baseUrl).port;
  // PUBLIC_URL's default: the address the demo prints.
  expect(authorization.searchParams.get("redirect_uri")).toBe(`http://localhost:${port}/api/auth/oauth/demo/callback`);
  expect(authorization.searchParams.get("login_hint")).toBe(DEMO_IDP_USER.sub);
  // The console's forms may be redirected to the IdP (to link an account), and only there.
  expect(start.headers.get("content-security-policy")).toContain(`form-action 'self' ${issuer}`);

  server.stop();
  started.length = 0;
  await eventually(async () => !(await answers(`${issuer}/.well-known/openid-configuration`)), { timeoutMs: 10_000 });
});

test("sign-ins started from one address are limited (20 a minute, then 429 with RateLimit headers); the lists are not counted", async () => {
  const server = await startDemo();
  const start = () => fetch(`${server.baseUrl}/api/auth/oauth/demo`, { redirect: "manual" });
  for (let i = 0; i < 20; i++) expect((await start()).status).toBe(302);
  const refused = await start();
  expect(refused.status).toBe(429);
  expect(await refused.json()).toEqual({ error: "rate_limit_exceeded", detail: "Too many sign-ins started from this address; retry in a minute." });
  expect(refused.headers.get("ratelimit-policy")).toMatch(/q=20; w=60/);
  expect((await fetch(`${server.baseUrl}/api/auth/oauth/providers`)).status).toBe(200);
});

test("DEMO_IDP_PORT puts the Demo IdP on that port, and PUBLIC_URL gives its redirect URI", async () => {
  const idpPort = await freePort();
  const server = await startDemo({ DEMO_IDP_PORT: String(idpPort), PUBLIC_URL: "http://localhost:8443/" });
  expect(server.output()).toContain(`Demo IdP on http://127.0.0.1:${idpPort}`);
  const start = await fetch(`${server.baseUrl}/api/auth/oauth/demo`, { redirect: "manual" });
  expect(new URL(start.headers.get("location")!).searchParams.get("redirect_uri")).toBe("http://localhost:8443/api/auth/oauth/demo/callback");
});

test("stopping the Demo IdP closes its port, kept-alive connections too", async () => {
  const notices = jest.spyOn(console, "warn").mockImplementation(() => {}); // oidc-provider's development notices
  const idp = await startDemoIdp({ port: 0, redirectUri: "http://localhost:9/api/auth/oauth/demo/callback" });
  notices.mockRestore();
  const discovery = `${idp.issuer}/.well-known/openid-configuration`;
  expect(await answers(discovery)).toBe(true); // fetch keeps this connection alive
  await idp.stop();
  expect(await answers(discovery)).toBe(false);
});

describe("configured providers replace the Demo IdP", () => {
  test("OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_NAME: that provider's button, and no Demo IdP", async () => {
    const op = await startOpenIdProvider();
    try {
      const server = await startDemo({ OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: "portcullis-test", OIDC_CLIENT_SECRET: "portcullis-test-client-secret-long-enough", OIDC_NAME: "Acme SSO" });
      expect(server.output()).not.toContain("Demo IdP on");
      expect(await providersOf(server)).toEqual([{ id: "oidc", name: "Acme SSO", sign_in_url: "/api/auth/oauth/oidc" }]);
      const start = await fetch(`${server.baseUrl}/api/auth/oauth/oidc`, { redirect: "manual" });
      expect(start.status).toBe(302);
      expect(new URL(start.headers.get("location")!).origin).toBe(op.issuer);
    } finally {
      await op.stop();
    }
  });

  test("Google and GitHub together, each from its two variables", async () => {
    const server = await startDemo({ GOOGLE_CLIENT_ID: "g-id", GOOGLE_CLIENT_SECRET: "g-secret", GITHUB_CLIENT_ID: "gh-id", GITHUB_CLIENT_SECRET: "gh-secret" });
    expect(server.output()).toContain("Sign-in providers: Google, GitHub");
    expect((await providersOf(server)).map(({ id }) => id)).toEqual(["google", "github"]);
    const csp = (await fetch(server.baseUrl)).headers.get("content-security-policy");
    expect(csp).toContain("form-action 'self' https://accounts.google.com https://github.com");
  });

  test("a provider missing a variable stops the demo at start, naming it", async () => {
    await expect(startDemo({ GITHUB_CLIENT_ID: "gh-id" })).rejects.toThrow("GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET go together: GITHUB_CLIENT_SECRET missing");
  });
});
