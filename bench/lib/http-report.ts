import type { LoadResult } from "./load";
import { formatNumber, formatPercent, markdownTable } from "./markdown";
import { median } from "./stats";
import { renderTargets, type Target } from "./targets";
import type { Variant } from "./variants";

/** Each variant's measured runs, one per round, in round order. */
export type RoundResults = ReadonlyMap<string, readonly LoadResult[]>;

/**
 * What is compared: req/s as measured (a over b), or the server's CPU per request (b over a: the
 * req/s ratio the two servers would reach each on a core of its own, CPU-bound).
 */
type Measure = "rps" | "cpu";

/** a against b in the same round, one ratio per round. */
function roundRatios(results: RoundResults, a: string, b: string, measure: Measure = "rps"): number[] {
  const runsA = results.get(a) ?? [];
  const runsB = results.get(b) ?? [];
  return runsA
    .map((run, round) => {
      const base = runsB[round];
      if (base === undefined) return Number.NaN; // the baseline was not run
      return measure === "rps" ? run.rps / base.rps : base.serverCpuUs! / run.serverCpuUs!;
    })
    .filter(Number.isFinite);
}

/** The median over rounds of a against b in the same round. */
export function sameRoundRatio(results: RoundResults, a: string, b: string, measure: Measure = "rps"): number | undefined {
  const ratios = roundRatios(results, a, b, measure);
  return ratios.length === 0 ? undefined : median(ratios);
}

/** "78.4 % (64.0–95.8 %)": the median ratio and, over several rounds, their range. */
function ratioCell(results: RoundResults, name: string, baseline: string, measure: Measure): string {
  const ratios = roundRatios(results, name, baseline, measure);
  if (ratios.length === 0) return "–";
  const range = ratios.length > 1 ? ` (${(Math.min(...ratios) * 100).toFixed(1)}–${formatPercent(Math.max(...ratios))})` : "";
  return `${formatPercent(median(ratios))}${range}`;
}

function medianOf(runs: readonly LoadResult[], field: "rps" | "p50" | "p99" | "serverCpuUs" | "redisCpuUs"): number {
  const values = runs.map((run) => run[field]).filter((value): value is number => value !== undefined);
  return values.length === 0 ? Number.NaN : median(values);
}

/** The results table: medians over rounds, and each variant against its baseline. */
export function httpTable(variants: readonly Variant[], results: RoundResults): string {
  const rows = variants.map((variant) => {
    const runs = results.get(variant.name)!;
    const against = (measure: Measure) => (variant.baseline === undefined ? "baseline" : ratioCell(results, variant.name, variant.baseline, measure));
    return [
      `\`${variant.name}\``,
      variant.description,
      variant.baseline ?? "",
      formatNumber(medianOf(runs, "rps"), 0),
      against("rps"),
      formatNumber(medianOf(runs, "p50"), 0),
      formatNumber(medianOf(runs, "p99"), 0),
      formatNumber(medianOf(runs, "serverCpuUs"), 1),
      formatNumber(medianOf(runs, "redisCpuUs"), 1),
      against("cpu"),
    ];
  });
  return markdownTable(
    ["variant", "what runs", "baseline", "req/s", "req/s vs baseline", "p50 ms", "p99 ms", "server CPU µs/req", "Redis CPU µs/req", "CPU-bound vs baseline"],
    rows,
    ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r"],
  );
}

function rpsOf(results: RoundResults, name: string): string {
  const runs = results.get(name);
  return runs?.length ? `${formatNumber(medianOf(runs, "rps"), 0)} req/s` : "not run";
}

/**
 * A goal about how a compares with b, judged on the median of same-round req/s ratios, with the
 * CPU-bound ratio beside it (what the servers reach without a load generator on their cores).
 */
