import { configError } from "./errors";

/**
 * Refuses option names a factory does not know: in security options a typo (`optinal`,
 * `revokeStatus`) would otherwise silently leave a default in force.
 *
 * @example
 * assertKnownOptions("apiKeyAuth", options, ["keys", "sources", "optional"]);
 */
export function assertKnownOptions(factory: string, options: object | null | undefined, known: Iterable<string>): void {
  const names = new Set(known);
  for (const name of Object.keys(options ?? {})) {
    if (!names.has(name)) throw configError(factory, `unknown option "${name}"; the options are ${[...names].join(", ")}`);
  }
}
