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

/** `{"key": {"key": … inner …}}`, `depth` levels deep, as the JSON text a client sends. */
const nested = (key: string, depth: number, inner: string) => `{"${key}":`.repeat(depth) + inner + "}".repeat(depth);

// 6,000 levels of `{"__proto__":` are 84 KB: under the default 100 kb bodyLimit, and far deeper
// than a recursive walk survives.
const DEPTH = 6000;

describe("findHiddenWrites on bodies nested as deep as a sender likes", () => {
  test("a chain of __proto__ wrappers is looked through to its end, without running out of stack", () => {
    expect(hit(JSON.parse(nested("__proto__", DEPTH, '{"training_data":"x"}')))).toEqual(["training_data"]);
    expect(hit(JSON.parse(nested("__proto__", DEPTH, '{"name":"x"}')))).toEqual([]);
    expect(hit(JSON.parse(`{"versions":[${nested("__proto__", DEPTH, '{"metrics":1}')}]}`))).toEqual(["versions[*].metrics"]);
  });

  test("deep arrays, deep index-keyed objects and deep objects set nothing they do not name", () => {
    expect(hit(JSON.parse("[".repeat(DEPTH) + "]".repeat(DEPTH)))).toEqual([]);
    expect(hit(JSON.parse(`{"versions":${nested("0", DEPTH, "{}")}}`))).toEqual([]);
    expect(hit(JSON.parse(nested("training", DEPTH, "{}")))).toEqual([]);
    expect(hit(JSON.parse(`{"name":${nested("training_data", DEPTH, "{}")}}`))).toEqual([]);
    expect(hit(JSON.parse(nested("training_data", DEPTH, "{}")))).toEqual(["training_data"]);
  });

  test("a body a host parser made with a loop (a __proto__ field holding its own object) ends", () => {
    const looped: Record<string, unknown> = { name: "x" };
    Object.defineProperty(looped, "__proto__", { value: looped, enumerable: true });
    expect(hit(looped)).toEqual([]);
    Object.defineProperty(looped, "training_data", { value: "x", enumerable: true });
    expect(hit(looped)).toEqual(["training_data"]);
  });
});

describe("redactResponse on a write nested as deep as a sender likes: an answer, never a crash", () => {
  const send = (app: express.Express, body: string) => request(app).patch("/models/m1").set("Content-Type", "application/json").send(body);

  test("read by redactResponse itself: 403 for a hidden field at the end of the chain, else the route runs", async () => {
    const { app, writes } = createResourceApp(member);
    const refused = await send(app, nested("__proto__", DEPTH, '{"training_data":"x"}')).expect(403);
    expect(refused.body).toEqual({ error: "insufficient_permissions", detail: "Missing scope: admin (to set training_data)." });
    expect(writes).toEqual([]);
    await send(app, nested("__proto__", DEPTH, '{"name":"x"}')).expect(200);
    expect(writes).toHaveLength(1);
  });

  test("anonymous, with the hidden field: 401, as any anonymous hidden write", async () => {
    const { app } = createResourceApp(undefined);
    expect((await send(app, nested("__proto__", DEPTH, '{"training_data":"x"}')).expect(401)).body.error).toBe("missing_credentials");
  });

  test("parsed by the host's own express.json before the mount: 403, not a 500", async () => {
    const { app, writes } = createResourceApp(member, { before: [express.json()], parser: (_req, _res, next) => next() });
    await send(app, nested("__proto__", DEPTH, '{"training_data":"x"}')).expect(403);
    expect(writes).toEqual([]);
  });
});
