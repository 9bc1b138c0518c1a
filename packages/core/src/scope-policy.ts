import { z } from "zod";
import { PortcullisError } from "./errors";
import { resolveOptions } from "./option-schema";
import { isWildcard, MAX_SCOPE_LENGTH, scopeGrants, scopeKind } from "./scope-grammar";

/** Granted through `implies` to say "every scope". */
export const ALL_SCOPES = "*";

/** More than this many scopes on one key is a mistake or an attack on the store. */
export const MAX_SCOPES_PER_KEY = 100;

/** What `cannotGrant` names when a key limited to some endpoints asks for a key limited to none. */
export const ANY_ENDPOINT = "(any endpoint)";

export interface ScopePolicyOptions {
  /**
   * The scopes a key may be granted. When given, creating a key with any other scope is a 400,
   * not a key that silently grants nothing; an operation wildcard (`Models:*`) must cover at least
   * one known scope.
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

type Granted = ReadonlySet<string> | typeof ALL_SCOPES;

const SCOPE_FORMS = `plain ("read"), an operation ("Models:Train", "Models:*") or an endpoint ("/api.V2/PostSearches", "GET /models/:id"), at most ${MAX_SCOPE_LENGTH} characters`;
const isScope = (scope: unknown): scope is string => scopeKind(scope) !== undefined;
/** A scope in a list, quoted when it is not one: a scope name is no secret. */
const scopeName = z.custom<string>(isScope, { error: (issue) => `must be a scope: ${SCOPE_FORMS}, got ${printable(issue.input)}` });
/** A key of `implies`, which resolveOptions quotes itself. */
const impliesKey = z.custom<string>(isScope, { error: `must be a scope: ${SCOPE_FORMS}` });

const scopePolicyOptions = z
  .strictObject(
    {
      known: z.array(scopeName, { error: "must be an array of scope names" }).optional(),
      implies: z
        .record(impliesKey, z.union([z.literal(ALL_SCOPES), z.array(scopeName)], { error: `must be "*" or an array of scopes` }), {
          error: (issue) => (issue.code === "invalid_type" ? `must be an object such as { admin: "*", read_write: ["read", "write"] }` : undefined),
        })
        .default({}),
    },
    { error: (issue) => (issue.code === "invalid_type" ? `options must be an object such as { known: ["read", "admin"], implies: { admin: "*" } }` : undefined) },
  )
  .superRefine(({ known, implies }, ctx) => {
    // An implication of a scope that cannot exist is a typo that would silently grant nothing.
    const knownSet = known && new Set(known);
    for (const [scope, granted] of Object.entries(implies)) {
      const unknown = granted === ALL_SCOPES ? undefined : granted.find((g) => !isKnownScope(knownSet, g));
      if (unknown !== undefined) ctx.addIssue({ code: "custom", path: ["implies", scope], message: `grants "${unknown}", which is not in "known"` });
    }
  });

/**
 * Which scopes exist and which grant others. One policy is shared by key creation, the scope
 * guards and the key router, so all three agree on what a principal holds.
 *
 * Scopes come in three forms (see `scopeKind`): plain (`read`), operation (`Models:Train`, with
 * `*` wildcards) and endpoint (`/clarifai.api.V2/PostSearches`, `GET /api/models/:id`). Endpoint
 * scopes follow Clarifai's rule: a principal holding any may call only those endpoints, and still
 * needs each one's operation scopes; a principal holding none is limited by the others alone.
 *
 * @example
 * const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
 * scopes.missing(["read"], ["read", "write"]); // ["write"]
 */
export class ScopePolicy {
  readonly known: ReadonlySet<string> | undefined;
  /** For each implying scope, everything it grants (transitively), or `"*"`. */
  readonly #closure = new Map<string, Granted>();

  constructor(options: Readonly<ScopePolicyOptions> = {}) {
    const { known, implies } = resolveOptions("ScopePolicy", scopePolicyOptions, options);
    this.known = known && new Set(known);
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
      if (scopeKind(scope) === undefined) {
        throw new PortcullisError("invalid_request", `scopes: ${printable(scope)} is not a well-formed scope`);
      }
      if (!this.#isKnown(scope as string)) throw new PortcullisError("invalid_request", `scopes: unknown scope "${scope as string}"`);
      out.add(scope as string);
    }
    return [...out];
  }

