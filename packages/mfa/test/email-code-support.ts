import request from "supertest";
import { MemoryEmailTokenStore, MemoryMfaStore } from "@portcullis/core";
import { smtpMailer } from "@portcullis/email";
import { totpSecondFactor } from "@portcullis/mfa";
import type { TestSmtpServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";
import { MFA_KEY } from "./mfa-support";

type App = Parameters<typeof request>[0];

/**
 * The CorePlexML-shaped app of `createApp`, its second factor TOTP plus codes by email sent over
 * real SMTP to `smtp`; the MFA and code stores in memory, the clock the test's.
 */
export async function createEmailCodeApp(smtp: TestSmtpServer, options: Omit<NonNullable<Parameters<typeof createApp>[0]>, "mfa"> = {}) {
  const mfaStore = new MemoryMfaStore();
  const tokens = new MemoryEmailTokenStore();
  const mailer = smtpMailer({ url: smtp.url, from: "Portcullis test <no-reply@example.test>" });
  const mfa = totpSecondFactor({ store: mfaStore, encryptionKey: MFA_KEY, issuer: "Portcullis test", emailCodes: { mailer, tokens } });
  const ctx = await createApp({ ...options, mfa });
  return { ...ctx, mfaStore, tokens };
}

/** The code in the next email to `to`, read from its plain-text part, where it stands on a line of its own. */
export async function emailedCode(smtp: TestSmtpServer, to = EMAIL): Promise<string> {
  const mail = await smtp.nextMessage({ to });
  const code = /^(\d{6})$/m.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the email: ${mail.text}`);
  return code;
}

export function passwordLoginAs(app: App, email = EMAIL, password = PASSWORD) {
  return request(app).post("/api/auth/login").send({ email, password });
}

/** Asks for a code for the signed-in user (`POST /mfa/email-code`). */
export function askAccountCode(app: App, cookie: string) {
  return request(app).post("/api/auth/mfa/email-code").set("Cookie", cookie);
}

/** Asks for a code for the pending sign-in (`POST /login/mfa/email-code`). */
export function askSignInCode(app: App, pending: string) {
  return request(app).post("/api/auth/login/mfa/email-code").set("Cookie", pending);
}

export function reauthenticate(app: App, cookie: string, code: string) {
  return request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD, code });
}

/** Signs in with the password (no second factor yet), asks for a code and turns email codes on with it: the session's cookie. */
export async function enableEmailCodes(app: App, smtp: TestSmtpServer, email = EMAIL): Promise<string> {
  const cookie = sessionCookie(await passwordLoginAs(app, email).expect(200));
  await askAccountCode(app, cookie).expect(202);
  await request(app).post("/api/auth/mfa/email/enable").set("Cookie", cookie).send({ code: await emailedCode(smtp, email) }).expect(200);
  return cookie;
}

/** Password, then a code by email for that sign-in: the signed-in session's cookie. */
export async function signInWithEmailCode(app: App, smtp: TestSmtpServer, email = EMAIL): Promise<string> {
  const pending = sessionCookie(await passwordLoginAs(app, email).expect(401));
  await askSignInCode(app, pending).expect(202);
  const done = await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ email_code: await emailedCode(smtp, email) }).expect(200);
  return sessionCookie(done);
}
