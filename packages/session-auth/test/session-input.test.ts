import request from "supertest";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

async function signedIn(session: Parameters<typeof createApp>[0] = {}) {
  const ctx = await createApp(session);
  const cookie = sessionCookie(await request(ctx.app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
  return { ...ctx, cookie };
}

describe("CSRF: an unsafe request a session authenticates must come from the app's own site", () => {
  test.each([
    ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }, 403],
    ["Sec-Fetch-Site: same-site (sibling subdomain, not trusted by default)", { "Sec-Fetch-Site": "same-site" }, 403],
    ["an Origin of another site", { Origin: "https://evil.example" }, 403],
    ["Origin: null (a sandboxed frame)", { Origin: "null" }, 403],
    ["Sec-Fetch-Site: same-origin", { "Sec-Fetch-Site": "same-origin" }, 201],
    ["no Fetch Metadata and no Origin (curl, requests)", {}, 201],
  ])("%s", async (_what, headers, status) => {
    const { app, cookie } = await signedIn();
    const res = await request(app).post("/api/projects").set("Cookie", cookie).set(headers).expect(status);
    if (status === 403) expect(res.body).toEqual({ error: "cross_site_request", detail: "Requests from another site cannot use this session." });
    expect(res.headers.vary).toMatch(/Sec-Fetch-Site, Origin/); // the answer depends on them: caches must know
  });

  test("the app's own Origin and the allowed origins pass; a GET from anywhere passes", async () => {
    const { app, cookie } = await signedIn({ session: { allowedOrigins: ["https://console.example.com"] } });
    const own = await request(app).post("/api/projects").set("Cookie", cookie).set("Host", "api.example.com").set("Origin", "http://api.example.com");
    expect(own.status).toBe(201);
    await request(app).post("/api/projects").set("Cookie", cookie).set("Origin", "https://console.example.com").expect(201);
    await request(app).get("/api/projects").set("Cookie", cookie).set("Sec-Fetch-Site", "cross-site").expect(200);
  });

  test("the app's own Origin keeps its port, read from X-Forwarded-Host only behind a trusted proxy", async () => {
    const { app, cookie } = await signedIn();
    const post = (headers: Record<string, string>) => request(app).post("/api/projects").set("Cookie", cookie).set(headers);
    await post({ Host: "localhost:3000", Origin: "http://localhost:3000" }).expect(201);
    await post({ Host: "localhost:3000", Origin: "http://localhost:4000" }).expect(403);
    const proxied = { Host: "10.0.0.5:8080", "X-Forwarded-Host": "app.example.com:8443", "X-Forwarded-Proto": "https", Origin: "https://app.example.com:8443" };
    await post(proxied).expect(403); // a forwarded host counts only from a proxy the app trusts
    app.set("trust proxy", "loopback");
    await post(proxied).expect(201);
  });

  test("a cross-site login is refused (login CSRF), and requests authenticated by an API key are not affected", async () => {
    const { app, keys } = await createApp();
    const res = await request(app).post("/api/auth/login").set("Sec-Fetch-Site", "cross-site").send({ email: EMAIL, password: PASSWORD }).expect(403);
    expect(res.headers["set-cookie"]).toBeUndefined();
    const { key } = await keys.create({ owner: "o", name: "k", scopes: ["write"] });
    await request(app).post("/api/projects").set("x-api-key", key).set("Sec-Fetch-Site", "cross-site").expect(201);
  });
});

