import express from "express";
import request from "supertest";
import { portcullisErrorHandler, requireJsonBody } from "@portcullis/core";
import { hasRequestBody, isSafeMethod, jsonBodyRequired } from "@portcullis/core/internal";

describe("isSafeMethod", () => {
  test("GET, HEAD and OPTIONS change nothing; every other method may", () => {
    expect(["GET", "HEAD", "OPTIONS"].filter(isSafeMethod)).toEqual(["GET", "HEAD", "OPTIONS"]);
    expect(["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "QUERY", "get"].filter(isSafeMethod)).toEqual([]);
  });
});

describe("hasRequestBody", () => {
  test("a body is announced by a Content-Length above 0 or by Transfer-Encoding", () => {
    expect(hasRequestBody({ headers: { "content-length": "2" } })).toBe(true);
    expect(hasRequestBody({ headers: { "transfer-encoding": "chunked" } })).toBe(true);
    expect(hasRequestBody({ headers: { "content-length": "0" } })).toBe(false);
    expect(hasRequestBody({ headers: {} })).toBe(false);
  });
});

describe("requireJsonBody and jsonBodyRequired: one 415 for a body no JSON parser read", () => {
  function app() {
    const app = express();
    app.post("/", express.json(), requireJsonBody, (req, res) => void res.json({ got: req.body }));
    app.use(portcullisErrorHandler());
    return app;
  }

  test("a body that is not JSON is refused with 415 unsupported_media_type, saying what to send", async () => {
    const res = await request(app()).post("/").type("form").send("name=x").expect(415);
    expect(res.body).toEqual({ error: "unsupported_media_type", detail: "Send the body as JSON (Content-Type: application/json)." });
    expect(jsonBodyRequired()).toMatchObject({ code: "unsupported_media_type", status: 415, detail: res.body.detail });
  });

  test("a JSON body goes on to the route, an empty object too (it is not Express 4's placeholder for a skipped body)", async () => {
    await request(app()).post("/").send({ name: "x" }).expect(200, { got: { name: "x" } });
    await request(app()).post("/").send({}).expect(200, { got: {} });
  });
});
