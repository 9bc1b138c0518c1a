/** One step of a compiled path: a field of an object, or every item of an array (`[*]`). */
export type PathStep = { readonly kind: "field"; readonly name: string } | { readonly kind: "items" };

/** The outcome of parsing a path: its steps, or why it is malformed. */
export type ParsedRedactionPath =
  | { readonly ok: true; readonly steps: readonly PathStep[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Characters of a field name: visible ASCII but `.`, `[`, `]` (path syntax), `,` (the
 * `X-Redacted-Fields` list separator) and `*` (reserved: there is no object-key wildcard).
 */
const NAME_CHAR = /^[!-)+\-/-Z\\^-~]$/;

/** Paths are named in a response header; a longer one is a mistake. */
const MAX_PATH_LENGTH = 200;

const ITEMS: PathStep = Object.freeze({ kind: "items" });

/**
 * Parses a redaction path: field names joined by `.`, with `[*]` for "every item of this array".
 * `training_data`, `metrics.auc`, `items[*].metrics`, `[*].secret` (a top-level array),
 * `rows[*][*].cell`. A path ends with a field name: the whole array `items` is redacted as
 * `items`, not `items[*]`. Never throws; a malformed path gets a reason that says how to fix it.
 *
 * @example
 * parseRedactionPath("items[*].owner.email");
 * // { ok: true, steps: [{ kind: "field", name: "items" }, { kind: "items" },
 * //   { kind: "field", name: "owner" }, { kind: "field", name: "email" }] }
 * parseRedactionPath("items[0].email");
 * // { ok: false, reason: 'only "[*]" may appear in brackets, got "[0]" at character 6: …' }
 */
export function parseRedactionPath(path: string): ParsedRedactionPath {
  if (typeof path !== "string" || path.length === 0 || path.length > MAX_PATH_LENGTH) {
    return fail(`a path is a string of 1 to ${MAX_PATH_LENGTH} characters such as "training_data" or "items[*].metrics"`);
  }
  const steps: PathStep[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === "[") {
      if (path[i - 1] === ".") return fail(`empty field name at character ${i + 1}: write "a[*]", not "a.[*]"`);
      const close = path.indexOf("]", i);
      if (close < 0) return fail(`unclosed "[" at character ${i + 1}: array items are written "[*]"`);
      const inside = path.slice(i, close + 1);
      if (inside !== "[*]") {
        return fail(`only "[*]" may appear in brackets, got "${inside}" at character ${i + 1}: a rule covers every item of an array`);
      }
      steps.push(ITEMS);
      i = close + 1;
      if (i < path.length && path[i] !== "." && path[i] !== "[") {
        return fail(`expected "." or "[" after "[*]" at character ${i + 1}`);
      }
      if (path[i] === ".") {
        i += 1;
        if (i === path.length) return fail(`empty field name at character ${i + 1}: a path does not end with "."`);
      }
      continue;
    }
    // A field name: at the start, after "." or after "[*]." (the only ways to get here).
    let end = i;
    while (end < path.length && path[end] !== "." && path[end] !== "[") {
      const c = path[end]!;
      if (c === "]") return fail(`"]" without "[" at character ${end + 1}`);
      if (c === "*") return fail(`"*" at character ${end + 1} is not allowed in a field name: there is no wildcard for object keys, only "[*]" for array items`);
      if (!NAME_CHAR.test(c)) {
        return fail(`${JSON.stringify(c)} at character ${end + 1} is not allowed in a field name (visible ASCII without . [ ] , *)`);
      }
      end += 1;
    }
    if (end === i) return fail(`empty field name at character ${i + 1}: fields are joined by a single "."`);
    steps.push(Object.freeze({ kind: "field", name: path.slice(i, end) }));
    i = end;
    if (path[i] === ".") {
      i += 1;
      if (i === path.length) return fail(`empty field name at character ${i + 1}: a path does not end with "."`);
    }
  }
  if (steps.at(-1)?.kind !== "field") {
    const whole = path.replace(/(\[\*\])+$/, "");
    return fail(
      whole === ""
        ? `a path ends with a field name, such as "[*].secret"`
        : `a path ends with a field name: to redact the whole array write "${whole}"`,
    );
  }
  return { ok: true, steps: Object.freeze(steps) };
}

function fail(reason: string): ParsedRedactionPath {
  return { ok: false, reason };
}
