import request from "supertest";
import { MemoryMfaStore, type MfaStore } from "@portcullis/core";
import { totpCode } from "@portcullis/session-auth";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

export const MFA_KEY = "mfa-encryption-key-of-at-least-32-bytes!";
export const STEP_MS = 30_000;
type App = Parameters<typeof request>[0];
type Clock = { now: number; advance: (ms: number) => void };

/** The CorePlexML-shaped app of `createApp`, with MFA on the auth router. */
export async function createMfaApp(options: Parameters<typeof createApp>[0] & { mfaStore?: MfaStore; encryptionKey?: string | string[] } = {}) {
  const { mfaStore = new MemoryMfaStore(), encryptionKey = MFA_KEY, ...rest } = options;
  const ctx = await createApp({ ...rest, mfa: { store: mfaStore, encryptionKey, issuer: "Portcullis test" } });
  return { ...ctx, mfaStore };
}

/** The code an authenticator app shows at the app's clock, `steps` time steps later (or earlier). */
export function codeAt(secret: string, clock: Clock, steps = 0): Promise<string> {
  return totpCode(secret, Math.floor(clock.now / 1000) + steps * 30);
}

export function passwordLogin(app: App, cookie?: string) {
  const req = request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD });
  return cookie ? req.set("Cookie", cookie) : req;
}

export function secondStep(app: App, cookie: string, body: object) {
  return request(app).post("/api/auth/login/mfa").set("Cookie", cookie).send(body);
}

/** Signs the admin in (password only), enrols and confirms; the clock then moves to the next step. */
export async function enrolAdmin(app: App, clock: Clock) {
  const cookie = sessionCookie(await passwordLogin(app).expect(200));
  const enrolment = await request(app).post("/api/auth/mfa/enrol").set("Cookie", cookie).expect(200);
  const secret: string = enrolment.body.secret;
  const confirmed = await request(app).post("/api/auth/mfa/confirm").set("Cookie", cookie).send({ code: await codeAt(secret, clock) }).expect(200);
  clock.advance(STEP_MS); // the confirming code's step is spent
  return { cookie, secret, recoveryCodes: confirmed.body.recovery_codes as string[], enrolment: enrolment.body };
}

/** Password, then a code of the current step: the cookie of the signed-in session. */
export async function mfaLogin(app: App, clock: Clock, secret: string): Promise<string> {
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  return sessionCookie(await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(200));
}
