/**
 * Sign-in with GitHub (OAuth 2 and GitHub's API, no ID token), over HTTP through the real app,
 * against a stand-in for GitHub run by the test (@portcullis/testing's useGitHubStandIn): GitHub
 * itself cannot be reached from the tests.
 */
import request from "supertest";
import { useGitHubStandIn, type GitHubStandInUser } from "@portcullis/testing";
import { createOAuthApp, GITHUB_APP, onApp, PASSWORD_USER, signInThrough, testGitHubProvider } from "./oauth-app";

const OCTOCAT: GitHubStandInUser = { id: 1001, login: "octocat", name: "The Octocat", emails: [{ email: "Octocat@Example.test", primary: true, verified: true }] };
/** Renamed by its test, so no other test uses it. */
const RENAMING: GitHubStandInUser = { id: 1002, login: "old-name", emails: [{ email: "renaming@example.test", primary: true, verified: true }] };
const HUBOT: GitHubStandInUser = { id: 1006, login: "hubot", emails: [{ email: "hubot@example.test", primary: true, verified: true }] };
const UNVERIFIED: GitHubStandInUser = { id: 1003, login: "unverified", emails: [{ email: "unverified@example.test", primary: true, verified: false }] };
const NO_PRIMARY: GitHubStandInUser = { id: 1004, login: "no-primary", email: "public@example.test", emails: [{ email: "secondary@example.test", primary: false, verified: true }] };
const PAT_ON_GITHUB: GitHubStandInUser = { id: 1005, login: "pat", emails: [{ email: PASSWORD_USER.email, primary: true, verified: true }] };

const gh = useGitHubStandIn({ apps: [GITHUB_APP], users: [OCTOCAT, RENAMING, HUBOT, UNVERIFIED, NO_PRIMARY, PAT_ON_GITHUB] });

async function openApp(provider: Parameters<typeof testGitHubProvider>[1] = {}) {
  const made = await createOAuthApp({ providers: [testGitHubProvider(gh(), provider)], oauth: { signUp: { role: "member" } } });
  return { ...made, browser: request.agent(made.app) };
}

/** Signs `login` in through GitHub in `browser`; resolves to the app's answer. */
const signIn = (browser: request.Agent, login: string) => signInThrough(browser, gh(), login, "github");

/** A refusal's status and code, as the app answers a client that wants JSON. */
async function refusalOf(browser: request.Agent, login: string) {
  const answer = await signIn(browser, login);
  return { status: answer.status, error: answer.body.error };
}

describe("signing in with GitHub", () => {
  test("a new user with a verified primary email gets an account, linked by GitHub's numeric id, and a session", async () => {
    const { browser, users, identities } = await openApp();
    const answer = await signIn(browser, "octocat");
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/");

    const me = await browser.get("/api/auth/me").expect(200);
    expect(me.body).toMatchObject({ kind: "session", user: { email: "octocat@example.test", role: "member" } });
    const user = await users.findByEmail("octocat@example.test");
    expect(user).toMatchObject({ passwordless: true });
    expect(await identities.find("github", "1001")).toMatchObject({ userId: user!.id, email: "octocat@example.test" });
  });

  test("a changed login name still finds the same user: the subject is the id", async () => {
    const { app, users } = await openApp();
    expect((await signIn(request.agent(app), "old-name")).status).toBe(303);
    gh().renameUser(RENAMING.id, "new-name");

    const browser = request.agent(app);
    expect((await signIn(browser, "new-name")).status).toBe(303);
    const me = await browser.get("/api/auth/me").expect(200);
    expect(me.body.user.id).toBe((await users.findByEmail("renaming@example.test"))!.id);
  });

  test("the authorization request reaching GitHub carries the app's client id, redirect URI, scopes, state and an S256 PKCE challenge", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/github").expect(302);
    const url = new URL(started.headers.location!);
    expect(`${url.origin}${url.pathname}`).toBe(`${gh().url}/login/oauth/authorize`);

    const callback = await gh().completeLogin(url, "octocat");
    const received = gh().authorizations.at(-1)!;
    expect(received).toEqual({
      client_id: GITHUB_APP.client_id,
      redirect_uri: GITHUB_APP.redirect_uris[0],
      scope: "read:user user:email",
      state: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: "S256",
    });
    expect(callback.searchParams.get("state")).toBe(received.state);
    await browser.get(onApp(callback)).expect(303);
  });
});

describe("linking and reauthenticating through GitHub", () => {
  test("the owner of a password account links GitHub, then signs in with it", async () => {
    const { app, browser, identities, pat } = await openApp();
    await browser.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await browser.post("/api/auth/oauth/github/link").expect(303);
    await browser.get(onApp(await gh().completeLogin(started.headers.location!, "pat"))).expect(303);
    expect(await identities.find("github", String(PAT_ON_GITHUB.id))).toMatchObject({ userId: pat.id });

    const viaGitHub = request.agent(app);
    expect((await signIn(viaGitHub, "pat")).status).toBe(303);
    expect((await viaGitHub.get("/api/auth/me").expect(200)).body.user.id).toBe(pat.id);
  });

  test("reauthenticating asks GitHub for its account chooser and renews the session's sign-in for a guard", async () => {
    const { browser, clock } = await openApp();
    await signIn(browser, "octocat");
    clock.advance(10 * 60_000);
    await browser.post("/api/danger").expect(401);

    const started = await browser.post("/api/auth/oauth/github/reauthenticate").expect(303);
    expect(new URL(started.headers.location!).searchParams.get("prompt")).toBe("select_account");
    await browser.get(onApp(await gh().completeLogin(started.headers.location!, "octocat"))).expect(303);
    await browser.post("/api/danger").expect(200);
  });

  test("reauthenticating as another GitHub account is refused: 401 oauth_failed", async () => {
    const { app, browser, clock } = await openApp();
    await signIn(request.agent(app), "hubot");
    await signIn(browser, "octocat");
    clock.advance(10 * 60_000);
    const started = await browser.post("/api/auth/oauth/github/reauthenticate").expect(303);
    const answer = await browser.get(onApp(await gh().completeLogin(started.headers.location!, "hubot"))).expect(401);
    expect(answer.body.error).toBe("oauth_failed");
    await browser.post("/api/danger").expect(401);
  });
});

