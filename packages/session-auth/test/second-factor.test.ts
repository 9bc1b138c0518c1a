/**
 * `authRouter`'s `mfa` option is a port: any `SecondFactor` plugs in. A stand-in factor (one
 * fixed code, as an email code would arrive) shows what the router does for every factor — the
 * pending sign-in, the `mfa_required` answer naming the factor's methods, the session issued when
 * the factor's own route completes — and what it does without one.
 */
import type { Request, Response } from "express";
import request from "supertest";
import { PortcullisError } from "@portcullis/core";
import { challenge } from "@portcullis/core/internal";
import type { SecondFactor } from "@portcullis/session-auth";
import { z } from "zod";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const CODE = "424242";

/** Every user but the member has the stand-in factor; its code is always `CODE`. */
function emailCodeFactor(memberId: () => string): SecondFactor & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async challenge(_req, context, user) {
      if (user.id === memberId()) return undefined;
      return new PortcullisError("mfa_required", undefined, {
        headers: { "WWW-Authenticate": challenge("Bearer", context.realm, { error: "insufficient_user_authentication" }) },
        data: { methods: ["email_code"] },
      });
    },
    async isRequired(_context, userId) {
      return userId !== memberId();
    },
    reauthenticationCode: z.string().regex(/^[0-9]{6}$/, "must be the 6 digits of the email"),
    async reauthenticate(_req: Request, _context, _userId, code) {
      calls.push(`reauthenticate ${code}`);
      if (code !== CODE) throw new PortcullisError("invalid_credentials", "Invalid password or code.");
    },
    addRoutes(router, routes) {
      const finishSignIn = async (req: Request, res: Response) => {
        const pending = routes.pendingSignIn(req);
        if (!pending || req.body.code !== CODE) throw new PortcullisError("invalid_credentials", "No.");
        const user = (await routes.users.findById(pending.userId))!;
        const at = routes.context(req).now();
        if (!(await routes.completeSignIn(req, res, user, { authenticatedAt: pending.passwordAt, secondFactorAt: at }))) throw new PortcullisError("invalid_credentials", "Gone.");
      };
      // The factor's route passes its refusals to next itself: Express 4 ignores a rejected promise.
      router.post("/login/email-code", routes.cookieDeliverable, ...routes.json, routes.sameSiteOnly, (req, res, next) => {
        finishSignIn(req, res).catch(next);
      });
    },
  };
}

async function appWithFactor() {
  let memberId = "";
  const factor = emailCodeFactor(() => memberId);
  const ctx = await createApp({ mfa: factor });
  memberId = ctx.member.id;
  return { ...ctx, factor };
}

const login = (app: Parameters<typeof request>[0], email = EMAIL, password = PASSWORD) => request(app).post("/api/auth/login").send({ email, password });

test("a user with the factor: the password answers 401 mfa_required with the factor's methods, and the factor's route finishes the sign-in under a new id", async () => {
  const { app } = await appWithFactor();
  const first = await login(app).expect(401);
  expect(first.body).toEqual({ error: "mfa_required", detail: expect.any(String), methods: ["email_code"] });
  const pending = sessionCookie(first);
  expect((await request(app).get("/api/auth/me").set("Cookie", pending).expect(401)).body.error).toBe("missing_credentials");
  const done = await request(app).post("/api/auth/login/email-code").set("Cookie", pending).send({ code: CODE }).expect(200);
  const signedIn = sessionCookie(done);
  expect(signedIn).not.toBe(pending);
  await request(app).post("/api/account/critical").set("Cookie", signedIn).expect(200); // the second factor is recorded
  await request(app).post("/api/auth/login/email-code").set("Cookie", pending).send({ code: CODE }).expect(401); // the pending session is gone
});

test("a user without the factor signs in with the password alone", async () => {
  const { app } = await appWithFactor();
  const res = await login(app, "member@example.com", "member-password").expect(200);
  expect(res.body.user.email).toBe("member@example.com");
});

test("/reauthenticate checks the code's shape with the factor's schema before the password, then lets the factor check it", async () => {
  const { app, factor } = await appWithFactor();
  const pending = sessionCookie(await login(app).expect(401));
  const cookie = sessionCookie(await request(app).post("/api/auth/login/email-code").set("Cookie", pending).send({ code: CODE }).expect(200));
  const malformed = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "wrong", code: "12" }).expect(400);
  expect(malformed.body).toEqual({ error: "invalid_request", detail: "code: must be the 6 digits of the email" });
  await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "wrong", code: CODE }).expect(401);
  expect(factor.calls).toEqual([]); // a wrong password never reaches the factor
  const renewed = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: PASSWORD, code: CODE }).expect(200);
  expect(Object.keys(renewed.body)).toEqual(["reauthenticated_at", "second_factor_at"]);
  expect(factor.calls).toEqual([`reauthenticate ${CODE}`]);
});

test("without mfa, the MFA routes are not there and /reauthenticate takes no code", async () => {
  const { app } = await createApp();
  const cookie = sessionCookie(await login(app).expect(200));
  expect((await request(app).get("/api/auth/mfa").set("Cookie", cookie)).status).toBe(404);
  expect((await request(app).post("/api/auth/login/mfa").send({ code: "123456" })).status).toBe(404);
  const res = await request(app).post("/api/auth/reauthenticate").set("Cookie", cookie).send({ password: "your-password", code: "123456" }).expect(400);
  expect(res.body.detail).toMatch(/code/);
});

test.each([
  ["a plain options object", { store: {}, encryptionKey: "k".repeat(32), issuer: "Acme" }],
  ["a factor without its routes", { challenge() {}, isRequired() {}, reauthenticate() {}, reauthenticationCode: z.string() }],
  ["a string", "totp"],
])("authRouter refuses %s as mfa, naming totpSecondFactor", async (_what, mfa) => {
  await expect(createApp({ mfa: mfa as never })).rejects.toThrow(/^authRouter: "mfa" must be a second factor, such as totpSecondFactor/);
});
