// The scale benchmark: one throwaway Redis filled through ApiKeys.create in tranches up to a
// million keys; at each size the seeding time, Redis memory per key, verification latency and
// the cost of listing one big owner's keys; then how fast a revocation reaches another process's
// cache. The results go to stdout and to the scale section of BENCHMARKS.md.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { startRedisServer } from "@portcullis/testing";
import { ApiKeys, RedisKeyStore } from "portcullis";
import { runWithCleanup } from "./lib/cleanup";
import { intFromEnv, intsFromEnv } from "./lib/env-settings";
import { describeEnvironment, runStart } from "./lib/environment";
import { measureInvalidation } from "./lib/invalidation";
import { timeListing, type PageTiming } from "./lib/listing";
import { usedMemory } from "./lib/redis-memory";
import { writeResultsSection } from "./lib/results-file";
import { invalidationLine, listingTable, renderScaleSection, scaleTargets, sizeTable, type SizeResult } from "./lib/scale-report";
import { BIG_OWNER, bigOwnerKeys, KeySample, seedKeys } from "./lib/seed-keys";
import { renderTargets } from "./lib/targets";
import { timeVerification } from "./lib/verification";

const WORKERS = 256;
const SAMPLE_KEYS = 1_000;
const VERIFICATIONS = 2_000;
const LIST_CALLS = 200;
const LIST_LIMITS = [20, 100];
const INVALIDATION_TRIALS = 200;

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
  const trials = intFromEnv("BENCH_INVALIDATION_TRIALS", INVALIDATION_TRIALS, { max: 100_000 });

  const server = await startRedisServer();
  cleanup.defer(() => server.stop());
  // Auto-pipelining batches the concurrent creations' commands into few writes.
  const redis = server.client({ enableAutoPipelining: true });
  const secret = randomBytes(32).toString("base64url");
  const store = new RedisKeyStore(redis);
  const keys = new ApiKeys({ store, secret, prefix: "cpx_live.", cache: false });
  cleanup.defer(async () => {
    keys.close();
    await store.close();
  });

  const emptyMemory = await usedMemory(redis);
  const sample = new KeySample(SAMPLE_KEYS);
  const results: SizeResult[] = [];
  let created = 0;
  for (const size of sizes) {
    const seedStart = performance.now();
    await seedKeys(keys, created, size, WORKERS, sample);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const tranche = size - created;
    created = size;
    const bytesPerKey = ((await usedMemory(redis)) - emptyMemory) / size;
    console.log(`${size} keys: tranche of ${tranche} seeded in ${seedSeconds.toFixed(1)} s, ${bytesPerKey.toFixed(0)} bytes per key`);
    const verify = await timeVerification(keys, sample.keys, VERIFICATIONS, () => redis.ping());
    console.log(
      `  verify p50 ${verify.p50.toFixed(0)} µs, p99 ${verify.p99.toFixed(0)} µs; bare round trip p50 ${verify.roundTripP50.toFixed(0)} µs, ` +
        `verifying adds ${verify.ownP50.toFixed(0)} µs`,
    );
    const listing = await timeListings(keys, bigOwnerKeys(size));
    results.push({ keys: size, seedSeconds, tranche, bytesPerKey, verify, bigOwnerKeys: bigOwnerKeys(size), listing });
  }

  const invalidation = await measureInvalidation(server, secret, trials, cleanup);

  const method =
    `Keys are created through \`ApiKeys.create\` (the real layout) by ${WORKERS} concurrent workers on one ioredis client with ` +
    `auto-pipelining, in tranches up to each size; most owners hold 10 keys, the big owner 1 % of all. Bytes per key: ` +
    `INFO used_memory now minus before seeding, over the keys. Verification (cache off, one HGETALL): ${VERIFICATIONS} ` +
    `sequential \`keys.verify\` of keys sampled uniformly from all seeded ones, in batches of 100 alternating with as many ` +
    `PINGs on the same connection; "verifying adds" is the verify p50 minus the PING p50, which stays put while the round ` +
    `trip itself moves with the host's state (10 to 80 µs here). Listing: ${LIST_CALLS} sequential ` +
    `\`keys.list\` of the big owner's first page and of a page from its middle (cursor from the pages before).`;
  const tables = [sizeTable(results), listingTable(results), invalidationLine(invalidation)];
  const targets = scaleTargets(results, invalidation);
  console.log(`\n${tables.join("\n\n")}\n\n${renderTargets(targets)}`);
  const settings = { sizes: sizes.join(" / "), workers: WORKERS, "invalidation trials": trials };
  writeResultsSection("scale", renderScaleSection(describeEnvironment(start, settings), method, tables, targets));
  console.log("\nbench:scale: wrote the scale section of BENCHMARKS.md");
});
