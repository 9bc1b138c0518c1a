import { z } from "zod";
import { REALM } from "./challenge";
import type { ErrorResponseOptions } from "./error-response";
import { configError } from "./errors";
import { isLimiterStore, MemoryLimiterStore } from "./limiter-store";
import { isLogger, type Logger } from "./logger";
import { DEFAULT_STORE_TIMEOUT_MS } from "./store-guard";

// Option validation from zod schemas: a factory describes its options as a strict object schema,
// and resolveOptions turns the first issue into the configuration error the factories have always
// thrown (`apiKeyAuth: "optional" must be a boolean`). Messages here are predicates ("must be …",
// "is required …") that the option's path is put in front of; a schema's own `error` overrides them.

/** An issue as the per-parse error map sees it: zod's raw issue, with the schema that raised it. */
interface RawIssue {
  readonly code: string;
  readonly input?: unknown;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly keys?: readonly string[];
  readonly errors?: readonly (readonly { readonly message: string }[])[];
  readonly issues?: readonly { readonly message: string }[];
  readonly schema?: { readonly minValue?: number | null; readonly maxValue?: number | null; readonly isInt?: boolean; readonly shape?: object };
}

/** Marks the error map's message for unknown keys, so resolveOptions can name each key. */
const KNOWN_PREFIX = "\u0000known:";

const ARTICLE: Readonly<Record<string, string>> = { object: "an object", record: "an object", array: "an array", int: "a whole number" };

/** "a whole number from 1 to 60000", "a number at least 0", from what a number schema allows. */
function describeNumber(schema: RawIssue["schema"], unit = ""): string {
  const noun = `${schema?.isInt ? "a whole number" : "a number"}${unit ? ` of ${unit}` : ""}`;
  const min = schema?.minValue ?? undefined;
  const max = schema?.maxValue ?? undefined;
  // zod's int() bounds itself to the safe integers: those bounds are no limit worth naming.
  const finite = (n: number | undefined) => n !== undefined && Number.isSafeInteger(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (finite(min) && finite(max)) return `${noun} from ${min} to ${max}`;
  if (finite(min)) return `${noun}, at least ${min}`;
  if (finite(max)) return `${noun}, at most ${max}`;
  return noun;
}

/** `"all" or "any"`, `one of 60, 3600, 86400`. */
function describeValues(values: readonly unknown[]): string {
  const shown = values.map((value) => (typeof value === "string" ? JSON.stringify(value) : String(value)));
  return shown.length <= 2 ? shown.join(" or ") : `one of ${shown.join(", ")}`;
}

/** What was given, for a value short and harmless enough to repeat (an enum's wrong choice). */
function got(input: unknown): string {
  if (typeof input === "number" || typeof input === "boolean") return `, got ${String(input)}`;
  if (typeof input === "string" && input.length <= 32) return `, got ${JSON.stringify(input)}`;
  return "";
}

/** The per-parse error map: the project's wording for each kind of issue. */
function optionMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      if (issue.expected === "number" || issue.expected === "int") return `must be ${describeNumber(issue.schema)}`;
      return `must be ${ARTICLE[issue.expected ?? ""] ?? `a ${issue.expected}`}`;
    case "too_small":
    case "too_big":
      if (typeof issue.input === "number") return `must be ${describeNumber(issue.schema)}`;
      return undefined;
    case "invalid_value":
      return `must be ${describeValues(issue.values ?? [])}${got(issue.input)}`;
    case "invalid_union": {
      const choices = (issue.errors ?? []).map((branch) => branch[0]?.message.replace(/^must be /, "").replace(/, got .*$/, "")).filter(Boolean);
      return choices.length > 0 ? `must be ${[...new Set(choices)].join(" or ")}` : undefined;
    }
    case "unrecognized_keys":
      return `${KNOWN_PREFIX}${Object.keys(issue.schema?.shape ?? {}).join(", ")}`;
    default:
      return undefined;
  }
}

/** The option an issue is about, as a user writes it: `default.points`, `sources.0`. */
function optionPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/**
 * Parses a factory's options with a strict zod object schema and returns the resolved config
 * (defaults applied, the caller's object left as it is), or throws the first problem as
 * `configError(factory, …)`: the option's path in quotes and what it must be. Unknown keys throw,
 * naming the known options; `replaced` names options a factory no longer takes, with what to
 * write instead, so the error says how to upgrade.
 *
 * @example
 * const config = resolveOptions("requireRecentAuth", requireRecentAuthOptions, options);
 * // requireRecentAuth: "secondFactor" must be a boolean
 */
