import type { PathStep } from "./redaction-path";
import type { CompiledRedactionRule } from "./redaction-rules";

/**
 * The rules whose path a request body sets: the fields a write would change that the principal
 * may not read. Pass the rules `planRedaction` gives for the principal.
 *
 * It errs on the side of refusing, as a host may store the body in more ways than one:
 * - a field counts as set whatever its value, `null` and `undefined` included (spread into a
 *   record, either erases the stored field);
 * - field names are compared without case (`Training_Data` sets `training_data` in a
 *   case-insensitive database);
 * - an own `__proto__` key is looked through, as `Object.assign` would make it the prototype and
 *   its fields readable on the record;
 * - `[*]` crosses arrays, and objects whose keys are all indexes, as `qs` turns
 *   `items[25][metrics]=…` into `{ items: { "25": { metrics: … } } }`.
 *
 * @example
 * findHiddenWrites({ name: "x", training_data: null }, rules); // [the training_data rule]
 * findHiddenWrites({ name: "x" }, rules); // []
 */
export function findHiddenWrites(body: unknown, rules: readonly CompiledRedactionRule[]): readonly CompiledRedactionRule[] {
  if (!isObject(body)) return [];
  return rules.filter((rule) => sets(body, rule.steps));
}

const INDEX = /^(0|[1-9]\d*)$/;

/**
 * Whether a path of `steps` exists in `body`. It walks with a stack of its own, not by recursion:
 * a sender nests as deep as it likes (6,000 `{"__proto__":` fit in 84 KB), and a body a host's
 * parser built may share objects or loop back to one. Each object is visited at most once per
 * step, so the work is bounded by the body's size times the path's length.
 */
function sets(body: object, steps: readonly PathStep[]): boolean {
  const seen = steps.map(() => new Set<object>());
  const pending: [node: object, at: number][] = [];
  const visit = (node: unknown, at: number) => {
    if (isObject(node) && !seen[at]!.has(node)) {
      seen[at]!.add(node);
      pending.push([node, at]);
    }
  };
  visit(body, 0);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, at] = next;
    const step = steps[at]!;
    if (step.kind === "items") {
      const items = Array.isArray(node) ? node : Object.keys(node).every((key) => INDEX.test(key)) ? Object.values(node) : [];
      for (const item of items) visit(item, at + 1);
      continue;
    }
    if (Array.isArray(node)) continue;
    const name = step.name.toLowerCase();
    const last = at === steps.length - 1;
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (key.toLowerCase() === name) {
        if (last) return true;
        visit(child, at + 1);
      }
      // Looked through at the same step: Object.assign would make it the record's prototype.
      if (key === "__proto__") visit(child, at);
    }
  }
  return false;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === "object";
}