describe("refusals", () => {
  test("an unverified primary email, or no primary email, cannot sign up: 403 email_unverified", async () => {
    const { browser, users } = await openApp();
    expect(await refusalOf(browser, "unverified")).toEqual({ status: 403, error: "email_unverified" });
    expect(await refusalOf(browser, "no-primary")).toEqual({ status: 403, error: "email_unverified" });
    expect(await users.findByEmail("public@example.test")).toBeUndefined();
    expect(await users.findByEmail("secondary@example.test")).toBeUndefined();
  });

  test("a verified primary email that a password account has: 409 account_exists, nothing linked", async () => {
    const { browser, identities, pat } = await openApp();
    expect(await refusalOf(browser, "pat")).toEqual({ status: 409, error: "account_exists" });
    expect(await identities.listByUser(pat.id)).toEqual([]);
  });

  test("a user who denies the app at GitHub: 403 oauth_denied", async () => {
    const { browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/github").expect(302);
    const callback = await gh().completeLogin(started.headers.location!, "octocat", { deny: true });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    const refused = await browser.get(onApp(callback)).expect(403);
    expect(refused.body.error).toBe("oauth_denied");
  });

  test("a wrong client secret (GitHub's 200 with an error body): 401 oauth_failed", async () => {
    const { browser } = await openApp({ clientSecret: "not-the-app-secret" });
    expect(await refusalOf(browser, "octocat")).toEqual({ status: 401, error: "oauth_failed" });
    await browser.get("/api/auth/me").expect(401);
  });

  test("an answer replayed after it signed in is refused, and signs nobody in", async () => {
    const { app, browser } = await openApp();
    const started = await browser.get("/api/auth/oauth/github").expect(302);
    const callback = await gh().completeLogin(started.headers.location!, "octocat");
    await browser.get(onApp(callback)).expect(303);
    const replay = await browser.get(onApp(callback)).expect(400);
    expect(replay.body.error).toBe("oauth_invalid_state");
    const stranger = await request(app).get(onApp(callback)).expect(400);
    expect(stranger.headers["set-cookie"]).toBeUndefined();
  });

  test("another browser's code injected into this browser's answer fails GitHub's PKCE check: 401 oauth_failed", async () => {
    const { app, browser } = await openApp();
    const victimStart = await browser.get("/api/auth/oauth/github").expect(302);
    const victimState = new URL(victimStart.headers.location!).searchParams.get("state")!;
    const attacker = request.agent(app);
    const attackerStart = await attacker.get("/api/auth/oauth/github").expect(302);
    const attackerCallback = await gh().completeLogin(attackerStart.headers.location!, "octocat");

    const injected = new URL(attackerCallback);
    injected.searchParams.set("state", victimState);
    const refused = await browser.get(onApp(injected)).expect(401);
    expect(refused.body.error).toBe("oauth_failed");
    await browser.get("/api/auth/me").expect(401);
  });
});

describe("GitHub down or slow: 503 provider_unavailable, never a 500 or a hang", () => {
  test("the API answers 500", async () => {
    const { browser } = await openApp();
    gh().setFaults({ api: "error" });
    expect(await refusalOf(browser, "octocat")).toEqual({ status: 503, error: "provider_unavailable" });
  });

  test("the API's rate limit is spent (403 with x-ratelimit-remaining: 0)", async () => {
    const { browser } = await openApp();
    gh().setFaults({ api: "rate-limited" });
    expect(await refusalOf(browser, "octocat")).toEqual({ status: 503, error: "provider_unavailable" });
  });

  test("the API never answers, with timeoutMs: 500", async () => {
    const { browser } = await openApp({ timeoutMs: 500 });
    gh().setFaults({ api: "hang" });
    expect(await refusalOf(browser, "octocat")).toEqual({ status: 503, error: "provider_unavailable" });
  });

  test("the token endpoint answers 503", async () => {
    const { browser, users } = await openApp();
    gh().setFaults({ tokenEndpoint: "unavailable" });
    expect(await refusalOf(browser, "octocat")).toEqual({ status: 503, error: "provider_unavailable" });
    expect(await users.findByEmail("octocat@example.test")).toBeUndefined();
  });

  test("GitHub cannot be reached at all (connection refused)", async () => {
    const closed = { url: "http://127.0.0.1:9", apiUrl: "http://127.0.0.1:9/api/v3" } as Parameters<typeof testGitHubProvider>[0];
    const made = await createOAuthApp({ providers: [testGitHubProvider(closed)], oauth: { signUp: { role: "member" } } });
    const browser = request.agent(made.app);
    const started = await browser.get("/api/auth/oauth/github").expect(302);
    const state = new URL(started.headers.location!).searchParams.get("state")!;
    const refused = await browser.get(`/api/auth/oauth/github/callback?code=some-code&state=${state}`).expect(503);
    expect(refused.body.error).toBe("provider_unavailable");
  });
});
