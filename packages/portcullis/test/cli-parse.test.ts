import { parseDuration } from "../src/cli/duration";
import { parseCommandLine } from "../src/cli/parse-args";

describe("parseDuration", () => {
  test.each([
    ["3600s", 3_600_000],
    ["90m", 5_400_000],
    ["12h", 43_200_000],
    ["30d", 2_592_000_000],
    ["0s", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["", "30", "d", "1.5h", "-1h", "1h30m", "30 d", "30D", "1w", " 1h", "1e3s", "999999999999d"])(
    "%j is refused",
    (text) => {
      expect(() => parseDuration(text)).toThrow(RangeError);
    },
  );

  test("more than about a hundred years is refused, so an expiry stays a valid date", () => {
    expect(parseDuration("36500d")).toBe(36_500 * 86_400_000);
    expect(() => parseDuration("36501d")).toThrow(/too long/);
  });
});

describe("parseCommandLine", () => {
  test("scan reads standard input when given no path, and --revoke implies --check", () => {
    expect(parseCommandLine(["scan"])).toEqual({ kind: "scan", paths: ["-"], prefixes: undefined, json: false, check: false, revoke: false, verbose: false });
    expect(parseCommandLine(["scan", "--revoke", "--prefix", "a_", "--prefix", "b_", "-v", "src", "-"])).toEqual({
      kind: "scan",
      paths: ["src", "-"],
      prefixes: ["a_", "b_"],
      json: false,
      check: true,
      revoke: true,
      verbose: true,
    });
  });

  test("create splits --scopes on commas and accepts it repeated", () => {
    const command = parseCommandLine(["keys", "create", "--owner", "o", "--name", "n", "--scopes", "read,write", "--scopes", "admin", "--expires-in", "1h"]);
    expect(command).toEqual({
      kind: "create",
      owner: "o",
      name: "n",
      scopes: ["read", "write", "admin"],
      app: undefined,
      expiresInMs: 3_600_000,
      json: false,
      prefix: undefined,
    });
  });

  test("list reads --limit as a number and --after as given", () => {
    expect(parseCommandLine(["keys", "list", "--owner", "o", "--limit", "5", "--after", "key_abcdefghijklmnop", "--json"])).toEqual({
      kind: "list",
      owner: "o",
      limit: 5,
      after: "key_abcdefghijklmnop",
      status: "active",
      json: true,
      prefix: undefined,
    });
  });

  test("list shows active keys unless --status asks for expired, revoked or all", () => {
    expect(parseCommandLine(["keys", "list", "--owner", "o", "--status", "all"])).toMatchObject({ kind: "list", status: "all" });
    expect(() => parseCommandLine(["keys", "list", "--owner", "o", "--status", "gone"])).toThrow(/--status: must be one of active, expired, revoked, all/);
  });

  test("rotate defaults to no grace period, so the old key stops at once", () => {
    expect(parseCommandLine(["keys", "rotate", "key_abcdefghijklmnop"])).toMatchObject({ kind: "rotate", id: "key_abcdefghijklmnop", graceMs: 0 });
    expect(parseCommandLine(["keys", "rotate", "--grace=90m", "key_abcdefghijklmnop"])).toMatchObject({ graceMs: 5_400_000 });
  });

  test("--prefix is taken by every keys command", () => {
    expect(parseCommandLine(["keys", "revoke", "key_abcdefghijklmnop", "--prefix", "acme_"])).toMatchObject({ kind: "revoke", prefix: "acme_" });
  });

  test("migrate takes --json and --help, and nothing that belongs to keys", () => {
    expect(parseCommandLine(["migrate"])).toEqual({ kind: "migrate", json: false });
    expect(parseCommandLine(["migrate", "--json"])).toEqual({ kind: "migrate", json: true });
    expect(parseCommandLine(["migrate", "-h"])).toMatchObject({ kind: "help", text: expect.stringMatching(/^Usage: portcullis migrate/) });
    expect(() => parseCommandLine(["migrate", "--prefix", "x_"])).toThrow(/unknown option "--prefix"/);
  });

  test.each([
    [["migrate", "now"]],
    [["keys", "list", "--owner", "o", "--limit", "0"]],
    [["keys", "list", "--owner", "o", "--limit", "101"]],
    [["keys", "create", "--owner", "o", "--name", "n"]],
    [["keys", "create", "--owner", "o", "--name", "n", "--scopes", "r", "extra"]],
    [["keys", "revoke", "key_aaaaaaaaaaaaaaaa", "key_bbbbbbbbbbbbbbbb"]],
    [["keys", "list", "--owner"]],
    [["keys", "list", "--owner", "o", "--json=yes"]],
  ])("%j is a usage error with exit code 2", (argv) => {
    expect(() => parseCommandLine(argv)).toThrow(expect.objectContaining({ name: "CliError", exitCode: 2 }));
  });
});
