import type { KeyRateLimit } from "@portcullis/core";

/** One count a request made, under a rotation chain's id: the limit, and what the counter read. */
export interface KeyCount {
  readonly limit: KeyRateLimit;
  /** The count after this request's point. */
  readonly consumed: number;
  /** When the counter's window ends. */
  readonly msBeforeReset: number;
}

/**
 * Allowed, with the tightest count (fewest left) for the headers; or refused, with the refusal
 * that lasts longest (retrying before it ends would be refused again) and the indexes of the
 * counts whose points are to be given back.
 */
export type KeyRateDecision =
  | { readonly allowed: true; readonly limit: KeyRateLimit; readonly remaining: number; readonly msBeforeReset: number }
  | { readonly allowed: false; readonly limit: KeyRateLimit; readonly msBeforeNext: number; readonly giveBack: readonly number[] };

/**
 * Decides a request from every count it made (its own chain's, then each maker's, made side by
 * side): allowed only when each is within its limit. A refused request keeps one point only, on the
 * nearest count that refused it, and gives every other back: a key over its own tighter limit uses
 * up none of its maker's allowance (even when requests in flight together pushed the maker's count
 * over too), and a request its maker refuses none of the key's own.
 *
 * @example
 * const decision = decideKeyRateLimit([{ limit: { points: 5, durationSeconds: 60 }, consumed: 6, msBeforeReset: 4000 }]);
 * // { allowed: false, limit: { points: 5, durationSeconds: 60 }, msBeforeNext: 4000, giveBack: [] }
 */
export function decideKeyRateLimit(counts: readonly KeyCount[]): KeyRateDecision {
  let tightest: KeyCount | undefined;
  let refusal: KeyCount | undefined;
  let nearestRefusal = -1;
  counts.forEach((count, i) => {
    if (count.consumed > count.limit.points) {
      if (nearestRefusal < 0) nearestRefusal = i;
      if (!refusal || count.msBeforeReset > refusal.msBeforeReset) refusal = count;
    } else if (!tightest || count.limit.points - count.consumed < tightest.limit.points - tightest.consumed) {
      tightest = count;
    }
  });
  if (refusal) {
    const giveBack = counts.map((_count, i) => i).filter((i) => i !== nearestRefusal);
    return { allowed: false, limit: refusal.limit, msBeforeNext: refusal.msBeforeReset, giveBack };
  }
  if (!tightest) throw new RangeError("decideKeyRateLimit: no counts to decide on");
  return { allowed: true, limit: tightest.limit, remaining: tightest.limit.points - tightest.consumed, msBeforeReset: tightest.msBeforeReset };
}