describe("bad input to the auth routes gets a 4xx, never a 500", () => {
  test.each([
    ["no body (parsed as {}: the missing field is named)", undefined, "application/json", 400],
    ["a body that is not JSON", "email=a&password=b", "application/x-www-form-urlencoded", 415],
    ["broken JSON", "{email:", "application/json", 400],
    ["a missing password", JSON.stringify({ email: EMAIL }), "application/json", 400],
    ["a password of the wrong type", JSON.stringify({ email: EMAIL, password: 12345678 }), "application/json", 400],
    ["an email that is an array", JSON.stringify({ email: [EMAIL], password: PASSWORD }), "application/json", 400],
    ["an unknown field", JSON.stringify({ email: EMAIL, password: PASSWORD, admin: true }), "application/json", 400],
    ["a 1 MB password", JSON.stringify({ email: EMAIL, password: "p".repeat(1_000_000) }), "application/json", 413],
    ["a non-ASCII email", JSON.stringify({ email: "дмитрий@пример.рф", password: PASSWORD }), "application/json", 401],
    ["a password just past the limit", JSON.stringify({ email: EMAIL, password: "p".repeat(1025) }), "application/json", 400],
    ["the right credentials in UTF-16 (only UTF-8 is read)", Buffer.from(JSON.stringify({ email: EMAIL, password: PASSWORD }), "utf16le"), "application/json; charset=utf-16le", 415],
  ])("login with %s", async (_what, body, type, status) => {
    const { app } = await createApp();
    const req = request(app).post("/api/auth/login").set("Content-Type", type);
    const res = await (body === undefined ? req : req.send(body));
    expect(res.status).toBe(status);
    expect(res.body.error).toEqual(expect.any(String));
  });

  test.each([
    ["a forged cookie", "portcullis.sid=s%3Aforged.c2lnbmF0dXJl"],
    ["a truncated cookie", "portcullis.sid=s%3A"],
    ["a cookie with a tampered signature", "__SIGNED__"],
    ["garbage", "portcullis.sid=%%%"],
  ])("%s is no session: 401 on a guarded route, never a 500", async (_what, cookie) => {
    const { app, cookie: real } = await signedIn();
    const value = cookie === "__SIGNED__" ? `${real.slice(0, -3)}AAA` : cookie;
    const res = await request(app).get("/api/projects").set("Cookie", value).expect(401);
    expect(res.body.error).toBe("missing_credentials");
  });

  test("reauthenticate and me without a session: 401, not 500", async () => {
    const { app } = await createApp();
    await request(app).post("/api/auth/reauthenticate").send({ password: PASSWORD }).expect(401);
    await request(app).get("/api/auth/me").expect(401);
    await request(app).post("/api/auth/logout").expect(204);
  });
});

test("configuration mistakes are refused when sessionAuth is created", async () => {
  const { sessionAuth } = await import("@portcullis/session-auth");
  const roles = { admin: ["admin"] };
  expect(() => sessionAuth({ secret: "short", roles })).toThrow(/^sessionAuth: "secret" must be a string of at least 32 bytes/);
  expect(() => sessionAuth({ secret: "x".repeat(32) } as never)).toThrow(/"roles" is required/);
  expect(() => sessionAuth({ secret: "x".repeat(32), roles, cookieName: "__Host-sid", secure: false })).toThrow(/needs secure: true/);
  expect(() => sessionAuth({ secret: "x".repeat(32), roles, idleTimeoutMs: 10 * 3600_000 })).toThrow(/cannot exceed/);
  expect(() => sessionAuth({ secret: "x".repeat(32), roles, allowedOrigins: ["https://a.example/path"] })).toThrow(/"allowedOrigins"/);
  expect(() => sessionAuth({ secret: "x".repeat(32), roles, idle: 5 } as never)).toThrow(/unknown option "idle"/);
});

