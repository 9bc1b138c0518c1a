import { ScopePolicy } from "@portcullis/core";
import { redactResponse, type RedactionRule } from "@portcullis/redact-response";

const rule: RedactionRule = { path: "training_data", scope: "admin" };

describe("redactResponse configuration", () => {
  test.each([
    ["a..b", /rules\[0\]\.path "a\.\.b": empty field name at character 3/],
    ["items[0].metrics", /only "\[\*\]" may appear in brackets/],
    ["items[*", /unclosed "\["/],
    ["", /rules\[0\]\.path "": a path is a string/],
    ["items.*.email", /no wildcard for object keys/],
    ["items[*]", /to redact the whole array write "items"/],
  ])("the malformed path %j fails at creation", (path, message) => {
    expect(() => redactResponse([{ path, scope: "admin" }])).toThrow(message);
    expect(() => redactResponse([{ path, scope: "admin" }])).toThrow(/^redactResponse: /);
  });

  test.each([
    ["has space", /rules\[1\]\.scope: "has space" is not a well-formed scope/],
    ["*", /not a well-formed scope/],
    ["", /not a well-formed scope/],
    [42, /not a well-formed scope/],
    [undefined, /not a well-formed scope/],
  ])("the malformed scope %j fails at creation", (scope, message) => {
    expect(() => redactResponse([rule, { path: "notes", scope } as never])).toThrow(message);
    expect(() => redactResponse([rule, { path: "notes", scope } as never])).toThrow(/^redactResponse: rules\[1\]\.scope: /);
  });

  test("with a known-scope list, a typo in a rule's scope fails at startup rather than redacting for everyone", () => {
    const policy = new ScopePolicy({ known: ["read", "admin", "Models:Train"] });
    expect(() => redactResponse([{ path: "training_data", scope: "admni" }], { policy })).toThrow(
      /^redactResponse: rules\[0\]\.scope: unknown scope "admni"/,
    );
    expect(() => redactResponse([{ path: "training_data", scope: "admin" }], { policy })).not.toThrow();
  });

  test("more rules than a key may hold scopes are fine", () => {
    const rules = Array.from({ length: 150 }, (_, i) => ({ path: `field_${i}`, scope: "admin" }));
    expect(() => redactResponse(rules)).not.toThrow();
  });

  test.each([
    [[], /pass a non-empty array of rules/],
    [undefined, /pass a non-empty array of rules/],
    [{ path: "a", scope: "admin" }, /pass a non-empty array of rules/],
    [["training_data"], /rules\[0\] must be an object \{ path, scope \}/],
    [[{ path: "a", scope: "admin", scopes: ["x"] }], /rules\[0\] has an unknown key "scopes"/],
    [[{ path: "a" }], /rules\[0\]\.scope/],
    [[rule, null], /rules\[1\] must be an object \{ path, scope \}, got null$/],
  ])("the rules %j fail at creation", (rules, message) => {
    expect(() => redactResponse(rules as never)).toThrow(message);
    expect(() => redactResponse(rules as never)).toThrow(/^redactResponse: /);
  });

  test("a policy of the host's own whose validate fails with a bug lets that error through unchanged", () => {
    const policy = Object.assign(Object.create(new ScopePolicy()) as ScopePolicy, {
      validate: () => {
        throw new RangeError("policy bug");
      },
    });
    expect(() => redactResponse([rule], { policy })).toThrow(new RangeError("policy bug"));
  });

  test.each([
    [{ treshold: 0.5 }, /unknown option "treshold"; the options are policy, marker, header, threshold, realm, bodyLimit, onError, formatError/],
    [{ threshold: 0 }, /"threshold" must be a number above 0 and at most 1 \(1 never refuses\), got 0/],
    [{ threshold: 2 }, /"threshold" must be .* got 2/],
    [{ threshold: -0.5 }, /"threshold"/],
    [{ threshold: Number.NaN }, /"threshold"/],
    [{ threshold: "0.5" }, /"threshold"/],
    [{ policy: {} }, /"policy" must be a ScopePolicy/],
    [{ header: "X Redacted" }, /"header" must be a header name/],
    [{ header: "" }, /"header" must be a header name/],
    [{ header: true }, /"header" must be a header name .* or false/],
    [{ marker: () => "x" }, /"marker" must be a JSON value/],
    [{ marker: new Date(0) }, /"marker" must be a JSON value/],
    [{ marker: Number.NaN }, /"marker" must be a JSON value/],
    [{ marker: { note: undefined } }, /"marker" must be a JSON value/],
    [{ marker: 1n }, /"marker" must be a JSON value/],
    [{ realm: 'a"b' }, /"realm" must be/],
    [{ onError: "throw" }, /"onError" must be "respond" or "next"/],
    [{ formatError: "json" }, /"formatError" must be a function/],
    [{ bodyLimit: 0 }, /"bodyLimit" must be a positive number of bytes or a size such as "16kb", got 0/],
    [{ bodyLimit: 1.5 }, /"bodyLimit" must be/],
    [{ bodyLimit: "16 kilobytes" }, /"bodyLimit" must be/],
    [{ bodyLimit: "0kb" }, /"bodyLimit" must be/],
    [{ bodyLimit: 16n }, /"bodyLimit" must be a positive number of bytes or a size such as "16kb", got 16n$/],
  ])("the options %p fail at creation", (options, message) => {
    expect(() => redactResponse([rule], options as never)).toThrow(message);
    expect(() => redactResponse([rule], options as never)).toThrow(/^redactResponse: /);
  });

  test("every documented option is accepted, and the caller's objects are left as they were", () => {
    const marker = { redacted: true };
    const options = Object.freeze({ policy: new ScopePolicy(), marker, header: false as const, threshold: 1, realm: "models", bodyLimit: "16kb" });
    const rules = Object.freeze([Object.freeze({ ...rule })]);
    expect(() => redactResponse(rules, { ...options, onError: "next", formatError: (e) => ({ body: e.code }) })).not.toThrow();
    expect(() => redactResponse(rules, options)).not.toThrow();
    expect(Object.isFrozen(marker)).toBe(false);
    expect(options.marker).toEqual({ redacted: true });
    expect(() => redactResponse(rules, { marker: null })).not.toThrow();
  });
});
