import type * as OpenIdClient from "openid-client";
import type { AuthorizationRequest } from "./provider";

/**
 * openid-client, loaded on first use. It is ES-module only: Node 20.19+ requires it natively, and
 * loading it lazily keeps an app that never signs anyone in through a provider from paying for it.
 */
export function openIdClient(): typeof OpenIdClient {
  return require("openid-client") as typeof OpenIdClient;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Whether `url` is HTTPS, or plain HTTP to this machine (a development provider, a test). */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
}

/** What every authorization request carries: the redirect URI, `state`, and PKCE's S256 challenge. */
export async function codeFlowParams(request: AuthorizationRequest): Promise<Record<string, string>> {
  return {
    redirect_uri: request.redirectUri,
    state: request.state,
    code_challenge: await openIdClient().calculatePKCECodeChallenge(request.codeVerifier),
    code_challenge_method: "S256",
  };
}
