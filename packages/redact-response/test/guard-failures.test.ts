import express, { type ErrorRequestHandler } from "express";
import request from "supertest";
import { redactResponse } from "@portcullis/redact-response";
import { asKey, authenticate } from "./support/create-app";

// A bug in the check, whichever it may be, stands in for the stack overflow a deep body caused.
jest.mock("../src/hidden-writes", () => ({
  findHiddenWrites: () => {
    throw new RangeError("Maximum call stack size exceeded");
  },
}));

/** A route behind redactResponse whose error handler records what reached it. */
function appWithErrorHandler(before: express.RequestHandler[] = []) {
  const errors: unknown[] = [];
  const handled: ErrorRequestHandler = (error, _req, res, _next) => {
    errors.push(error);
    res.status(500).json({ error: "internal_error" });
  };
  const app = express();
  app.patch("/models/:id", authenticate(asKey(["write"])), ...before, redactResponse([{ path: "training_data", scope: "admin" }]), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(handled);
  return { app, errors };
}

describe("redactResponse's write guard: whatever throws reaches the error handler, and the write does not run", () => {
  test("a throw while checking a body it read itself (inside body-parser's callback) goes to next(error)", async () => {
    const { app, errors } = appWithErrorHandler();
    await request(app).patch("/models/m1").send({ name: "x" }).expect(500, { error: "internal_error" });
    expect(errors).toEqual([expect.any(RangeError)]);
  });

  test("a throw while checking a body parsed before it goes to next(error) too", async () => {
    const { app, errors } = appWithErrorHandler([express.json()]);
    await request(app).patch("/models/m1").send({ name: "x" }).expect(500, { error: "internal_error" });
    expect(errors).toEqual([expect.any(RangeError)]);
  });
});
