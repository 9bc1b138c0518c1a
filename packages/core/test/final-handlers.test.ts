/** The end of a host's stack: every error, and every unknown route, answered as JSON without a stack. */
import express, { type RequestHandler } from "express";
import createError from "http-errors";
import request from "supertest";
import { PortcullisError, portcullisErrorHandler, portcullisFinalHandlers, problemDetailsFormat, type Logger } from "@portcullis/core";

/** A logger that keeps its lines, for the test to read. */
function recordingLogger() {
  const lines: { level: "warn" | "error"; message: string; details: unknown[] }[] = [];
  const logger: Logger = {
    warn: (message, ...details) => void lines.push({ level: "warn", message, details }),
    error: (message, ...details) => void lines.push({ level: "error", message, details }),
  };
  return { logger, lines };
}

function hostApp(route: RequestHandler, logger: Logger, extra: Parameters<typeof portcullisFinalHandlers>[0] = {}) {
  const app = express();
  app.get("/things/:id", route);
  app.post("/things", express.json({ limit: "1kb" }), route);
  app.use(portcullisFinalHandlers({ logger, ...extra }));
  return app;
}

const ok: RequestHandler = (_req, res) => void res.json({ ok: true });
const STACKLIKE = /at .+:\d+|node_modules|\/work\/|\\|<html|<pre/i;

describe.each(["production", "development"])("portcullisFinalHandlers under NODE_ENV=%s", (env) => {
  const saved = process.env.NODE_ENV;
  beforeAll(() => void (process.env.NODE_ENV = env));
  afterAll(() => void (process.env.NODE_ENV = saved));

  test.each<[string, RequestHandler]>([
    ["a route that throws", () => {
      throw new Error("secret table users_v2 at /srv/app/db.js:12");
    }],
    ["an async route that rejects", async () => {
      await Promise.resolve();
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    }],
    ["a route that passes a string to next", (_req, _res, next) => next("weird")],
  ])("%s: a JSON 500 internal_error with a generic sentence, logged once with the error", async (_what, route) => {
    const { logger, lines } = recordingLogger();
    const res = await request(hostApp(route, logger)).get("/things/1?token=abc").expect(500);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: "internal_error", detail: "Something went wrong on our side; retry later." });
    expect(res.text).not.toMatch(STACKLIKE);
    expect(res.text).not.toMatch(/secret|users_v2|Cannot read|weird/);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("error");
    expect(lines[0]!.message).toBe("portcullisErrorHandler: GET /things/1 failed; answered 500 internal_error");
    expect(lines[0]!.details).toHaveLength(1);
  });

  test("a refusal is answered as before, and not logged", async () => {
    const { logger, lines } = recordingLogger();
    const refuse: RequestHandler = () => {
      throw new PortcullisError("auth_unavailable", undefined, { headers: { "Retry-After": "1" } });
    };
    const res = await request(hostApp(refuse, logger)).get("/things/1").expect(503);
    expect(res.body).toEqual({ error: "auth_unavailable", detail: "Authentication is temporarily unavailable; retry later." });
    expect(res.headers["retry-after"]).toBe("1");
    expect(lines).toEqual([]);
  });

  test("a bad percent-escape in a route parameter: 400 saying the URL is malformed, without echoing it", async () => {
    const { logger, lines } = recordingLogger();
    const res = await request(hostApp(ok, logger)).get("/things/%E0%A4%A").expect(400);
    expect(res.body).toEqual({ error: "invalid_request", detail: "The URL is malformed: it holds an invalid percent-escape." });
    expect(res.text).not.toMatch(/%E0|Failed to decode/);
    expect(lines).toEqual([]);
  });

  test.each<[string, (r: request.Test) => request.Test, number, object]>([
    ["broken JSON", (r) => r.set("Content-Type", "application/json").send("{oops"), 400, { error: "invalid_request", detail: "The request body is not valid JSON." }],
    ["a body over the limit", (r) => r.set("Content-Type", "application/json").send(JSON.stringify({ a: "x".repeat(2000) })), 413, { error: "payload_too_large", detail: "The request body is too large." }],
    ["a charset other than UTF-8", (r) => r.set("Content-Type", "application/json; charset=latin2").send("{}"), 415, { error: "unsupported_media_type", detail: "The request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8)." }],
    ["an unknown Content-Encoding", (r) => r.set("Content-Type", "application/json").set("Content-Encoding", "zz").send("{}"), 415, { error: "unsupported_media_type", detail: "The request body's Content-Encoding is not supported; send it uncompressed or gzip-compressed." }],
  ])("%s: a 4xx that says what happened", async (_what, send, status, body) => {
    const { logger, lines } = recordingLogger();
    const res = await send(request(hostApp(ok, logger)).post("/things")).expect(status);
    expect(res.body).toEqual(body);
    expect(lines).toEqual([]);
  });

  test("an unknown route: a JSON 404, not Express's HTML page", async () => {
    const { logger } = recordingLogger();
    const res = await request(hostApp(ok, logger)).get("/nowhere").expect(404);
    expect(res.body).toEqual({ error: "not_found", detail: "Not found." });
  });
});

