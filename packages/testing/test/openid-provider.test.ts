/**
 * The OpenID Provider harness carries a whole authorization code flow, driven by openid-client as
 * the OIDC sign-in will be: discovery, PKCE (S256), state and nonce, the code grant, and the ID
 * token's validation; and it refuses what a provider must refuse.
 */
import * as client from "openid-client";
import { SAMPLE_OPENID_ACCOUNT, SAMPLE_OPENID_CLIENT, type TestOpenIdClient, useOpenIdProvider } from "@portcullis/testing";

const APP: TestOpenIdClient = { client_id: "portcullis-app", client_secret: "a-client-secret-for-the-app", redirect_uris: ["http://127.0.0.1:9/oidc/callback"] };
const BOB = { sub: "bob", email: "bob@example.test", email_verified: false };

const op = useOpenIdProvider({ clients: [APP, SAMPLE_OPENID_CLIENT], accounts: [SAMPLE_OPENID_ACCOUNT, BOB] });

function discover(app: TestOpenIdClient = APP): Promise<client.Configuration> {
  return client.discovery(new URL(op().issuer), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), {
    execute: [client.allowInsecureRequests], // the test provider speaks plain HTTP on loopback
  });
}

/** What the app keeps in the browser's session between the redirect and the callback. */
async function startSignIn(config: client.Configuration) {
  const flow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: APP.redirect_uris[0]!,
    scope: "openid email",
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
    code_challenge_method: "S256",
  });
  return { ...flow, url };
}

test("a whole code flow signs alice in with an ID token carrying her verified email and groups", async () => {
  const config = await discover();
  const flow = await startSignIn(config);

  const callback = await op().completeLogin(flow.url, "alice");
  expect(`${callback.origin}${callback.pathname}`).toBe(APP.redirect_uris[0]);
  expect(callback.searchParams.get("state")).toBe(flow.state);
  expect(callback.searchParams.get("iss")).toBe(op().issuer);

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
    idTokenExpected: true,
  });
  expect(tokens.claims()).toMatchObject({
    iss: op().issuer,
    aud: APP.client_id,
    sub: "alice",
    email: "alice@example.test",
    email_verified: true,
    groups: ["staff"],
    nonce: flow.nonce,
  });
});

test("an account's unverified email is reported as unverified", async () => {
  const config = await discover();
  const flow = await startSignIn(config);
  const callback = await op().completeLogin(flow.url, "bob");
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
  expect(tokens.claims()).toMatchObject({ sub: "bob", email: "bob@example.test", email_verified: false });
});

test("an authorization request without PKCE is refused", async () => {
  const config = await discover();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: APP.redirect_uris[0]!, scope: "openid", state: client.randomState() });

  const callback = await op().completeLogin(url, "alice");
  expect(callback.searchParams.get("code")).toBeNull();
  expect(callback.searchParams.get("error")).toBe("invalid_request");
  expect(callback.searchParams.get("error_description")).toMatch(/PKCE/);
});

test("openid-client rejects an ID token whose nonce is not the one the browser's flow holds", async () => {
  const config = await discover();
  const flow = await startSignIn(config);
  const callback = await op().completeLogin(flow.url, "alice");

  const refused = await client
    .authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: client.randomNonce() })
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(client.ClientError);
  expect(refused).toHaveProperty("code", "OAUTH_JWT_CLAIM_COMPARISON_FAILED");
  expect((refused as Error).cause).toHaveProperty("message", 'unexpected ID Token "nonce" claim value');
});

test("each client has its own audience, and completeLogin refuses an account the provider does not know", async () => {
  const config = await discover(SAMPLE_OPENID_CLIENT);
  expect(config.serverMetadata().code_challenge_methods_supported).toEqual(["S256"]);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: SAMPLE_OPENID_CLIENT.redirect_uris[0]!,
    scope: "openid",
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  await expect(op().completeLogin(url, "mallory")).rejects.toThrow('completeLogin: no account "mallory"');

  const tokens = await client.authorizationCodeGrant(config, await op().completeLogin(url, "alice"), { pkceCodeVerifier: verifier, expectedNonce: nonce });
  expect(tokens.claims()).toMatchObject({ aud: SAMPLE_OPENID_CLIENT.client_id, sub: "alice" });
});
