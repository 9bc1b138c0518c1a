/** A provider's answers are counted by outcome with credential type `oauth`, and its store calls are spans; nothing names the user. */
import request from "supertest";
import { METRICS } from "@portcullis/core/internal";
import { recordTelemetry, useOpenIdProvider, type RecordedTelemetry } from "@portcullis/testing";
import { APP_CLIENT, createOAuthApp, signInThrough, testProvider } from "./oauth-app";

const op = useOpenIdProvider({ clients: [APP_CLIENT], accounts: [{ sub: "tess-sub", email: "tess@example.test", email_verified: true }] });
let telemetry: RecordedTelemetry;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(() => telemetry.stop());

test("sign-ins through a provider, and refused answers, are counted as oauth outcomes", async () => {
  const { app } = await createOAuthApp({ providers: [testProvider(op())], oauth: { signUp: { role: "member" } } });
  expect((await signInThrough(request.agent(app), op(), "tess-sub")).status).toBe(303);
  await request(app).get("/api/auth/oauth/corp/callback?code=x&state=y").expect(400);

  const oauth = { "portcullis.middleware": "authRouter", "portcullis.credential.type": "oauth" };
  expect(await telemetry.total(METRICS.authOutcomes, { ...oauth, "portcullis.outcome": "success" })).toBe(1);
  expect(await telemetry.total(METRICS.authOutcomes, { ...oauth, "portcullis.outcome": "oauth_invalid_state" })).toBe(1);
  const spans = telemetry.spans().map((span) => span.name);
  expect(spans).toEqual(expect.arrayContaining(["IdentityStore.find", "IdentityStore.link", "UserStore.findByEmail", "UserStore.create"]));
  const values = JSON.stringify(await telemetry.attributeValues());
  expect(values).not.toContain("tess");
});
