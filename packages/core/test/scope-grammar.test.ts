import fc from "fast-check";
import { ScopePolicy } from "@portcullis/core";
import { ANY_ENDPOINT, scopeGrants, scopeKind } from "@portcullis/core/internal";

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,15}$/);
const operation = fc.tuple(token, token).map(([resource, action]) => `${resource}:${action}`);

describe("the scope grammar", () => {
  test.each([
    ["read", "plain"],
    ["Predict", "plain"],
    ["Models:Train", "operation"],
    ["Models:*", "operation"],
    ["*:Get", "operation"],
    ["*:*", "operation"],
    ["/clarifai.api.V2/PostModelOutputs", "endpoint"],
    ["POST /v2/models/:id/outputs", "endpoint"],
    ["GET /api/projects", "endpoint"],
  ])("%s is a %s scope", (scope, kind) => {
    expect(scopeKind(scope)).toBe(kind);
  });

  test.each([["*"], ["read*"], ["Models:Tr*in"], ["a:b:c"], ["FETCH /x"], ["POST  /x"], ["POST x"], ["read write"], [""], ['a"b'], ["a\\b"], ["é"], ["read\u0000"], ["admin\u2028"], ["read\t"], ["read\u007f"], ["/x\r\nSet-Cookie:a"], ["GET /x\u0000"], ["/a b"], ["GET /x y"], ["XGET /x"], ["get /x"], ["GET /x\n"]])(
    "%j is malformed",
    (scope) => {
      expect(scopeKind(scope)).toBeUndefined();
    },
  );

  test("a scope of any form may be 200 characters long, not 201", () => {
    const padded = (head: string, length: number) => head + "a".repeat(length - head.length);
    for (const [head, kind] of [["r", "plain"], ["Models:", "operation"], ["/svc/", "endpoint"], ["GET /", "endpoint"]] as const) {
      expect(scopeKind(padded(head, 200))).toBe(kind);
      expect(scopeKind(padded(head, 201))).toBeUndefined();
    }
  });

  test("a value that is not a string is no scope", () => {
    for (const value of [undefined, null, 42, ["read"], { scope: "read" }]) expect(scopeKind(value)).toBeUndefined();
  });

  test("an operation wildcard grants exactly the operations it covers", () => {
    fc.assert(
      fc.property(token, token, token, (resource, action, other) => {
        const required = `${resource}:${action}`;
        expect(scopeGrants(`${resource}:*`, required)).toBe(true);
        expect(scopeGrants(`*:${action}`, required)).toBe(true);
        expect(scopeGrants("*:*", required)).toBe(true);
        expect(scopeGrants(`${resource}:*`, `${other}:${action}`)).toBe(other === resource);
        expect(scopeGrants(`*:${action}`, `${resource}:${other}`)).toBe(other === action);
        expect(scopeGrants(`${resource}:*`, resource)).toBe(false); // a plain scope is not an operation
        expect(scopeGrants(`${resource}:*`, `/${resource}/${action}`)).toBe(false); // nor an endpoint
      }),
    );
  });

  test("every well-formed scope grants itself, whatever its form", () => {
    for (const scope of ["read", "Models:Train", "Models:*", "*:*", "/svc/Get", "GET /models/:id"]) expect(scopeGrants(scope, scope)).toBe(true);
  });

  test("without wildcards, a scope grants only itself, case-sensitively", () => {
    fc.assert(
      fc.property(fc.oneof(token, operation), fc.oneof(token, operation), (held, required) => {
        expect(scopeGrants(held, required)).toBe(held === required);
      }),
    );
  });

  test("missing() never names a scope the holder holds, and names every one it lacks", () => {
    const policy = new ScopePolicy();
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(token, operation), { maxLength: 8 }), fc.uniqueArray(fc.oneof(token, operation), { maxLength: 8 }), (held, required) => {
        const missing = policy.missing(held, required);
        for (const scope of required) expect(missing.includes(scope)).toBe(!held.includes(scope));
      }),
    );
  });
});

describe("Clarifai's combination of operation and endpoint scopes", () => {
  const policy = new ScopePolicy();
  const searchOnly = ["Predict", "Search", "/clarifai.api.V2/PostSearches"];

  test("a key with endpoint scopes may call only those endpoints; one without is limited by operations alone", () => {
    expect(policy.endpointAllowed(searchOnly, "/clarifai.api.V2/PostSearches")).toBe(true);
    expect(policy.endpointAllowed(searchOnly, "/clarifai.api.V2/PostModelOutputs")).toBe(false);
    expect(policy.endpointAllowed(["Predict"], "/clarifai.api.V2/PostModelOutputs")).toBe(true);
    expect(policy.missing(searchOnly, ["Predict"])).toEqual([]); // it still holds the operation
  });

  test("admin: '*' is never endpoint-limited", () => {
    expect(new ScopePolicy({ implies: { admin: "*" } }).endpointAllowed(["admin"], "/anything")).toBe(true);
  });

  test("an endpoint-limited holder cannot hand out a key limited to no endpoint, or to another endpoint", () => {
    expect(policy.cannotGrant(searchOnly, ["Predict"])).toEqual([ANY_ENDPOINT]);
    expect(policy.cannotGrant(searchOnly, ["Predict", "/clarifai.api.V2/PostSearches"])).toEqual([]);
    expect(policy.cannotGrant(searchOnly, ["Predict", "/clarifai.api.V2/PostModelOutputs"])).toEqual(["/clarifai.api.V2/PostModelOutputs"]);
    expect(policy.cannotGrant(["Predict"], ["Predict", "/clarifai.api.V2/PostSearches"])).toEqual([]); // narrowing is fine
  });

  test("with known scopes, a wildcard must cover a known operation", () => {
    const known = new ScopePolicy({ known: ["Models:Train", "Models:Get", "Inputs:Get", "Predict"] });
    expect(known.validate(["Models:*", "*:Get"])).toEqual(["Models:*", "*:Get"]);
    expect(() => known.validate(["Workflows:*"])).toThrow(/unknown scope "Workflows:\*"/);
  });
});

describe("endpoint limits hold against wildcards and implications", () => {
  test("an operation wildcard never covers an endpoint scope, whose ':' is a route parameter", () => {
    expect(scopeGrants("*:*", "GET /v1/models/:id")).toBe(false);
    expect(scopeGrants("*:id", "GET /v1/models/:id")).toBe(false);
    const policy = new ScopePolicy({ known: ["Models:Get", "GET /models/:id"] });
    expect(() => policy.validate(["*:id"])).toThrow(/unknown scope/);
  });

  test("a key limited to one endpoint cannot mint a key for another, even holding *:*", () => {
    const policy = new ScopePolicy();
    expect(policy.cannotGrant(["*:*", "GET /v1/models/:id"], ["*:*", "DELETE /v1/models/:id"])).toEqual(["DELETE /v1/models/:id"]);
  });

  test("admin: '*' beside an endpoint scope keeps the endpoint limit", () => {
    const policy = new ScopePolicy({ implies: { admin: "*" } });
    expect(policy.endpointAllowed(["admin", "GET /api/projects"], "DELETE /api/users/:id")).toBe(false);
    expect(policy.endpointAllowed(["admin", "GET /api/projects"], "GET /api/projects")).toBe(true);
    expect(policy.cannotGrant(["admin", "GET /api/projects"], ["admin"])).toEqual([ANY_ENDPOINT]);
    expect(policy.missing(["admin"], ["write", "GET /anything"])).toEqual([]);
  });
});
