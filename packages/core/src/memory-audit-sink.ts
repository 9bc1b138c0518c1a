import {
  matchesAuditQuery,
  parseAuditId,
  sanitizeAuditEvent,
  assertAuditQuery,
  type AuditEvent,
  type AuditPage,
  type AuditQuery,
  type AuditRecorder,
  type AuditSink,
  type StoredAuditEvent,
} from "./audit-sink";
import { AuditRing } from "./audit-ring";
import { z } from "zod";
import { auditRetentionOptions, REPLACED_AUDIT_RETENTION_OPTIONS, type AuditRetention, type AuditRetentionOptions } from "./audit-retention";
import { configError } from "./errors";
import { resolveOptions } from "./option-schema";

/** The retention options: each owner's log, the events of no owner and the overview, each capped. */
export type MemoryAuditSinkOptions = AuditRetentionOptions;

const memoryAuditSinkOptions = z.strictObject(auditRetentionOptions);

/** How often, in the sink's clock, owners whose every event has aged out are forgotten. */
const SWEEP_INTERVAL_MS = 60_000;

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
 * The access log in this process: a ring per owner, one for the events of no owner and one for
 * the overview of every owner's events (the same event objects, with the same ids), each capped
 * by count and listed newest first, none older than `maxAgeMs`. The zero-setup default for
 * development, tests and single-process apps; it is lost on restart and not shared between
 * processes, so use `RedisAuditSink` then. It holds at most `maxEventsPerOwner` per owner with
 * recent events: owners whose events have all aged out are forgotten.
 *
 * @example
 * const audit = new MemoryAuditSink({ maxEventsPerOwner: 1000 });
 * audit.record({ at: Date.now(), action: "session.login", outcome: "failure", code: "invalid_credentials" });
 */
export class MemoryAuditSink implements AuditSink {
  readonly retention: AuditRetention;
  readonly #nextId = idSequence();
  readonly #owners = new Map<string, AuditRing>();
  readonly #unowned: AuditRing;
  readonly #overview: AuditRing;
  #lastSweep = 0;
  #dropped = 0;

  constructor(options: Readonly<MemoryAuditSinkOptions> = {}) {
    this.retention = resolveOptions("MemoryAuditSink", memoryAuditSinkOptions, options, REPLACED_AUDIT_RETENTION_OPTIONS);
    this.#unowned = new AuditRing(this.retention.maxUnownedEvents);
    this.#overview = new AuditRing(this.retention.maxOverviewEvents);
  }

  /** Events refused as malformed (not an event, unknown action or outcome). */
  get dropped(): number {
    return this.#dropped;
  }

  /** How many owners have a log here. */
  get owners(): number {
    return this.#owners.size;
  }

  record(event: AuditEvent): void {
    try {
      const now = this.retention.now();
      const clean = sanitizeAuditEvent(event, now);
      if (!clean) {
        this.#dropped += 1;
        return;
      }
      const stored: StoredAuditEvent = Object.freeze({ id: this.#nextId(now), ...clean });
      if (stored.owner === undefined) return this.#unowned.push(stored);
      let ring = this.#owners.get(stored.owner);
      if (!ring) this.#owners.set(stored.owner, (ring = new AuditRing(this.retention.maxEventsPerOwner)));
      ring.push(stored);
      this.#overview.push(stored);
      this.#sweep(now);
    } catch {
      this.#dropped += 1; // a clock that throws: never the caller's problem
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    assertAuditQuery("MemoryAuditSink", query);
    let before: readonly [number, number] | undefined;
    if (query.before !== undefined) {
      before = parseAuditId(query.before);
      if (!before) return { events: [] };
    }
    const ring = query.unowned === true ? this.#unowned : query.owner === undefined ? this.#overview : this.#owners.get(query.owner);
    const cutoff = this.retention.now() - this.retention.maxAgeMs;
    const events: StoredAuditEvent[] = [];
    for (const event of ring?.newestFirst() ?? []) {
      const id = parseAuditId(event.id)!;
      if (id[0] < cutoff) break; // every later one is older still
      if (before && !isOlder(id, before)) continue;
      if (!matchesAuditQuery(event, query)) continue;
      // One match past the page says that another page follows.
      if (events.length === query.limit) return { events, next: events[events.length - 1]!.id };
      events.push(event);
    }
    return { events };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  /** Forgets the owners whose newest event has aged out, at most once a minute. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    const cutoff = now - this.retention.maxAgeMs;
    for (const [owner, ring] of this.#owners) {
      if (parseAuditId(ring.newest()?.id)![0] < cutoff) this.#owners.delete(owner);
    }
  }
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
