import { configError } from "./errors";
import { DEFAULT_STORE_TIMEOUT_MS } from "./store-guard";

/**
 * Refuses option names a factory does not know: in security options a typo (`optinal`,
 * `revokeStatus`) would otherwise silently leave a default in force. `replaced` names options a
 * factory no longer takes, with what to write instead, so the error says how to upgrade.
 *
 * @example
 * assertKnownOptions("apiKeyAuth", options, ["keys", "sources", "optional"]);
 * assertKnownOptions("keyRateLimit", options, ["store"], { redis: '"store": pass new RedisLimiterStore(redis)' });
 * // keyRateLimit: "redis" was replaced by "store": pass new RedisLimiterStore(redis)
 */
export function assertKnownOptions(
  factory: string,
  options: object | null | undefined,
  known: Iterable<string>,
  replaced: Readonly<Record<string, string>> = {},
): void {
  const names = new Set(known);
  for (const name of Object.keys(options ?? {})) {
    if (names.has(name)) continue;
    if (Object.hasOwn(replaced, name)) throw configError(factory, `"${name}" was replaced by ${replaced[name]}`);
    throw configError(factory, `unknown option "${name}"; the options are ${[...names].join(", ")}`);
  }
}

/**
 * A store call's time limit in milliseconds, checked: a whole number from 1 to 60000.
 *
 * @example
 * const timeoutMs = resolveTimeoutMs("keyRateLimit", options.timeoutMs);
 */
export function resolveTimeoutMs(factory: string, timeoutMs: number | undefined = DEFAULT_STORE_TIMEOUT_MS): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw configError(factory, `"timeoutMs" must be a whole number of milliseconds from 1 to 60000`);
  }
  return timeoutMs;
}