  /**
   * The required scopes that `held` does not grant, in the order required. An endpoint scope is
   * granted by holding it, or by holding no endpoint scope at all (no endpoint restriction).
   */
  missing(held: readonly string[], required: readonly string[]): string[] {
    const granted = this.expand(held);
    let limit: ReadonlySet<string> | undefined; // only worked out when an endpoint is required
    return required.filter((scope) => {
      if (scopeKind(scope) !== "endpoint") return granted !== ALL_SCOPES && !grants(granted, scope);
      limit ??= this.endpointsOf(held);
      return limit.size > 0 && !limit.has(scope);
    });
  }

  /** True when `held` grants every scope in `required` (`match: "all"`) or at least one (`"any"`). */
  satisfies(held: readonly string[], required: readonly string[], match: "all" | "any" = "all"): boolean {
    const missing = this.missing(held, required);
    return match === "all" ? missing.length === 0 : missing.length < required.length || required.length === 0;
  }

  /**
   * Whether `held` may call the endpoint `endpointId` (Clarifai's rule; see the class docs). An
   * endpoint limit holds even beside a scope that implies every other (`admin: "*"`).
   */
  endpointAllowed(held: readonly string[], endpointId: string): boolean {
    const endpoints = this.endpointsOf(held);
    return endpoints.size === 0 || endpoints.has(endpointId);
  }

  /** The endpoint scopes `held` carries, directly or through implications: its endpoint limit. */
  endpointsOf(held: readonly string[]): ReadonlySet<string> {
    const endpoints = new Set<string>();
    for (const scope of held) {
      if (scopeKind(scope) === "endpoint") endpoints.add(scope);
      const implied = this.#closure.get(scope);
      if (implied && implied !== ALL_SCOPES) for (const s of implied) if (scopeKind(s) === "endpoint") endpoints.add(s);
    }
    return endpoints;
  }

  /**
   * What a holder of `held` may not hand out in a new key of `requested` scopes: the scopes it
   * does not hold, or holds without what they imply; the endpoints (named or implied) outside its
   * own endpoint limit; and `ANY_ENDPOINT` when it is limited to some endpoints but the new key
   * would be limited to none (which would be broader).
   */
  cannotGrant(held: readonly string[], requested: readonly string[]): string[] {
    const limit = this.endpointsOf(held);
    const others = requested.filter((scope) => scopeKind(scope) !== "endpoint" && !this.#mayHandOut(held, scope));
    if (limit.size === 0) return others;
    // The new key's limit is the endpoints its scopes imply as well as those it names.
    const newLimit = this.endpointsOf(requested);
    const outside = [...newLimit].filter((scope) => !limit.has(scope));
    return [...others, ...outside, ...(newLimit.size === 0 ? [ANY_ENDPOINT] : [])];
  }

  /**
   * Whether `held` grants `scope` and everything `scope` implies. A wildcard (`Models:*`) grants
   * `Models:Admin` but not what `Models:Admin` implies, so it must not hand that out.
   */
  #mayHandOut(held: readonly string[], scope: string): boolean {
    if (this.missing(held, [scope]).length > 0) return false;
    const implied = this.#closure.get(scope);
    if (implied === undefined) return true;
    if (implied === ALL_SCOPES) return this.expand(held) === ALL_SCOPES;
    return this.missing(held, [...implied].filter((s) => scopeKind(s) !== "endpoint")).length === 0;
  }

  /** Everything `held` grants once implications are applied (wildcards kept as written). */
  expand(held: readonly string[]): Granted {
    const granted = new Set<string>();
    for (const scope of held) {
      granted.add(scope);
      const implied = this.#closure.get(scope);
      if (implied === ALL_SCOPES) return ALL_SCOPES;
      if (implied) for (const s of implied) granted.add(s);
    }
    return granted;
  }

  #isKnown(scope: string): boolean {
    return isKnownScope(this.known, scope);
  }
}

/** Whether `scope` exists under `known` (any scope does without a list); a wildcard must cover a known scope. */
function isKnownScope(known: ReadonlySet<string> | undefined, scope: string): boolean {
  if (!known || known.has(scope)) return true;
  if (!isWildcard(scope)) return false;
  for (const k of known) if (scopeGrants(scope, k)) return true;
  return false;
}

/** A client's value quoted for a sentence, anything outside printable ASCII escaped (`"admin\\u0000"`). */
function printable(value: unknown): string {
  const quoted = JSON.stringify(value) ?? String(value);
  return quoted.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function grants(granted: ReadonlySet<string>, required: string): boolean {
  if (granted.has(required)) return true;
  for (const held of granted) if (isWildcard(held) && scopeGrants(held, required)) return true;
  return false;
}

function closureOf(root: string, implies: Readonly<Record<string, typeof ALL_SCOPES | readonly string[]>>): Granted {
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
