import { configError, PortcullisError } from "./errors";

/** Granted through `implies` to say "every scope". */
export const ALL_SCOPES = "*";

/**
 * RFC 6750 scope tokens (visible ASCII without `"` and `\`), and without `*`, which is reserved:
 * `read`, `Models:Train`, `/clarifai.api.V2/PostSearches`. 1 to 128 characters.
 */
const SCOPE_PATTERN = /^[!#-)+-[\]-~]{1,128}$/;
/** More than this many scopes on one key is a mistake or an attack on the store. */
export const MAX_SCOPES_PER_KEY = 100;

export interface ScopePolicyOptions {
  /**
   * The scopes a key may be granted. When given, creating a key with any other scope is a 400,
   * not a key that silently grants nothing.
   * @default undefined (any well-formed scope)
   */
  readonly known?: readonly string[];
  /**
   * Scopes that grant others, applied transitively: `{ admin: "*" }` makes `admin` grant every
   * scope; `{ read_write: ["read", "write"] }` is Plexe's permission level.
   * @default {}
   */
  readonly implies?: Readonly<Record<string, typeof ALL_SCOPES | readonly string[]>>;
}

/**
 * Which scopes exist and which grant others. One policy is shared by key creation, the scope
 * guards and the key router, so all three agree on what a principal holds.
 *
 * @example
 * const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
 * scopes.missing(["read"], ["read", "write"]); // ["write"]
 */
export class ScopePolicy {
  readonly known: ReadonlySet<string> | undefined;
  /** For each implying scope, everything it grants (transitively), or `"*"`. */
  readonly #closure = new Map<string, ReadonlySet<string> | typeof ALL_SCOPES>();

  constructor(options: Readonly<ScopePolicyOptions> = {}) {
    for (const name of Object.keys(options ?? {})) {
      if (name !== "known" && name !== "implies") throw configError("ScopePolicy", `unknown option "${name}"`);
    }
    const { known, implies = {} } = options;
    if (implies === null || typeof implies !== "object" || Array.isArray(implies)) {
      throw configError("ScopePolicy", `"implies" must be an object such as { admin: "*", read_write: ["read", "write"] }`);
    }
    if (known !== undefined) {
      if (!Array.isArray(known)) throw configError("ScopePolicy", `"known" must be an array of scope names`);
      for (const scope of known) assertWellFormed(scope, `"known"`);
      this.known = new Set(known);
    }
    for (const [scope, granted] of Object.entries(implies)) {
      assertWellFormed(scope, `"implies"`);
      if (granted === ALL_SCOPES) continue;
      if (!Array.isArray(granted)) {
        throw configError("ScopePolicy", `"implies.${scope}" must be "*" or an array of scopes`);
      }
      for (const g of granted) {
        assertWellFormed(g, `"implies.${scope}"`);
        if (this.known && !this.known.has(g)) {
          throw configError("ScopePolicy", `"implies.${scope}" grants "${g}", which is not in "known"`);
        }
      }
    }
    for (const scope of Object.keys(implies)) this.#closure.set(scope, closureOf(scope, implies));
  }

  /**
   * Checks the scopes requested for a new key and returns them deduplicated, in order.
   * @throws PortcullisError `invalid_request` naming the first bad scope.
   */
  validate(scopes: readonly unknown[]): string[] {
    if (scopes.length > MAX_SCOPES_PER_KEY) {
      throw new PortcullisError("invalid_request", `scopes: at most ${MAX_SCOPES_PER_KEY} scopes per key`);
    }
    const out = new Set<string>();
    for (const scope of scopes) {
      if (typeof scope !== "string" || !SCOPE_PATTERN.test(scope)) {
        throw new PortcullisError("invalid_request", `scopes: ${JSON.stringify(scope)} is not a well-formed scope`);
      }
      if (this.known && !this.known.has(scope)) {
        throw new PortcullisError("invalid_request", `scopes: unknown scope "${scope}"`);
      }
      out.add(scope);
    }
    return [...out];
  }

  /** The required scopes that `held` does not grant, in the order required. */
  missing(held: readonly string[], required: readonly string[]): string[] {
    const granted = this.expand(held);
    if (granted === ALL_SCOPES) return [];
    return required.filter((scope) => !granted.has(scope));
  }

  /** True when `held` grants every scope in `required` (`match: "all"`) or at least one (`"any"`). */
  satisfies(held: readonly string[], required: readonly string[], match: "all" | "any" = "all"): boolean {
    const missing = this.missing(held, required);
    return match === "all" ? missing.length === 0 : missing.length < required.length || required.length === 0;
  }

  /** Everything `held` grants once implications are applied. */
  expand(held: readonly string[]): ReadonlySet<string> | typeof ALL_SCOPES {
    const granted = new Set<string>();
    for (const scope of held) {
      granted.add(scope);
      const implied = this.#closure.get(scope);
      if (implied === ALL_SCOPES) return ALL_SCOPES;
      if (implied) for (const s of implied) granted.add(s);
    }
    return granted;
  }
}

function assertWellFormed(scope: unknown, where: string): asserts scope is string {
  if (typeof scope !== "string" || !SCOPE_PATTERN.test(scope)) {
    throw configError(
      "ScopePolicy",
      `${where} has ${JSON.stringify(scope)}: a scope is 1 to 128 visible ASCII characters without *, " or \\`,
    );
  }
}

function closureOf(
  root: string,
  implies: Readonly<Record<string, typeof ALL_SCOPES | readonly string[]>>,
): ReadonlySet<string> | typeof ALL_SCOPES {
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const scope = queue.pop()!;
    const granted = Object.hasOwn(implies, scope) ? implies[scope] : undefined;
    if (granted === ALL_SCOPES) return ALL_SCOPES;
    for (const g of granted ?? []) {
      if (!seen.has(g)) {
        seen.add(g);
        queue.push(g);
      }
    }
  }
  return seen;
}

/** True for a `ScopePolicy`, also one from another copy of this package. */
export function isScopePolicy(value: unknown): value is ScopePolicy {
  const policy = value as Partial<ScopePolicy> | null;
  return typeof policy?.missing === "function" && typeof policy.validate === "function" && typeof policy.expand === "function";
}
