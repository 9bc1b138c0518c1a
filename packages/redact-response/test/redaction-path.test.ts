import fc from "fast-check";
import { parseRedactionPath, type PathStep } from "../src/redaction-path";
import { fieldName, formatPath, pathSteps } from "./support/arbitraries";

const field = (name: string): PathStep => ({ kind: "field", name });
const items: PathStep = { kind: "items" };

describe("parseRedactionPath", () => {
  test.each<[string, PathStep[]]>([
    ["training_data", [field("training_data")]],
    ["metrics.auc", [field("metrics"), field("auc")]],
    ["items[*].metrics", [field("items"), items, field("metrics")]],
    ["items[*].owner.email", [field("items"), items, field("owner"), field("email")]],
    ["[*].secret", [items, field("secret")]],
    ["rows[*][*].cell", [field("rows"), items, items, field("cell")]],
    ["$id", [field("$id")]],
    ["output_info.data.concepts[*].value", [field("output_info"), field("data"), field("concepts"), items, field("value")]],
    ["__proto__.x", [field("__proto__"), field("x")]],
  ])("%s", (path, steps) => {
    expect(parseRedactionPath(path)).toEqual({ ok: true, steps });
  });

  test.each([
    ["", /non-empty|1 to 200 characters/],
    ["a..b", /empty field name at character 3/],
    [".a", /empty field name at character 1/],
    ["a.", /empty field name at character 3/],
    ["a.[*].b", /^empty field name at character 3: write "a\[\*\]", not "a\.\[\*\]"$/],
    ["a[*].", /^empty field name at character 6: a path does not end with "\."$/],
    ["a[*", /unclosed "\[" at character 2/],
    ["a[", /unclosed "\["/],
    ["a[0].b", /only "\[\*\]" may appear in brackets, got "\[0\]" at character 2/],
    ["a[].b", /got "\[\]"/],
    ["a[**].b", /got "\[\*\*\]"/],
    ["a]", /"]" without "\[" at character 2/],
    ["a[*]b", /expected "\." or "\[" after "\[\*\]" at character 5/],
    ["a.*.b", /^"\*" at character 3 is not allowed in a field name: there is no wildcard for object keys/],
    ["a b", /" " at character 2 is not allowed in a field name/],
    ["a,b", /"," at character 2 is not allowed/],
    ["größe", /"ö" at character 3 is not allowed/],
    ["items[*]", /to redact the whole array write "items"/],
    ["rows[*][*]", /write "rows"/],
    ["items[*].rows[*]", /to redact the whole array write "items\[\*\]\.rows"$/],
    ["[*]", /a path ends with a field name, such as "\[\*\]\.secret"/],
    ["a".repeat(201), /1 to 200 characters/],
  ])("%j is malformed", (path, reason) => {
    const parsed = parseRedactionPath(path);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  test("a path may be 200 characters long, not 201", () => {
    const path = `${"a".repeat(96)}[*].${"b".repeat(100)}`;
    expect(path).toHaveLength(200);
    expect(parseRedactionPath(path)).toEqual({ ok: true, steps: [field("a".repeat(96)), items, field("b".repeat(100))] });
    expect(parseRedactionPath(`${path}c`).ok).toBe(false);
  });

  test("a value that is not a string is malformed, not a crash", () => {
    expect(parseRedactionPath(undefined as never).ok).toBe(false);
    expect(parseRedactionPath(["a"] as never).ok).toBe(false);
  });

  test("every well-formed path parses back to the steps it was written from", () => {
    fc.assert(
      fc.property(pathSteps(), (steps) => {
        expect(parseRedactionPath(formatPath(steps))).toEqual({ ok: true, steps });
      }),
    );
  });

  test("any string parses without throwing, and an accepted one is written exactly as its steps", () => {
    const pathLike = fc.string({ unit: fc.constantFrom("a", "b", ".", "[", "]", "*", " ", ",", "0"), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(pathLike, fc.string()), (path) => {
        const parsed = parseRedactionPath(path);
        if (parsed.ok) expect(formatPath(parsed.steps)).toBe(path);
        else expect(parsed.reason).toEqual(expect.any(String));
      }),
    );
  });

  test("field names are exactly the visible ASCII characters but . [ ] , *", () => {
    fc.assert(
      fc.property(fieldName, (name) => {
        expect(parseRedactionPath(name)).toEqual({ ok: true, steps: [field(name)] });
      }),
    );
    for (let code = 0; code < 256; code++) {
      const char = String.fromCharCode(code);
      if (char === ".") continue; // "a.b" is two fields
      const allowed = code > 0x20 && code < 0x7f && !"[],*".includes(char);
      expect([char, parseRedactionPath(`a${char}b`).ok]).toEqual([char, allowed]);
    }
  });
});
