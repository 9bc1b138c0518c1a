import type { ApiKeys } from "@portcullis/core";

/** The owner holding 1 % of all keys, whose listing is measured. */
export const BIG_OWNER = "owner-big";
/** Every other owner holds this many keys. */
export const KEYS_PER_OWNER = 10;

/**
 * The owner of the index-th key created: every hundredth goes to the big owner, the others fill
 * ordinary owners ten at a time.
 */
export function ownerOf(index: number): string {
  if (index % 100 === 0) return BIG_OWNER;
  const ordinary = index - Math.floor(index / 100) - 1; // keys before this one that went to ordinary owners
  return `owner-${Math.floor(ordinary / KEYS_PER_OWNER)}`;
}

/** How many of the first `total` keys the big owner holds. */
export function bigOwnerKeys(total: number): number {
  return Math.ceil(total / 100);
}

/**
 * A uniform sample of the plaintext keys created so far (reservoir sampling), so the keys verified
 * come from the whole set and not only from the last ones created.
 */
export class KeySample {
  readonly keys: string[] = [];
  #seen = 0;

  constructor(readonly capacity: number) {}

  offer(key: string): void {
    this.#seen += 1;
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      return;
    }
    const slot = Math.floor(Math.random() * this.#seen);
    if (slot < this.capacity) this.keys[slot] = key;
  }
}

/**
 * Creates keys from..to-1 through `keys.create` (the real layout and the real write path), with
 * `workers` creations in flight at once; any failure stops the seeding.
 */
export async function seedKeys(keys: ApiKeys, from: number, to: number, workers: number, sample: KeySample): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const index = next++;
      const { key } = await keys.create({ owner: ownerOf(index), name: `key ${index}`, scopes: ["read"] });
      sample.offer(key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, to - from) }, worker));
}
