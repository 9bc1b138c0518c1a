import type { InvalidationResult } from "./invalidation";
import type { PageTiming } from "./listing";
import type { VerificationTiming } from "./verification";
import { formatNumber, markdownTable } from "./markdown";
import { median, p50p99 } from "./stats";
import { renderTargets, type Target } from "./targets";

/** What was measured once the store held `keys` keys. */
export interface SizeResult {
  readonly keys: number;
  readonly seedSeconds: number;
  readonly bytesPerKey: number;
  /** Verification latency, microseconds. */
  readonly verify: VerificationTiming;
  readonly bigOwnerKeys: number;
  readonly listing: readonly { readonly limit: number; readonly pages: readonly PageTiming[] }[];
}

const count = (n: number) => n.toLocaleString("en-US");

export function sizeTable(sizes: readonly SizeResult[]): string {
  const rows = sizes.map((size) => [
    count(size.keys),
    `${formatNumber(size.seedSeconds)} s`,
    formatNumber(size.keys / size.seedSeconds, 0),
    formatNumber(size.bytesPerKey, 0),
    formatNumber(size.verify.p50, 0),
    formatNumber(size.verify.p99, 0),
    formatNumber(size.verify.roundTripP50, 0),
    formatNumber(size.verify.p50 - size.verify.roundTripP50, 0), // what verifying adds to a round trip
  ]);
  return markdownTable(
    ["keys", "seeded in", "keys/s", "Redis bytes per key", "verify p50 µs", "verify p99 µs", "PING p50 µs", "verifying adds µs"],
    rows,
    ["r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

/** A size on PostgreSQL: `bytesPerKey` is the fresh table; `usedBytesPerKey` after one usage rewrite and VACUUM. */
export interface PostgresSizeResult extends SizeResult {
  readonly usedBytesPerKey: number;
}

export function postgresSizeTable(sizes: readonly PostgresSizeResult[]): string {
  const rows = sizes.map((size) => [
    count(size.keys),
    `${formatNumber(size.seedSeconds)} s`,
    formatNumber(size.keys / size.seedSeconds, 0),
    formatNumber(size.bytesPerKey, 0),
    formatNumber(size.usedBytesPerKey, 0),
    formatNumber(size.verify.p50, 0),
    formatNumber(size.verify.p99, 0),
    formatNumber(size.verify.roundTripP50, 0),
    formatNumber(size.verify.p50 - size.verify.roundTripP50, 0),
  ]);
  return markdownTable(
    ["keys", "seeded in", "keys/s", "bytes per key, fresh", "bytes per key, after usage rewrite", "verify p50 µs", "verify p99 µs", "SELECT 1 p50 µs", "verifying adds µs"],
    rows,
    ["r", "r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

export function listingTable(sizes: readonly SizeResult[]): string {
  const rows = sizes.flatMap((size) =>
    size.listing.flatMap(({ limit, pages }) =>
      pages.map((page) => [
        count(size.keys),
        count(size.bigOwnerKeys),
        String(limit),
        page.page === "first" ? "first" : `after ${count(page.startRank)}`,
        String(page.records),
        formatNumber(page.p50, 2),
        formatNumber(page.p99, 2),
      ]),
    ),
  );
  return markdownTable(
    ["keys", "big owner's keys", "limit", "page", "records", "p50 ms", "p99 ms"],
    rows,
    ["r", "r", "r", "l", "r", "r", "r"],
  );
}

export function invalidationLine(result: InvalidationResult): string {
  const heard = result.heardMs.length;
  if (heard === 0) return `Invalidation: no revocation reached the other process within 5 s (${result.missed} trials).`;
  const { p50, p99 } = p50p99(result.heardMs);
  return (
    `Invalidation across processes (two ApiKeys on two ioredis clients, cache TTL 10 min, ${heard + result.missed} trials): ` +
    `from \`revoke\` resolving on A to B's first refusal, p50 ${formatNumber(p50, 2)} ms, p99 ${formatNumber(p99, 2)} ms, ` +
    `max ${formatNumber(Math.max(...result.heardMs), 2)} ms; stale answers from B's cache before the refusal: median ` +
    `${formatNumber(median(result.stalePolls), 0)}; revocations not heard within 5 s: ${result.missed}.`
  );
}

/**
 * Flat: the verification p50 at the largest size is within 1.5 × the p50 at the smallest, the
 * sizes measured in turns (see timeVerificationAcross) so that the host's state weighs on each alike.
 */
const FLAT_FACTOR = 1.5;

export function scaleTargets(sizes: readonly SizeResult[], invalidation: InvalidationResult): Target[] {
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  const span = `${count(first.keys)} → ${count(last.keys)} keys`;
  const growth = last.verify.p50 / first.verify.p50;
  const targets: Target[] = [
    {
      goal: `verification latency flat from 10k to 1M (p50 at the largest size ≤ ${FLAT_FACTOR} × at the smallest, measured in turns)`,
      met: sizes.length < 2 ? undefined : growth <= FLAT_FACTOR,
      evidence:
        `${span}: p50 ${formatNumber(first.verify.p50, 0)} → ${formatNumber(last.verify.p50, 0)} µs (${formatNumber(growth, 2)} ×), ` +
        `p99 ${formatNumber(first.verify.p99, 0)} → ${formatNumber(last.verify.p99, 0)} µs; a bare PING p50 ` +
        `${formatNumber(first.verify.roundTripP50, 0)} → ${formatNumber(last.verify.roundTripP50, 0)} µs`,
    },
    {
      goal: "Redis memory per key < 400 bytes",
      met: last.bytesPerKey < 400,
      evidence: `${formatNumber(last.bytesPerKey, 0)} bytes at ${count(last.keys)} keys`,
    },
  ];
  const heard = invalidation.heardMs.length;
  const p99 = heard === 0 ? Number.POSITIVE_INFINITY : p50p99(invalidation.heardMs).p99;
  targets.push({
    goal: "invalidation p99 < 100 ms",
    met: invalidation.missed === 0 && p99 < 100,
    evidence: heard === 0 ? "no revocation was heard" : `p99 ${formatNumber(p99, 2)} ms over ${heard} trials, ${invalidation.missed} not heard within 5 s`,
  });
  return targets;
}

/** Issue 18's Postgres targets: p50 within 10 % from the smallest size to the largest, under 600 bytes a key. */
export function postgresScaleTargets(sizes: readonly PostgresSizeResult[]): Target[] {
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  const growth = last.verify.p50 / first.verify.p50;
  const largest = Math.max(...sizes.map((size) => size.usedBytesPerKey));
  return [
    {
      goal: "verification p50 flat within 10 % from the smallest size to the largest (measured in turns)",
      met: sizes.length < 2 ? undefined : growth <= 1.1,
      evidence:
        `${count(first.keys)} → ${count(last.keys)} keys: p50 ${formatNumber(first.verify.p50, 0)} → ${formatNumber(last.verify.p50, 0)} µs ` +
        `(${formatNumber(growth, 2)} ×), p99 ${formatNumber(first.verify.p99, 0)} → ${formatNumber(last.verify.p99, 0)} µs; SELECT 1 p50 ` +
        `${formatNumber(first.verify.roundTripP50, 0)} → ${formatNumber(last.verify.roundTripP50, 0)} µs`,
    },
    {
      goal: "table and indexes under 600 bytes per key",
      met: last.bytesPerKey < 600 && largest < 600,
      evidence: `${formatNumber(last.bytesPerKey, 0)} bytes fresh at ${count(last.keys)} keys; after a usage rewrite at most ${formatNumber(largest, 0)}`,
    },
  ];
}

export function renderPostgresScaleSection(environment: string, method: string, tables: readonly string[], targets: readonly Target[]): string {
  return ["## Scale: the key store on PostgreSQL, growing", "", environment, "", method, "", ...tables.flatMap((t) => [t, ""]), "Targets:", "", renderTargets(targets)].join("\n");
}

export function renderScaleSection(environment: string, method: string, tables: readonly string[], targets: readonly Target[]): string {
  return ["## Scale: the key store on one Redis, growing", "", environment, "", method, "", ...tables.flatMap((t) => [t, ""]), "Targets:", "", renderTargets(targets)].join("\n");
}
