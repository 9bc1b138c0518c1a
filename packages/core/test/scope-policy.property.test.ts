import fc from "fast-check";
import { PortcullisError, ScopePolicy, type ScopePolicyOptions } from "@portcullis/core";
import { scopeGrants, scopeKind } from "@portcullis/core/internal";

/**
 * Hostile scope lists: ScopePolicy answers any strings without throwing, and a principal is never
 * granted a scope that neither its own list nor the policy's implications give it, nor can it
 * hand out a key that is granted more than itself.
 */

/** A small universe, so random held and required lists meet often. */
const UNIVERSE = [
  "read", "write", "admin", "owner",
  "Models:Train", "Models:Get", "Inputs:Get", "Models:*", "*:Get", "*:*",
  "/api.V2/PostSearches", "/api.V2/PostModelOutputs", "GET /models/:id", "DELETE /models/:id",
] as const;

const NON_ENDPOINTS = UNIVERSE.filter((s) => scopeKind(s) !== "endpoint");

const scope = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...UNIVERSE) }, { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 12 }) });
const scopeList = fc.array(scope, { maxLength: 6 });

/** Any strings at all: the policy's inputs come from keys, roles and routes. */
const hostileScope = fc.oneof(
  fc.constantFrom(...UNIVERSE, "*", "", "read*", "a:b:c", "Models:Tr*in", "*:id", "GET  /x", "__proto__", "constructor", "toString"),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "binary-ascii", minLength: 190, maxLength: 210 }),
);
const hostileList = fc.array(hostileScope, { maxLength: 8 });

/** Implications among the universe: scope → "*" or a list, cycles allowed. */
const implies: fc.Arbitrary<NonNullable<ScopePolicyOptions["implies"]>> = fc.dictionary(
  fc.constantFrom(...NON_ENDPOINTS),
  fc.oneof({ weight: 1, arbitrary: fc.constant("*" as const) }, { weight: 4, arbitrary: fc.uniqueArray(fc.constantFrom(...UNIVERSE), { maxLength: 4 }) }),
  { maxKeys: 4 },
);

/** What `held` reaches through `implies`, by a fixed point rather than the policy's own walk. */
function reachable(held: readonly string[], rules: NonNullable<ScopePolicyOptions["implies"]>): { all: boolean; scopes: Set<string> } {
  const scopes = new Set(held);
  let all = false;
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of [...scopes]) {
      const granted = Object.hasOwn(rules, s) ? rules[s] : undefined;
      if (granted === "*") all = true;
      else for (const g of granted ?? []) if (!scopes.has(g)) grew = scopes.add(g) !== undefined;
    }
  }
  return { all, scopes };
}

const isEndpoint = (s: string) => scopeKind(s) === "endpoint";

