import { assertKnownOptions } from "./options";
import {
  assertAuditLimit,
  matchesAuditQuery,
  parseAuditId,
  sanitizeAuditEvent,
  type AuditEvent,
  type AuditPage,
  type AuditQuery,
  type AuditRecorder,
  type AuditSink,
  type StoredAuditEvent,
} from "./audit-sink";
import { configError } from "./errors";

export interface MemoryAuditSinkOptions {
  /**
   * How many events the ring holds; the oldest is overwritten by the next one.
   * @default 10000
   */
  readonly capacity?: number;
  /**
   * The clock for event ids and for events recorded without a valid `at`, in milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Ids shaped like Redis stream ids, `<ms>-<seq>`, always increasing: the sequence counts events
 * within one millisecond, and a clock that steps back keeps the last millisecond.
 */
function idSequence(): (now: number) => string {
  let lastMs = 0;
  let seq = 0;
  return (now) => {
    const ms = Number.isFinite(now) ? Math.max(Math.floor(now), lastMs) : lastMs;
    seq = ms === lastMs ? seq + 1 : 0;
    lastMs = ms;
    return `${ms}-${seq}`;
  };
}

/**
 * The access log in this process: a ring of the latest events, listed newest first. The
 * zero-setup default for development, tests and single-process apps; it is lost on restart and
 * not shared between processes, so use `RedisAuditSink` then.
 *
 * @example
 * const audit = new MemoryAuditSink({ capacity: 1000 });
 * audit.record({ at: Date.now(), action: "session.login", outcome: "failure", code: "invalid_credentials" });
 */
export class MemoryAuditSink implements AuditSink {
  readonly capacity: number;
  readonly #now: () => number;
  readonly #nextId = idSequence();
  readonly #ring: (StoredAuditEvent | undefined)[];
  /** Where the next event goes; the newest is just before it. */
  #head = 0;
  #size = 0;
  #dropped = 0;

  constructor(options: Readonly<MemoryAuditSinkOptions> = {}) {
    assertKnownOptions("MemoryAuditSink", options, ["capacity", "now"]);
    const { capacity = 10_000, now = Date.now } = options ?? {};
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw configError("MemoryAuditSink", `"capacity" must be a whole number of events, at least 1, got ${String(capacity)}`);
    }
    if (typeof now !== "function") throw configError("MemoryAuditSink", `"now" must be a function returning milliseconds`);
    this.capacity = capacity;
    this.#now = now;
    this.#ring = new Array<StoredAuditEvent | undefined>(capacity);
  }

  /** Events refused as malformed (not an event, unknown action or outcome). */
  get dropped(): number {
    return this.#dropped;
  }

  record(event: AuditEvent): void {
    try {
      const now = this.#now();
      const clean = sanitizeAuditEvent(event, now);
      if (!clean) {
        this.#dropped += 1;
        return;
      }
      this.#ring[this.#head] = Object.freeze({ id: this.#nextId(now), ...clean });
      this.#head = (this.#head + 1) % this.capacity;
      this.#size = Math.min(this.#size + 1, this.capacity);
    } catch {
      this.#dropped += 1; // a clock that throws: never the caller's problem
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    assertAuditLimit("MemoryAuditSink", query?.limit);
    let before: readonly [number, number] | undefined;
    if (query.before !== undefined) {
      before = parseAuditId(query.before);
      if (!before) return { events: [] };
    }
    const events: StoredAuditEvent[] = [];
    for (let i = 1; i <= this.#size; i++) {
      const event = this.#ring[(this.#head - i + this.capacity) % this.capacity]!;
      if (before && !isOlder(parseAuditId(event.id)!, before)) continue;
      if (!matchesAuditQuery(event, query)) continue;
      // One match past the page says that another page follows.
      if (events.length === query.limit) return { events, next: events[events.length - 1]!.id };
      events.push(event);
    }
    return { events };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

function isOlder([ms, seq]: readonly [number, number], [beforeMs, beforeSeq]: readonly [number, number]): boolean {
  return ms < beforeMs || (ms === beforeMs && seq < beforeSeq);
}

/** A recorder that hands each event to a function: the hook for the host's logger. */
export interface LoggerAuditSink extends AuditRecorder {
  /** Events refused as malformed, or whose logging threw. */
  readonly dropped: number;
}

/**
 * Hands every event, sanitized and with an id, to the host's logger as it is recorded, so the
 * access log also reaches wherever the logs go. It cannot list: tee it with a `MemoryAuditSink`
 * or `RedisAuditSink` for the admin route. A `log` that throws is counted in `dropped`, never
 * passed on. Pass a bound function: pino's `logger.info` alone loses its `this`.
 *
 * @example
 * const audit = teeAuditSink(new RedisAuditSink(redis), loggerAuditSink((event) => logger.info({ audit: event }, "audit")));
 */
export function loggerAuditSink(log: (event: StoredAuditEvent) => void): LoggerAuditSink {
  if (typeof log !== "function") {
    throw configError("loggerAuditSink", "pass the function that logs an event, such as (event) => logger.info({ audit: event })");
  }
  const nextId = idSequence();
  let dropped = 0;
  return {
    get dropped() {
      return dropped;
    },
    record(event: AuditEvent): void {
      try {
        const now = Date.now();
        const clean = sanitizeAuditEvent(event, now);
        if (!clean) {
          dropped += 1;
          return;
        }
        log(Object.freeze({ id: nextId(now), ...clean }));
      } catch {
        dropped += 1;
      }
    },
    async flush() {},
    async close() {},
  };
}

function canList(sink: AuditRecorder): sink is AuditSink {
  return typeof (sink as Partial<AuditSink>).list === "function";
}

/**
 * Records every event into each of several sinks (one failing never stops the others) and lists
 * from the first that can list. `flush` and `close` reach every sink and reject with the first
 * failure once all have settled.
 *
 * @example
 * const audit = teeAuditSink(new RedisAuditSink(redis), loggerAuditSink((event) => logger.info({ audit: event })));
 */
export function teeAuditSink(...sinks: readonly AuditRecorder[]): AuditSink {
  sinks.forEach((sink, i) => {
    if (!sink || typeof sink.record !== "function" || typeof sink.flush !== "function" || typeof sink.close !== "function") {
      throw configError("teeAuditSink", `argument ${i + 1} is not an audit sink (it needs record, flush and close)`);
    }
  });
  const reader = sinks.find(canList);
  if (!reader) {
    throw configError("teeAuditSink", "none of the sinks can list: add a MemoryAuditSink or a RedisAuditSink");
  }
  const all = [...sinks];
  const everySink = async (run: (sink: AuditRecorder) => Promise<void>) => {
    const results = await Promise.allSettled(all.map((sink) => Promise.resolve().then(() => run(sink))));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
  };
  return {
    record(event: AuditEvent): void {
      for (const sink of all) {
        try {
          sink.record(event);
        } catch {
          // record must not throw; a sink that breaks that rule is skipped, the others still record
        }
      }
    },
    list: (query) => reader.list(query),
    flush: () => everySink((sink) => sink.flush()),
    close: () => everySink((sink) => sink.close()),
  };
}
