/** The cookies a browser would keep for the provider: name to value, paths and expiry ignored. */
type CookieJar = Map<string, string>;

async function send(jar: CookieJar, url: URL, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") };
  if (init.body) headers["content-type"] = "application/x-www-form-urlencoded";
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  for (const cookie of response.headers.getSetCookie()) {
    const pair = cookie.split(";", 1)[0]!;
    const equals = pair.indexOf("=");
    jar.set(pair.slice(0, equals), pair.slice(equals + 1));
  }
  return response;
}

/** The prompt oidc-provider's development interaction page asks for: `login` or `consent`. */
function promptOf(html: string): string | undefined {
  return /name="prompt" value="(\w+)"/.exec(html)?.[1];
}

/**
 * Follows the provider's redirects from the authorization URL, answering its development login
 * page (any password) and consent page (or cancelling it, with `denyConsent`), until it redirects
 * off the provider, and returns that URL.
 */
export async function driveDevInteractions(authorizationUrl: URL, issuer: string, accountId: string, options: { readonly denyConsent?: boolean } = {}): Promise<URL> {
  const origin = new URL(issuer).origin;
  const jar: CookieJar = new Map();
  let url = authorizationUrl;
  for (let step = 0; step < 20; step++) {
    if (url.origin !== origin) return url;
    const response = await send(jar, url);
    const location = response.headers.get("location");
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const page = await response.text();
    const prompt = promptOf(page);
    if (response.status !== 200 || !url.pathname.startsWith("/interaction/") || !prompt) {
      throw new Error(`completeLogin: the provider answered ${response.status} at ${url.pathname} instead of redirecting: ${page.slice(0, 300)}`);
    }
    if (prompt === "consent" && options.denyConsent) {
      // oidc-provider's own route for an interaction the user cancels: it answers access_denied.
      const aborted = await send(jar, new URL(`${url.pathname}/abort`, url));
      const next = aborted.headers.get("location");
      if (!next) throw new Error(`completeLogin: cancelling the consent page answered ${aborted.status} without a redirect`);
      url = new URL(next, url);
      continue;
    }
    const form = new URLSearchParams(prompt === "login" ? { prompt, login: accountId, password: "any" } : { prompt });
    const submitted = await send(jar, url, { method: "POST", body: form });
    const next = submitted.headers.get("location");
    if (!next) throw new Error(`completeLogin: submitting the ${prompt} page answered ${submitted.status} without a redirect`);
    url = new URL(next, url);
  }
  throw new Error("completeLogin: the provider kept redirecting (20 steps) without reaching the client");
}
