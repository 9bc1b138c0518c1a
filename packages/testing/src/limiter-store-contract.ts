import { RateLimiterMemory } from "rate-limiter-flexible";
import { type LimiterSettings, type LimiterStore } from "@portcullis/core";
import { insuredLimiter, startDeadline } from "@portcullis/core/internal";

/** Ways a test can take a store's backend away for a while; each returns how to bring it back. */
export interface LimiterStoreFaults {
  /** The backend takes commands and answers none of them (a stall). */
  readonly stall?: () => Promise<() => Promise<void>>;
  /** The backend is unreachable: commands fail at once. */
  readonly outage?: () => Promise<() => Promise<void>>;
}

const FIVE_A_MINUTE: Omit<LimiterSettings, "name"> = { points: 5, durationSeconds: 60, blockSeconds: 0 };

/**
 * The behaviour every `LimiterStore` adapter must have, through the `insuredLimiter` both rate
 * limiters count with: counting, the limit, a block, giving back and forgetting, separate limiters
 * by name, and, for a store that can fail (`faults`), the memory insurance taking over a stall at
 * the deadline and an outage at once. `makeStore` returns a fresh store (a fresh prefix on a shared
 * backend will do).
 *
 * @example
 * describeLimiterStoreContract("RedisLimiterStore", () => new RedisLimiterStore(client, { prefix: `l${++run}:` }), { stall, outage });
 */
export function describeLimiterStoreContract(adapter: string, makeStore: () => LimiterStore, faults: LimiterStoreFaults = {}): void {
  describe(`LimiterStore contract: ${adapter}`, () => {
    let store: LimiterStore;
    let limiter = 0;
    const fresh = (settings: Omit<LimiterSettings, "name"> = FIVE_A_MINUTE, name = `contract-${++limiter}`) =>
      insuredLimiter("contract", store, { name, ...settings });
    beforeEach(() => {
      store = makeStore();
    });

    /** Counts `times` points under `id` and answers the consumed points after each. */
    async function countTimes(limit: ReturnType<typeof fresh>, id: string, times: number): Promise<number[]> {
      const consumed: number[] = [];
      for (let i = 0; i < times; i++) consumed.push((await limit.count(id, undefined)).state.consumedPoints);
      return consumed;
    }

    test("counts each id apart, and goes on counting past the limit (a count over it resolves, it is not an error)", async () => {
      const limit = fresh();
      expect(await countTimes(limit, "a", 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await countTimes(limit, "b", 1)).toEqual([1]);
      const { state } = await limit.count("a", undefined);
      expect(state.remainingPoints).toBe(0);
      expect(state.msBeforeNext).toBeGreaterThan(0);
      expect(state.msBeforeNext).toBeLessThanOrEqual(60_000);
    });

    test("two limiters of one store never share a counter, even under the same id", async () => {
      const one = fresh();
      const two = fresh();
      await countTimes(one, "same", 3);
      expect(await countTimes(two, "same", 1)).toEqual([1]);
    });

    test("past its points a counter with blockSeconds is blocked for that long, longer than its window", async () => {
      const limit = fresh({ points: 2, durationSeconds: 60, blockSeconds: 900 });
      await countTimes(limit, "x", 3);
      const { state } = await limit.count("x", undefined);
      expect(state.consumedPoints).toBeGreaterThan(2);
      expect(state.msBeforeNext).toBeGreaterThan(60_000);
      expect(state.msBeforeNext).toBeLessThanOrEqual(900_000);
    });

    test("a point given back is no longer counted, and a forgotten counter starts again, its block gone", async () => {
      const limit = fresh({ points: 2, durationSeconds: 60, blockSeconds: 900 });
      const { by } = await limit.count("x", undefined);
      await by.reward("x", 1);
      expect(await countTimes(limit, "x", 1)).toEqual([1]);
      await countTimes(limit, "x", 3);
      await limit.forget("x");
      const after = await limit.count("x", undefined);
      expect(after.state.consumedPoints).toBe(1);
      expect(after.state.msBeforeNext).toBeLessThanOrEqual(60_000);
    });

    test("a deadline that passes changes nothing while the store answers: the store's limiter took every point", async () => {
      const limit = fresh();
      const deadline = startDeadline(60_000);
      try {
        const counted = await limit.count("d", deadline);
        expect(counted.by).toBe(limit.store);
        expect(counted.state.consumedPoints).toBe(1);
      } finally {
        deadline.clear();
      }
    });

    const { stall, outage } = faults;
    if (stall) {
      test("a stalled store: at the deadline the memory insurance counts, and limits, and the store's count is left as it was", async () => {
        const limit = fresh({ points: 2, durationSeconds: 60, blockSeconds: 0 });
        await countTimes(limit, "s", 1); // in the store
        const resume = await stall();
        try {
          const consumed: number[] = [];
          for (let i = 0; i < 3; i++) {
            const deadline = startDeadline(50);
            const counted = await limit.count("s", deadline);
            deadline.clear();
            expect(counted.by).toBe(limit.memory);
            consumed.push(counted.state.consumedPoints);
          }
          expect(consumed).toEqual([1, 2, 3]); // the insurance's own count, per process, over the limit at the third
        } finally {
          await resume();
        }
      });
    }

    if (outage) {
      test("an unreachable store: the memory insurance counts at once, and the store counts again once it is back", async () => {
        const limit = fresh();
        await countTimes(limit, "o", 2);
        const restore = await outage();
        let during: number[];
        try {
          during = await countTimes(limit, "o", 3);
        } finally {
          await restore();
        }
        expect(during).toEqual([1, 2, 3]);
        expect(await countTimes(limit, "o", 1)).toEqual([3]); // the store's count, without the outage's
      });
    }
  });
}

/** A limiter store of the test's own: what a host's adapter for another database looks like to the middlewares. */
export interface TestLimiterStore extends LimiterStore {
  /** The settings of every limiter made, in order. */
  readonly made: LimiterSettings[];
  /** Points consumed through the store's limiters (not its insurance). */
  consumed(): number;
}

/**
 * A store that is not the memory one: its limiters are memory limiters apart from the insurance,
 * counting the points they take. `fault` makes every count fail (`"error"`, without insurance, as
 * a store that attached none) or never answer (`"stall"`).
 *
 * @example
 * const store = testLimiterStore();
 * keyRateLimit({ store });
 */
export function testLimiterStore(fault?: "error" | "stall"): TestLimiterStore {
  const made: LimiterSettings[] = [];
  let consumed = 0;
  return {
    made,
    consumed: () => consumed,
    limiter(settings) {
      made.push(settings);
      const limiter = new RateLimiterMemory({ keyPrefix: settings.name, points: settings.points, duration: settings.durationSeconds, blockDuration: settings.blockSeconds });
      const consume = limiter.consume.bind(limiter);
      limiter.consume = (key, points, options) => {
        if (fault === "stall") return new Promise<never>(() => {});
        if (fault === "error") return Promise.reject(new Error("the test store is down"));
        consumed++;
        return consume(key, points, options);
      };
      return limiter;
    },
  };
}
