/** The flows' store calls and sends are spans, a failed send is counted by port and operation, and nothing names the user. */
import request from "supertest";
import { METRICS } from "@portcullis/core/internal";
import { eventually, recordTelemetry, useSmtpServer, type RecordedTelemetry } from "@portcullis/testing";
import { ADA, createEmailApp, nextAbout } from "./email-app";

const smtp = useSmtpServer();
let telemetry: RecordedTelemetry;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(() => telemetry.stop());

test("a reset's token and message are spans; a refused send is a counted store error; no address or token is an attribute", async () => {
  const { app } = await createEmailApp(smtp());
  await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
  await nextAbout(smtp(), ADA.email, /^Reset/);
  smtp().setFaults({ delivery: "refuse" });
  await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);

  const mailer = { "portcullis.store": "Mailer", "portcullis.store.operation": "send" };
  await eventually(async () => (await telemetry.total(METRICS.storeErrors, mailer)) === 1);
  expect(await telemetry.total(METRICS.storeErrors, mailer)).toBe(1);
  const spans = telemetry.spans().map((span) => span.name);
  expect(spans).toEqual(expect.arrayContaining(["UserStore.findByEmail", "EmailTokenStore.issue", "Mailer.send"]));
  const values = JSON.stringify(await telemetry.attributeValues());
  expect(values).not.toContain("ada");
});
