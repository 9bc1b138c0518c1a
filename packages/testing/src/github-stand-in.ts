import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A STAND-IN for GitHub, not GitHub: a plain node:http server on a loopback port that answers as
 * GitHub's OAuth app endpoints are documented to
 * (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps), so
 * `githubProvider`'s flow can be tested where GitHub cannot be reached. What it does not do, it
 * refuses rather than imitates: it has no login page (tests sign in with `completeLogin`), and it
 * requires PKCE (S256), which GitHub only allows.
 */

/** An OAuth app registered at the stand-in. */
export interface GitHubStandInApp {
  readonly client_id: string;
  readonly client_secret: string;
  /** The callback URLs the app registered; an authorization request must name one exactly. */
  readonly redirect_uris: readonly string[];
}

/** One address of a stand-in user, as `GET /user/emails` lists it. */
export interface GitHubStandInEmail {
  readonly email: string;
  readonly primary: boolean;
  readonly verified: boolean;
  /** @default "private" */
  readonly visibility?: "public" | "private" | null;
}

/** A GitHub user of the stand-in, signed in by `login` (see `completeLogin`). */
export interface GitHubStandInUser {
  /** GitHub's numeric id, which never changes. */
  readonly id: number;
  /** The login name, which its owner may change (`renameUser`). */
  readonly login: string;
  /** @default null */
  readonly name?: string | null;
  /** The public profile email that `GET /user` shows. @default null */
  readonly email?: string | null;
  /** @default [] */
  readonly emails?: readonly GitHubStandInEmail[];
}

/** Failures the stand-in can be told to have, until told otherwise (`setFaults({})`). */
export interface GitHubStandInFaults {
  /**
   * The API (`/user`, `/user/emails`) answers 500, never answers, or answers 403 with
   * `x-ratelimit-remaining: 0` as GitHub does when a rate limit is spent.
   */
  readonly api?: "error" | "hang" | "rate-limited";
  /** The token endpoint answers 503. */
  readonly tokenEndpoint?: "unavailable";
}

/** An authorization request as the stand-in received it, for tests to check what a client sent. */
export type GitHubStandInAuthorization = Readonly<Record<"client_id" | "redirect_uri" | "scope" | "state" | "code_challenge" | "code_challenge_method", string | undefined>>;