describe("a host's own error with a status, at the end of the stack", () => {
  const thrower = (thrown: unknown): RequestHandler => () => {
    throw thrown;
  };

  test.each<[string, unknown, number, object]>([
    ["http-errors 404", createError(404, "No such model mdl_9"), 404, { error: "not_found", detail: "Not found." }],
    ["http-errors 409", createError(409, "Name taken by alice@example.com"), 409, { error: "conflict", detail: "The request conflicts with the current state of the resource." }],
    ["http-errors 400", createError(400, "name: required"), 400, { error: "invalid_request", detail: "The request is malformed." }],
    ["http-errors 429", createError(429, "slow down, tenant 7"), 429, { error: "rate_limit_exceeded", detail: "Too many requests; retry later." }],
    ["http-errors 403", createError(403, "Tenant 7 only"), 403, { error: "request_refused", detail: "The request was refused." }],
    ["http-errors 422", createError(422, "price must be positive"), 422, { error: "request_refused", detail: "The request was refused." }],
    ["a plain object with statusCode 410", { statusCode: 410, message: "deleted by bob" }, 410, { error: "request_refused", detail: "The request was refused." }],
  ])("%s keeps its status, with a generic sentence and never the host's message", async (_what, thrown, status, body) => {
    const { logger, lines } = recordingLogger();
    const res = await request(hostApp(thrower(thrown), logger)).get("/things/1").expect(status);
    expect(res.body).toEqual(body);
    expect(res.text).not.toMatch(/mdl_9|alice|required|tenant|Tenant|positive|bob/);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(lines).toEqual([]);
  });

  test("problem details carry the host's status too", async () => {
    const { logger } = recordingLogger();
    const res = await request(hostApp(thrower(createError(422)), logger, { formatError: problemDetailsFormat })).get("/things/1").expect(422);
    expect(JSON.parse(res.text)).toMatchObject({ title: "request_refused", status: 422 });
  });

  test.each<[string, unknown]>([
    ["http-errors 503", createError(503, "db replica lag")],
    ["a status outside 4xx and 5xx", Object.assign(new Error("odd"), { status: 302 })],
    ["a status that is not a number", Object.assign(new Error("odd"), { status: "404" })],
  ])("%s is the generic 500, logged once", async (_what, thrown) => {
    const { logger, lines } = recordingLogger();
    const res = await request(hostApp(thrower(thrown), logger)).get("/things/1").expect(500);
    expect(res.body).toEqual({ error: "internal_error", detail: "Something went wrong on our side; retry later." });
    expect(lines).toHaveLength(1);
  });

  test("body-parser's other client errors still map to their codes: too many urlencoded parameters is a 413", async () => {
    const { logger, lines } = recordingLogger();
    const app = express();
    app.post("/form", express.urlencoded({ parameterLimit: 2 }), ok);
    app.use(portcullisFinalHandlers({ logger }));
    const res = await request(app).post("/form").type("form").send("a=1&b=2&c=3").expect(413);
    expect(res.body).toEqual({ error: "payload_too_large", detail: "The request body is too large." });
    expect(lines).toEqual([]);
  });
});

test("the final handlers answer in the host's format, and fall back to the default body if that format throws", async () => {
  const { logger, lines } = recordingLogger();
  const boom: RequestHandler = () => {
    throw new Error("boom");
  };
  const problem = await request(hostApp(boom, logger, { formatError: problemDetailsFormat })).get("/things/1").expect(500);
  expect(problem.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(problem.text)).toMatchObject({ title: "internal_error", status: 500 });

  const broken = hostApp(boom, logger, {
    formatError: () => {
      throw new Error("formatter bug");
    },
  });
  const res = await request(broken).get("/things/1").expect(500);
  expect(res.body).toEqual({ error: "internal_error", detail: "Something went wrong on our side; retry later." });
  expect(lines.map((line) => line.message)).toEqual([
    "portcullisErrorHandler: GET /things/1 failed; answered 500 internal_error",
    "portcullisErrorHandler: GET /things/1 failed; answered 500 internal_error",
    "portcullisErrorHandler: formatError threw; answered with the default body",
  ]);
});

test("portcullisErrorHandler({ otherErrors: \"respond\" }) answers other errors itself; by default it still leaves them to the next handler", async () => {
  const { logger, lines } = recordingLogger();
  const app = (otherErrors?: "respond" | "next") => {
    const host = express();
    host.get("/x", () => {
      throw new Error("db down");
    });
    host.use(portcullisErrorHandler({ logger, ...(otherErrors ? { otherErrors } : {}) }));
    host.use(((_error, _req, res, _next) => void res.status(599).json({ host: true })) as express.ErrorRequestHandler);
    return host;
  };
  expect((await request(app()).get("/x").expect(599)).body).toEqual({ host: true });
  expect((await request(app("respond")).get("/x").expect(500)).body.error).toBe("internal_error");
  expect(lines).toHaveLength(1);
});

test("options are checked when the handler is made", () => {
  expect(() => portcullisErrorHandler({ otherErrors: "ignore" as never })).toThrow(/^portcullisErrorHandler: "otherErrors" must be "respond" or "next"/);
  expect(() => portcullisErrorHandler({ logger: {} as never })).toThrow(/^portcullisErrorHandler: "logger" must have warn\(message\) and error\(message\)/);
  expect(() => portcullisErrorHandler({ formatErrors: () => ({ body: {} }) } as never)).toThrow(
    new TypeError(`portcullisErrorHandler: unknown option "formatErrors"; the options are formatError, otherErrors, logger`),
  );
  expect(() => portcullisFinalHandlers({ otherErrors: "next" } as never)).toThrow(/^portcullisFinalHandlers: unknown option "otherErrors"/);
  expect(() => portcullisFinalHandlers({ logger: console.log } as never)).toThrow(/^portcullisFinalHandlers: "logger" must have warn\(message\) and error\(message\)/);
});
