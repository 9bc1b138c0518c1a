// The HTTP benchmark: every variant in bench/servers/ as its own process on one throwaway Redis,
// loaded in turn by autocannon on loopback, several rounds in rotated order; the medians go to
// stdout and to the http section of BENCHMARKS.md.
import { startPostgres, startRedisServer } from "@portcullis/testing";
import { runWithCleanup } from "./lib/cleanup";
import { intFromEnv } from "./lib/env-settings";
import { describeEnvironment, runStart } from "./lib/environment";
import { httpReferences, httpTable, httpTargets, renderHttpSection } from "./lib/http-report";
import { runLoad, type LoadResult } from "./lib/load";
import { processCpuSeconds, redisCpuSeconds } from "./lib/process-cpu";
import { writeResultsSection } from "./lib/results-file";
import { startServer, type RunningServer } from "./lib/server-process";
import { renderTargets } from "./lib/targets";
import { selectVariants, type Variant } from "./lib/variants";

/** Shifts a list cyclically by `shift` places. */
function rotate<T>(items: readonly T[], shift: number): T[] {
  const at = items.length === 0 ? 0 : shift % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}

/**
 * The order of one round: each baseline with its variants, back to back, so the ratios compare
 * runs minutes apart at most, not the ends of a round; the groups and the variants within each
 * rotated from round to round, so no variant always runs first or last.
 */
function roundOrder(variants: readonly Variant[], round: number): Variant[] {
  const groups = new Map<string, Variant[]>();
  for (const variant of variants) {
    const base = variant.baseline ?? variant.name;
    groups.set(base, [...(groups.get(base) ?? []), variant]);
  }
  return rotate([...groups.values()], round).flatMap((group) => rotate(group, round));
}

async function startAll(variants: readonly Variant[], urls: { redis: string; database?: string }, defer: (step: () => Promise<void>) => void) {
  const started = await Promise.allSettled(
    variants.map((variant) => startServer(variant.name, urls.redis, variant.postgres ? { databaseUrl: urls.database } : {})),
  );
  const servers = new Map<string, RunningServer>();
  for (const outcome of started) {
    if (outcome.status === "fulfilled") {
      servers.set(outcome.value.name, outcome.value);
      defer(() => outcome.value.stop());
    }
  }
  const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return servers;
}

runWithCleanup("bench:http", async ({ defer }) => {
  const start = runStart();
  const rounds = intFromEnv("BENCH_ROUNDS", 3, { max: 100 });
  const seconds = intFromEnv("BENCH_DURATION", 5, { max: 600 });
  const warmupSeconds = intFromEnv("BENCH_WARMUP", 1, { min: 0, max: 60 });
  const connections = intFromEnv("BENCH_CONNECTIONS", 50, { max: 10_000 });
  const variants = selectVariants(process.env.BENCH_VARIANTS);

  const redis = await startRedisServer();
  defer(() => redis.stop());
  // A PostgreSQL only when a selected variant keeps its keys there; started after Redis, so
  // stopped before it.
  const postgres = variants.some((variant) => variant.postgres) ? await startPostgres() : undefined;
  if (postgres) defer(() => postgres.stop());
  console.log(`bench:http: starting ${variants.length} servers on ${redis.url}${postgres ? ` and ${postgres.url}` : ""}`);
  const servers = await startAll(variants, { redis: redis.url, database: postgres?.url }, defer);
  const probe = redis.client();

  const results = new Map<string, LoadResult[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of roundOrder(variants, round)) {
      const server = servers.get(variant.name)!;
      const options = { connections, expectedStatus: variant.expectedStatus };
      if (warmupSeconds > 0) {
        await runLoad(server, { ...options, seconds: warmupSeconds, requireResponses: false }); // drains too
      }
      const result = await runLoad(server, { ...options, seconds }, { server: () => processCpuSeconds(server.pid), redis: () => redisCpuSeconds(probe) });
      results.get(variant.name)![round] = result;
      console.log(
        `round ${round + 1}/${rounds} ${variant.name.padEnd(20)} ${Math.round(result.rps).toString().padStart(7)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  ` +
          `server ${result.serverCpuUs?.toFixed(1)} µs/req  redis ${result.redisCpuUs?.toFixed(1)} µs/req`,
      );
    }
  }

  const settings = { rounds, "warm-up s": warmupSeconds, "measured s": seconds, connections };
  const method =
    `Each variant runs as its own Node process (bench/servers/), all on one redis-server, loaded by autocannon ` +
    `(${connections} connections, loopback) from the driver process on the same machine. Each of the ${rounds} rounds visits ` +
    `every variant, each baseline next to its variants, in an order rotated from round to round: ${warmupSeconds} s warm-up, then ${seconds} s measured. req/s, p50 and p99 are medians ` +
    `over rounds; "vs baseline" is the median of the ratios to the baseline measured in the same round.`;
  const table = httpTable(variants, results);
  const targets = httpTargets(results);
  const references = httpReferences(results);
  console.log(`\n${table}\n\n${renderTargets(targets)}\n\n${references.join("\n")}`);
  writeResultsSection("http", renderHttpSection(describeEnvironment(start, settings), method, table, targets, references));
  console.log("\nbench:http: wrote the http section of BENCHMARKS.md");
});
