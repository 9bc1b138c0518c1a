/** A token store that fails, or stalls, fails closed: 503, nothing sent, nothing changed. */
import request from "supertest";
import { MemoryEmailTokenStore, MemoryOutbox, type EmailTokenStore } from "@portcullis/core";
import { ADA, createEmailApp } from "./email-app";

function failing(mode: "reject" | "stall"): EmailTokenStore {
  const fail = () => (mode === "reject" ? Promise.reject(new Error("connection lost")) : new Promise<never>(() => {}));
  return { issue: fail, take: fail, issueCode: fail, useCode: fail };
}

test.each(["reject", "stall"] as const)("a token store that fails (%s) answers 503 for a reset, and nothing is sent", async (mode) => {
  const outbox = new MemoryOutbox();
  const { app } = await createEmailApp(undefined, { mailer: outbox, tokens: failing(mode), flows: { timeoutMs: 200 } });
  for (const email of [ADA.email, "nobody@example.test"]) {
    const answer = await request(app).post("/api/auth/password/forgot").send({ email }).expect(503);
    expect(answer.body.error).toBe("auth_unavailable");
  }
  await request(app).post("/api/auth/password/reset").send({ token: "A".repeat(43), new_password: "whatever it is" }).expect(503);
  expect(await outbox.list()).toEqual([]);
  await request(app).post("/api/auth/login").send(ADA).expect(200);
});

test("a mailer that throws at once is logged, and the visitor still gets 202", async () => {
  const mailer = { send: () => { throw new Error("no transport"); } };
  const { app, logger } = await createEmailApp(undefined, { mailer, tokens: new MemoryEmailTokenStore() });
  await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
  await new Promise((resolve) => setImmediate(resolve));
  expect(logger.lines).toEqual(["emailFlows: a message could not be sent (no transport)"]);
});
