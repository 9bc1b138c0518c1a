import type { StoredApiKey } from "./key-record";
import { utcDay } from "./key-store";

/** One key's uses not written yet. */
export interface KeyUse {
  readonly id: string;
  readonly owner: string;
  count: number;
  last: number;
  /** UTC day → requests, for the daily counts. */
  readonly days: Map<string, number>;
}

/**
 * Writes a batch of keys' uses to a store. What it could not write (a whole use, or what is left
 * of one) it hands to `unwritten` before rejecting, so it is retried by the next flush.
 */
export type KeyUseWriter = (uses: readonly KeyUse[], unwritten: (use: KeyUse) => void) => Promise<void>;

/**
 * The usage a key store records on the request path, merged per key and written in the background
 * by its writer: every `intervalMs` from the first use on (a timer that keeps no process alive),
 * on `flush()`, and on `close()`.
 */
export class UsageBuffer {
  readonly #write: KeyUseWriter;
  readonly #intervalMs: number;
  #pending = new Map<string, KeyUse>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(write: KeyUseWriter, intervalMs: number) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  record({ id, owner }: Pick<StoredApiKey, "id" | "owner">, at: number): void {
    let use = this.#pending.get(id);
    if (!use) {
      use = { id, owner, count: 0, last: at, days: new Map() };
      this.#pending.set(id, use);
    }
    use.count += 1;
    use.last = Math.max(use.last, at);
    const day = utcDay(at);
    use.days.set(day, (use.days.get(day) ?? 0) + 1);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.flush().catch(() => {}), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Resolves once every use recorded before the call is written; rejects if a write of them
   * failed (they stay buffered for the next flush). A write already running may have taken only
   * part of them, or failed and put them back: so this waits until no write runs, then writes
   * what is left.
   */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing.catch(() => {});
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    const writing = this.#write(batch, this.#requeue).finally(() => {
      this.#writing = undefined;
    });
    this.#writing = writing;
    await writing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Puts back uses a write did not finish, merged with any recorded since. */
  readonly #requeue = (use: KeyUse): void => {
    const newer = this.#pending.get(use.id);
    if (!newer) {
      this.#pending.set(use.id, use);
      return;
    }
    newer.count += use.count;
    newer.last = Math.max(newer.last, use.last);
    for (const [day, requests] of use.days) newer.days.set(day, (newer.days.get(day) ?? 0) + requests);
  };
}
