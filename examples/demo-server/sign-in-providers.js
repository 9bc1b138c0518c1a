// @ts-check
const { githubProvider, googleProvider, oidcProvider } = require("@portcullis/oauth");
const { DEMO_IDP_USER, startDemoIdp } = require("./demo-idp");

/**
 * @typedef {object} SignInProviders
 * @property {import("@portcullis/oauth").OAuthProvider[]} providers one sign-in button each
 * @property {string[]} origins where the providers' sign-in pages are: the console's forms (link
 *   an account) are redirected there, which its Content-Security-Policy's form-action must allow
 * @property {import("./demo-idp").DemoIdp} [demoIdp] the Demo IdP, when no provider is configured
 */

/**
 * Whether a provider's variables are all set (false when none is): a half-configured provider is
 * a mistake to report.
 * @param {Record<string, string | undefined>} env
 * @param {string[]} names
 */
function isSet(env, names) {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0 && missing.length < names.length) throw new Error(`${names.join(", ")} go together: ${missing.join(", ")} missing`);
  return missing.length === 0;
}

/**
 * The sign-in providers the environment configures, in any combination: OIDC_ISSUER,
 * OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (and OIDC_NAME, the button's words) for any OpenID Connect
 * provider; GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET; GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.
 * @param {Record<string, string | undefined>} env
 * @returns {SignInProviders}
 */
function configuredProviders(env) {
  /** @type {SignInProviders} */
  const configured = { providers: [], origins: [] };
  if (isSet(env, ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"])) {
    const issuer = String(env.OIDC_ISSUER);
    const name = env.OIDC_NAME || "OpenID Connect";
    configured.providers.push(oidcProvider({ id: "oidc", name, issuer, clientId: String(env.OIDC_CLIENT_ID), clientSecret: String(env.OIDC_CLIENT_SECRET), allowHttpOnLoopback: true }));
    configured.origins.push(new URL(issuer).origin);
  }
  if (isSet(env, ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"])) {
    configured.providers.push(googleProvider({ clientId: String(env.GOOGLE_CLIENT_ID), clientSecret: String(env.GOOGLE_CLIENT_SECRET) }));
    configured.origins.push("https://accounts.google.com");
  }
  if (isSet(env, ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"])) {
    configured.providers.push(githubProvider({ clientId: String(env.GITHUB_CLIENT_ID), clientSecret: String(env.GITHUB_CLIENT_SECRET) }));
    configured.origins.push("https://github.com");
  }
  return configured;
}

/**
 * The configured providers or, when the environment configures none, the Demo IdP started on
 * DEMO_IDP_PORT (a free port when unset) with the demo's redirect URI under `callbackBaseUrl`.
 * @param {Record<string, string | undefined>} env
 * @param {string} callbackBaseUrl the address of the demo's /api/auth/oauth
 * @returns {Promise<SignInProviders>}
 */
async function signInProviders(env, callbackBaseUrl) {
  const configured = configuredProviders(env);
  if (configured.providers.length > 0) return configured;
  const demoIdp = await startDemoIdp({ port: Number(env.DEMO_IDP_PORT || 0), redirectUri: `${callbackBaseUrl}/demo/callback` });
  const provider = oidcProvider({
    id: "demo",
    name: "Demo IdP",
    issuer: demoIdp.issuer,
    clientId: demoIdp.clientId,
    clientSecret: demoIdp.clientSecret,
    allowHttpOnLoopback: true,
    // The IdP's login page comes filled in with its one user: a password (any) is all it takes.
    authorizationParams: { login_hint: DEMO_IDP_USER.sub },
  });
  return { providers: [provider], origins: [demoIdp.issuer], demoIdp };
}

module.exports = { configuredProviders, signInProviders };
