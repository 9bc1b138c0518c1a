import { formatNumber, markdownTable } from "./markdown";
import { statusLabel, type Exchange } from "./soak-http";
import type { Ledger } from "./soak-ledger";
import { percentile } from "./stats";
import { renderTargets } from "./targets";
import { INVALIDATION_WINDOW_MS, WRONG_ANSWERS, type HonouredTimes, type Verdicts } from "./soak-verdicts";

const KEY_CALLS = { steady: "API key: steady traffic", check: "API key: first use on each process", probe: "API key: probes around an end" } as const;
const SESSION_CALLS = { live: "session: while signed in", "after logout": "session: after logout answered" } as const;

const count = (n: number) => n.toLocaleString("en-US");

/** Requests per kind: how many, to which process, and what they were answered. */
export function trafficTable(ledger: Ledger, processes: number): string {
  const groups = new Map<string, Exchange[]>();
  const add = (label: string, exchange: Exchange) => groups.set(label, [...(groups.get(label) ?? []), exchange]);
  for (const call of ledger.keyCalls) add(KEY_CALLS[call.kind], call.exchange);
  for (const call of ledger.sessionCalls) add(SESSION_CALLS[call.kind], call.exchange);
  for (const call of ledger.manageCalls) add(call.kind === "login" || call.kind === "logout" ? call.kind : `key management: ${call.kind}`, call.exchange);
  const rows = [...groups].map(([label, exchanges]) => {
    const perProcess = Array.from({ length: processes }, (_, server) => count(exchanges.filter((e) => e.server === server).length));
    const statuses = new Map<string, number>();
    for (const exchange of exchanges) statuses.set(statusLabel(exchange), (statuses.get(statusLabel(exchange)) ?? 0) + 1);
    const answers = [...statuses].sort((a, b) => b[1] - a[1]).map(([status, n]) => `${status}: ${count(n)}`);
    const took = exchanges.map((e) => e.receivedAt - e.sentAt).sort((a, b) => a - b);
    const latency = [percentile(took, 50), percentile(took, 99), took[took.length - 1]!].map((ms) => formatNumber(ms, 0)).join(" / ");
    return [label, count(exchanges.length), perProcess.join(" / "), latency, answers.join(", ")];
  });
  return markdownTable(
    ["requests", "count", `per process (${Array.from({ length: processes }, (_, i) => i).join(" / ")})`, "ms p50 / p99 / max", "answers"],
    rows,
    ["l", "r", "r", "r", "l"],
  );
}

/** Every kind of wrong answer, zeros included, and the first few of any that happened. */
export function wrongAnswerTable(verdicts: Verdicts): string {
  const rows = WRONG_ANSWERS.map((what) => [what, count(verdicts.wrong.get(what) ?? 0)]);
  const table = markdownTable(["wrong answer", "count"], rows, ["l", "r"]);
  const examples = [...verdicts.examples].flatMap(([what, details]) => details.map((detail) => `- ${what}: ${detail}`));
  return examples.length === 0 ? table : `${table}\n\nFirst of each:\n\n${examples.join("\n")}`;
}

/** How soon each end was honoured, per kind of end. */
export function honouredTable(times: HonouredTimes): string {
  const row = (label: string, values: readonly number[]) => {
    if (values.length === 0) return [label, "0", "–", "–", "–", "–"];
    const sorted = [...values].sort((a, b) => a - b);
    return [
      label,
      count(values.length),
      count(values.filter((value) => value === 0).length),
      formatNumber(percentile(sorted, 50), 0),
      formatNumber(percentile(sorted, 99), 0),
      formatNumber(sorted[sorted.length - 1]!, 0),
    ];
  };
  return markdownTable(
    ["end of a key", "key × process", "refused at once", "p50 ms", "p99 ms", "max ms"],
    [
      row("revoke or rotate, on the process that made it", times.sameProcess),
      row("revoke or rotate, on the other process (pub/sub)", times.otherProcess),
      row("grace period over (each process reads the expiry)", times.graceExpiry),
    ],
    ["l", "r", "r", "r", "r", "r"],
  );
}

/** The run in a few lines: what it did and the in-flight answers, which are right either way. */
export function summaryLines(ledger: Ledger, verdicts: Verdicts, times: HonouredTimes, seconds: number, processes: number): string {
  const requests = ledger.keyCalls.length + ledger.sessionCalls.length + ledger.manageCalls.length;
  const made = (kind: string) => ledger.manageCalls.filter((call) => call.kind === kind && call.ok).length;
  const latest = verdicts.latestStaleAcceptanceMs;
  return [
    `- ${count(requests)} requests in ${formatNumber(seconds, 1)} s (${formatNumber(requests / seconds, 0)} a second) to ${processes} processes.`,
    `- Keys: ${made("create")} created, ${made("revoke")} revoked, ${made("rotate")} rotated with no grace period, ${made("rotate with grace")} rotated with 1 or 2 s of grace. Sessions: ${made("login")} logins, ${made("logout")} logouts.`,
    `- In flight across an end, where either answer is right: ${count(verdicts.undecided.accepted)} accepted, ${count(verdicts.undecided.refused)} refused. ` +
      `Latest acceptance sent after an end took effect: ${latest === undefined ? "none" : `${formatNumber(latest, 0)} ms after`} (window ${INVALIDATION_WINDOW_MS} ms).`,
    `- Rate-limited answers (429): ${count(verdicts.limited)}. Key × process pairs still accepting at their last probe: ${times.neverRefused}.`,
  ].join("\n");
}

export function totalWrong(verdicts: Verdicts): number {
  return [...verdicts.wrong.values()].reduce((sum, n) => sum + n, 0);
}

export function soakTargets(ledger: Ledger, verdicts: Verdicts, times: HonouredTimes): string {
  const requests = ledger.keyCalls.length + ledger.sessionCalls.length + ledger.manageCalls.length;
  const wrong = totalWrong(verdicts);
  const crossP99 = times.otherProcess.length === 0 ? undefined : percentile([...times.otherProcess].sort((a, b) => a - b), 99);
  return renderTargets([
    { goal: "no wrong answers", met: wrong === 0, evidence: `${count(wrong)} in ${count(requests)} requests` },
    {
      goal: `a revocation honoured by the other process within ${INVALIDATION_WINDOW_MS} ms`,
      met: crossP99 === undefined ? undefined : (verdicts.wrong.get("revoked key accepted") ?? 0) + (verdicts.wrong.get("rotated-out key accepted") ?? 0) === 0,
      evidence: crossP99 === undefined ? "no revocation was probed" : `p99 ${formatNumber(crossP99, 0)} ms over ${count(times.otherProcess.length)} key × process pairs`,
    },
  ]);
}

export function renderSoakSection(environment: string, method: string, parts: readonly string[]): string {
  return ["## Soak: keys and sessions changing under steady traffic", "", environment, "", method, "", ...parts.flatMap((part) => [part, ""])].join("\n");
}
