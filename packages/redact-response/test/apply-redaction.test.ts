import fc from "fast-check";
import { ScopePolicy } from "@portcullis/core";
import { type RedactionRule } from "@portcullis/redact-response";
import { applyRedaction } from "../src/apply-redaction";
import { type PathStep } from "../src/redaction-path";
import { compileRedactionRules, planRedaction } from "../src/redaction-rules";
import { formatPath, jsonBody, KEYS, pathSteps } from "./support/arbitraries";
import { branches, deepFreeze, isPrefix, leaves, locate, referenceRedaction, valueAt, type Location } from "./support/reference";

const policy = new ScopePolicy({ implies: { admin: "*" } });
const compile = (rules: RedactionRule[]) => compileRedactionRules(rules, policy);
const needing = (scope: string, ...paths: string[]) => compile(paths.map((path) => ({ path, scope })));

/** Random rules over the generated keys: some at random, some at a location the body has. */
const ruleSources = fc.array(fc.oneof(pathSteps(fc.constantFrom(...KEYS)), fc.nat()), { minLength: 1, maxLength: 3 });

/** Turns a source into a path: random steps as they are, or the n-th field location of the body, indexes as [*]. */
function pathFor(body: unknown, source: PathStep[] | number): PathStep[] {
  if (typeof source !== "number") return source;
  const fields = [...leaves(body), ...branches(body)].map(([location]) => location).filter((location) => typeof location.at(-1) === "string");
  const location = fields[source % Math.max(1, fields.length)] ?? ["a"];
  return location.map((key): PathStep => (typeof key === "number" ? { kind: "items" } : { kind: "field", name: key }));
}

const rulesFor = (steps: PathStep[][]) => compile(steps.map((s) => ({ path: formatPath(s), scope: "admin" })));

