import express from "express";
import request from "supertest";
import { ScopePolicy } from "@portcullis/core";
import { findHiddenWrites } from "../src/hidden-writes";
import { compileRedactionRules } from "../src/redaction-rules";
import { asKey } from "./support/create-app";
import { createResourceApp, MODEL_RULES } from "./support/resource-app";

const member = asKey(["read", "write"]);
const rules = compileRedactionRules(MODEL_RULES, new ScopePolicy());
const hit = (body: unknown) => findHiddenWrites(body, rules).map((rule) => rule.path);

describe("findHiddenWrites", () => {
  test("names the rules whose path the body sets, whatever the value", () => {
    expect(hit({ name: "x" })).toEqual([]);
    expect(hit({ training_data: "s3://mine" })).toEqual(["training_data"]);
    expect(hit({ training_data: null })).toEqual(["training_data"]);
    expect(hit({ training_data: undefined })).toEqual(["training_data"]); // spread into a record, it erases the field
    expect(hit({ versions: [{ id: "v2" }, { id: "v3", metrics: {} }] })).toEqual(["versions[*].metrics"]);
    expect(hit([{ name: "a" }, { name: "b", training_data: "x" }])).toEqual(["[*].training_data"]);
    expect(hit({ versions: { 25: { metrics: 1 } } })).toEqual(["versions[*].metrics"]); // qs turns long arrays into objects
    expect(hit({ notes: { training_data: "x" }, versions: { latest: { metrics: 1 } } })).toEqual([]); // other paths, not indexes
  });

  test("field names are compared without case, and a __proto__ key is looked through", () => {
    expect(hit({ Training_Data: "x" })).toEqual(["training_data"]);
    expect(hit(JSON.parse('{"__proto__": {"training_data": "x"}}'))).toEqual(["training_data"]);
    expect(hit(JSON.parse('{"versions": [{"__proto__": {"metrics": 1}}]}'))).toEqual(["versions[*].metrics"]);
  });

  test("a body without fields sets nothing", () => {
    for (const body of [null, undefined, 42, "training_data", [], {}]) expect(hit(body)).toEqual([]);
  });
});

describe("redactResponse on writes: setting a field you may not read needs the scope that reads it", () => {
  test("a member's PATCH of training_data is refused with 403 naming the scope, before the handler runs", async () => {
    const { app, models, writes } = createResourceApp(member);
    const res = await request(app).patch("/models/m1").send({ name: "x", training_data: "s3://mine" }).expect(403);
    expect(res.body).toEqual({ error: "insufficient_permissions", detail: "Missing scope: admin (to set training_data)." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="admin"');
    expect(writes).toEqual([]);
    expect(models.get("m1")?.training_data).toBe("s3://private/train.parquet");
  });

  test.each<[string, unknown]>([
    ["null", { training_data: null }],
    ["another case", { TRAINING_DATA: "x" }],
    ["a __proto__ wrapper", JSON.parse('{"__proto__": {"training_data": "x"}}')],
    ["an array body", [{ name: "a", training_data: "x" }]],
  ])("setting it to %s is refused too", async (_kind, body) => {
    const { app, writes } = createResourceApp(member);
    await request(app).put("/models/m1").send(body as object).expect(403);
    await request(app).post("/models").send(body as object).expect(403);
    expect(writes).toEqual([]);
  });

  test("a nested hidden path names its own scope", async () => {
    const res = await request(createResourceApp(member).app).post("/models").send({ versions: [{ id: "v", metrics: { auc: 1 } }] }).expect(403);
    expect(res.body.detail).toBe("Missing scope: Models:Train (to set versions[*].metrics).");
  });

  test("an admin may set it, and other writes of a member pass with their body parsed once", async () => {
    const admin = createResourceApp(asKey(["admin"]));
    await request(admin.app).patch("/models/m1").send({ training_data: "s3://new" }).expect(200);
    expect(admin.models.get("m1")?.training_data).toBe("s3://new");
    const { app, writes } = createResourceApp(member);
    await request(app).patch("/models/m1").send({ name: "renamed" }).expect(200);
    await request(app).delete("/models/m1").expect(200);
    expect(writes).toEqual([{ name: "renamed" }]);
  });

  test("an anonymous write of a hidden field is asked for credentials", async () => {
    const { app } = createResourceApp(undefined);
    const res = await request(app).patch("/models/m1").send({ training_data: "x" }).expect(401);
    expect(res.body.error).toBe("missing_credentials");
    await request(app).patch("/models/m1").set("Content-Type", "text/plain").send("training_data").expect(401);
    await request(app).patch("/models/m1").send({ name: "x" }).expect(200); // no guard in this app: only hidden fields need one
  });

  test("JSON under another content type cannot slip past: an unread body that is not JSON is refused with 415", async () => {
    const { app, writes } = createResourceApp(member, { parser: express.json({ type: () => true }) });
    const res = await request(app).patch("/models/m1").set("Content-Type", "text/plain").send('{"training_data":"x"}').expect(415);
    expect(res.body.error).toBe("unsupported_media_type");
    await request(app).patch("/models/m1").set("Content-Type", "application/x-www-form-urlencoded").send("training_data=x").expect(415);
    expect(writes).toEqual([]);
  });

  test("a form that a host's express.json() before the mount skipped is not taken for an empty JSON body", async () => {
    // Express 4's parser leaves {} on req.body for a body it skipped; the route's parser then reads the form.
    const { app, writes } = createResourceApp(member, { before: [express.json()], parser: express.urlencoded({ extended: true }) });
    const res = await request(app).patch("/models/m1").type("form").send("training_data=x").expect(415);
    expect(res.body.error).toBe("unsupported_media_type");
    expect(writes).toEqual([]);
  });

  test("a body parsed before the mount is checked as it was parsed: forms, text holding JSON", async () => {
    const form = createResourceApp(member, { before: [express.urlencoded({ extended: true })], parser: (_req, _res, next) => next() });
    await request(form.app).patch("/models/m1").type("form").send("training_data=x").expect(403);
    await request(form.app).patch("/models/m1").type("form").send("versions[0][metrics]=1").expect(403);
    await request(form.app).patch("/models/m1").type("form").send("name=ok").expect(200);
    const text = createResourceApp(member, { before: [express.text({ type: () => true })], parser: (_req, _res, next) => next() });
    await request(text.app).patch("/models/m1").set("Content-Type", "text/plain").send(' {"training_data":"x"}').expect(403);
    expect([...form.writes, ...text.writes]).toEqual([{ name: "ok" }]);
  });

  test("body errors are portcullis refusals: bad JSON 400, over bodyLimit 413, a charset not UTF-8 415", async () => {
    const { app, writes } = createResourceApp(member, { redact: { bodyLimit: "1kb" } });
    const bad = await request(app).patch("/models/m1").set("Content-Type", "application/json").send("{oops").expect(400);
    expect(bad.body).toEqual({ error: "invalid_request", detail: "The request body is not valid JSON." });
    const big = await request(app).patch("/models/m1").send({ name: "x".repeat(2000) }).expect(413);
    expect(big.body.error).toBe("payload_too_large");
    await request(app).patch("/models/m1").set("Content-Type", "application/json; charset=latin1").send("{}").expect(415);
    const utf16 = Buffer.from(JSON.stringify({ name: "ok" }), "utf16le");
    await request(app).patch("/models/m1").set("Content-Type", "application/json; charset=utf-16le").send(utf16).expect(415);
    expect(writes).toEqual([]);
  });
});
