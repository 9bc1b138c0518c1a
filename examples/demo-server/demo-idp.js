// @ts-check
// The Demo IdP: a development OpenID Provider (oidc-provider) on a loopback port, so that "Sign in
// with Demo IdP" works with nothing configured. It knows one user, signed in on its development
// login page with any password. Never for production: its pages, its in-memory storage and its
// keys (new at every start) are oidc-provider's development defaults.
const { generateKeyPair, randomBytes } = require("node:crypto");
const { createServer } = require("node:http");
const { promisify } = require("node:util");

/** The one user of the Demo IdP. Its login on the IdP's page is its `sub`. */
const DEMO_IDP_USER = Object.freeze({ sub: "demo-user", email: "demo@idp.example", email_verified: true, name: "Demo User" });

/**
 * @typedef {object} DemoIdp
 * @property {string} issuer `http://127.0.0.1:<port>`, where discovery starts
 * @property {string} clientId the demo's client at the IdP
 * @property {string} clientSecret random at every start
 * @property {() => Promise<void>} stop closes the port and every connection to it
 */

/**
 * Starts the Demo IdP on `port` of 127.0.0.1 (0: a free port), with the demo registered as a
 * client whose one redirect URI is `redirectUri`.
 * @param {{ port: number, redirectUri: string }} options
 * @returns {Promise<DemoIdp>}
 */
async function startDemoIdp({ port, redirectUri }) {
  // An ES module, which Node 20.19+ requires; loaded here, when a demo without providers starts.
  const { Provider } = require("oidc-provider");
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const clientId = "portcullis-demo";
  const clientSecret = randomBytes(32).toString("base64url");

  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;

  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ["authorization_code"], response_types: ["code"] }],
    // The login "demo-user" is the one account; any other login names no one.
    findAccount: (_ctx, id) => (id === DEMO_IDP_USER.sub ? { accountId: id, claims: () => ({ ...DEMO_IDP_USER }) } : undefined),
    claims: { openid: ["sub", "name"], email: ["email", "email_verified"], profile: ["name"] },
    // The email in the ID token itself, as most providers send it, not only from /userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    jwks: { keys: [/** @type {any} */ (privateKey.export({ format: "jwk" }))] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
  });
  server.on("request", provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startDemoIdp, DEMO_IDP_USER };