export interface StartGitHubStandInOptions {
  readonly apps: readonly GitHubStandInApp[];
  readonly users: readonly GitHubStandInUser[];
  /** The clock that ages authorization codes. @default Date.now */
  readonly now?: () => number;
  /** How long a code may wait for its exchange, as GitHub's (10 minutes). @default 600000 */
  readonly codeTtlMs?: number;
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:<port>`: the web address (`urls.web` of `githubProvider`). */
  readonly url: string;
  /** `<url>/api/v3`: the API address (`urls.api`), as on GitHub Enterprise Server. */
  readonly apiUrl: string;
  readonly port: number;
  /**
   * Signs `login` in at `authorizationUrl` and authorizes the app (or refuses, with `deny`), as a
   * browser would; resolves to the URL the stand-in redirects to, never fetched: the app's redirect
   * URI with `code` and `state`, or `error=access_denied`. Rejects when the stand-in refuses the
   * request itself (unknown client, unregistered redirect URI, no PKCE), which GitHub shows as a page.
   */
  completeLogin(authorizationUrl: URL | string, login: string, options?: { readonly deny?: boolean }): Promise<URL>;
  /** The authorization requests received so far, oldest first. */
  readonly authorizations: readonly GitHubStandInAuthorization[];
  /** Changes a user's login name, as GitHub lets its owner do; the id stays. */
  renameUser(id: number, login: string): void;
  /** Replaces the current faults; `setFaults({})` heals them. */
  setFaults(faults: GitHubStandInFaults): void;
  stop(): Promise<void>;
}

/** GitHub's error answers at the token endpoint: HTTP 200, whatever went wrong. */
const TOKEN_ERRORS = {
  bad_verification_code: "The code passed is incorrect or expired.",
  incorrect_client_credentials: "The client_id and/or client_secret passed are incorrect.",
  redirect_uri_mismatch: "The redirect_uri MUST match the registered callback URL for this application.",
} as const;

/** A test-only request header naming who signs in: the stand-in's whole login page. */
const LOGIN_HEADER = "x-stand-in-login";
const DENY_HEADER = "x-stand-in-deny";
const API_PREFIX = "/api/v3";

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: string;
  readonly userId: number;
  readonly expiresAt: number;
}

interface IssuedToken {
  readonly userId: number;
  readonly scopes: ReadonlySet<string>;
}

const random = (prefix: string) => `${prefix}${randomBytes(20).toString("base64url")}`;

function sameText(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The client's credentials: in the form, as GitHub documents, or HTTP Basic. */
function clientCredentials(req: IncomingMessage, form: URLSearchParams): { id?: string; secret?: string } {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon !== -1) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts a GitHub stand-in on a free loopback port with the given OAuth apps and users. It serves
 * `GET /login/oauth/authorize`, `POST /login/oauth/access_token` and, under `/api/v3`,
 * `GET /user` and `GET /user/emails`. Codes are single-use, expire, and are bound to the client,
 * the redirect URI and the PKCE challenge; tokens are opaque `gho_…` strings.
 *
 * @example
 * const gh = await startGitHubStandIn({ apps: [APP], users: [{ id: 1, login: "octocat", emails: [{ email: "o@example.test", primary: true, verified: true }] }] });
 * const provider = githubProvider({ clientId: APP.client_id, clientSecret: APP.client_secret, urls: { web: gh.url, api: gh.apiUrl } });
 * const callback = await gh.completeLogin(authorizationUrl, "octocat");
 * await gh.stop();
 */
export async function startGitHubStandIn({ apps, users, now = Date.now, codeTtlMs = 600_000 }: StartGitHubStandInOptions): Promise<GitHubStandIn> {
  const appsById = new Map(apps.map((app) => [app.client_id, app]));
  const usersById = new Map(users.map((user) => [user.id, { ...user }]));
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, IssuedToken>();
  const authorizations: GitHubStandInAuthorization[] = [];
  let faults: GitHubStandInFaults = {};

  const userByLogin = (login: string) => [...usersById.values()].find((user) => user.login.toLowerCase() === login.toLowerCase());

  function authorize(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const seen = Object.fromEntries(
      (["client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"] as const).map((name) => [name, query.get(name) ?? undefined]),
    ) as GitHubStandInAuthorization;
    authorizations.push(seen);
    const app = appsById.get(seen.client_id ?? "");
    if (!app) return text(res, 404, "GitHub stand-in: no OAuth app has this client_id.");
    // GitHub's own default is the first callback URL; one named must be registered exactly.
    const redirectUri = seen.redirect_uri ?? app.redirect_uris[0]!;
    if (!app.redirect_uris.includes(redirectUri)) return text(res, 400, "GitHub stand-in: the redirect_uri is not a callback URL of this application.");
    if (seen.code_challenge_method !== "S256" || !/^[\w-]{43}$/.test(seen.code_challenge ?? "")) {
      return text(res, 400, "GitHub stand-in: PKCE is required, with code_challenge_method=S256.");
    }
    const login = req.headers[LOGIN_HEADER];
    if (typeof login !== "string") return text(res, 200, "GitHub stand-in: there is no login page; tests sign in with completeLogin.");
    const user = userByLogin(login);
    if (!user) return text(res, 403, `GitHub stand-in: no user "${login}".`);
    const target = new URL(redirectUri);
    if (req.headers[DENY_HEADER] === "1") {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", "The user has denied your application access.");
      target.searchParams.set("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied");
    } else {
      const code = random("");
      codes.set(code, { clientId: app.client_id, redirectUri, codeChallenge: seen.code_challenge!, scope: seen.scope ?? "", userId: user.id, expiresAt: now() + codeTtlMs });
      target.searchParams.set("code", code);
    }
    if (seen.state !== undefined) target.searchParams.set("state", seen.state);
    res.writeHead(302, { location: target.href }).end();
  }

  async function exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (faults.tokenEndpoint === "unavailable") return text(res, 503, "GitHub stand-in: unavailable, as told.");
    const wantsJson = (req.headers.accept ?? "").includes("application/json");
    // GitHub answers form-encoded unless asked for JSON, errors included, always with 200.
    const answer = (body: Record<string, string>): void => {
      if (wantsJson) return json(res, 200, body);
      res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }).end(new URLSearchParams(body).toString());
    };
    const refuse = (error: keyof typeof TOKEN_ERRORS) => answer({ error, error_description: TOKEN_ERRORS[error] });

    const { id, secret } = clientCredentials(req, form);
    const app = appsById.get(id ?? "");
    if (!app || secret === undefined || !sameText(secret, app.client_secret)) return refuse("incorrect_client_credentials");
    const code = form.get("code") ?? "";
    const issued = codes.get(code);
    codes.delete(code); // single use, whatever follows
    if (!issued || issued.clientId !== app.client_id || now() >= issued.expiresAt) return refuse("bad_verification_code");
    const redirectUri = form.get("redirect_uri");
    if (redirectUri !== null && redirectUri !== issued.redirectUri) return refuse("redirect_uri_mismatch");
    const verifier = form.get("code_verifier") ?? "";
    if (!sameText(createHash("sha256").update(verifier).digest("base64url"), issued.codeChallenge)) return refuse("bad_verification_code");
    const scopes = issued.scope.split(/[\s,]+/).filter(Boolean);
    const token = random("gho_");
    tokens.set(token, { userId: issued.userId, scopes: new Set(scopes) });
    answer({ access_token: token, token_type: "bearer", scope: scopes.join(",") });
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (faults.api === "hang") return; // never answered: the client's timeout must end it
    if (faults.api === "error") return json(res, 500, { message: "Server Error" });
    if (faults.api === "rate-limited") {
      res.writeHead(403, { "content-type": "application/json; charset=utf-8", "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.ceil(now() / 1000) + 3600) });
      return void res.end(JSON.stringify({ message: "API rate limit exceeded for user.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }));
    }
    const bearer = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const token = bearer === undefined ? undefined : tokens.get(bearer);
    const user = token && usersById.get(token.userId);
    if (!token || !user) return json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    if (path === "/user") return json(res, 200, { login: user.login, id: user.id, type: "User", name: user.name ?? null, email: user.email ?? null });
    if (path === "/user/emails") {
      // GitHub hides this list from a token without the user:email (or user) scope.
      if (!token.scopes.has("user:email") && !token.scopes.has("user")) return json(res, 404, { message: "Not Found" });
      return json(res, 200, (user.emails ?? []).map((entry) => ({ visibility: "private", ...entry })));
    }
    json(res, 404, { message: "Not Found" });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in.invalid");
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /login/oauth/authorize") return authorize(req, res, url.searchParams);
    if (route === "POST /login/oauth/access_token") {
      return void exchange(req, res).catch(() => text(res, 500, "GitHub stand-in: could not read the request."));
    }
    if (req.method === "GET" && url.pathname.startsWith(`${API_PREFIX}/`)) return api(req, res, url.pathname.slice(API_PREFIX.length));
    text(res, 404, "GitHub stand-in: no such page.");
  });
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    apiUrl: `${base}${API_PREFIX}`,
    port,
    authorizations,
    async completeLogin(authorizationUrl, login, options = {}) {
      const url = new URL(authorizationUrl);
      if (url.origin !== base) throw new Error(`completeLogin: ${url.origin} is not this stand-in (${base})`);
      const headers: Record<string, string> = { [LOGIN_HEADER]: login, ...(options.deny ? { [DENY_HEADER]: "1" } : {}) };
      const response = await fetch(url, { headers, redirect: "manual" });
      const location = response.headers.get("location");
      if (response.status !== 302 || !location) throw new Error(`completeLogin: the stand-in answered ${response.status}: ${await response.text()}`);
      return new URL(location);
    },
    renameUser(id, login) {
      const user = usersById.get(id);
      if (!user) throw new Error(`renameUser: no user with id ${id}`);
      usersById.set(id, { ...user, login });
    },
    setFaults(next) {
      faults = { ...next };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts a GitHub stand-in before the tests of the calling file and stops it after them; faults
 * set by a test are healed after it.
 *
 * @example
 * const gh = useGitHubStandIn({ apps: [APP], users: [OCTOCAT] });
 * test("…", async () => { gh().setFaults({ api: "error" }); … });
 */
export function useGitHubStandIn(options: StartGitHubStandInOptions): () => GitHubStandIn {
  let standIn: GitHubStandIn | undefined;
  beforeAll(async () => {
    standIn = await startGitHubStandIn(options);
  });
  afterEach(() => standIn?.setFaults({}));
  afterAll(async () => {
    await standIn?.stop();
  });
  return () => {
    if (!standIn) throw new Error("useGitHubStandIn: the stand-in is only available inside tests");
    return standIn;
  };
}
