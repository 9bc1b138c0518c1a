// The scale run on PostgreSQL: one throwaway server, one schema per size, each filled through
// ApiKeys.create on PostgresKeyStore; per size the seeding time, table and index bytes per key
// (fresh, and after every key's usage was written once), verification latency in turns across
// the sizes, and the cost of listing the big owner's keys.
import { performance } from "node:perf_hooks";
import { startPostgres } from "@portcullis/testing";
import type { Pool } from "pg";
import type { StoredApiKey } from "@portcullis/core";
import { ApiKeys, migrate, PostgresKeyStore } from "portcullis";
import type { Cleanup } from "./cleanup";
import { describeEnvironment, type RunStart } from "./environment";
import { timeListing, type PageTiming } from "./listing";
import { writeResultsSection } from "./results-file";
import { listingTable, postgresScaleTargets, postgresSizeTable, renderPostgresScaleSection, type PostgresSizeResult } from "./scale-report";
import { BIG_OWNER, bigOwnerKeys, KeySample, seedKeys } from "./seed-keys";
import { renderTargets } from "./targets";
import { timeVerificationAcross } from "./verification";

/** What the Postgres run shares with the Redis one (scale.ts owns the numbers). */
export interface PostgresScaleSettings {
  readonly sizes: readonly number[];
  readonly workers: number;
  readonly sampleKeys: number;
  readonly verifications: number;
  readonly listCalls: number;
  readonly listLimits: readonly number[];
  readonly secret: string;
}

/** Connections for seeding and measuring: well under the throwaway server's max_connections (50). */
const POOL_SIZE = 16;

/** Table and index bytes of one schema's api_keys. */
async function apiKeysBytes(pool: Pool, schema: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>({ text: "SELECT pg_total_relation_size($1::regclass) AS bytes", values: [`${schema}.api_keys`] });
  return Number(rows[0]!.bytes);
}

/** How many times the usage rewrite uses every key. */
const USAGE_ROUNDS = 3;

/**
 * Uses every key, in a random order, through the store's own usage flush (its batches of 1000
 * keys, a transaction each, updating usage_count and last_used_at), several times over, then
 * VACUUMs: the size a table in use settles at, where the fresh size has no dead row versions.
 */
async function rewriteUsage(pool: Pool, schema: string, store: PostgresKeyStore): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${schema}.api_keys ORDER BY random()`);
  const now = Date.now();
  for (let round = 0; round < USAGE_ROUNDS; round++) {
    for (const { id } of rows) store.recordUse({ id } as StoredApiKey, now);
    await store.flush();
  }
  await pool.query(`VACUUM ${schema}.api_keys`);
}

async function timeListings(keys: ApiKeys, ownerKeys: number, settings: PostgresScaleSettings): Promise<{ limit: number; pages: PageTiming[] }[]> {
  const listing = [];
  for (const limit of settings.listLimits) {
    const pages = await timeListing(keys, BIG_OWNER, limit, ownerKeys, settings.listCalls);
    for (const page of pages) console.log(`  list limit ${limit} ${page.page} (from ${page.startRank}): p50 ${page.p50.toFixed(2)} ms, p99 ${page.p99.toFixed(2)} ms`);
    listing.push({ limit, pages });
  }
  return listing;
}

/** Seeds and measures every size on one throwaway PostgreSQL and writes the scale-postgres section. */
export async function runPostgresScale(start: RunStart, settings: PostgresScaleSettings, cleanup: Cleanup): Promise<void> {
  const server = await startPostgres();
  cleanup.defer(() => server.stop());
  const pool = server.pool({ max: POOL_SIZE });
  console.log(`bench:scale: PostgreSQL on ${server.url}`);

  const stores = [];
  for (const size of settings.sizes) {
    const schema = `scale_${size}`;
    await migrate(pool, { schema });
    const store = new PostgresKeyStore(pool, { schema });
    const keys = new ApiKeys({ store, secret: settings.secret, prefix: "cpx_live.", cache: false });
    cleanup.defer(async () => {
      keys.close();
      await store.close();
    });
    const bytesBefore = await apiKeysBytes(pool, schema);
    const sample = new KeySample(settings.sampleKeys);
    const seedStart = performance.now();
    await seedKeys(keys, 0, size, settings.workers, sample);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const freshBytesPerKey = ((await apiKeysBytes(pool, schema)) - bytesBefore) / size;
    await rewriteUsage(pool, schema, store);
    const usedBytesPerKey = ((await apiKeysBytes(pool, schema)) - bytesBefore) / size;
    console.log(`${size} keys (schema ${schema}): seeded in ${seedSeconds.toFixed(1)} s, ${freshBytesPerKey.toFixed(0)} bytes per key, ${usedBytesPerKey.toFixed(0)} after a usage rewrite`);
    stores.push({ size, keys, sample: sample.keys, seedSeconds, freshBytesPerKey, usedBytesPerKey });
  }

  const timings = await timeVerificationAcross(
    stores.map(({ keys, sample }) => ({ keys, sample, roundTrip: () => pool.query("SELECT 1") })),
    settings.verifications,
  );
  const results: PostgresSizeResult[] = [];
  for (const [i, { size, keys, seedSeconds, freshBytesPerKey, usedBytesPerKey }] of stores.entries()) {
    const verify = timings[i]!;
    console.log(`${size} keys: verify p50 ${verify.p50.toFixed(0)} µs, p99 ${verify.p99.toFixed(0)} µs; SELECT 1 p50 ${verify.roundTripP50.toFixed(0)} µs`);
    const listing = await timeListings(keys, bigOwnerKeys(size), settings);
    results.push({ keys: size, seedSeconds, bytesPerKey: freshBytesPerKey, usedBytesPerKey, verify, bigOwnerKeys: bigOwnerKeys(size), listing });
  }

  const method =
    `One throwaway PostgreSQL (fsync off), each size in a schema of its own made by \`migrate\`, seeded through ` +
    `\`ApiKeys.create\` on \`PostgresKeyStore\` (the real write path and rows: one INSERT transaction per key) by ` +
    `${settings.workers} concurrent workers on one pg Pool of ${POOL_SIZE} connections; most owners hold 10 keys, the big owner 1 % of all. ` +
    `Bytes per key: \`pg_total_relation_size\` of \`api_keys\` (table, TOAST and its indexes; not the daily-usage table) after ` +
    `seeding minus before, over its keys: fresh, and again after ${USAGE_ROUNDS} uses of every key, in a random order, written by the store's usage flush ` +
    `(batches of 1000 keys, a transaction each) and a VACUUM. Verification (cache off, one primary-key SELECT): ${settings.verifications} sequential ` +
    `\`keys.verify\` per size of keys sampled uniformly from that size's, in turns of 100 across the sizes, each turn followed by ` +
    `100 \`SELECT 1\` on the same pool. Listing: ${settings.listCalls} sequential \`keys.list\` of the big owner's first page and of a ` +
    `page from its middle. Cross-process invalidation is measured on Redis only.`;
  const tables = [postgresSizeTable(results), listingTable(results)];
  const targets = postgresScaleTargets(results);
  console.log(`\n${tables.join("\n\n")}\n\n${renderTargets(targets)}`);
  const environment = describeEnvironment(start, { sizes: settings.sizes.join(" / "), workers: settings.workers, "pool connections": POOL_SIZE });
  writeResultsSection("scale-postgres", renderPostgresScaleSection(environment, method, tables, targets));
  console.log("\nbench:scale: wrote the scale-postgres section of BENCHMARKS.md");
}
