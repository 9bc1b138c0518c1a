import fc from "fast-check";
import type { PathStep } from "../../src/redaction-path";

/** The characters a field name may hold: visible ASCII but . [ ] , * */
const NAME_CHARS = [...Array(0x7f - 0x21).keys()].map((i) => String.fromCharCode(0x21 + i)).filter((c) => !".[],*".includes(c));

/** Any well-formed field name. */
export const fieldName = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 8 });

/**
 * Keys of the generated JSON and of the generated paths: few, so random paths often exist.
 * `__proto__` checks that a field of that name is a plain field; "0" that integer-like keys,
 * which objects order first, keep their place.
 */
export const KEYS = ["a", "b", "items", "__proto__", "x-y", "0"] as const;

const fieldStep = (name: fc.Arbitrary<string>) => name.map((n): PathStep => ({ kind: "field", name: n }));
const itemsStep = fc.constant<PathStep>({ kind: "items" });

/** A well-formed path: any field and `[*]` steps, ending with a field. */
export function pathSteps(name: fc.Arbitrary<string> = fieldName): fc.Arbitrary<PathStep[]> {
  return fc
    .tuple(fc.array(fc.oneof(fieldStep(name), itemsStep), { maxLength: 4 }), fieldStep(name))
    .map(([prefix, last]) => [...prefix, last]);
}

/** Writes steps as a path: `items[*].owner.email`. */
export function formatPath(steps: readonly PathStep[]): string {
  return steps.map((step, i) => (step.kind === "items" ? "[*]" : i === 0 ? step.name : `.${step.name}`)).join("");
}

const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 6 }));

/** JSON values over `KEYS`, some objects with a null prototype (as fast-check makes them). */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ json: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  json: fc.oneof({ depthSize: "small", maxDepth: 5 }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("json"), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie("json"), { maxKeys: 4 }),
})).json;

/** A JSON value whose top level is an object or an array, as a response body is. */
export const jsonBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.constantFrom(...KEYS), jsonValue, { maxKeys: 5 }),
  fc.array(jsonValue, { maxLength: 5 }),
);
