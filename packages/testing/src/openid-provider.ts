import { generateKeyPair } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import type * as OidcProvider from "oidc-provider";
import { driveDevInteractions } from "./openid-login";

/** A client registered with the test provider: a confidential web app using the authorization code flow. */
export interface TestOpenIdClient {
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris: readonly string[];
  /** How the client authenticates at the token endpoint. @default "client_secret_basic" */
  readonly token_endpoint_auth_method?: "client_secret_basic" | "client_secret_post";
}

/**
 * A user of the test provider, signed in by its `sub` (see `completeLogin`). `email` and
 * `email_verified` are released with the `email` scope; every other claim (`groups`, `name`, …)
 * with `openid`, so each lands in the ID token when the client asks for those scopes.
 */
export interface TestOpenIdAccount {
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly [claim: string]: unknown;
}

/** The client that the test provider registers unless told otherwise. Its redirect URI is never fetched. */
export const SAMPLE_OPENID_CLIENT: TestOpenIdClient = {
  client_id: "portcullis-test",
  client_secret: "portcullis-test-client-secret-long-enough",
  redirect_uris: ["http://127.0.0.1:9/callback"],
};

/** The account that the test provider knows unless told otherwise. */
export const SAMPLE_OPENID_ACCOUNT: TestOpenIdAccount = {
  sub: "alice",
  email: "alice@example.test",
  email_verified: true,
  groups: ["staff"],
};

export interface StartOpenIdProviderOptions {
  /** The registered clients. @default [SAMPLE_OPENID_CLIENT] */
  readonly clients?: readonly TestOpenIdClient[];
  /** The accounts one can sign in as. @default [SAMPLE_OPENID_ACCOUNT] */
  readonly accounts?: readonly TestOpenIdAccount[];
}

/**
 * An OpenID Provider (oidc-provider) this test started on a free loopback port, over plain HTTP:
 * clients reach it with openid-client's `allowInsecureRequests`. PKCE (S256) is required, artifacts
 * live for minutes, and a fresh RSA key signs its ID tokens (RS256).
 */
export interface TestOpenIdProvider {
  /** `http://127.0.0.1:<port>`: the issuer, and where discovery starts. */
  readonly issuer: string;
  readonly port: number;
  /** An address on the provider, such as `url("/.well-known/openid-configuration")`. */
  url(path: string): URL;
  /**
   * Signs `accountId` in and consents, through the provider's development login and consent pages,
   * as a fresh browser with a cookie jar would (no session is kept between calls), starting at `authorizationUrl`. Resolves to the URL the
   * provider finally redirects to, off the provider: the client's redirect URI with `code`,
   * `state` and `iss` (or `error` when the provider refuses the request, or `access_denied` with
   * `denyConsent`, which cancels the consent page). Never fetches it.
   */
  completeLogin(authorizationUrl: URL | string, accountId: string, options?: { readonly denyConsent?: boolean }): Promise<URL>;
  stop(): Promise<void>;
}

/** What oidc-provider prints that a test run need not show: development-mode and runtime notices. */
const KNOWN_NOTICES = [
  "Unsupported runtime", // it wants Node 22; it works on the Node 20.19+ the repo supports
  "development-only in-memory adapter",
  "development-only feature devInteractions",
];

