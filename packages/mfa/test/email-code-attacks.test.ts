/**
 * Attacks on codes by email as a second factor that the flow suite does not show: a sign-in begun
 * with a password that has since changed, and codes in odd shapes.
 */
import request from "supertest";
import { useSmtpServer } from "@portcullis/testing";
import { PASSWORD, sessionCookie } from "./create-app";
import { askSignInCode, createEmailCodeApp, emailedCode, enableEmailCodes, passwordLoginAs, signInWithEmailCode } from "./email-code-support";

const smtp = useSmtpServer();
const NEW_PASSWORD = "a password mallory lacks";

test("a sign-in begun with a password since changed cannot be finished, even with its emailed code", async () => {
  // Mallory knows the old password and waits at the second step; the owner changes the password.
  const { app, clock } = await createEmailCodeApp(smtp());
  await enableEmailCodes(app, smtp());
  const owner = await signInWithEmailCode(app, smtp());
  const mallory = sessionCookie(await passwordLoginAs(app).expect(401));
  await askSignInCode(app, mallory).expect(202);
  const code = await emailedCode(smtp()); // say the owner is tricked into reading it out
  clock.advance(1000);
  await request(app).post("/api/auth/password").set("Cookie", owner).send({ current_password: PASSWORD, new_password: NEW_PASSWORD }).expect(200);

  const refused = await request(app).post("/api/auth/login/mfa").set("Cookie", mallory).send({ email_code: code }).expect(401);
  expect(refused.body.error).toBe("invalid_credentials");
  await request(app).get("/api/auth/me").set("Cookie", mallory).expect(401);
  // Nor can she have another code sent for it.
  clock.advance(61_000);
  await askSignInCode(app, mallory).expect(401);
});

test("a code in any other shape than six ASCII digits is a 400, never a 500, and spends no try", async () => {
  const { app } = await createEmailCodeApp(smtp());
  await enableEmailCodes(app, smtp());
  const pending = sessionCookie(await passwordLoginAs(app).expect(401));
  await askSignInCode(app, pending).expect(202);
  const code = await emailedCode(smtp());
  const odd: unknown[] = [Number(code), [code], { code }, null, `${code}\n`, ` ${code}`, code.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))), "1".repeat(10_000), `${code}0`];
  for (const email_code of odd) {
    const answer = await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ email_code });
    expect([JSON.stringify(email_code).slice(0, 20), answer.status]).toEqual([JSON.stringify(email_code).slice(0, 20), 400]);
  }
  // Five tries per code: none of the above counted, so the right code still works.
  await request(app).post("/api/auth/login/mfa").set("Cookie", pending).send({ email_code: code }).expect(200);
});
