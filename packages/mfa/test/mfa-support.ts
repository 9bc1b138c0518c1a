import request from "supertest";
import { MemoryMfaStore, type MfaStore } from "@portcullis/core";
import { totpCode, totpSecondFactor } from "@portcullis/mfa";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

export const MFA_KEY = "mfa-encryption-key-of-at-least-32-bytes!";
export const STEP_MS = 30_000;
type App = Parameters<typeof request>[0];
type Clock = { now: number; advance: (ms: number) => void };

/** The CorePlexML-shaped app of `createApp`, with TOTP as the auth router's second factor. */
export async function createMfaApp(options: Omit<NonNullable<Parameters<typeof createApp>[0]>, "mfa"> & { mfaStore?: MfaStore; encryptionKey?: string | string[] } = {}) {
  const { mfaStore = new MemoryMfaStore(), encryptionKey = MFA_KEY, ...rest } = options;
  const ctx = await createApp({ ...rest, mfa: totpSecondFactor({ store: mfaStore, encryptionKey, issuer: "Portcullis test" }) });
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

/**
 * Twenty wrong codes sent at once on one pending sign-in, then the right code on it: the answers'
 * details, how many codes were checked (each TOTP code checked is first counted against the
 * account, `beginCodeAttempt`), and the right code's answer.
 */
export async function wrongCodesAtOnce(app: App, clock: Clock, mfaStore: MfaStore, secret: string) {
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  // Every request reads the pending sign-in, then waits at its enrolment's lookup until all twenty
  // have got there: they are truly at once, whatever the machine's speed.
  const find = mfaStore.find.bind(mfaStore);
  const waiting: (() => void)[] = [];
  const lookups = jest.spyOn(mfaStore, "find").mockImplementation(async (userId) => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === 20) for (const release of waiting) release();
    });
    return find(userId);
  });
  const checks = jest.spyOn(mfaStore, "beginCodeAttempt");
  const answers = await Promise.all(Array.from({ length: 20 }, () => secondStep(app, pending, { code: "000000" })));
  const checked = checks.mock.calls.length;
  checks.mockRestore();
  lookups.mockRestore();
  const late = await secondStep(app, pending, { code: await codeAt(secret, clock) });
  return { statuses: answers.map((answer) => answer.status), details: answers.map((answer) => answer.body.detail as string), checked, late };
}

/** What `wrongCodesAtOnce` must see: five codes checked, the fifth and every later one told to start again. */
export function expectFiveChecked({ statuses, details, checked, late }: Awaited<ReturnType<typeof wrongCodesAtOnce>>) {
  expect(checked).toBe(5);
  expect(statuses).toEqual(Array(20).fill(401));
  expect(details.filter((detail) => detail === "Invalid or already used code.")).toHaveLength(4);
  expect(details.filter((detail) => detail === "Invalid code. Too many wrong codes: sign in with your email and password again.")).toHaveLength(16);
  expect(late.status).toBe(401);
  expect(late.body.detail).toBe("No sign-in is waiting for a code: sign in with your email and password first.");
}
