/**
 * A whole number from the environment, or its default; anything else is refused at once rather
 * than silently running a different benchmark than asked.
 */
export function intFromEnv(name: string, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list of whole numbers from the environment, or its default. */
export function intsFromEnv(name: string, fallback: readonly number[], { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return [...fallback];
  return raw.split(",").map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name} must list whole numbers from ${min} to ${max}, such as "10000,100000", got "${raw}"`);
    }
    return value;
  });
}
