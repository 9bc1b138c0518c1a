import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the next ID token says and how it is signed; the test's changes apply to one token. */
export interface Forgery {
  /** Changes the claims a faithful provider would sign. */
  readonly claims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  /** Sign with a key the provider never published (the published key id kept). */
  readonly foreignKey?: boolean;
  /** An unsigned token (`alg: none`). */
  readonly unsigned?: boolean;
}

/**
 * A HOSTILE OpenID Provider, for attack tests only: discovery, JWKS, an authorization endpoint that
 * approves at once, and a token endpoint that returns an ID token with whatever the test forged
 * (another audience, another key, no nonce…). Everything else about it is faithful, so a sign-in
 * it does not tamper with succeeds: that is checked, so a refusal proves the check, not a broken
 * stand-in. The real protocol is tested against oidc-provider (oidc-sign-in.test.ts).
 */
export async function startForgingProvider(client: { clientId: string; subject: string; email: string }) {
  const published = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const codes = new Map<string, { nonce: string }>();
  let forgery: Forgery = {};
  let extraClaims: Record<string, unknown> = {};
  let fault: "down" | "hang" | undefined;
  let userInfo: Record<string, unknown> = {};

  const server = createServer((req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (status: number, body: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (fault === "hang") return; // never answers
    if (fault === "down") return json(503, { error: "temporarily_unavailable" });
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    }
    if (url.pathname === "/jwks") return json(200, { keys: [{ ...published.publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" }] });
    if (url.pathname === "/userinfo") return json(200, { sub: client.subject, ...userInfo });
    if (url.pathname === "/authorize") {
      const code = randomBytes(16).toString("hex");
      codes.set(code, { nonce: url.searchParams.get("nonce") ?? "" });
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      return void res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk));
      req.on("end", () => {
        const grant = codes.get(new URLSearchParams(body).get("code") ?? "");
        if (!grant) return json(400, { error: "invalid_grant" });
        const now = Math.floor(Date.now() / 1000);
        const faithful = { iss: issuer, sub: client.subject, aud: client.clientId, iat: now, auth_time: now, exp: now + 300, nonce: grant.nonce, email: client.email, email_verified: true, ...extraClaims };
        const claims = forgery.claims ? forgery.claims(faithful) : faithful;
        const idToken = forgery.unsigned ? jwt(claims) : jwt(claims, forgery.foreignKey ? foreign.privateKey : published.privateKey);
        forgery = {};
        json(200, { access_token: randomBytes(16).toString("hex"), token_type: "Bearer", expires_in: 300, id_token: idToken });
      });
      return;
    }
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    /** The next token is forged so. */
    forge: (next: Forgery) => void (forgery = next),
    /** What `/userinfo` says besides the subject. */
    setUserInfo: (claims: Record<string, unknown>) => void (userInfo = claims),
    /** Every endpoint answers 503 (`down`), or never answers (`hang`), until set back to undefined. */
    setFault: (next: "down" | "hang" | undefined) => void (fault = next),
    /** Claims every token carries from now on (`amr`, `groups`…), forged or not. */
    setClaims: (claims: Record<string, unknown>) => void (extraClaims = claims),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function jwt(claims: Record<string, unknown>, key?: KeyObject): string {
  const header = key ? { alg: "RS256", kid: "k1", typ: "JWT" } : { alg: "none", typ: "JWT" };
  const input = `${base64url(header)}.${base64url(claims)}`;
  return `${input}.${key ? createSign("RSA-SHA256").update(input).sign(key).toString("base64url") : ""}`;
}
