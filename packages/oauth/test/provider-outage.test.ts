/**
 * A provider that is down or slow ends a sign-in on 503 provider_unavailable, in JSON or on the
 * app's page, never a 500 and never a hang; nothing is written for a sign-in that cannot start,
 * and a provider that comes back works again (a failed discovery is not kept).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { oidcProvider } from "@portcullis/oauth";
import { createOAuthApp, onApp } from "./oauth-app";
import { startForgingProvider } from "./forging-provider";

const CLIENT = { clientId: "outage-client", subject: "olga-sub", email: "olga@example.test" };
let idp: Awaited<ReturnType<typeof startForgingProvider>>;
beforeAll(async () => {
  idp = await startForgingProvider(CLIENT);
});
afterAll(() => idp.stop());
afterEach(() => idp.setFault(undefined));

async function openApp(issuer: string) {
  const provider = oidcProvider({ id: "corp", name: "Corp", issuer, clientId: CLIENT.clientId, clientSecret: "outage-secret", allowHttpOnLoopback: true, timeoutMs: 500 });
  return createOAuthApp({ providers: [provider], oauth: { signUp: { role: "member" } } });
}

test("a provider that answers 503 at discovery: 503 provider_unavailable, logged, no session written; it works once the provider is back", async () => {
  const { app, audit } = await openApp(idp.issuer);
  idp.setFault("down");
  const refused = await request(app).get("/api/auth/oauth/corp").expect(503);
  expect(refused.body).toMatchObject({ error: "provider_unavailable" });
  expect(refused.headers["set-cookie"]).toBeUndefined();
  const logged = await audit.list({ limit: 10, unowned: true });
  expect(logged.events.map(({ action, code, targetId }) => ({ action, code, targetId }))).toEqual([{ action: "session.login", code: "provider_unavailable", targetId: "corp" }]);
  idp.setFault(undefined);
  await request(app).get("/api/auth/oauth/corp").expect(302);
});

test("a browser is sent back to the app's page with the code", async () => {
  const { app } = await openApp(idp.issuer);
  idp.setFault("down");
  const refused = await request(app).get("/api/auth/oauth/corp").set("Accept", "text/html").expect(303);
  expect(refused.headers.location).toBe("/?oauth_error=provider_unavailable");
});

test("a provider that never answers: 503 after the time limit, not a hang", async () => {
  const { app } = await openApp(idp.issuer);
  idp.setFault("hang");
  const refused = await request(app).get("/api/auth/oauth/corp").expect(503);
  expect(refused.body.error).toBe("provider_unavailable");
});

test("nothing listening at the issuer: 503 provider_unavailable", async () => {
  const closed: Server = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { app } = await openApp(`http://127.0.0.1:${port}`);
  expect((await request(app).get("/api/auth/oauth/corp").expect(503)).body.error).toBe("provider_unavailable");
});

test.each(["down", "hang"] as const)("a token endpoint %s at the answer: 503 provider_unavailable, nobody signed in", async (fault) => {
  const { app } = await openApp(idp.issuer);
  const browser = request.agent(app);
  const started = await browser.get("/api/auth/oauth/corp").expect(302);
  const callback = (await fetch(started.headers.location!, { redirect: "manual" })).headers.get("location")!;
  idp.setFault(fault);
  const refused = await browser.get(onApp(callback)).expect(503);
  expect(refused.body.error).toBe("provider_unavailable");
  await browser.get("/api/auth/me").expect(401);
});
