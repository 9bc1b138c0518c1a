/** WWW-Authenticate challenges: whatever a refusal names, the header can always be sent. */
import { ServerResponse, IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { insufficientScope } from "@portcullis/core";
import { challenge, challengeableScopes } from "@portcullis/core/internal";

/** Node's own check: what `res.setHeader` would throw on. */
function sendable(value: string): boolean {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  try {
    res.setHeader("WWW-Authenticate", value);
    return true;
  } catch {
    return false;
  }
}

test("writes the challenge as RFC 6750 does", () => {
  expect(challenge("Bearer", "api", { error: "insufficient_scope", scope: "read write" })).toBe('Bearer realm="api", error="insufficient_scope", scope="read write"');
});

test.each([
  ["a NUL", "admin\u0000"],
  ["a line separator", "admin\u2028"],
  ["CR LF", "a\r\nSet-Cookie: x=1"],
  ["a quote", 'a"b'],
  ["a backslash", "a\\b"],
  ["a letter outside ASCII", "\u00e9"],
  ["a tab", "tab\there"],
])("a parameter value holding %s cannot go in a quoted string: it is left out, never sent", (_what, value) => {
  const header = challenge("Bearer", "api", { error: "insufficient_scope", scope: value });
  expect(header).toBe('Bearer realm="api", error="insufficient_scope"');
  expect(sendable(header)).toBe(true);
});

test("only well-formed scopes without spaces are named in a challenge", () => {
  expect(challengeableScopes(["read", "admin\u0000", "GET /models/:id", "w\u2028", "Models:*", "(any endpoint)", "\u00e9"])).toEqual(["read", "Models:*"]);
});

describe("insufficientScope: the one 403 for missing scopes", () => {
  test("names the scopes in the challenge and the data", () => {
    const error = insufficientScope("Missing scopes: read, write.", ["read", "write"], "api");
    expect(error).toMatchObject({ code: "insufficient_permissions", status: 403, detail: "Missing scopes: read, write.", data: { missing_scopes: ["read", "write"] } });
    expect(error.headers["WWW-Authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="read write"');
  });

  test("an endpoint scope stays out of the challenge, which then names no scope, but is in the data", () => {
    const error = insufficientScope("These credentials may not call GET /models/:id.", ["GET /models/:id"], "api", { fields: ["x"] });
    expect(error.headers["WWW-Authenticate"]).toBe('Bearer realm="api", error="insufficient_scope"');
    expect(error.data).toEqual({ missing_scopes: ["GET /models/:id"], fields: ["x"] });
  });
});
