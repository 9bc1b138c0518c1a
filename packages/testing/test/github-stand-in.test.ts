/**
 * The GitHub stand-in answers as GitHub documents its OAuth app endpoints, and refuses what GitHub
 * refuses: codes are single-use, short-lived and bound to the client, the redirect URI and the
 * PKCE challenge; the API wants the token.
 */
import { createHash, randomBytes } from "node:crypto";
import { useGitHubStandIn, type GitHubStandInApp } from "@portcullis/testing";

const APP: GitHubStandInApp = { client_id: "Iv1.stand-in-app", client_secret: "stand-in-app-secret", redirect_uris: ["http://127.0.0.1:9/github/callback"] };
const OTHER_APP: GitHubStandInApp = { client_id: "Iv1.other-app", client_secret: "other-app-secret", redirect_uris: ["http://127.0.0.1:9/other/callback"] };
const OCTOCAT = { id: 583231, login: "octocat", name: "The Octocat", emails: [{ email: "octocat@example.test", primary: true, verified: true }] };

const clock = { now: Date.now() };
const gh = useGitHubStandIn({ apps: [APP, OTHER_APP], users: [OCTOCAT], now: () => clock.now, codeTtlMs: 60_000 });

/** An authorization request as githubProvider sends it, with the verifier it keeps. */
function authorizationRequest(overrides: Record<string, string | undefined> = {}) {
  const verifier = randomBytes(32).toString("base64url");
  const params = {
    client_id: APP.client_id,
    redirect_uri: APP.redirect_uris[0],
    scope: "read:user user:email",
    state: "some-state",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    ...overrides,
  };
  const url = new URL("/login/oauth/authorize", gh().url);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return { url, verifier };
}

async function codeFor(login = "octocat") {
  const { url, verifier } = authorizationRequest();
  const callback = await gh().completeLogin(url, login);
  return { code: callback.searchParams.get("code")!, verifier };
}

function exchange(fields: Record<string, string>, headers: Record<string, string> = { accept: "application/json" }) {
  return fetch(new URL("/login/oauth/access_token", gh().url), { method: "POST", headers, body: new URLSearchParams(fields) });
}

/** The `error` of the token endpoint's JSON answer. */
async function errorOf(answer: Response | Promise<Response>): Promise<unknown> {
  return ((await (await answer).json()) as { error?: unknown }).error;
}

function grant(code: string, verifier: string, overrides: Record<string, string> = {}) {
  return { client_id: APP.client_id, client_secret: APP.client_secret, code, redirect_uri: APP.redirect_uris[0]!, code_verifier: verifier, ...overrides };
}

test("a whole flow: the code comes back with the state, buys a token, and the token reads the user and the emails", async () => {
  const { url, verifier } = authorizationRequest();
  const callback = await gh().completeLogin(url, "octocat");
  expect(`${callback.origin}${callback.pathname}`).toBe(APP.redirect_uris[0]);
  expect(callback.searchParams.get("state")).toBe("some-state");
  expect(gh().authorizations.at(-1)).toMatchObject({ client_id: APP.client_id, state: "some-state", code_challenge_method: "S256" });

  const answer = await exchange(grant(callback.searchParams.get("code")!, verifier));
  const token = (await answer.json()) as { access_token: string };
  expect(token).toEqual({ access_token: expect.stringMatching(/^gho_/), token_type: "bearer", scope: "read:user,user:email" });

  const auth = { authorization: `Bearer ${token.access_token}` };
  expect(await (await fetch(`${gh().apiUrl}/user`, { headers: auth })).json()).toMatchObject({ id: 583231, login: "octocat", name: "The Octocat", email: null });
  expect(await (await fetch(`${gh().apiUrl}/user/emails`, { headers: auth })).json()).toEqual([
    { email: "octocat@example.test", primary: true, verified: true, visibility: "private" },
  ]);
});

