/**
 * A Secure session cookie on a request Express sees as plain HTTP (behind a TLS proxy without
 * `trust proxy`) is never set: the second factor's step, and re-authentication with a code,
 * refuse loudly as the password login does, before they change anything.
 */
import express from "express";
import request from "supertest";
import { PASSWORD, sessionCookie } from "./create-app";
import { codeAt, createMfaApp, enrolAdmin, mfaLogin, passwordLogin, secondStep } from "./mfa-support";

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

test("the MFA step and the routes that give a session a new id refuse too, before they change anything", async () => {
  const { logger, warnings } = recordingLogger();
  const { app, clock } = await createMfaApp({ session: { secure: true, logger } });
  const front = behindProxy(app);
  app.set("trust proxy", 1);
  const { secret } = await enrolAdmin(front, clock);
  const session = await mfaLogin(front, clock, secret);
  clock.advance(30_000);
  const pending = sessionCookie(await passwordLogin(front).expect(401));

  app.set("trust proxy", false); // the setting lost, say in a new deployment
  expect((await passwordLogin(front).expect(403)).body).toEqual(REFUSAL);
  expect((await secondStep(front, pending, { code: await codeAt(secret, clock) }).expect(403)).body).toEqual(REFUSAL);
  const withCode = await request(front).post("/api/auth/reauthenticate").set("Cookie", session).send({ password: PASSWORD, code: await codeAt(secret, clock) });
  expect([withCode.status, withCode.body]).toEqual([403, REFUSAL]);
  const change = await request(front).post("/api/auth/password").set("Cookie", session).send({ current_password: PASSWORD, new_password: "another-password-1" });
  expect([change.status, change.body]).toEqual([403, REFUSAL]);
  expect(warnings).toHaveLength(1);

  app.set("trust proxy", 1);
  // Nothing was lost: the session still works, and the pending sign-in can still be finished.
  await request(front).get("/api/auth/me").set("Cookie", session).expect(200);
  sessionCookie(await secondStep(front, pending, { code: await codeAt(secret, clock) }).expect(200));
});
