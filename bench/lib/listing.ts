import type { ApiKeys } from "@portcullis/core";
import { p50p99 } from "./stats";
import { timeSequentially } from "./timing";

/** One page position measured: where it starts and how long a call took (milliseconds). */
export interface PageTiming {
  readonly page: "first" | "deep";
  /** How many of the owner's keys come before the page (newest first). */
  readonly startRank: number;
  readonly records: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * A cursor into the middle of the owner's keys, taken the way a client gets one: the `next` of
 * the pages before it. The page after it is full (it starts at most `limit` keys before the end).
 */
async function middleCursor(keys: ApiKeys, owner: string, limit: number, ownerKeys: number): Promise<{ after?: string; startRank: number }> {
  const pages = Math.max(0, Math.floor(Math.min(ownerKeys / 2, ownerKeys - limit) / limit));
  let after: string | undefined;
  for (let page = 0; page < pages; page++) {
    const { next } = await keys.list(owner, after === undefined ? { limit } : { limit, after });
    if (next === undefined) throw new Error(`listing ${owner} ended after ${page + 1} pages of ${limit}; expected ${ownerKeys} keys`);
    after = next;
  }
  return after === undefined ? { startRank: 0 } : { after, startRank: pages * limit };
}

/**
 * Times `calls` listings of the owner's first page and of a page in the middle (when there is a
 * full one past the first), with page size `limit`: the cost should follow the page size, not
 * the owner's number of keys.
 */
export async function timeListing(keys: ApiKeys, owner: string, limit: number, ownerKeys: number, calls: number): Promise<PageTiming[]> {
  const deep = await middleCursor(keys, owner, limit, ownerKeys);
  const positions: { page: PageTiming["page"]; startRank: number; options: { limit: number; after?: string } }[] = [
    { page: "first", startRank: 0, options: { limit } },
  ];
  // An owner with too few keys for a full page past the first has no deep page to time.
  if (deep.after !== undefined) positions.push({ page: "deep", startRank: deep.startRank, options: { limit, after: deep.after } });
  const timings: PageTiming[] = [];
  for (const { page, startRank, options } of positions) {
    const { records } = await keys.list(owner, options);
    const micros = await timeSequentially(calls, () => keys.list(owner, options));
    const { p50, p99 } = p50p99(micros.map((us) => us / 1000));
    timings.push({ page, startRank, records: records.length, p50, p99 });
  }
  return timings;
}
