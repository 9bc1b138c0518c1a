import { ScopePolicy } from "@portcullis/core";
import { privateCacheControl } from "../src/cache-control";
import { decideRedaction, redactedShare } from "../src/decide-redaction";
import { compileRedactionRules, planRedaction } from "../src/redaction-rules";

const policy = new ScopePolicy({ implies: { admin: "*", read_write: ["read", "write"] } });
const rules = compileRedactionRules(
  [
    { path: "training_data", scope: "admin" },
    { path: "items[*].metrics", scope: "Models:Train" },
    { path: "items[*].owner.email", scope: "admin" },
    { path: "notes", scope: "write" },
  ],
  policy,
);
const paths = (planned: readonly { path: string }[]) => planned.map((rule) => rule.path);
const outcome = (redactedSize: number, count = 1, redacted = rules.slice(0, 3)) => ({ redacted, count, redactedSize });

describe("planRedaction", () => {
  test("the rules that apply are those whose scope the principal lacks", () => {
    expect(paths(planRedaction(rules, policy, []))).toEqual(["training_data", "items[*].metrics", "items[*].owner.email", "notes"]);
    expect(paths(planRedaction(rules, policy, ["read_write"]))).toEqual(["training_data", "items[*].metrics", "items[*].owner.email"]);
    expect(paths(planRedaction(rules, policy, ["Models:*", "write"]))).toEqual(["training_data", "items[*].owner.email"]);
    expect(planRedaction(rules, policy, ["admin"])).toEqual([]);
  });
});

describe("redactedShare", () => {
  test("is redacted / (redacted + kept), 0 for nothing at all", () => {
    expect(redactedShare(300, 100)).toBe(0.75);
    expect(redactedShare(0, 100)).toBe(0);
    expect(redactedShare(100, 0)).toBe(1);
    expect(redactedShare(0, 0)).toBe(0);
  });
});

describe("decideRedaction", () => {
  test("at or below the threshold the body is sent, naming each redacted path once, in rule order", () => {
    const twice = [rules[1]!, rules[0]!, rules[1]!];
    expect(decideRedaction(outcome(100, 2, twice), { sentSize: 100, markerSize: 0 }, 0.5)).toEqual({
      action: "send",
      share: 0.5,
      fields: ["items[*].metrics", "training_data"],
    });
  });

  test("above it the request is refused, naming each missing scope once", () => {
    expect(decideRedaction(outcome(101), { sentSize: 100, markerSize: 0 }, 0.5)).toEqual({
      action: "refuse",
      share: 101 / 201,
      missingScopes: ["admin", "Models:Train"],
    });
  });

  test("markers in the sent body are not counted as kept", () => {
    // 10 markers of 12 characters in a 200-character body: 80 kept against 90 redacted.
    const decision = decideRedaction(outcome(90, 10), { sentSize: 200, markerSize: '"[redacted]"'.length }, 0.5);
    expect(decision).toMatchObject({ action: "refuse", share: 90 / 170 });
  });

  test("a threshold of 1 never refuses, even a body redacted whole", () => {
    expect(decideRedaction(outcome(500), { sentSize: 2, markerSize: 0 }, 1).action).toBe("send");
    expect(decideRedaction(outcome(500, 1), { sentSize: 12, markerSize: 12 }, 1)).toMatchObject({ action: "send", share: 1 });
  });
});

describe("privateCacheControl", () => {
  test.each([
    [undefined, "private"],
    ["", "private"],
    ["max-age=60", "private, max-age=60"],
    ["public, max-age=60, s-maxage=600", "private, max-age=60"],
    ["Public,no-cache", "private, no-cache"],
    ['private="Set-Cookie", max-age=5', "private, max-age=5"],
    ["private, max-age=5", "private, max-age=5"],
    ["no-store", "no-store"],
    [["public", "max-age=1"], "private, max-age=1"],
  ])("%j → %j", (current, expected) => {
    expect(privateCacheControl(current)).toBe(expected);
  });
});
