import { z } from "zod";
import { checked, errorResponseOptions, functionOption, realmOption, resolveOptions, wholeNumber } from "../src/option-schema";

const isClock = (value: unknown): value is { now(): number } => typeof (value as { now?: unknown } | null)?.now === "function";

const schema = z.strictObject({
  name: z.string(),
  enabled: z.boolean().default(false),
  timeoutMs: wholeNumber(1, 60_000, "milliseconds").default(2000),
  retries: z.int().min(0).max(5).optional(),
  match: z.enum(["all", "any"]).default("all"),
  limit: z.union([z.literal(false), z.strictObject({ points: z.int().min(1).max(100), window: z.literal([60, 3600, 86400]) })]).optional(),
  clock: checked(isClock, "must be a clock, such as { now: Date.now }").optional(),
  now: functionOption<() => number>("must be a function returning milliseconds").optional(),
  realm: realmOption,
  ...errorResponseOptions,
});

const resolve = (options: unknown, replaced?: Record<string, string>) => resolveOptions("myFactory", schema, options, replaced);

test("the resolved config has the defaults, and the caller's object is left as it is", () => {
  const options = Object.freeze({ name: "x", retries: 2 });
  expect(resolve(options)).toEqual({ name: "x", enabled: false, timeoutMs: 2000, retries: 2, match: "all", realm: "api" });
  expect(options).toEqual({ name: "x", retries: 2 });
});

test.each([
  ["a missing required option", {}, `myFactory: "name" is required`],
  ["a wrong type", { name: "x", enabled: "yes" }, `myFactory: "enabled" must be a boolean`],
  ["a wrong type, in place of a number", { name: "x", retries: "2" }, `myFactory: "retries" must be a whole number from 0 to 5`],
  ["a number out of range", { name: "x", retries: 6 }, `myFactory: "retries" must be a whole number from 0 to 5`],
  ["a fraction where a whole number is expected", { name: "x", retries: 1.5 }, `myFactory: "retries" must be a whole number from 0 to 5`],
  ["a number out of range, with its unit", { name: "x", timeoutMs: 0 }, `myFactory: "timeoutMs" must be a whole number of milliseconds from 1 to 60000`],
  ["an enum mismatch", { name: "x", match: "some" }, `myFactory: "match" must be "all" or "any", got "some"`],
  ["a nested number out of range", { name: "x", limit: { points: 0, window: 60 } }, `myFactory: "limit.points" must be a whole number from 1 to 100`],
  ["a nested literal mismatch", { name: "x", limit: { points: 5, window: 30 } }, `myFactory: "limit.window" must be one of 60, 3600, 86400, got 30`],
  ["a union mismatch", { name: "x", limit: true }, `myFactory: "limit" must be false or an object`],
  ["a guard's refusal, with its message", { name: "x", clock: {} }, `myFactory: "clock" must be a clock, such as { now: Date.now }`],
  ["a function expected", { name: "x", now: 5 }, `myFactory: "now" must be a function returning milliseconds`],
  ["a realm with a quote", { name: "x", realm: 'a"b' }, `myFactory: "realm" must be 1 to 64 printable ASCII characters without quotes or backslashes`],
  ["onError mismatch", { name: "x", onError: "log" }, `myFactory: "onError" must be "respond" or "next", got "log"`],
  ["a formatError that is not a function", { name: "x", formatError: "json" }, `myFactory: "formatError" must be a function (error, req) => ({ body, status?, contentType? })`],
  ["options that are not an object", null, `myFactory: must be an object`],
])("%s is refused with a message naming the option and what it must be", (_, options, message) => {
  expect(() => resolve(options)).toThrow(new TypeError(message));
});

test("an unknown key is refused by name, with the options there are", () => {
  expect(() => resolve({ name: "x", enabeld: true })).toThrow(
    new TypeError(`myFactory: unknown option "enabeld"; the options are name, enabled, timeoutMs, retries, match, limit, clock, now, realm, onError, formatError`),
  );
  expect(() => resolve({ name: "x", limit: { points: 5, window: 60, burst: 2 } })).toThrow(
    new TypeError(`myFactory: unknown option "limit.burst"; the options are points, window`),
  );
});

test("an option that was replaced says what to write instead", () => {
  expect(() => resolve({ name: "x", redis: {} }, { redis: `"store": pass new RedisLimiterStore(redis)` })).toThrow(
    new TypeError(`myFactory: "redis" was replaced by "store": pass new RedisLimiterStore(redis)`),
  );
});

test("a value is never repeated unless it is a short enum choice", () => {
  const secret = "s".repeat(40);
  expect(() => resolve({ name: "x", match: secret })).toThrow(new TypeError(`myFactory: "match" must be "all" or "any"`));
});

test("a record's key that its schema refuses is quoted, with the record named", () => {
  const headers = z.strictObject({ headers: z.record(z.string().regex(/^x-/, { error: `must start with "x-"` }), z.string()) });
  expect(() => resolveOptions("myFactory", headers, { headers: { "x-a": "1", accept: "2" } })).toThrow(
    new TypeError(`myFactory: "headers" has the key "accept", which must start with "x-"`),
  );
});
