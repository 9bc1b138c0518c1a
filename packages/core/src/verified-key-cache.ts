import { LRUCache } from "lru-cache";
import { z } from "zod";
import { wholeNumber } from "./option-schema";
import { recordKeyCacheLookup } from "./telemetry";

export interface KeyCacheOptions {
  /**
   * Known keys kept in this process, the least recently used dropped first.
   * @default 10000
   */
  readonly maxEntries?: number;
  /**
   * How long a known key is trusted without asking the store, in milliseconds. With a store that
   * pushes changes (`RedisKeyStore`, `MemoryKeyStore`) a revocation is honoured as soon as it
   * arrives; this is the bound when the push is down, or with a store that has none.
   * @default 10000
   */
  readonly ttlMs?: number;
  /**
   * Unknown keys remembered, apart from known ones so that a flood of invented keys cannot push
   * real ones out.
   * @default 10000
   */
  readonly maxMisses?: number;
  /**
   * How long an unknown key is remembered, in milliseconds: a flood of one invented key costs the
   * store one lookup per this period.
   * @default 2000
   */
  readonly missTtlMs?: number;
}

const DEFAULTS = { maxEntries: 10_000, ttlMs: 10_000, maxMisses: 10_000, missTtlMs: 2_000 } as const;

/** The `cache` option of `ApiKeys`, checked; the cache applies its defaults. */
export const keyCacheOption = z
  .union(
    [
      z.literal(false),
      z.strictObject({
        maxEntries: wholeNumber(1, undefined, "keys").optional(),
        ttlMs: wholeNumber(1, undefined, "milliseconds").optional(),
        maxMisses: wholeNumber(1, undefined, "keys").optional(),
        missTtlMs: wholeNumber(1, undefined, "milliseconds").optional(),
      }),
    ],
    { error: "must be false or an object such as { ttlMs: 10000, maxEntries: 10000 }" },
  )
  .optional();

/**
 * What a store said about digests, remembered for a short while: found values in one bounded LRU,
 * misses in another. Concurrent lookups of one digest share one store call. A change heard while
 * a lookup is on its way keeps that lookup's answer out of the cache, since it may predate the
 * change.
 */
export class VerifiedKeyCache<T extends object> {
  readonly #found: LRUCache<string, T>;
  readonly #missing: LRUCache<string, true>;
  readonly #loading = new Map<string, Promise<T | undefined>>();
  /** Bumped by every change heard; a lookup that started in an older generation is not kept. */
  #generation = 0;

  /** How many found values are kept, as configured or by default. */
  readonly maxEntries: number;

  constructor(options: Readonly<KeyCacheOptions>, now: () => number) {
    // `??`, not a spread: an option given as undefined takes its default, never an unbounded cache.
    const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
    const ttlMs = options.ttlMs ?? DEFAULTS.ttlMs;
    const maxMisses = options.maxMisses ?? DEFAULTS.maxMisses;
    const missTtlMs = options.missTtlMs ?? DEFAULTS.missTtlMs;
    this.maxEntries = maxEntries;
    // ttlResolution 0: read the clock on every check (a fake clock in tests moves in jumps).
    const perf = { now };
    this.#found = new LRUCache({ max: maxEntries, ttl: ttlMs, ttlResolution: 0, perf });
    this.#missing = new LRUCache({ max: maxMisses, ttl: missTtlMs, ttlResolution: 0, perf });
  }

  /**
   * The remembered value (`undefined` for a remembered miss), or the store's through `load`: a
   * promise exactly when the answer waits for the store. Counted in `portcullis.key.cache.lookups`
   * as a hit when it does not (a lookup that joins another's store call waits, so is a miss).
   */
  get(digest: string, load: (digest: string) => Promise<T | undefined>): T | undefined | Promise<T | undefined> {
    const found = this.#found.get(digest);
    if (found !== undefined || this.#missing.has(digest)) {
      recordKeyCacheLookup(true);
      return found;
    }
    recordKeyCacheLookup(false);
    const pending = this.#loading.get(digest);
    if (pending) return pending;
    const generation = this.#generation;
    const settle = () => {
      if (this.#loading.get(digest) === loading) this.#loading.delete(digest);
    };
    const loading = load(digest).then(
      (value) => {
        settle();
        if (generation === this.#generation) {
          if (value === undefined) this.#missing.set(digest, true);
          else this.#found.set(digest, value);
        }
        return value;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    this.#loading.set(digest, loading);
    return loading;
  }

  /** Drops what is known of one digest: its key changed. */
  forget(digest: string): void {
    this.#generation += 1;
    this.#found.delete(digest);
    this.#missing.delete(digest);
    this.#loading.delete(digest);
  }

  /** Drops everything: changes may have been missed. */
  clear(): void {
    this.#generation += 1;
    this.#found.clear();
    this.#missing.clear();
    this.#loading.clear();
  }
}
