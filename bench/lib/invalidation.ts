import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { TestRedisServer } from "@portcullis/testing";
import { ApiKeys, RedisKeyStore } from "portcullis";
import type { Cleanup } from "./cleanup";

/** A revocation not heard within this long counts as missed; far beyond the 100 ms goal. */
const DEADLINE_MS = 5_000;
/** Trials run first and not recorded: the watch's connection and the JIT settle. */
const WARM_UP_TRIALS = 5;

export interface InvalidationResult {
  /** Milliseconds from revoke's resolution on A to B's first refusal, one per heard trial. */
  readonly heardMs: number[];
  /** How many times B still answered from its cache before refusing, one per heard trial. */
  readonly stalePolls: number[];
  /** Trials where B still accepted the key at the deadline. */
  readonly missed: number;
}

/** An ApiKeys in its own "process": its own client and store, the cache on for ten minutes. */
function processOnRedis(server: TestRedisServer, secret: string, cleanup: Cleanup) {
  const store = new RedisKeyStore(server.client());
  const keys = new ApiKeys({ store, secret, prefix: "cpx_live.", cache: { ttlMs: 600_000 } });
  cleanup.defer(async () => {
    keys.close();
    await store.close();
  });
  let lookups = 0;
  // Counts B's store reads, to check that B answers a key it verified from its cache.
  const findByDigest = store.findByDigest.bind(store);
  store.findByDigest = (digest) => {
    lookups += 1;
    return findByDigest(digest);
  };
  return { keys, lookups: () => lookups };
}

/**
 * Waits (boundedly) until some connection subscribes to a channel: B's watch opens its own
 * connection on B's first verification, and a revocation published before it listens is lost.
 */
async function untilSubscribed(server: TestRedisServer): Promise<void> {
  const probe = server.client();
  for (let attempt = 0; attempt < 100; attempt++) {
    if (((await probe.pubsub("CHANNELS")) as string[]).length > 0) break;
    await sleep(20);
  }
  probe.disconnect();
  await sleep(100); // the subscriber's own "(re)connected: forget everything" runs on its confirmation
}

/**
 * How long a revocation made in one process takes to reach the verified-key cache of another.
 * Both ApiKeys cache for ten minutes, so only the pushed change can make B refuse a key it holds:
 * B verifies the key (and is checked to answer it from its cache), A revokes it, then B is asked
 * again and again, a turn of the event loop apart, until it refuses.
 */
export async function measureInvalidation(server: TestRedisServer, secret: string, trials: number, cleanup: Cleanup): Promise<InvalidationResult> {
  const a = processOnRedis(server, secret, cleanup).keys;
  const b = processOnRedis(server, secret, cleanup);
  const heardMs: number[] = [];
  const stalePolls: number[] = [];
  let missed = 0;

  // B's first verification opens its watch; wait for it to listen before any trial.
  await b.keys.verify((await a.create({ owner: "invalidation", name: "watch", scopes: ["read"] })).key);
  await untilSubscribed(server);

  for (let trial = 0; trial < WARM_UP_TRIALS + trials; trial++) {
    const { key, record } = await a.create({ owner: "invalidation", name: `trial ${trial}`, scopes: ["read"] });
    if (!(await b.keys.verify(key)).ok) throw new Error("invalidation: B refused a key A had just created");
    const before = b.lookups();
    if (!(await b.keys.verify(key)).ok || b.lookups() !== before) {
      throw new Error("invalidation: B did not answer a key it had just verified from its cache; is the cache on?");
    }

    await a.revoke(record.id);
    const revoked = performance.now();
    let polls = 0;
    let refusedAt: number | undefined;
    while (performance.now() - revoked < DEADLINE_MS) {
      if (!(await b.keys.verify(key)).ok) {
        refusedAt = performance.now();
        break;
      }
      polls += 1;
      await nextTurn();
    }
    if (trial < WARM_UP_TRIALS) continue;
    if (refusedAt === undefined) {
      missed += 1;
      continue;
    }
    heardMs.push(refusedAt - revoked);
    stalePolls.push(polls);
  }
  return { heardMs, stalePolls, missed };
}
