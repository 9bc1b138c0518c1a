import { RateLimiterRes, type RateLimiterAbstract, type RateLimiterMemory } from "rate-limiter-flexible";
import { configError } from "./errors";
import { failOverBy, startDeadline, type Deadline } from "./fail-over";
import { memoryLimiter, type LimiterSettings, type LimiterStore } from "./limiter-store";
import { storeFailureType } from "./store-guard";
import { LIMITER_STORE } from "./store-operations";
import { startStoreCall } from "./telemetry";

/** One point counted, and the limiter that took it (where it is given back, if it is). */
export interface LimiterCount {
  /** The counter after the point, over the limit or not. */
  readonly state: RateLimiterRes;
  /** The store's limiter, or the memory insurance when the store had not answered by the deadline. */
  readonly by: RateLimiterAbstract;
}

/**
 * A store's limiter with memory insurance and a deadline: what each limiter of `loginRateLimit`
 * and `keyRateLimit` counts with, whatever the store.
 */
export interface InsuredLimiter {
  /** The name and limit the limiter was made with. */
  readonly settings: Readonly<LimiterSettings>;
  /** The store's limiter. */
  readonly store: RateLimiterAbstract;
  /** The memory insurance; the same object as `store` on the memory store. */
  readonly memory: RateLimiterMemory;
  /**
   * Counts one point under `id`: in the store, or in memory when the store fails or has not
   * answered by `deadline`. A count over the limit resolves too (rate-limiter-flexible rejects
   * it); only an `Error` of the store and of its insurance both rejects. What the store does after
   * the deadline stands (a late count is the stricter outcome).
   */
  count(id: string, deadline: Deadline | undefined): Promise<LimiterCount>;
  /** Deletes a counter (and its block) in the store and in the insurance, which may hold one from an outage. */
  forget(id: string): Promise<void>;
}

/**
 * Makes the limiter of `settings` in `store`, insured by a memory limiter. `factory` names the
 * middleware in configuration errors.
 *
 * @example
 * const fails = insuredLimiter("loginRateLimit", store, { name: "login-fails", points: 10, durationSeconds: 86400, blockSeconds: 900 });
 * const deadline = limiterDeadline([fails], 2000);
 * const { state } = await fails.count(id, deadline);
 * deadline?.clear();
 */
export function insuredLimiter(factory: string, store: LimiterStore, settings: Readonly<LimiterSettings>): InsuredLimiter {
  const memory = memoryLimiter(settings);
  const limiter = store.limiter(settings, memory);
  if (typeof limiter?.consume !== "function" || typeof limiter.reward !== "function" || typeof limiter.delete !== "function") {
    throw configError(factory, `"store".limiter() must return a rate-limiter-flexible limiter (RateLimiterRedis, RateLimiterPostgres, …)`);
  }
  const remote = limiter !== memory;
  return {
    settings,
    store: limiter,
    memory,
    count(id, deadline) {
      if (!remote) return countOn(limiter, id);
      const traced = startStoreCall(LIMITER_STORE.consume);
      const counting = traced.run(() => countOn(limiter, id)).then(
        (counted) => {
          traced.end();
          return counted;
        },
        (error: unknown) => {
          traced.end(storeFailureType(error), error);
          throw error;
        },
      );
      if (deadline === undefined) return counting;
      return failOverBy(counting, deadline, () => {
        traced.end("timeout");
        return countOn(memory, id);
      });
    },
    async forget(id) {
      if (!remote) return void (await limiter.delete(id));
      const traced = startStoreCall(LIMITER_STORE.delete);
      const deleting = traced.run(() => limiter.delete(id)).then(
        () => traced.end(),
        (error: unknown) => {
          traced.end(storeFailureType(error), error);
          throw error;
        },
      );
      await Promise.all([deleting, memory.delete(id)]);
    },
  };
}

/**
 * The deadline of one request's counts, `timeoutMs` from now, when any of `limiters` counts in a
 * store that can stall; `undefined` (no timer) when all count in memory. Clear it once the counts
 * are in.
 */
export function limiterDeadline(limiters: readonly InsuredLimiter[], timeoutMs: number): Deadline | undefined {
  return limiters.some((limiter) => limiter.store !== limiter.memory) ? startDeadline(timeoutMs) : undefined;
}

/**
 * The limiters' options of earlier versions, and what replaced them, for `resolveOptions`: its
 * error then says how to upgrade.
 */
export const REPLACED_LIMITER_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  redis: `"store": pass new RedisLimiterStore(redis) from @portcullis/redis`,
  keyPrefix: `the "prefix" of the store: new RedisLimiterStore(redis, { prefix })`,
});

/** Consumes one point; a count past the limit (a `RateLimiterRes` rejection) is a count like any other. */
function countOn(limiter: RateLimiterAbstract, id: string): Promise<LimiterCount> {
  return limiter.consume(id).then(
    (state) => ({ state, by: limiter }),
    (rejection: unknown) => {
      if (rejection instanceof RateLimiterRes) return { state: rejection, by: limiter };
      throw rejection;
    },
  );
}