test("each sessionAuth option mistake names the option and what it must be", async () => {
  const { sessionAuth } = await import("@portcullis/session-auth");
  const base = { secret: "x".repeat(32), roles: { admin: ["admin"] } };
  const cases: [unknown, string][] = [
    [undefined, "options are required: sessionAuth({ secret, roles })"],
    ["secret", "options are required: sessionAuth({ secret, roles })"],
    [{ roles: base.roles }, `"secret" must be a string of at least 32 bytes (or an array of them, the first signing)`],
    [{ ...base, secret: [] }, `"secret" must be a string of at least 32 bytes (or an array of them, the first signing)`],
    [{ ...base, secret: ["x".repeat(32), "short"] }, `"secret" must be a string of at least 32 bytes (or an array of them, the first signing)`],
    [{ ...base, roles: { admin: "admin" } }, `"roles" is required: the scopes of each role, such as { admin: ["admin"], member: ["read"] }`],
    [{ ...base, sessions: {} }, `"sessions" must be a session storage, such as redisSessionStorage(redis) from @portcullis/redis or expressSessionStorage({ store, index })`],
    [{ ...base, secure: "yes" }, `"secure" must be a boolean`],
    [{ ...base, cookieName: "a b" }, `"cookieName" must be a cookie token of 1 to 64 characters`],
    [{ ...base, cookieName: 7 }, `"cookieName" must be a cookie token of 1 to 64 characters`],
    [{ ...base, cookieName: "__Host-sid", secure: false }, `a "__Host-" cookie needs secure: true (browsers refuse it otherwise)`],
    [{ ...base, idleTimeoutMs: 999 }, `"idleTimeoutMs" must be a whole number of milliseconds, at least 1000`],
    [{ ...base, absoluteTimeoutMs: 1.5e6 + 0.5 }, `"absoluteTimeoutMs" must be a whole number of milliseconds, at least 1000`],
    [{ ...base, idleTimeoutMs: 10 * 3600_000 }, `"idleTimeoutMs" cannot exceed "absoluteTimeoutMs"`],
    [{ ...base, allowedOrigins: ["https://a.example", "https://b.example/path"] }, `"allowedOrigins" holds origins such as "https://app.example.com" (scheme and host, no path), got "https://b.example/path"`],
    [{ ...base, allowedOrigins: "https://a.example" }, `"allowedOrigins" must be an array of origins such as "https://app.example.com" (scheme and host, no path)`],
    [{ ...base, trustSameSite: "true" }, `"trustSameSite" must be a boolean`],
    [{ ...base, now: 5 }, `"now" must be a function returning milliseconds`],
    [{ ...base, realm: 'a"b' }, `"realm" must be 1 to 64 printable ASCII characters without quotes or backslashes`],
    [{ ...base, users: {} }, `"users" must be a UserStore (findById, findByEmail, verifyCredentials, changePassword)`],
    [{ ...base, timeoutMs: 0 }, `"timeoutMs" must be a whole number of milliseconds from 1 to 60000`],
    [{ ...base, audit: {} }, `"audit" must be an AuditSink, such as new MemoryAuditSink()`],
    [{ ...base, logger: null }, `"logger" must have warn(message) and error(message) methods, such as console or a pino logger`],
    [{ ...base, onError: "throw" }, `"onError" must be "respond" or "next", got "throw"`],
    [{ ...base, idle: 5 }, `unknown option "idle"; the options are secret, roles, sessions, secure, cookieName, idleTimeoutMs, absoluteTimeoutMs, allowedOrigins, trustSameSite, now, realm, users, timeoutMs, audit, logger, onError, formatError`],
  ];
  for (const [options, message] of cases) expect(() => sessionAuth(options as never)).toThrow(new TypeError(`sessionAuth: ${message}`));
  // The defaults still build a working middleware, and the caller's object is left as it was.
  const options = { ...base };
  expect(typeof sessionAuth(options)).toBe("function");
  expect(options).toEqual(base);
});

test("each authRouter option mistake names the option and what it must be", async () => {
  const { authRouter, bcryptPasswords } = await import("@portcullis/session-auth");
  const { MemoryUserStore } = await import("@portcullis/core");
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const cases: [unknown, string][] = [
    [undefined, "options are required: authRouter({ users })"],
    [{}, `"users" is required: a UserStore such as new MemoryUserStore({ passwords: bcryptPasswords() })`],
    [{ users: {} }, `"users" is required: a UserStore such as new MemoryUserStore({ passwords: bcryptPasswords() })`],
    [{ users, rateLimit: {} }, `"rateLimit" must be a middleware`],
    [{ users, mfa: { issuer: "Acme" } }, `"mfa" must be a second factor, such as totpSecondFactor({ store, encryptionKey, issuer }) from @portcullis/mfa (a plain { store, encryptionKey, issuer } object is what totpSecondFactor takes)`],
    [{ users, passwordTimeoutMs: 0 }, `"passwordTimeoutMs" must be a whole number of milliseconds from 1 to 60000`],
    [{ users, recentAuthMaxAgeMs: -1 }, `"recentAuthMaxAgeMs" must be a whole number of milliseconds`],
    [{ users, recentAuthMaxAgeMs: "900000" }, `"recentAuthMaxAgeMs" must be a whole number of milliseconds`],
    [{ users, formatError: "json" }, `"formatError" must be a function (error, req) => ({ body, status?, contentType? })`],
    [{ users, rateLimt: () => {} }, `unknown option "rateLimt"; the options are users, rateLimit, recentAuthMaxAgeMs, passwordTimeoutMs, mfa, oauth, email, onError, formatError`],
    [{ users, oauth: { providers: [] } }, `"oauth" must be OAuth sign-in: oauthSignIn({ providers, identities, callbackBaseUrl }) from @portcullis/oauth`],
    [{ users, email: { mailer: {} } }, `"email" must be the email flows: emailFlows({ mailer, tokens, appUrl }) from @portcullis/email`],
  ];
  for (const [options, message] of cases) expect(() => authRouter(options as never)).toThrow(new TypeError(`authRouter: ${message}`));
  expect(typeof authRouter({ users, recentAuthMaxAgeMs: 0 })).toBe("function");
});