describe("ScopePolicy on any strings", () => {
  test("missing, satisfies, expand, endpointAllowed, endpointsOf and cannotGrant never throw", () => {
    fc.assert(
      fc.property(fc.option(implies, { nil: undefined }), hostileList, hostileList, hostileScope, fc.boolean(), (rules, held, required, endpoint, freeze) => {
        const policy = new ScopePolicy(rules ? { implies: rules } : {});
        const heldList = freeze ? Object.freeze([...held]) : held;
        const missing = policy.missing(heldList, required);
        for (const s of missing) expect(required).toContain(s);
        policy.satisfies(heldList, required, "all");
        policy.satisfies(heldList, required, "any");
        policy.expand(heldList);
        policy.endpointAllowed(heldList, endpoint);
        policy.endpointsOf(heldList);
        policy.cannotGrant(heldList, required);
      }),
      { numRuns: 1000 },
    );
  });

  test("validate returns well-formed scopes or throws invalid_request, nothing else", () => {
    const policy = new ScopePolicy({ known: [...UNIVERSE] });
    fc.assert(
      fc.property(fc.array(fc.oneof(hostileScope, fc.anything()), { maxLength: 8 }), (scopes) => {
        let valid: string[];
        try {
          valid = policy.validate(scopes);
        } catch (error) {
          expect(error).toBeInstanceOf(PortcullisError);
          expect((error as PortcullisError).code).toBe("invalid_request");
          return;
        }
        for (const s of valid) expect(scopeKind(s)).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  test("a frozen list (a cached key's) gets the same answers as a fresh copy, asked any number of times", () => {
    fc.assert(
      fc.property(implies, hostileList, hostileList, (rules, held, required) => {
        const policy = new ScopePolicy({ implies: rules });
        const frozen = Object.freeze([...held]);
        const first = policy.missing(frozen, required);
        expect(policy.missing([...held], required)).toEqual(first);
        expect(policy.missing(frozen, required)).toEqual(first);
        expect([...policy.endpointsOf(frozen)]).toEqual([...policy.endpointsOf([...held])]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("what a principal is granted", () => {
  test("only what it holds, what that implies, or what a held wildcard covers", () => {
    fc.assert(
      fc.property(implies, scopeList, hostileScope, (rules, held, required) => {
        const policy = new ScopePolicy({ implies: rules });
        const granted = policy.missing(held, [required]).length === 0;
        const reach = reachable(held, rules);
        if (isEndpoint(required)) {
          // An endpoint is granted by holding it, or by holding no endpoint at all (no limit).
          if (granted) expect(reach.scopes.has(required) || !held.some(isEndpoint)).toBe(true);
          if (held.some(isEndpoint) && !reach.scopes.has(required)) expect(granted).toBe(false);
        } else if (granted) {
          expect(reach.all || [...reach.scopes].some((h) => h === required || scopeGrants(h, required))).toBe(true);
        }
        if (held.includes(required)) expect(granted).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("expand gives what is held and implied, and '*' only when an implication reaches it", () => {
    fc.assert(
      fc.property(implies, scopeList, (rules, held) => {
        const expanded = new ScopePolicy({ implies: rules }).expand(held);
        const reach = reachable(held, rules);
        if (expanded === "*") return expect(reach.all).toBe(true);
        expect(reach.all).toBe(false);
        for (const s of held) expect(expanded.has(s)).toBe(true);
        for (const s of expanded) expect(reach.scopes.has(s)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test("a key it may hand out (cannotGrant is empty) is granted nothing it is not granted itself", () => {
    fc.assert(
      fc.property(implies, scopeList, fc.array(fc.constantFrom(...UNIVERSE), { minLength: 1, maxLength: 4 }), scope, (rules, held, requested, probe) => {
        const policy = new ScopePolicy({ implies: rules });
        fc.pre(policy.cannotGrant(held, requested).length === 0);
        if (policy.missing(requested, [probe]).length === 0) expect(policy.missing(held, [probe])).toEqual([]);
        if (policy.endpointAllowed(requested, probe)) expect(policy.endpointAllowed(held, probe)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("handing out a scope that implies more (found by the property above)", () => {
  test("a wildcard that covers an implying scope cannot hand it out without what it implies", () => {
    const policy = new ScopePolicy({ implies: { "Models:Admin": "*" } });

    expect(policy.missing(["Models:*"], ["Models:Admin"])).toEqual([]); // the wildcard covers it…
    expect(policy.missing(["Models:*"], ["Users:Delete"])).toEqual(["Users:Delete"]); // …but not what it implies
    expect(policy.cannotGrant(["Models:*"], ["Models:Admin"])).toEqual(["Models:Admin"]);
    expect(policy.cannotGrant(["Models:Admin"], ["Models:Admin"])).toEqual([]);
  });

  test("an endpoint-limited holder cannot hand out a scope that implies an endpoint outside its limit", () => {
    const policy = new ScopePolicy({ implies: { "Models:Get": ["/api.V2/PostSearches"] } });
    const held = ["*:Get", "DELETE /models/:id"];

    expect(policy.endpointAllowed(held, "/api.V2/PostSearches")).toBe(false);
    expect(policy.cannotGrant(held, ["Models:Get", "DELETE /models/:id"])).toEqual(["/api.V2/PostSearches"]);
    expect(policy.cannotGrant(["Models:Get", "DELETE /models/:id"], ["Models:Get", "DELETE /models/:id"])).toEqual([]);
  });
});
