import { PortcullisError, ScopePolicy, type ScopePolicyOptions } from "@portcullis/core";
import { isScopePolicy } from "@portcullis/core/internal";

/** Runs `fn`, expecting a PortcullisError, and returns it. */
function refusal(fn: () => unknown): PortcullisError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PortcullisError);
    return error as PortcullisError;
  }
  throw new Error("expected a PortcullisError, but nothing was thrown");
}

describe("ScopePolicy.missing and satisfies", () => {
  const plain = new ScopePolicy();

  it("lists the required scopes not held, in the order required", () => {
    expect(plain.missing(["read"], ["write", "read", "delete"])).toEqual(["write", "delete"]);
    expect(plain.missing(["read", "write"], ["read", "write"])).toEqual([]);
    expect(plain.missing([], [])).toEqual([]);
  });

  it("needs every required scope by default (all-of)", () => {
    expect(plain.satisfies(["read", "write"], ["read", "write"])).toBe(true);
    expect(plain.satisfies(["read"], ["read", "write"])).toBe(false);
    expect(plain.satisfies(["read"], ["read", "write"], "all")).toBe(false);
  });

  it("needs at least one required scope with match 'any'", () => {
    expect(plain.satisfies(["write"], ["read", "write"], "any")).toBe(true);
    expect(plain.satisfies(["delete"], ["read", "write"], "any")).toBe(false);
    expect(plain.satisfies([], ["read"], "any")).toBe(false);
  });

  it("is satisfied by any holder when nothing is required", () => {
    expect(plain.satisfies([], [])).toBe(true);
    expect(plain.satisfies([], [], "any")).toBe(true);
  });

  it("matches scopes case-sensitively", () => {
    expect(plain.satisfies(["Read"], ["read"])).toBe(false);
    expect(plain.missing(["READ"], ["read"])).toEqual(["read"]);
    expect(new ScopePolicy({ implies: { Admin: "*" } }).satisfies(["admin"], ["read"])).toBe(false);
  });
});

describe("ScopePolicy implications", () => {
  it("lets a scope implying '*' grant every scope", () => {
    const policy = new ScopePolicy({ implies: { admin: "*" } });

    expect(policy.satisfies(["admin"], ["read", "write", "anything:else"])).toBe(true);
    expect(policy.missing(["admin"], ["x"])).toEqual([]);
    expect(policy.expand(["admin"])).toBe("*");
    expect(policy.satisfies(["read"], ["write"])).toBe(false);
  });

  it("lets a scope grant a list of scopes, and only those", () => {
    const policy = new ScopePolicy({ implies: { read_write: ["read", "write"] } });

    expect(policy.satisfies(["read_write"], ["read", "write"])).toBe(true);
    expect(policy.missing(["read_write"], ["read", "delete"])).toEqual(["delete"]);
    expect(policy.satisfies(["read"], ["read_write"])).toBe(false);
  });

  it("applies implications transitively", () => {
    const policy = new ScopePolicy({ implies: { a: ["b"], b: ["c"], c: ["d"] } });

    expect(policy.missing(["a"], ["a", "b", "c", "d"])).toEqual([]);
    expect(policy.missing(["b"], ["a", "b", "c", "d"])).toEqual(["a"]);
  });

  it("reaches '*' through a chain of implications", () => {
    const policy = new ScopePolicy({ implies: { owner: ["admin"], admin: "*" } });

    expect(policy.expand(["owner"])).toBe("*");
  });

  it("terminates on cycles, granting everything on the cycle", () => {
    const policy = new ScopePolicy({ implies: { a: ["b"], b: ["c"], c: ["a"], self: ["self"] } });

    expect(policy.missing(["b"], ["a", "b", "c", "d"])).toEqual(["d"]);
    expect(policy.missing(["self"], ["self", "a"])).toEqual(["a"]);
  });
});

describe("ScopePolicy endpoint limits through implications", () => {
  it("an implication of operation scopes only sets no endpoint limit", () => {
    const policy = new ScopePolicy({ implies: { read_write: ["read", "write"], admin: "*" } });
    expect(policy.endpointsOf(["read_write", "admin"])).toEqual(new Set());
    expect(policy.endpointAllowed(["read_write"], "/svc/Anything")).toBe(true);
  });

  it("an implied endpoint scope limits the holder as a held one does", () => {
    const policy = new ScopePolicy({ implies: { searcher: ["Search", "/svc/PostSearches"] } });
    expect(policy.endpointsOf(["searcher"])).toEqual(new Set(["/svc/PostSearches"]));
    expect(policy.endpointAllowed(["searcher"], "/svc/PostModelOutputs")).toBe(false);
  });

  it("a holder limited to endpoints asked for a key limited to none is told it cannot grant (any endpoint)", () => {
    expect(new ScopePolicy().cannotGrant(["read", "/svc/A"], ["read"])).toEqual(["(any endpoint)"]);
  });
});

describe("isScopePolicy", () => {
  it("tells a policy, also one from another copy of the package, from other objects", () => {
    const { missing, validate, expand } = new ScopePolicy();
    expect(isScopePolicy({ missing, validate, expand })).toBe(true);
    expect(isScopePolicy({ missing, validate })).toBe(false);
    expect(isScopePolicy({ missing, expand })).toBe(false);
    expect(isScopePolicy({ validate, expand })).toBe(false);
    expect(isScopePolicy(null)).toBe(false);
    expect(isScopePolicy(new ScopePolicy())).toBe(true);
  });
});

