import type { TimedPool } from "./timed-pool";

/** Rows one DELETE removes at most: each is a short transaction of its own. */
const SWEEP_BATCH = 1000;
/** How often, in the caller's clock, a sweep starts at most. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Deletes the rows of one table whose time has passed, off the request path: a store calls `due`
 * as it works, and at most once a minute of its clock a sweep starts that the caller does not wait
 * for. A sweep deletes batches of at most 1000 rows, picked through the expiry column's index
 * `FOR UPDATE SKIP LOCKED`, each in its own short transaction, until a batch comes back short: a
 * backlog never holds locks or a connection for long, and two processes sweeping at once skip
 * each other's rows. A sweep that fails is left to the next one.
 */
export class ExpiredRows {
  #sweptAt = Number.NEGATIVE_INFINITY;
  #sweeping: Promise<void> | undefined;

  constructor(
    private readonly db: TimedPool,
    private readonly table: string,
    /** The SQL condition of a row whose time has passed, on `$1`, the sweep's time. */
    private readonly expired: string,
  ) {}

  /** Starts a sweep as of `at` unless one started within the last minute. */
  due(at: number): void {
    if (at - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#sweptAt = at;
    void this.sweep(at).catch(() => {}); // housekeeping: the next sweep tries again
  }

  /** Deletes every row expired as of `at`, a batch at a time, once the sweep under way (if any) is over. */
  async sweep(at: number): Promise<void> {
    while (this.#sweeping) await this.#sweeping.catch(() => {});
    this.#sweeping = this.#sweep(at).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(at: number): Promise<void> {
    const { table } = this;
    const text = `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${this.expired} LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED))`;
    for (;;) {
      const { rowCount } = await this.db.transaction((run) => run({ text, values: [at] }));
      if ((rowCount ?? 0) < SWEEP_BATCH) return;
    }
  }
}
