const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A whole number and one unit; "1h30m", "1.5h" and "30 d" are refused rather than guessed at. */
const DURATION = /^(\d{1,9})([smhd])$/;

/** About a hundred years: longer is "never", and far dates overflow `Date`. */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

/**
 * Parses a duration flag such as `--expires-in 30d` or `--grace 90m` into milliseconds.
 * Units are `s`, `m`, `h` and `d`; `0s` is zero.
 *
 * @throws RangeError saying what a duration looks like.
 * @example
 * parseDuration("12h"); // 43_200_000
 * parseDuration("soon"); // throws RangeError
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match) {
    throw new RangeError(`${JSON.stringify(text)} is not a duration: use a whole number and a unit, s, m, h or d (such as 90m or 30d)`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > MAX_DURATION_MS) throw new RangeError(`${JSON.stringify(text)} is too long: at most 36500d`);
  return ms;
}