describe("ScopePolicy.validate", () => {
  it("returns the scopes deduplicated, in their first order", () => {
    expect(new ScopePolicy().validate(["write", "read", "write", "admin", "read"])).toEqual(["write", "read", "admin"]);
  });

  it("accepts visible ASCII scopes up to 128 characters", () => {
    const scopes = ["Models:Train", "/clarifai.api.V2/PostSearches", "a".repeat(128), "~!#"];

    expect(new ScopePolicy().validate(scopes)).toEqual(scopes);
  });

  it("refuses a scope outside 'known' with invalid_request naming it", () => {
    const policy = new ScopePolicy({ known: ["read", "write"] });
    const error = refusal(() => policy.validate(["read", "delete"]));

    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^scopes: /);
    expect(error.message).toContain('"delete"');
    expect(policy.validate(["write", "read"])).toEqual(["write", "read"]);
  });

  it.each([
    ["a space", "read write"],
    ["'*'", "*"],
    ["a '*' inside", "read*"],
    ["the empty string", ""],
    ["201 characters", "a".repeat(201)],
    ["a control character", "read\u0007"],
    ["a newline", "read\n"],
    ["a non-ASCII letter", "lécture"],
    ["a double quote (it would break the WWW-Authenticate scope list)", 'read"x'],
    ["a backslash", "read\\x"],
    ["a number", 42],
    ["null", null],
  ])("refuses a scope with %s as invalid_request", (_, scope) => {
    const error = refusal(() => new ScopePolicy().validate(["read", scope]));

    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^scopes: .* is not a well-formed scope$/);
  });

  it("quotes a refused scope with every character outside printable ASCII escaped, so the message is safe to log", () => {
    expect(refusal(() => new ScopePolicy().validate(["admin\u2028"])).message).toBe('scopes: "admin\\u2028" is not a well-formed scope');
    expect(refusal(() => new ScopePolicy().validate(["lécture"])).message).toBe('scopes: "l\\u00e9cture" is not a well-formed scope');
  });

  it("accepts 100 scopes and refuses 101", () => {
    const scopes = Array.from({ length: 101 }, (_, i) => `scope${i}`);

    expect(new ScopePolicy().validate(scopes.slice(0, 100))).toHaveLength(100);
    const error = refusal(() => new ScopePolicy().validate(scopes));
    expect(error.code).toBe("invalid_request");
    expect(error.message).toBe("scopes: at most 100 scopes per key");
  });
});

describe("ScopePolicy configuration", () => {
  it.each<[string, unknown]>([
    ["'implies' granting a scope not in 'known'", { known: ["read"], implies: { read_write: ["read", "write"] } }],
    ["'known' that is not an array", { known: "read" }],
    ["'known' with a malformed scope", { known: ["read", "has space"] }],
    ["an 'implies' value that is neither '*' nor an array", { implies: { admin: "all" } }],
    ["an 'implies' value that is a number", { implies: { admin: 1 } }],
    ["an 'implies' list with a malformed scope", { implies: { admin: ["read", "*"] } }],
    ["an 'implies' key that is malformed", { implies: { "super user": "*" } }],
    ["'implies' that is null", { implies: null }],
    ["'implies' that is a number", { implies: 42 }],
    ["'implies' that is the string '*'", { implies: "*" }],
  ])("refuses %s with a TypeError naming ScopePolicy", (_, options) => {
    const create = () => new ScopePolicy(options as ScopePolicyOptions);

    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^ScopePolicy: /);
  });

  it.each<[string, unknown, string]>([
    ["an unknown option", { know: ["read"] }, `ScopePolicy: unknown option "know"; the options are known, implies`],
    ["'known' that is not an array", { known: "read" }, `ScopePolicy: "known" must be an array of scope names`],
    ["an 'implies' value that is neither '*' nor an array", { implies: { admin: "all" } }, `ScopePolicy: "implies.admin" must be "*" or an array of scopes`],
    ["'implies' granting a scope not in 'known'", { known: ["read"], implies: { read_write: ["read", "write"] } }, `ScopePolicy: "implies.read_write" grants "write", which is not in "known"`],
    ["'implies' that is a number", { implies: 42 }, `ScopePolicy: "implies" must be an object such as { admin: "*", read_write: ["read", "write"] }`],
    ["options that are not an object", "read", `ScopePolicy: options must be an object such as { known: ["read", "admin"], implies: { admin: "*" } }`],
  ])("names the option in the message for %s", (_, options, message) => {
    expect(() => new ScopePolicy(options as ScopePolicyOptions)).toThrow(new TypeError(message));
  });

  it("quotes a malformed scope, in a list or as a key of 'implies'", () => {
    expect(() => new ScopePolicy({ known: ["read", "has space"] })).toThrow(/^ScopePolicy: "known\.1" must be a scope: plain \("read"\).*, got "has space"$/);
    expect(() => new ScopePolicy({ implies: { "super user": "*" } })).toThrow(/^ScopePolicy: "implies" has the key "super user", which must be a scope: plain \("read"\)/);
  });

  it("accepts implications among known scopes", () => {
    const policy = new ScopePolicy({ known: ["read", "write", "read_write"], implies: { read_write: ["read", "write"] } });

    expect(policy.satisfies(["read_write"], ["write"])).toBe(true);
    expect(policy.known).toEqual(new Set(["read", "write", "read_write"]));
  });
});