export function resolveOptions<Schema extends z.ZodType>(
  factory: string,
  schema: Schema,
  options: unknown,
  replaced: Readonly<Record<string, string>> = {},
): z.output<Schema> {
  if (options !== null && typeof options === "object") {
    for (const name of Object.keys(options)) {
      if (Object.hasOwn(replaced, name)) throw configError(factory, `"${name}" was replaced by ${replaced[name]}`);
    }
  }
  const result = schema.safeParse(options, { error: (issue) => optionMessage(issue as unknown as RawIssue) });
  if (result.success) return result.data;
  const issue = deepest(result.error.issues[0]!);
  const name = optionPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const unknown = issue.keys.map((key) => `"${name ? `${name}.` : ""}${key}"`).join(", ");
    const known = issue.message.startsWith(KNOWN_PREFIX) ? issue.message.slice(KNOWN_PREFIX.length) : "";
    return fail(factory, `unknown option ${unknown}${known ? `; the options are ${known}` : ""}`);
  }
  if (issue.code === "invalid_key") {
    // A record's key: name the record, and quote the key (the message of its schema says what it must be).
    const record = optionPath(issue.path.slice(0, -1));
    const rule = issue.issues[0]?.message ?? "is not allowed";
    return fail(factory, `${record ? `"${record}" ` : ""}has the key ${JSON.stringify(String(issue.path.at(-1)))}, which ${rule}`);
  }
  return fail(factory, name ? `"${name}" ${issue.message}` : issue.message);
}

/**
 * The issue to report: in a union, the branch the value got furthest into (an object with one
 * bad field says which field), or the union's own "must be A or B" when no branch fits at all.
 */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.path.length > 0) return deepest({ ...first, path: [...issue.path, ...first.path] });
  }
  return issue;
}

function fail(factory: string, message: string): never {
  throw configError(factory, message);
}

/**
 * A whole number from `from` to `to` (no upper limit when left out), with the unit named in the
 * message: `"timeoutMs" must be a whole number of milliseconds from 1 to 60000`.
 *
 * @example
 * z.strictObject({ timeoutMs: wholeNumber(1, 60_000, "milliseconds").default(2000) })
 */
export function wholeNumber(from: number, to: number = Number.MAX_SAFE_INTEGER, unit?: string) {
  const error = `must be ${describeNumber({ isInt: true, minValue: from, maxValue: to }, unit)}`;
  return z.int({ error }).min(from, { error }).max(to, { error });
}

/**
 * An option checked by a type guard (a class instance, a port, a function), with the message of
 * that guard: `"keys" is required: pass new ApiKeys({ store, secret, prefix })`. A function
 * message is given the value, to tell a missing option from a wrong one.
 *
 * @example
 * z.strictObject({ keys: checked(isApiKeys, "is required: pass new ApiKeys({ store, secret, prefix })") })
 */
export function checked<T>(guard: (value: unknown) => value is T, message: string | ((input: unknown) => string)): z.ZodType<T> {
  return z.custom<T>((value) => guard(value), { error: typeof message === "string" ? message : (issue) => message(issue.input) });
}

/** Any function, with what it is for in the message: `"now" must be a function returning milliseconds`. */
export function functionOption<T extends (...args: never[]) => unknown>(message: string): z.ZodType<T> {
  return z.custom<T>((value) => typeof value === "function", { error: message });
}

/** `onError` and `formatError` (ErrorResponseOptions), for a factory's schema to spread in. */
export const errorResponseOptions = {
  onError: z.enum(["respond", "next"]).optional(),
  formatError: functionOption<NonNullable<ErrorResponseOptions["formatError"]>>(`must be a function (error, req) => ({ body, status?, contentType? })`).optional(),
};

const REALM_RULE = "must be 1 to 64 printable ASCII characters without quotes or backslashes";

/** The realm named in `WWW-Authenticate`: it goes inside a quoted string. @default "api" */
export const realmOption = z.string({ error: REALM_RULE }).regex(REALM, { error: REALM_RULE }).default("api");

/** A store call's time limit, in milliseconds. @default 2000 */
export const timeoutMsOption = wholeNumber(1, 60_000, "milliseconds").default(DEFAULT_STORE_TIMEOUT_MS);

/** A limiter's `store`: a `LimiterStore`, or the memory one when left out. */
export const limiterStoreOption = checked(
  isLimiterStore,
  "must be a LimiterStore, such as new RedisLimiterStore(redis) from @portcullis/redis; leave it out to count in memory",
).default(() => new MemoryLimiterStore());

/** Where a factory logs its few lines: anything with `warn` and `error`, such as a pino logger. @default console */
export const loggerOption = checked(isLogger, "must have warn(message) and error(message) methods, such as console or a pino logger").default(
  (): Logger => console,
);
