import type { PathStep } from "../../src/redaction-path";

/** A concrete location in a JSON value: field names and array indexes. */
export type Location = readonly (string | number)[];

/** Where `steps` lead in `value`, by brute force: the reference the real walk is checked against. */
export function locate(value: unknown, steps: readonly PathStep[], at = 0, here: Location = []): Location[] {
  if (at === steps.length) return [here];
  const step = steps[at]!;
  if (step.kind === "items") {
    return Array.isArray(value) ? value.flatMap((item, index) => locate(item, steps, at + 1, [...here, index])) : [];
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, step.name)) return [];
  return locate((value as Record<string, unknown>)[step.name], steps, at + 1, [...here, step.name]);
}

/** The value at a location, or undefined where the location no longer exists. */
export function valueAt(value: unknown, location: Location): unknown {
  // Own properties only, as JSON has them: `node["__proto__"]` on an object without that field
  // would read the prototype instead.
  return location.reduce<unknown>(
    (node, key) => (node === null || typeof node !== "object" || !Object.hasOwn(node, key) ? undefined : (node as Record<string | number, unknown>)[key]),
    value,
  );
}

/** The obvious, slow redaction: clone the whole body, then delete (or overwrite) every location. */
export function referenceRedaction(body: unknown, rules: readonly (readonly PathStep[])[], marker?: unknown) {
  const value = JSON.parse(JSON.stringify(body)) as unknown;
  const matched: number[] = [];
  let count = 0;
  let size = 0;
  rules.forEach((steps, index) => {
    const locations = locate(value, steps);
    if (locations.length > 0) matched.push(index);
    for (const location of locations) {
      const parent = valueAt(value, location.slice(0, -1)) as Record<string, unknown>;
      const key = location.at(-1) as string;
      count += 1;
      size += JSON.stringify(parent[key]).length;
      if (marker === undefined) delete parent[key];
      else Object.defineProperty(parent, key, { value: JSON.parse(JSON.stringify(marker)), enumerable: true, writable: true, configurable: true });
    }
  });
  return { value, matched, count, size };
}

/** Every leaf (primitive, empty object, empty array) of a JSON value, with its location. */
export function leaves(value: unknown, here: Location = []): [Location, unknown][] {
  if (value === null || typeof value !== "object") return [[here, value]];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  if (entries.length === 0) return [[here, value]];
  return entries.flatMap(([key, item]) => leaves(item, [...here, key]));
}

/** Every object and array in a JSON value, with its location. */
export function branches(value: unknown, here: Location = []): [Location, object][] {
  if (value === null || typeof value !== "object") return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return [[here, value], ...entries.flatMap(([key, item]) => branches(item, [...here, key]))];
}

export const isPrefix = (prefix: Location, of: Location) => prefix.length <= of.length && prefix.every((key, i) => key === of[i]);

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