/** Runs `load` with oidc-provider's known console notices dropped; other lines pass through. */
function withoutKnownNotices<T>(load: () => T): T {
  const { warn, info } = console;
  const known = (line: unknown) => typeof line === "string" && KNOWN_NOTICES.some((notice) => line.includes(notice));
  const filtered =
    (print: (...data: unknown[]) => void) =>
    (...data: unknown[]) => {
      if (!known(data[0])) print(...data);
    };
  console.warn = filtered(warn);
  console.info = filtered(info);
  try {
    return load();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

/**
 * Loaded on first use, not when @portcullis/testing is imported: most test files never start a
 * provider, and need not load koa and oidc-provider, nor hear its runtime warning.
 */
function loadProvider(): typeof OidcProvider.Provider {
  return withoutKnownNotices(() => (require("oidc-provider") as typeof OidcProvider).Provider);
}

function checkUnique(what: string, ids: readonly string[]): void {
  const twice = ids.find((id, index) => ids.indexOf(id) !== index);
  if (twice !== undefined) throw new Error(`startOpenIdProvider: two ${what} share the id "${twice}"; give each its own`);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts an OpenID Provider on a free loopback port with the given clients and accounts, and its
 * development login and consent pages, which `completeLogin` drives over HTTP (no browser).
 *
 * @example
 * const op = await startOpenIdProvider({ accounts: [{ sub: "bob", email: "bob@example.test", email_verified: false }] });
 * const config = await client.discovery(new URL(op.issuer), "portcullis-test", undefined,
 *   client.ClientSecretBasic(SAMPLE_OPENID_CLIENT.client_secret), { execute: [client.allowInsecureRequests] });
 * const callback = await op.completeLogin(client.buildAuthorizationUrl(config, { … }), "bob");
 * await op.stop();
 */
export async function startOpenIdProvider({
  clients = [SAMPLE_OPENID_CLIENT],
  accounts = [SAMPLE_OPENID_ACCOUNT],
}: StartOpenIdProviderOptions = {}): Promise<TestOpenIdProvider> {
  checkUnique("clients", clients.map((c) => c.client_id));
  checkUnique("accounts", accounts.map((a) => a.sub));
  const byId = new Map(accounts.map((account) => [account.sub, account]));
  const extraClaims = [...new Set(accounts.flatMap((account) => Object.keys(account)))].filter(
    (claim) => !["sub", "email", "email_verified"].includes(claim),
  );
  const Provider = loadProvider();
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });

  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const configuration: OidcProvider.Configuration = {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: [...c.redirect_uris],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: c.token_endpoint_auth_method ?? "client_secret_basic",
    })),
    findAccount: (_ctx, id) => {
      const account = byId.get(id);
      return account && { accountId: id, claims: () => ({ ...account }) };
    },
    claims: { openid: ["sub", ...extraClaims], email: ["email", "email_verified"] },
    // Scoped claims go into the ID token too, not only to /userinfo, as most providers do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    jwks: { keys: [privateKey.export({ format: "jwk" }) as OidcProvider.JWK] },
    cookies: { keys: ["portcullis-test-cookie-key"] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    features: { devInteractions: { enabled: true } },
  };
  const provider = withoutKnownNotices(() => new Provider(issuer, configuration));
  server.on("request", withoutKnownNotices(() => provider.callback()));

  return {
    issuer,
    port,
    url: (path) => new URL(path, issuer),
    async completeLogin(authorizationUrl, accountId, options) {
      if (!byId.has(accountId)) {
        throw new Error(`completeLogin: no account "${accountId}"; the provider knows ${[...byId.keys()].map((sub) => `"${sub}"`).join(", ")}`);
      }
      return driveDevInteractions(new URL(authorizationUrl), issuer, accountId, options);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts an OpenID Provider before the tests of the calling file and stops it after them.
 *
 * @example
 * const op = useOpenIdProvider({ accounts: [{ sub: "carol", email: "carol@corp.test", email_verified: true, groups: ["admins"] }] });
 * test("…", async () => { const callback = await op().completeLogin(authorizationUrl, "carol"); … });
 */
export function useOpenIdProvider(options: StartOpenIdProviderOptions = {}): () => TestOpenIdProvider {
  let provider: TestOpenIdProvider | undefined;
  // The first start in a file compiles oidc-provider to CommonJS (jest.config.ts), which is slow on a busy machine.
  beforeAll(async () => {
    provider = await startOpenIdProvider(options);
  }, 60_000);
  afterAll(async () => {
    await provider?.stop();
  });
  return () => {
    if (!provider) throw new Error("useOpenIdProvider: the provider is only available inside tests");
    return provider;
  };
}
