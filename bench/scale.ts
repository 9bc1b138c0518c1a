// The scale benchmark: one throwaway Redis with a database per size (10k, 100k, 1M keys), each
// filled through ApiKeys.create; per size the seeding time, Redis memory per key, verification
// latency (measured in turns across the sizes) and the cost of listing one big owner's keys; then
// how fast a revocation reaches another process's cache. The results go to stdout and to the
// scale section of BENCHMARKS.md. BENCH_SCALE_STORE=postgres runs the same on PostgreSQL instead
// (lib/postgres-scale.ts) and writes the scale-postgres section.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { startRedisServer } from "@portcullis/testing";
import type { Redis } from "ioredis";
import { ApiKeys, RedisKeyStore } from "portcullis";
import { runWithCleanup } from "./lib/cleanup";
import { intFromEnv, intsFromEnv } from "./lib/env-settings";
import { describeEnvironment, runStart } from "./lib/environment";
import { measureInvalidation } from "./lib/invalidation";
import { runPostgresScale } from "./lib/postgres-scale";
import { timeListing, type PageTiming } from "./lib/listing";
import { usedMemory } from "./lib/redis-memory";
import { writeResultsSection } from "./lib/results-file";
import { invalidationLine, listingTable, renderScaleSection, scaleTargets, sizeTable, type SizeResult } from "./lib/scale-report";
import { BIG_OWNER, bigOwnerKeys, KeySample, seedKeys } from "./lib/seed-keys";
import { renderTargets } from "./lib/targets";
import { timeVerificationAcross } from "./lib/verification";

const WORKERS = 256;
const SAMPLE_KEYS = 1_000;
const VERIFICATIONS = 2_000;
const LIST_CALLS = 200;
const LIST_LIMITS = [20, 100];
const INVALIDATION_TRIALS = 200;
/** Logical databases a default redis-server has. */
const REDIS_DATABASES = 16;

/** One size's store, seeded. */
interface SeededStore {
  readonly size: number;
  readonly redis: Redis;
  readonly keys: ApiKeys;
  readonly sample: readonly string[];
  readonly seedSeconds: number;
  readonly bytesPerKey: number;
}

/** Listing the big owner at each page size, first page and middle page. */
async function timeListings(keys: ApiKeys, ownerKeys: number): Promise<{ limit: number; pages: PageTiming[] }[]> {
  const listing = [];
  for (const limit of LIST_LIMITS) {
    const pages = await timeListing(keys, BIG_OWNER, limit, ownerKeys, LIST_CALLS);
    for (const page of pages) {
      console.log(`  list limit ${limit} ${page.page} (from ${page.startRank}): p50 ${page.p50.toFixed(2)} ms, p99 ${page.p99.toFixed(2)} ms`);
    }
    listing.push({ limit, pages });
  }
  return listing;
}

runWithCleanup("bench:scale", async (cleanup) => {
  const start = runStart();
  const sizes = intsFromEnv("BENCH_SCALE_SIZES", [10_000, 100_000, 1_000_000], { min: 100, max: 10_000_000 });
  if (sizes.some((size, i) => i > 0 && size <= sizes[i - 1]!)) throw new Error("BENCH_SCALE_SIZES must increase, such as 10000,100000,1000000");
  if (sizes.length > REDIS_DATABASES && process.env.BENCH_SCALE_STORE !== "postgres") throw new Error(`BENCH_SCALE_SIZES: at most ${REDIS_DATABASES} sizes (one Redis database each)`);
  const trials = intFromEnv("BENCH_INVALIDATION_TRIALS", INVALIDATION_TRIALS, { max: 100_000 });
  const backend = process.env.BENCH_SCALE_STORE ?? "redis";
  if (backend !== "redis" && backend !== "postgres") throw new Error(`BENCH_SCALE_STORE: "redis" or "postgres", not "${backend}"`);
  const secret = randomBytes(32).toString("base64url");
  if (backend === "postgres") {
    const settings = { sizes, workers: WORKERS, sampleKeys: SAMPLE_KEYS, verifications: VERIFICATIONS, listCalls: LIST_CALLS, listLimits: LIST_LIMITS, secret };
    await runPostgresScale(start, settings, cleanup);
    return;
  }

  const server = await startRedisServer();
  cleanup.defer(() => server.stop());

  // Each size in a logical database of its own, all on one redis-server, so that every size is
  // still there to be measured when the largest is seeded, and all are measured in turns.
  const stores: SeededStore[] = [];
  for (const [db, size] of sizes.entries()) {
    // Auto-pipelining batches the concurrent creations' commands into few writes.
    const redis = server.client({ db, enableAutoPipelining: true });
    const store = new RedisKeyStore(redis);
    const keys = new ApiKeys({ store, secret, prefix: "cpx_live.", cache: false });
    cleanup.defer(async () => {
      keys.close();
      await store.close();
    });
    const memoryBefore = await usedMemory(redis);
    const sample = new KeySample(SAMPLE_KEYS);
    const seedStart = performance.now();
    await seedKeys(keys, 0, size, WORKERS, sample);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const bytesPerKey = ((await usedMemory(redis)) - memoryBefore) / size;
    console.log(`${size} keys (database ${db}): seeded in ${seedSeconds.toFixed(1)} s, ${bytesPerKey.toFixed(0)} bytes per key`);
    stores.push({ size, redis, keys, sample: sample.keys, seedSeconds, bytesPerKey });
  }

  const timings = await timeVerificationAcross(
    stores.map(({ keys, sample, redis }) => ({ keys, sample, roundTrip: () => redis.ping() })),
    VERIFICATIONS,
  );
  const results: SizeResult[] = [];
  for (const [i, { size, keys, seedSeconds, bytesPerKey }] of stores.entries()) {
    const verify = timings[i]!;
    console.log(
      `${size} keys: verify p50 ${verify.p50.toFixed(0)} µs, p99 ${verify.p99.toFixed(0)} µs; PING p50 ${verify.roundTripP50.toFixed(0)} µs`,
    );
    const listing = await timeListings(keys, bigOwnerKeys(size));
    results.push({ keys: size, seedSeconds, bytesPerKey, verify, bigOwnerKeys: bigOwnerKeys(size), listing });
  }

  const invalidation = await measureInvalidation(server, secret, trials, cleanup);

  const method =
    `Each size is its own logical database on one redis-server, seeded through \`ApiKeys.create\` (the real layout) by ` +
    `${WORKERS} concurrent workers on one ioredis client with auto-pipelining; most owners hold 10 keys, the big owner 1 % of ` +
    `all. Bytes per key: INFO used_memory after seeding the database minus before, over its keys. Verification (cache off, ` +
    `one HGETALL): ${VERIFICATIONS} sequential \`keys.verify\` per size of keys sampled uniformly from that size's, taken in ` +
    `turns of 100 across the sizes, each turn followed by 100 PINGs on the same connection, so that the host's changing ` +
    `state (a bare round trip here moves between about 10 and 90 µs) weighs on every size alike. Listing: ${LIST_CALLS} ` +
    `sequential \`keys.list\` of the big owner's first page and of a page from its middle (cursor from the pages before).`;
  const tables = [sizeTable(results), listingTable(results), invalidationLine(invalidation)];
  const targets = scaleTargets(results, invalidation);
  console.log(`\n${tables.join("\n\n")}\n\n${renderTargets(targets)}`);
  const settings = { sizes: sizes.join(" / "), workers: WORKERS, "invalidation trials": trials };
  writeResultsSection("scale", renderScaleSection(describeEnvironment(start, settings), method, tables, targets));
  console.log("\nbench:scale: wrote the scale section of BENCHMARKS.md");
});
