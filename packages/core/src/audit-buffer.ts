/** Buffered events that start a write before the timer. */
const BATCH_SIZE = 100;
/** Events handed to one write. */
const WRITE_SIZE = 500;

/** Writes a batch of events, owners' first, oldest first; rejects if none of them was written. */
export type AuditBatchWriter<T> = (owned: readonly T[], unowned: readonly T[]) => Promise<void>;

/** Options of {@link AuditBuffer}, resolved by the sink. */
export interface AuditBufferOptions {
  /** How long an event may wait before it is written, and how long after a failed write the retry comes. */
  readonly flushIntervalMs: number;
  /** How many owners' events, and apart from them how many of no owner, wait at most. */
  readonly maxBuffered: number;
}

/** An event and the order it was added in, which `flush` waits for. */
interface Waiting<T> {
  readonly item: T;
  readonly seq: number;
}

/**
 * The events an audit sink records on the request path, written in the background by its writer:
 * at once when 100 are waiting, else `flushIntervalMs` after the first. A write that fails puts
 * its events back in front, to be retried after `flushIntervalMs`; meanwhile each buffer (owners'
 * events, events of no owner, so junk never evicts an owner's) keeps at most `maxBuffered`,
 * dropping its oldest and counting them in `dropped`.
 */
export class AuditBuffer<T> {
  readonly #write: AuditBatchWriter<T>;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  /** Owners' events waiting, oldest first. */
  #owned: Waiting<T>[] = [];
  /** Events of no owner waiting, oldest first. */
  #unowned: Waiting<T>[] = [];
  #added = 0;
  #writing: Promise<void> | undefined;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #dropped = 0;
  /** How many events the write under way carries. */
  #inFlight = 0;

  constructor(write: AuditBatchWriter<T>, { flushIntervalMs, maxBuffered }: AuditBufferOptions) {
    this.#write = write;
    this.#flushIntervalMs = flushIntervalMs;
    this.#maxBuffered = maxBuffered;
  }

  /** Events lost: counted by `drop`, added after `close()`, or dropped from a full buffer. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events not yet written: buffered, or in a write still under way (it may fail and put them back). */
  get pending(): number {
    return this.#owned.length + this.#unowned.length + this.#inFlight;
  }

  /** Whether `close()` was called: what is added after is dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counts events lost before they reached the buffer or after they left it. */
  drop(count = 1): void {
    this.#dropped += count;
  }

  /** Buffers an event, with the owners' events if `owned`, else with those of no owner. */
  add(item: T, owned: boolean): void {
    if (this.#closed) {
      this.#dropped += 1;
      return;
    }
    (owned ? this.#owned : this.#unowned).push({ item, seq: this.#added++ });
    this.#trim();
    if (this.pending >= BATCH_SIZE && !this.#writing && !this.#failing) this.#flushQuietly();
    else this.#schedule();
  }

  /**
   * Resolves once every event added before the call is written (or dropped); rejects if a write
   * of them failed (they stay buffered for a retry). Waits for a write already running, which
   * may fail and put them back, and writes until none of them is left: events added meanwhile do
   * not keep it going.
   */
  async flush(): Promise<void> {
    const before = this.#added;
    for (;;) {
      if (this.#writing) {
        await this.#writing.catch(() => {});
        continue;
      }
      if (!this.#holdsAny(before)) return;
      await this.#writeNext();
    }
  }

  /** Stops the timer and writes what is left; rejects, keeping it counted in `pending`, if it cannot. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Whether an event added before `before` still waits: each buffer is in the order added, so its first tells. */
  #holdsAny(before: number): boolean {
    return (this.#owned[0]?.seq ?? before) < before || (this.#unowned[0]?.seq ?? before) < before;
  }

  #writeNext(): Promise<void> {
    const owned = this.#owned.splice(0, WRITE_SIZE);
    const unowned = this.#unowned.splice(0, WRITE_SIZE - owned.length);
    this.#inFlight = owned.length + unowned.length;
    const writing = this.#send(owned, unowned).finally(() => {
      this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }

  async #send(owned: Waiting<T>[], unowned: Waiting<T>[]): Promise<void> {
    try {
      await this.#write(
        owned.map((waiting) => waiting.item),
        unowned.map((waiting) => waiting.item),
      );
    } catch (error) {
      this.#inFlight = 0; // in the same step as the requeue, so nothing is counted twice
      this.#requeue(owned, unowned);
      throw error;
    }
    this.#inFlight = 0;
    this.#failing = false;
  }

  /** Puts events that could not be written back in front of the newer ones, oldest first. */
  #requeue(owned: Waiting<T>[], unowned: Waiting<T>[]): void {
    this.#failing = true;
    this.#owned = owned.concat(this.#owned);
    this.#unowned = unowned.concat(this.#unowned);
    this.#trim();
  }

  /** Keeps each buffer within `maxBuffered`, dropping its oldest. */
  #trim(): void {
    for (const buffer of [this.#owned, this.#unowned]) {
      const excess = buffer.length - this.#maxBuffered;
      if (excess > 0) {
        buffer.splice(0, excess);
        this.#dropped += excess;
      }
    }
  }

  #flushQuietly(): void {
    void this.flush()
      .catch(() => {}) // counted nowhere else: the events are still buffered, and the timer retries
      .then(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.pending === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushQuietly();
    }, this.#flushIntervalMs);
    this.#timer.unref();
  }
}