function ratioTarget(results: RoundResults, goal: string, a: string, b: string, met: (ratio: number) => boolean, show: (ratio: number) => string): Target {
  const ratio = sameRoundRatio(results, a, b);
  if (ratio === undefined) return { goal, met: undefined, evidence: "not run" };
  const cpu = sameRoundRatio(results, a, b, "cpu");
  const cpuNote = cpu === undefined ? "" : `; CPU-bound: ${show(cpu)} ${met(cpu) ? "(met)" : "(missed)"}`;
  return { goal, met: met(ratio), evidence: `${show(ratio)} (median of same-round ratios; medians ${rpsOf(results, a)} vs ${rpsOf(results, b)})${cpuNote}` };
}

/** The HTTP goals, each judged on medians. */
export function httpTargets(results: RoundResults): Target[] {
  const percent = (ratio: number) => formatPercent(ratio);
  const times = (ratio: number) => `${formatNumber(ratio, 2)} ×`;
  return [
    ratioTarget(results, "warm-cache API key + scope ≥ 95 % of bare", "api-key-cached", "bare", (r) => r >= 0.95, percent),
    ratioTarget(results, "cache off ≥ 70 % of bare", "api-key-uncached", "bare", (r) => r >= 0.7, percent),
    ratioTarget(results, "cache off on PostgreSQL ≥ 60 % of bare", "api-key-uncached-postgres", "bare", (r) => r >= 0.6, percent),
    ratioTarget(results, "session + scope ≥ 75 % of bare", "session", "bare", (r) => r >= 0.75, percent),
    ratioTarget(results, "api-key-cached ahead of passport", "api-key-cached", "passport", (r) => r > 1, times),
    ratioTarget(results, "api-key-cached > 100 × bcrypt-per-request", "api-key-cached", "bcrypt-per-request", (r) => r > 100, times),
  ];
}

/** Pairs that are not goals but explain them: what of a variant's cost its foundation already pays. */
const REFERENCES: readonly { variant: string; baseline: string; what: string; meaning: string }[] = [
  { variant: "bare-two-layers", baseline: "bare", what: "Two no-op middlewares in the same places", meaning: "the ceiling for any guard of two layers" },
  { variant: "api-key-cached", baseline: "bare-two-layers", what: "api-key-cached against those two no-op layers", meaning: "what portcullis's own work costs" },
  { variant: "api-key-rate-limited", baseline: "api-key-cached", what: "keyRateLimit on Redis added to api-key-cached", meaning: "what a per-key limit costs" },
  { variant: "api-key-uncached-postgres", baseline: "api-key-uncached", what: "cache off on PostgreSQL against cache off on Redis", meaning: "what primary-key SELECTs batched per event-loop turn cost beside auto-pipelined HGETALLs" },
  { variant: "express-session-redis", baseline: "bare", what: "express-session + connect-redis alone", meaning: "the ceiling for any session on that stack" },
  { variant: "session", baseline: "express-session-redis", what: "session against express-session + connect-redis alone", meaning: "what sessionAuth and requireScope add" },
];

/** The reference lines whose two variants both ran. */
export function httpReferences(results: RoundResults): string[] {
  return REFERENCES.flatMap(({ variant, baseline, what, meaning }) => {
    const ratio = sameRoundRatio(results, variant, baseline);
    return ratio === undefined ? [] : [`- ${what}: ${formatPercent(ratio)} (${cpuNote(results, variant, baseline)}): ${meaning}.`];
  });
}

function cpuNote(results: RoundResults, a: string, b: string): string {
  const cpu = sameRoundRatio(results, a, b, "cpu");
  return cpu === undefined ? "median of same-round ratios" : `median of same-round ratios; CPU-bound ${formatPercent(cpu)}`;
}

export function renderHttpSection(environment: string, settingsLine: string, table: string, targets: readonly Target[], references: readonly string[] = []): string {
  return [
    "## HTTP: one request through each stack",
    "",
    environment,
    "",
    settingsLine,
    "",
    table,
    "",
    "Targets:",
    "",
    renderTargets(targets),
    ...(references.length === 0 ? [] : ["", "For reference (not targets):", "", ...references]),
  ].join("\n");
}
