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
  if (body === null || typeof body !== "object") return [];
  return rules.filter((rule) => sets(body, rule.steps, 0));
}

const INDEX = /^(0|[1-9]\d*)$/;

function sets(node: unknown, steps: readonly PathStep[], at: number): boolean {
  if (node === null || typeof node !== "object") return false;
  const step = steps[at]!;
  if (step.kind === "items") {
    const items = Array.isArray(node) ? node : Object.keys(node).every((key) => INDEX.test(key)) ? Object.values(node) : [];
    return items.some((item) => sets(item, steps, at + 1));
  }
  if (Array.isArray(node)) return false;
  const name = step.name.toLowerCase();
  const last = at === steps.length - 1;
  for (const key of Object.keys(node)) {
    const child = (node as Record<string, unknown>)[key];
    if (key.toLowerCase() === name && (last || sets(child, steps, at + 1))) return true;
    if (key === "__proto__" && sets(child, steps, at)) return true;
  }
  return false;
}
