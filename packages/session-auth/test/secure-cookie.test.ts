/**
 * A Secure session cookie on a request Express sees as plain HTTP (behind a TLS proxy without
 * `trust proxy`) is never set: every route that would issue one refuses loudly instead of
 * answering 200 with no cookie, and the operator reads one line naming the setting.
 */
import express from "express";
import request from "supertest";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const REFUSAL = {
  error: "https_required",
  detail: 'Signing in needs an HTTPS connection. If this site is served over HTTPS, its server is missing the "trust proxy" setting.',
};

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => void warnings.push(message), error: () => {} } };
}

/** `app` behind a TLS-terminating proxy: every request arrives as plain HTTP with X-Forwarded-Proto: https. */
function behindProxy(app: express.Express) {
  const proxy = express();
  proxy.use((req, _res, next) => {
    req.headers["x-forwarded-proto"] = "https";
    next();
  });
  proxy.use(app);
  return proxy;
}

test("without trust proxy, login answers 403 https_required with no cookie, and one log line names the setting", async () => {
  const { logger, warnings } = recordingLogger();
  const { app } = await createApp({ session: { secure: true, logger } });
  const front = behindProxy(app);
  for (let i = 0; i < 3; i++) {
    const res = await request(front).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(403);
    expect(res.body).toEqual(REFUSAL);
    expect(res.headers["set-cookie"]).toBeUndefined();
  }
  // A wrong password is refused the same way: the answer tells nothing about the account.
  expect((await request(front).post("/api/auth/login").send({ email: EMAIL, password: "wrong" }).expect(403)).body).toEqual(REFUSAL);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^sessionAuth: .*app\.set\("trust proxy", 1\)/);
  expect(warnings[0]).toMatch(/\(or the proxy's address\) before the routes; for local development over HTTP, pass sessionAuth\(\{ secure: false \}\)\.$/);
  expect(warnings[0]).not.toMatch(/\n/);
});

test("with trust proxy set, the same login answers 200 with the Secure __Host- cookie", async () => {
  const { logger, warnings } = recordingLogger();
  const { app } = await createApp({ session: { secure: true, logger } });
  app.set("trust proxy", 1);
  const res = await request(behindProxy(app)).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
  expect(res.headers["set-cookie"]).toEqual([expect.stringMatching(/^__Host-portcullis=.+; Path=\/; .*HttpOnly; Secure; SameSite=Lax$/)]);
  expect(warnings).toEqual([]);
});

test("a cookie that is not Secure is set over plain HTTP as before", async () => {
  const { app } = await createApp({ session: { secure: false } });
  sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));
});

test("sessionAuth checks its logger when it is made", async () => {
  await expect(createApp({ session: { logger: { warn: "no" } as never } })).rejects.toThrow(/^sessionAuth: "logger" must have warn\(message\) and error\(message\)/);
});
