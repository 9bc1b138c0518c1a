import type { StoredAuditEvent } from "./audit-sink";

/**
 * The newest `capacity` events, the oldest overwritten by the next. It grows as events come
 * rather than reserving its capacity, since most owners never fill theirs.
 */
export class AuditRing {
  readonly #items: StoredAuditEvent[] = [];
  /** Once full, where the oldest event is (and the next one goes). */
  #start = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#items.length;
  }

  push(event: StoredAuditEvent): void {
    if (this.#items.length < this.capacity) {
      this.#items.push(event);
      return;
    }
    this.#items[this.#start] = event;
    this.#start = (this.#start + 1) % this.capacity;
  }

  newest(): StoredAuditEvent | undefined {
    const n = this.#items.length;
    return n === 0 ? undefined : this.#items[(this.#start - 1 + n) % n];
  }

  *newestFirst(): Generator<StoredAuditEvent> {
    const n = this.#items.length;
    for (let i = 1; i <= n; i++) yield this.#items[(this.#start - i + n) % n]!;
  }
}
