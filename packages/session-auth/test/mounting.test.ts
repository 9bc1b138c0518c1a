import express from "express";
import request from "supertest";
import { MemoryUserStore, portcullisFinalHandlers } from "@portcullis/core";
import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";

// authRouter reads what sessionAuth put on the request (req.portcullis.sessionAuth). Without it
// there is no session to sign in to: a mounting mistake, answered as the server's fault and logged
// with the fix, never a login that half works.
function appWith(withSessions: boolean) {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const logger = { error: jest.fn(), warn: jest.fn() };
  const app = express();
  if (withSessions) app.use(sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: {} }));
  app.use("/auth", authRouter({ users }));
  app.use(...portcullisFinalHandlers({ logger }));
  return { app, logger };
}

test.each([
  ["POST", "/auth/login"],
  ["POST", "/auth/logout"],
  ["GET", "/auth/me"],
  ["GET", "/auth/sessions"],
])("without sessionAuth before it, authRouter's %s %s is a 500 internal_error, logged with the fix", async (method, path) => {
  const { app, logger } = appWith(false);
  const res = await request(app)[method === "GET" ? "get" : "post"](path).send({ email: "a@example.com", password: "p" }).expect(500);
  expect(res.body.error).toBe("internal_error");
  expect(JSON.stringify(res.body)).not.toMatch(/sessionAuth/); // the fix is for the logs, not the client
  expect(logger.error).toHaveBeenCalledTimes(1);
  expect(String(logger.error.mock.calls[0]![1])).toMatch(/authRouter: mount sessionAuth\(\) before it/);
});

test("with sessionAuth before it, the same requests are answered as usual", async () => {
  const { app, logger } = appWith(true);
  await request(app).get("/auth/me").expect(401);
  await request(app).post("/auth/logout").expect(204);
  expect(logger.error).not.toHaveBeenCalled();
});
