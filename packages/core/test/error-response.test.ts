import express, { type ErrorRequestHandler, type Request } from "express";
import createError from "http-errors";
import request from "supertest";
import { PortcullisError, portcullisErrorHandler, problemDetailsFormat, type ErrorResponseOptions } from "@portcullis/core";
import { createErrorResponder } from "@portcullis/core/internal";

const BEARER_CHALLENGE = 'Bearer error="insufficient_scope"';

function missingWrite(): PortcullisError {
  return new PortcullisError("insufficient_permissions", "Missing scope: write", {
    headers: { "WWW-Authenticate": BEARER_CHALLENGE },
  });
}

/**
 * An app whose GET /resource hands `makeError()` to a responder built from `options`, and whose
 * own error handler (the host's) records what reaches it and answers 599.
 */
function createApp(options: ErrorResponseOptions, makeError: () => unknown = missingWrite) {
  const app = express();
  const reachedHost: unknown[] = [];
  const respond = createErrorResponder(options);
  app.get("/resource", (req, res, next) => respond(makeError(), req, res, next));
  const hostHandler: ErrorRequestHandler = (error, _req, res, _next) => {
    reachedHost.push(error);
    res.status(599).json({ host: true });
  };
  app.use(hostHandler);
  return { app, reachedHost };
}

describe("createErrorResponder", () => {
  it("answers a refusal with its status, the default JSON body, its headers and Cache-Control: no-store", async () => {
    const { app, reachedHost } = createApp({});

    const res = await request(app).get("/resource");

    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/json(;|$)/);
    expect(JSON.parse(res.text)).toEqual({ error: "insufficient_permissions", detail: "Missing scope: write" });
    expect(res.headers["www-authenticate"]).toBe(BEARER_CHALLENGE);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(reachedHost).toEqual([]);
  });

  it("answers RFC 9457 problem details with formatError: problemDetailsFormat", async () => {
    const { app } = createApp({ formatError: problemDetailsFormat });

    const res = await request(app).get("/resource?page=2");

    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json(;|$)/);
    expect(JSON.parse(res.text)).toEqual({
      type: "urn:portcullis:error:insufficient_permissions",
      title: "insufficient_permissions",
      status: 403,
      detail: "Missing scope: write",
      instance: "/resource", // the query string is never echoed back
    });
    expect(res.headers["www-authenticate"]).toBe(BEARER_CHALLENGE);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("uses a custom formatter's body, status and content type", async () => {
    const formatError = (error: PortcullisError, req: Request) => ({
      status: 200,
      contentType: "application/vnd.status+json",
      body: { status: { code: 11_007, description: error.detail, path: req.path } },
    });
    const { app } = createApp({ formatError });

    const res = await request(app).get("/resource");

    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/vnd\.status\+json/);
    expect(JSON.parse(res.text)).toEqual({ status: { code: 11_007, description: "Missing scope: write", path: "/resource" } });
  });

  it("sends a string body from a formatter as text/plain", async () => {
    const { app } = createApp({ formatError: (error) => ({ body: `denied: ${error.code}` }) });

    const res = await request(app).get("/resource");

    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.text).toBe("denied: insufficient_permissions");
  });

  it("passes the refusal itself to the host's error handler with onError: 'next'", async () => {
    const refusal = missingWrite();
    const { app, reachedHost } = createApp({ onError: "next" }, () => refusal);

    const res = await request(app).get("/resource");

    expect(res.status).toBe(599);
    expect(reachedHost).toHaveLength(1);
    expect(reachedHost[0]).toBe(refusal);
  });

  it("passes an error that is not a refusal to next untouched", async () => {
    const bug = new RangeError("boom");
    const { app, reachedHost } = createApp({}, () => bug);

    const res = await request(app).get("/resource");

    expect(res.status).toBe(599);
    expect(reachedHost).toHaveLength(1);
    expect(reachedHost[0]).toBe(bug);
  });
});

describe("portcullisErrorHandler", () => {
  function createHostApp(handler: ErrorRequestHandler, thrown: unknown) {
    const app = express();
    app.get("/sync", () => {
      throw thrown;
    });
    app.get("/async", async () => {
      await Promise.resolve();
      throw thrown;
    });
    app.use(handler);
    app.use(((error, _req, res, _next) => res.status(599).json({ host: String(error) })) as ErrorRequestHandler);
    return app;
  }

  it.each(["/sync", "/async"])("formats a refusal thrown by a route (%s)", async (path) => {
    const app = createHostApp(portcullisErrorHandler(), missingWrite());

    const res = await request(app).get(path);

    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ error: "insufficient_permissions", detail: "Missing scope: write" });
    expect(res.headers["www-authenticate"]).toBe(BEARER_CHALLENGE);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("formats in the format it was given", async () => {
    const app = createHostApp(portcullisErrorHandler({ formatError: problemDetailsFormat }), missingWrite());

    const res = await request(app).get("/sync");

    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: 403, instance: "/sync" });
  });

  it("leaves other errors to the next handler", async () => {
    const app = createHostApp(portcullisErrorHandler(), new Error("db down"));

    const res = await request(app).get("/sync");

    expect(res.status).toBe(599);
    expect(res.body).toEqual({ host: "Error: db down" });
  });

  it.each<[string, () => unknown]>([
    ["an http-errors 404 with the host's message", () => createError(404, "No such model")],
    ["an http-errors 409", () => createError(409, "Name taken")],
    ["an http-errors 403", () => createError(403)],
    ["an http-errors 400 raised by the host's own validation", () => createError(400, "name: required")],
    ["a plain Error given a 4xx status", () => Object.assign(new Error("gone"), { status: 410 })],
    ["an object with statusCode 422 that is not an Error", () => ({ statusCode: 422, message: "bad" })],
  ])("passes the host's own error to the next handler untouched: %s", async (_what, make) => {
    const thrown = make();
    const reached: unknown[] = [];
    const app = express();
    app.get("/models/:id", () => {
      throw thrown;
    });
    app.use(portcullisErrorHandler());
    app.use(((error, _req, res, _next) => {
      reached.push(error);
      res.status(599).json({ host: true });
    }) as ErrorRequestHandler);

    const res = await request(app).get("/models/mdl_1");

    expect(res.status).toBe(599);
    expect(reached).toHaveLength(1);
    expect(reached[0]).toBe(thrown);
  });

  it("refuses a formatError that is not a function, naming itself", () => {
    const create = () => portcullisErrorHandler({ formatError: 42 as never });

    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^portcullisErrorHandler: "formatError"/);
  });
});
