import { ScopePolicy, type ErrorResponseOptions } from "@portcullis/core";
import { checked, errorResponseOptions, isScopePolicy, realmOption, resolveOptions as parseOptions } from "@portcullis/core/internal";
import { z } from "zod";

/**
 * Options of `redactResponse`, besides its rules.
 *
 * @example
 * redactResponse(rules, { policy: scopes, marker: "[redacted]", threshold: 0.5, header: "X-Redacted-Fields" });
 */
export interface RedactResponseOptions extends ErrorResponseOptions {
  /**
   * The scope policy whose implications, wildcards and endpoint scopes decide what a principal
   * holds. Pass the same policy as the `ApiKeys` service and the scope guards.
   * @default new ScopePolicy() (no implications)
   */
  readonly policy?: ScopePolicy;
  /**
   * A JSON value put in place of each redacted field, such as `"[redacted]"` or `null`; without
   * one, redacted fields are removed.
   * @default undefined (the field is removed)
   */
  readonly marker?: unknown;
  /**
   * The response header naming the redacted paths (`training_data, items[*].metrics`), or `false`
   * for none. Browsers read it only if CORS exposes it (`Access-Control-Expose-Headers`).
   * @default "X-Redacted-Fields"
   */
  readonly header?: string | false;
  /**
   * Above this share of the body redacted (0 < threshold ≤ 1; see `redactedShare`), the whole
   * request is refused with 403 instead. 1 never refuses.
   * @default 0.5
   */
  readonly threshold?: number;
  /**
   * The realm named in the `WWW-Authenticate` header of a refusal.
   * @default "api"
   */
  readonly realm?: string;
  /**
   * The largest JSON body of a write that redactResponse reads itself, to check it sets no field
   * the principal may not read (bytes, or a size such as `"16kb"`); a larger one is refused with
   * 413. Bodies parsed before redactResponse are not read again. The route's own `express.json`
   * skips a body read here, so its `limit` does not apply to it: pass the same limit here.
   * @default "100kb" (express.json's)
   */
  readonly bodyLimit?: number | string;
}

/** The options resolved once, at creation. */
export interface RedactResponseConfig {
  readonly policy: ScopePolicy;
  /** A frozen copy of the marker, or undefined to remove fields. */
  readonly marker: unknown;
  readonly markerSize: number;
  readonly header: string | false;
  readonly threshold: number;
  readonly realm: string;
  readonly bodyLimit: number | string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // an RFC 9110 header name
const MAX_MARKER_DEPTH = 16;
const SIZE = /^\d+(\.\d+)?\s*(b|kb|mb|gb)$/i; // what express.json's limit reads

const redactResponseOptions = z.strictObject(
  {
    policy: checked(isScopePolicy, `must be a ScopePolicy, such as new ScopePolicy({ implies: { admin: "*" } })`).default(() => new ScopePolicy()),
    marker: z
      .custom<unknown>((marker) => isJson(marker, 0), {
        error: `must be a JSON value (a string, number, boolean, null, array or plain object), such as "[redacted]"`,
      })
      .optional(),
    header: z
      .custom<string | false>((header) => header === false || (typeof header === "string" && TOKEN.test(header)), {
        error: `must be a header name such as "X-Redacted-Fields", or false for no header`,
      })
      .default("X-Redacted-Fields"),
    threshold: z
      .custom<number>((threshold) => typeof threshold === "number" && threshold > 0 && threshold <= 1, {
        error: (issue) => `must be a number above 0 and at most 1 (1 never refuses), got ${String(issue.input)}`,
      })
      .default(0.5),
    realm: realmOption,
    bodyLimit: z
      .custom<number | string>(
        (limit) =>
          typeof limit === "number" ? Number.isSafeInteger(limit) && limit > 0 : typeof limit === "string" && SIZE.test(limit) && parseFloat(limit) > 0,
        { error: (issue) => `must be a positive number of bytes or a size such as "16kb", got ${typeof issue.input === "bigint" ? `${issue.input}n` : JSON.stringify(issue.input)}` },
      )
      .default("100kb"),
    ...errorResponseOptions,
  },
  { error: (issue) => (issue.code === "invalid_type" ? `options must be an object such as { marker: "[redacted]" }` : undefined) },
);

/** Checks the options of `redactResponse` and resolves their defaults; never writes to them. */
export function resolveOptions(options: Readonly<RedactResponseOptions>): RedactResponseConfig {
  const { policy, marker, header, threshold, realm, bodyLimit } = parseOptions("redactResponse", redactResponseOptions, options);
  const frozen = marker === undefined ? undefined : deepFreeze(JSON.parse(JSON.stringify(marker)) as unknown);
  return {
    policy,
    marker: frozen,
    markerSize: frozen === undefined ? 0 : JSON.stringify(frozen).length,
    header,
    threshold,
    realm,
    bodyLimit,
  };
}

/** A value that `JSON.stringify` keeps as it is: no undefined, function, NaN, Date or class instance. */
function isJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || depth >= MAX_MARKER_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJson(item, depth + 1));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