test("without Accept: application/json the token endpoint answers form-encoded, and takes HTTP Basic client auth", async () => {
  const { code, verifier } = await codeFor();
  const basic = Buffer.from(`${APP.client_id}:${APP.client_secret}`).toString("base64");
  const answer = await exchange({ code, redirect_uri: APP.redirect_uris[0]!, code_verifier: verifier }, { authorization: `Basic ${basic}` });
  expect(answer.headers.get("content-type")).toMatch(/^application\/x-www-form-urlencoded/);
  expect(new URLSearchParams(await answer.text()).get("token_type")).toBe("bearer");
});

test("a code is single-use: the second exchange is bad_verification_code, with HTTP 200 as GitHub answers", async () => {
  const { code, verifier } = await codeFor();
  expect((await exchange(grant(code, verifier))).status).toBe(200);
  const again = await exchange(grant(code, verifier));
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
});

test("a code is bound to its PKCE verifier, its client and its redirect URI, and expires", async () => {
  const wrongVerifier = await codeFor();
  expect(await errorOf(exchange(grant(wrongVerifier.code, randomBytes(32).toString("base64url"))))).toBe("bad_verification_code");

  const otherClient = await codeFor();
  const asOther = grant(otherClient.code, otherClient.verifier, { client_id: OTHER_APP.client_id, client_secret: OTHER_APP.client_secret });
  expect(await errorOf(exchange(asOther))).toBe("bad_verification_code");

  const otherRedirect = await codeFor();
  expect(await errorOf(exchange(grant(otherRedirect.code, otherRedirect.verifier, { redirect_uri: "http://127.0.0.1:9/elsewhere" })))).toBe("redirect_uri_mismatch");

  const late = await codeFor();
  clock.now += 60_000;
  expect(await errorOf(exchange(grant(late.code, late.verifier)))).toBe("bad_verification_code");
});

test("a wrong client secret is incorrect_client_credentials", async () => {
  const { code, verifier } = await codeFor();
  expect(await errorOf(exchange(grant(code, verifier, { client_secret: "not-the-secret" })))).toBe("incorrect_client_credentials");
});

test("the authorize endpoint refuses an unknown client, an unregistered redirect URI, no PKCE, and an unknown user", async () => {
  await expect(gh().completeLogin(authorizationRequest({ client_id: "nope" }).url, "octocat")).rejects.toThrow("answered 404");
  await expect(gh().completeLogin(authorizationRequest({ redirect_uri: "http://127.0.0.1:9/evil" }).url, "octocat")).rejects.toThrow("answered 400");
  await expect(gh().completeLogin(authorizationRequest({ code_challenge: undefined }).url, "octocat")).rejects.toThrow("PKCE is required");
  await expect(gh().completeLogin(authorizationRequest().url, "mallory")).rejects.toThrow('no user "mallory"');
});

test("a denied authorization redirects with access_denied and the state", async () => {
  const callback = await gh().completeLogin(authorizationRequest().url, "octocat", { deny: true });
  expect(callback.searchParams.get("error")).toBe("access_denied");
  expect(callback.searchParams.get("state")).toBe("some-state");
  expect(callback.searchParams.get("code")).toBeNull();
});

test("the API wants a valid token (401 Bad credentials), and the faults switch on and off", async () => {
  const noToken = await fetch(`${gh().apiUrl}/user`);
  expect(noToken.status).toBe(401);
  expect(await noToken.json()).toMatchObject({ message: "Bad credentials" });
  expect((await fetch(`${gh().apiUrl}/user`, { headers: { authorization: "Bearer gho_made_up" } })).status).toBe(401);

  gh().setFaults({ api: "error", tokenEndpoint: "unavailable" });
  expect((await fetch(`${gh().apiUrl}/user`)).status).toBe(500);
  const { code, verifier } = await codeFor();
  expect((await exchange(grant(code, verifier))).status).toBe(503);
  gh().setFaults({ api: "rate-limited" });
  const limited = await fetch(`${gh().apiUrl}/user`);
  expect([limited.status, limited.headers.get("x-ratelimit-remaining")]).toEqual([403, "0"]);
  gh().setFaults({ api: "hang" });
  await expect(fetch(`${gh().apiUrl}/user`, { signal: AbortSignal.timeout(200) })).rejects.toThrow(/aborted/i);
  gh().setFaults({});
  expect((await fetch(`${gh().apiUrl}/user`)).status).toBe(401);
});
