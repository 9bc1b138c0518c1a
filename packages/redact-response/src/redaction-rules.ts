import { isPortcullisError, type ScopePolicy } from "@portcullis/core";
import { configError } from "@portcullis/core/internal";
import { parseRedactionPath, type PathStep } from "./redaction-path";

/** A field of the response body and the scope a principal needs to see it. */
export interface RedactionRule {
  /** Where the field is: `training_data`, `metrics.auc`, `items[*].metrics`, `[*].secret`. */
  readonly path: string;
  /** The scope that lets a principal see the field, e.g. `admin` or `Models:Train`. */
  readonly scope: string;
}

/** A rule checked and parsed once, at creation. */
export interface CompiledRedactionRule extends RedactionRule {
  readonly steps: readonly PathStep[];
}

const RULE_KEYS = new Set(["path", "scope"]);

/**
 * Checks and parses the rules of `redactResponse` once, at creation: a malformed path, a scope the
 * policy does not accept (a typo, with a `known` list) or a stray key in a rule throws a
 * `redactResponse:` TypeError naming the rule, so a mistake fails at startup instead of leaking.
 *
 * @example
 * const rules = compileRedactionRules([{ path: "items[*].metrics", scope: "Models:Train" }], new ScopePolicy());
 */
export function compileRedactionRules(rules: readonly RedactionRule[], policy: ScopePolicy): readonly CompiledRedactionRule[] {
  if (!Array.isArray(rules) || rules.length === 0) {
    throw configError("redactResponse", `pass a non-empty array of rules such as [{ path: "training_data", scope: "admin" }]`);
  }
  return Object.freeze(rules.map((rule: unknown, index) => compileRule(rule, index, policy)));
}

function compileRule(rule: unknown, index: number, policy: ScopePolicy): CompiledRedactionRule {
  const where = `rules[${index}]`;
  if (rule === null || typeof rule !== "object" || Array.isArray(rule)) {
    throw configError("redactResponse", `${where} must be an object { path, scope }, got ${JSON.stringify(rule)}`);
  }
  for (const key of Object.keys(rule)) {
    if (!RULE_KEYS.has(key)) throw configError("redactResponse", `${where} has an unknown key "${key}": a rule is { path, scope }`);
  }
  const { path, scope } = rule as Partial<RedactionRule>;
  const parsed = parseRedactionPath(path as string);
  if (!parsed.ok) throw configError("redactResponse", `${where}.path ${JSON.stringify(path)}: ${parsed.reason}`);
  try {
    // One scope at a time: the policy's per-key limit on the number of scopes is no limit on rules.
    policy.validate([scope]);
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    throw configError("redactResponse", `${where}.scope: ${error.message.replace(/^scopes: /, "")}`);
  }
  return Object.freeze({ path: path as string, scope: scope as string, steps: parsed.steps });
}

/**
 * The rules that apply to a principal: those whose scope it lacks under the policy (implications,
 * wildcards and endpoint scopes included). Costs one `policy.missing` call over the rules' scopes.
 *
 * @example
 * planRedaction(rules, new ScopePolicy({ implies: { admin: "*" } }), ["read"]); // the rules needing admin
 * planRedaction(rules, new ScopePolicy({ implies: { admin: "*" } }), ["admin"]); // []
 */
export function planRedaction(
  rules: readonly CompiledRedactionRule[],
  policy: ScopePolicy,
  held: readonly string[],
): readonly CompiledRedactionRule[] {
  const missing = new Set(policy.missing(held, rules.map((rule) => rule.scope)));
  return missing.size === 0 ? [] : rules.filter((rule) => missing.has(rule.scope));
}
