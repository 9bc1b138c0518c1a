/**
 * Configuration is checked when the factory runs: each mistake is a TypeError that names the
 * factory and says what to pass instead. Nothing here reaches a provider.
 */
import { MemoryIdentityStore } from "@portcullis/core";
import { githubProvider, googleProvider, oauthSignIn, oidcProvider, type OAuthSignInOptions } from "@portcullis/oauth";

const SECRETS = { clientId: "client-id", clientSecret: "client-secret" };
const OIDC = { id: "corp", name: "Corp SSO", issuer: "https://login.corp.example", ...SECRETS };

function thrown(make: () => unknown): TypeError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error("the factory did not throw");
}

describe("the providers' options", () => {
  test.each([
    ["githubProvider", () => githubProvider(undefined as never), /^githubProvider: options are required: githubProvider\(\{ clientId, clientSecret \}\)/],
    ["githubProvider", () => githubProvider({ clientSecret: "s" } as never), /^githubProvider: "clientId" is required: the client id the provider issued/],
    ["googleProvider", () => googleProvider({ clientId: "", clientSecret: "s" }), /^googleProvider: "clientId" is required/],
    ["oidcProvider", () => oidcProvider({ ...OIDC, clientSecret: undefined } as never), /^oidcProvider: "clientSecret" is required/],
  ])("%s: a missing client id or secret", (_factory, make, message) => {
    expect(thrown(make).message).toMatch(message);
  });

  test.each([
    ["githubProvider", () => githubProvider({ ...SECRETS, id: "git hub" })],
    ["googleProvider", () => googleProvider({ ...SECRETS, id: "x".repeat(33) })],
    ["oidcProvider", () => oidcProvider({ ...OIDC, id: "" })],
  ])("%s: an id that is not 1 to 32 letters, digits, - or _", (factory, make) => {
    expect(thrown(make).message).toMatch(new RegExp(`^${factory}: "id" must be 1 to 32 letters, digits, - or _`));
  });

  test.each(["response_type", "response_mode", "redirect_uri", "state", "nonce", "code_challenge_method", "scope"])(
    "oidcProvider: authorizationParams cannot set %s (no implicit flow, no check dropped)",
    (name) => {
      expect(thrown(() => oidcProvider({ ...OIDC, authorizationParams: { [name]: "token" } })).message).toMatch(
        /^oidcProvider: "authorizationParams" cannot set the protocol's own parameters/,
      );
    },
  );

  test("oidcProvider: an http:// issuer needs allowHttpOnLoopback, and a loopback address even then", () => {
    expect(thrown(() => oidcProvider({ ...OIDC, issuer: "http://127.0.0.1:4000" })).message).toMatch(/^oidcProvider: "issuer" must be an https:\/\/ URL \(http:\/\/ only on a loopback address, with allowHttpOnLoopback: true\)/);
    expect(thrown(() => oidcProvider({ ...OIDC, issuer: "http://login.corp.example", allowHttpOnLoopback: true })).message).toMatch(/^oidcProvider: "issuer" must be an https:\/\/ URL/);
    expect(oidcProvider({ ...OIDC, issuer: "http://127.0.0.1:4000", allowHttpOnLoopback: true }).id).toBe("corp");
  });

  test("githubProvider: urls must be https://, or http:// on a loopback address", () => {
    expect(thrown(() => githubProvider({ ...SECRETS, urls: { web: "http://github.corp.example", api: "https://github.corp.example/api/v3" } })).message).toMatch(
      /^githubProvider: "urls.web" must be an https:\/\/ URL without a query \(http:\/\/ only on a loopback address\)/,
    );
    expect(thrown(() => githubProvider({ ...SECRETS, urls: { web: "https://github.corp.example", api: "https://github.corp.example/api/v3?x=1" } })).message).toMatch(/^githubProvider: "urls.api" must be an https:\/\/ URL without a query/);
    expect(githubProvider({ ...SECRETS, urls: { web: "http://127.0.0.1:4000", api: "http://127.0.0.1:4000/api/v3" } })).toMatchObject({ id: "github", name: "GitHub" });
    expect(thrown(() => githubProvider({ ...SECRETS, urls: { web: "https://github.corp.example", api: "http://127.0.0.1:4000/api/v3" } })).message).toBe(
      'githubProvider: "urls.web" and "urls.api" must both be https:// (or both http:// on a loopback address)',
    );
  });

  test("googleProvider: hostedDomain must be a domain; an unknown option is named", () => {
    expect(thrown(() => googleProvider({ ...SECRETS, hostedDomain: "not a domain" })).message).toMatch(/^googleProvider: "hostedDomain" must be a domain such as example.com/);
    expect(thrown(() => googleProvider({ ...SECRETS, hd: "acme.example" } as never)).message).toMatch(/^googleProvider: unknown option "hd"/);
  });
});

describe("oauthSignIn's options", () => {
  const base = (overrides: Partial<OAuthSignInOptions> = {}): OAuthSignInOptions => ({
    providers: [githubProvider(SECRETS)],
    identities: new MemoryIdentityStore(),
    callbackBaseUrl: "https://app.example/api/auth/oauth",
    ...overrides,
  });

  test("a valid configuration is accepted", () => {
    expect(oauthSignIn(base()).addRoutes).toBeInstanceOf(Function);
  });

  test.each(["identities", "providers"])("the id %j is reserved for the routes", (id) => {
    expect(thrown(() => oauthSignIn(base({ providers: [githubProvider({ ...SECRETS, id })] }))).message).toBe(
      `oauthSignIn: a provider cannot be called "${id}": the routes use that name`,
    );
  });

  test("two providers with one id are refused", () => {
    const providers = [githubProvider(SECRETS), oidcProvider({ ...OIDC, id: "github" })];
    expect(thrown(() => oauthSignIn(base({ providers }))).message).toBe('oauthSignIn: two providers share the id "github"; give each its own id');
  });

  test("an SSO domain naming a provider that is not configured is refused", () => {
    const sso = [{ domain: "acme.example", provider: "corp", defaultRole: "member" }];
    expect(thrown(() => oauthSignIn(base({ sso }))).message).toBe('oauthSignIn: the SSO domain acme.example names the provider "corp", which is not among "providers"');
  });

  test.each(["//evil.example", "/\\evil.example", "https://evil.example/", "console", "/.//evil.example", "/a/..//evil.example", "/%2e//evil.example"])("redirectTo %j is not a path on this site", (redirectTo) => {
    expect(thrown(() => oauthSignIn(base({ redirectTo }))).message).toMatch(/^oauthSignIn: "redirectTo" must be a path on this site/);
  });

  test("callbackBaseUrl must be https:// (http:// on loopback), without a query", () => {
    expect(thrown(() => oauthSignIn(base({ callbackBaseUrl: "http://app.example/api/auth/oauth" }))).message).toMatch(/^oauthSignIn: "callbackBaseUrl" must be the https:\/\/ address/);
    expect(thrown(() => oauthSignIn(base({ callbackBaseUrl: "https://app.example/oauth?x=1" }))).message).toMatch(/^oauthSignIn: "callbackBaseUrl"/);
  });
});