describe("applyRedaction", () => {
  test("removes a Clarifai model's training data and shares every other branch", () => {
    const model = {
      id: "general-image-recognition",
      output_info: { data: { concepts: [{ id: "ai_1", name: "dog" }] } },
      training_data: { inputs: 120_000, source: "s3://bucket/train" },
    };
    const outcome = applyRedaction(model, needing("admin", "training_data"));
    expect(outcome.value).toEqual({ id: "general-image-recognition", output_info: model.output_info });
    expect((outcome.value as typeof model).output_info).toBe(model.output_info);
    expect(outcome.redacted.map((rule) => rule.path)).toEqual(["training_data"]);
    expect(outcome.count).toBe(1);
    expect(outcome.redactedSize).toBe(JSON.stringify(model.training_data).length);
  });

  test("items[*].metrics reaches every item; items without the field are shared as they are", () => {
    const plain = { id: 2 };
    const body = { items: [{ id: 1, metrics: { auc: 0.9 } }, plain, "text", null, [{ metrics: 1 }]] };
    const outcome = applyRedaction(body, needing("admin", "items[*].metrics"));
    expect(outcome.value).toEqual({ items: [{ id: 1 }, { id: 2 }, "text", null, [{ metrics: 1 }]] });
    expect((outcome.value as typeof body).items[1]).toBe(plain);
    expect(outcome.count).toBe(1);
  });

  test("[*].secret redacts in a top-level array, and nothing in an object", () => {
    const rules = needing("admin", "[*].secret");
    expect(applyRedaction([{ id: 1, secret: "s" }, { id: 2 }], rules).value).toEqual([{ id: 1 }, { id: 2 }]);
    const object = { secret: "s" };
    expect(applyRedaction(object, rules).value).toBe(object);
  });

  test("a field step does not index arrays, and [*] does not iterate objects", () => {
    const body = { items: { a: { metrics: 1 } }, list: [{ x: 1 }] };
    const outcome = applyRedaction(body, needing("admin", "items[*].metrics", "list.x", "list.0"));
    expect(outcome.value).toBe(body);
    expect(outcome.redacted).toEqual([]);
  });

  test("a marker takes the redacted value's place, keeping the key order", () => {
    const outcome = applyRedaction({ a: 1, secret: { deep: true }, z: 2 }, needing("admin", "secret"), "[redacted]");
    expect(JSON.stringify(outcome.value)).toBe('{"a":1,"secret":"[redacted]","z":2}');
    expect(outcome.redactedSize).toBe('{"deep":true}'.length);
  });

  test("paths match what JSON.stringify sends: toJSON is applied, undefined and functions are not there", () => {
    class Model {
      constructor(readonly id: string) {}
      toJSON() {
        return { id: this.id, owner: { email: "a@example.com", name: "Ann" } };
      }
    }
    const created = new Date(0);
    const body = { model: new Model("m1"), created, gone: undefined, fn: () => 1 };
    const outcome = applyRedaction(body, needing("admin", "model.owner.email", "created", "gone", "fn"));
    expect(JSON.parse(JSON.stringify(outcome.value))).toEqual({ model: { id: "m1", owner: { name: "Ann" } } });
    expect(outcome.redacted.map((rule) => rule.path)).toEqual(["model.owner.email", "created"]);
    expect(outcome.redactedSize).toBe('"a@example.com"'.length + JSON.stringify(created).length);
  });

  test("branches no rule leads into are never read, however large", () => {
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error("read");
        },
        ownKeys: () => {
          throw new Error("listed");
        },
      },
    );
    const body = { catalogue: untouchable, items: [{ id: 1, metrics: {}, history: untouchable }], training_data: [1] };
    const outcome = applyRedaction(body, needing("admin", "training_data", "items[*].metrics", "catalogue2.x"));
    expect((outcome.value as typeof body).catalogue).toBe(untouchable);
    expect((outcome.value as typeof body).items[0]!.history).toBe(untouchable);
    expect(outcome.count).toBe(2);
  });

  test("a field named __proto__ is an ordinary field", () => {
    const body = JSON.parse('{"__proto__":{"secret":1,"keep":2},"a":1}') as Record<string, unknown>;
    const outcome = applyRedaction(body, needing("admin", "__proto__.secret"));
    expect(JSON.stringify(outcome.value)).toBe('{"__proto__":{"keep":2},"a":1}');
    expect(Object.getPrototypeOf(outcome.value)).toBe(Object.prototype);
  });

  test("the redaction is exactly the obvious clone-and-delete one, without cloning or mutating", () => {
    const marker = fc.constantFrom(undefined, "[redacted]", null, 0, deepFreeze({ a: "[redacted]" }), deepFreeze(["x"]));
    fc.assert(
      fc.property(jsonBody, ruleSources, marker, (body, sources, mark) => {
        const steps = sources.map((source) => pathFor(body, source));
        const rules = rulesFor(steps);
        const before = JSON.stringify(body);
        const outcome = applyRedaction(deepFreeze(body), rules, mark);
        const expected = referenceRedaction(body, steps, mark);
        expect(outcome.value).toEqual(expected.value);
        expect(JSON.stringify(outcome.value)).toBe(JSON.stringify(expected.value));
        expect(outcome.redacted.map((rule) => rules.indexOf(rule))).toEqual(expected.matched);
        expect([outcome.count, outcome.redactedSize]).toEqual([expected.count, expected.size]);
        expect(JSON.stringify(body)).toBe(before);
        if (expected.matched.length === 0) expect(outcome.value).toBe(body);
      }),
    );
  });

  test("values at an existing path are removed, every other leaf is deep-equal, every other branch shared", () => {
    fc.assert(
      fc.property(jsonBody, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (body, picks) => {
        const steps = picks.map((pick) => pathFor(body, pick));
        const removed: Location[] = steps.flatMap((s) => locate(body, s));
        const { value } = applyRedaction(deepFreeze(body), rulesFor(steps));
        for (const location of removed) {
          const parent = valueAt(value, location.slice(0, -1)) as object | undefined;
          expect(parent !== null && typeof parent === "object" && Object.hasOwn(parent, location.at(-1)!)).toBe(false);
        }
        for (const [location, leaf] of leaves(body)) {
          if (!removed.some((gone) => isPrefix(gone, location))) expect(valueAt(value, location)).toEqual(leaf);
        }
        for (const [location, branch] of branches(body)) {
          const touched = removed.some((gone) => isPrefix(location, gone) || isPrefix(gone, location));
          if (!touched) expect(valueAt(value, location)).toBe(branch);
        }
      }),
    );
  });

  test("a field named __proto__ is an ordinary field: removed when its path is, and nothing else changes", () => {
    const body = deepFreeze(JSON.parse('{"__proto__":{"__proto__":""},"keep":1}'));
    const inner = applyRedaction(body, rulesFor([[{ kind: "field", name: "__proto__" }, { kind: "field", name: "__proto__" }]])).value as Record<string, unknown>;
    expect(JSON.stringify(inner)).toBe('{"__proto__":{},"keep":1}');
    const outer = applyRedaction(body, rulesFor([[{ kind: "field", name: "__proto__" }]])).value as Record<string, unknown>;
    expect(Object.hasOwn(outer, "__proto__")).toBe(false);
    expect(Object.getPrototypeOf(outer)).toBe(Object.prototype);
    expect(outer.keep).toBe(1);
  });

  test("applying twice is applying once", () => {
    fc.assert(
      fc.property(jsonBody, ruleSources, fc.constantFrom(undefined, "[redacted]", null), (body, sources, marker) => {
        const rules = rulesFor(sources.map((source) => pathFor(body, source)));
        const once = applyRedaction(body, rules, marker);
        const twice = applyRedaction(once.value, rules, marker);
        expect(twice.value).toEqual(once.value);
        if (marker === undefined) {
          expect(twice.value).toBe(once.value);
          expect(twice.redacted).toEqual([]);
        }
      }),
    );
  });

  test("a principal holding every rule's scope gets the very same body", () => {
    const scopes = fc.constantFrom("read", "admin", "Models:Train", "Models:Get");
    const policies = [new ScopePolicy(), policy];
    fc.assert(
      fc.property(jsonBody, ruleSources, fc.array(scopes, { minLength: 1, maxLength: 3 }), (body, sources, ruleScopes) => {
        const rules = compileRedactionRules(
          sources.map((source, i) => ({ path: formatPath(pathFor(body, source)), scope: ruleScopes[i % ruleScopes.length]! })),
          policy,
        );
        for (const p of policies) expect(applyRedaction(body, planRedaction(rules, p, ruleScopes)).value).toBe(body);
        expect(applyRedaction(body, planRedaction(rules, policy, ["admin"])).value).toBe(body);
        expect(applyRedaction(body, planRedaction(rules, new ScopePolicy(), ["Models:*", "read", "admin"])).value).toBe(body);
      }),
    );
  });
});
