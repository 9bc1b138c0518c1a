import {
  assertKnownOptions,
  assertAuditLimit,
  configError,
  matchesAuditQuery,
  parseAuditId,
  sanitizeAuditEvent,
  type AuditEvent,
  type AuditPage,
  type AuditQuery,
  type AuditSink,
  type StoredAuditEvent,
} from "@portcullis/core";
import type { RedisClient } from "./redis-client";
import { DEFAULT_REDIS_PREFIX, RedisKeys } from "./redis-keys";

export interface RedisAuditSinkOptions {
  /**
   * Starts every Redis key, so several apps can share one Redis.
   * @default "portcullis:"
   */
  readonly prefix?: string;
  /**
   * About how many events the stream keeps: each write trims the oldest with `XADD MAXLEN ~`,
   * which Redis applies in whole nodes, so the stream may briefly hold somewhat more.
   * @default 100000
   */
  readonly maxLength?: number;
  /**
   * How long a recorded event may wait in this process before it is written, in milliseconds.
   * A batch of 100 is written at once; a write that failed is retried after this long.
   * @default 500
   */
  readonly flushIntervalMs?: number;
  /**
   * How many events wait in this process at most while Redis cannot be written; past it the
   * oldest are dropped and counted in `dropped`.
   * @default 10000
   */
  readonly maxBuffered?: number;
}

const OPTIONS = new Set(["prefix", "maxLength", "flushIntervalMs", "maxBuffered"]);
/** Buffered events that trigger a write before the timer. */
const BATCH_SIZE = 100;
/** XADDs in one pipeline. */
const PIPELINE_SIZE = 1000;
/** The most entries one `list` call reads, whatever its filters: 10 × limit, at least 1000. */
const scanBudget = (limit: number) => Math.max(1000, 10 * limit);
/**
 * How far the application's clock may run ahead of Redis's: an event's stream id (Redis time,
 * taken when it is written) is never older than its `at` minus this, so `since` can bound the scan.
 */
const CLOCK_SLACK_MS = 10 * 60 * 1000;

/** Stream entry fields; one place so the reader and the writer agree. */
const F = {
  at: "at",
  action: "action",
  outcome: "outcome",
  code: "code",
  keyId: "key",
  userId: "user",
  owner: "owner",
  targetId: "target",
  ip: "ip",
  userAgent: "ua",
  method: "method",
  route: "route",
} as const satisfies Record<keyof AuditEvent, string>;

const FIELD_NAMES = new Map(Object.entries(F).map(([name, field]) => [field as string, name as keyof AuditEvent]));

/**
 * The access log in one capped Redis stream (`<prefix>audit`), through ioredis, on a single node
 * or a Cluster (every command names that one key, so one pipeline targets one slot).
 *
 * `record` never waits on Redis: events are buffered, then written by a pipeline of
 * `XADD MAXLEN ~ maxLength *` when 100 are waiting or after `flushIntervalMs`. While Redis is down
 * they stay buffered and are retried, up to `maxBuffered`; beyond that the oldest are dropped and
 * counted. A write whose reply was lost may be retried, so an event can, rarely, appear twice.
 *
 * `list` reads the stream newest first with XREVRANGE (its exclusive `(` bounds need Redis 6.2)
 * and applies the filters in this process. Filtering by key, user, owner, outcome, action or
 * `until` therefore scans the stream: one call reads at most 10 × limit entries (at least 1000),
 * so its cost is bounded, and answers a `next` to continue from where it stopped, which may follow
 * a short or empty page. `since` also bounds the scan, so a recent window ends quickly. Entries are
 * ordered by when Redis wrote them, which may differ slightly from their `at`.
 *
 * @example
 * const audit = new RedisAuditSink(new Redis(process.env.REDIS_URL!), { maxLength: 1_000_000 });
 */
export class RedisAuditSink implements AuditSink {
  readonly keys: RedisKeys;
  readonly maxLength: number;
  readonly #redis: RedisClient;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  /** Oldest first. */
  #buffer: AuditEvent[] = [];
  #writing: Promise<void> | undefined;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #dropped = 0;

  constructor(redis: RedisClient, options: Readonly<RedisAuditSinkOptions> = {}) {
    if (!redis || typeof (redis as { xrevrange?: unknown }).xrevrange !== "function" || typeof redis.pipeline !== "function") {
      throw configError("RedisAuditSink", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    assertKnownOptions("RedisAuditSink", options, OPTIONS);
    const { prefix = DEFAULT_REDIS_PREFIX, maxLength = 100_000, flushIntervalMs = 500, maxBuffered = 10_000 } = options ?? {};
    if (typeof prefix !== "string") throw configError("RedisAuditSink", `"prefix" must be a string`);
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw configError("RedisAuditSink", `"maxLength" must be a whole number of events, at least 1`);
    }
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 1) {
      throw configError("RedisAuditSink", `"flushIntervalMs" must be a number of milliseconds, at least 1`);
    }
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw configError("RedisAuditSink", `"maxBuffered" must be a whole number of events, at least 1`);
    }
    this.#redis = redis;
    this.keys = new RedisKeys(prefix);
    this.maxLength = maxLength;
    this.#flushIntervalMs = flushIntervalMs;
    this.#maxBuffered = maxBuffered;
  }

  /** Events lost: malformed, recorded after `close()`, or dropped from a full buffer. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting in this process to be written. */
  get pending(): number {
    return this.#buffer.length;
  }

  record(event: AuditEvent): void {
    try {
      const clean = this.#closed ? undefined : sanitizeAuditEvent(event);
      if (!clean) {
        this.#dropped += 1;
        return;
      }
      this.#buffer.push(clean);
      this.#trim();
      if (this.#buffer.length >= BATCH_SIZE && !this.#writing && !this.#failing) this.#flushQuietly();
      else this.#schedule();
    } catch {
      this.#dropped += 1;
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    assertAuditLimit("RedisAuditSink", query?.limit);
    const { limit, before, since } = query;
    let end = "+";
    if (before !== undefined) {
      const id = parseAuditId(before);
      if (!id || (id[0] === 0 && id[1] === 0)) return { events: [] };
      end = `(${id[0]}-${id[1]}`;
    }
    const start = typeof since === "number" && since > CLOCK_SLACK_MS ? String(Math.floor(since - CLOCK_SLACK_MS)) : "-";
    const budget = scanBudget(limit);
    const events: StoredAuditEvent[] = [];
    let scanned = 0;
    let batch = Math.max(2 * limit, 50);
    for (;;) {
      const count = Math.min(batch, budget - scanned);
      const entries = await this.#redis.xrevrange(this.keys.auditStream(), end, start, "COUNT", count);
      for (let i = 0; i < entries.length; i++) {
        const [id, fields] = entries[i]!;
        const event = fromEntry(id, fields);
        if (!event || !matchesAuditQuery(event, query)) continue;
        if (events.length === limit) return { events, next: events[limit - 1]!.id };
        events.push(event);
      }
      scanned += entries.length;
      if (entries.length < count) return { events }; // the stream (or the `since` window) ends here
      const last = entries[entries.length - 1]![0];
      if (scanned >= budget) return { events, next: last };
      end = `(${last}`;
      batch = Math.min(batch * 2, 500);
    }
  }

  /** Writes every buffered event; rejects if Redis refused them (they stay buffered for a retry). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#writing) {
        await this.#writing.catch(() => {});
        continue;
      }
      if (this.#buffer.length === 0) return;
      await this.#write();
    }
  }

  /** Stops the timer and writes what is left; rejects, keeping them counted in `pending`, if it cannot. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #write(): Promise<void> {
    const batch = this.#buffer.splice(0, PIPELINE_SIZE);
    const writing = this.#send(batch).finally(() => {
      this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }

  async #send(batch: AuditEvent[]): Promise<void> {
    let results: [Error | null, unknown][] | null;
    try {
      const pipeline = this.#redis.pipeline();
      const key = this.keys.auditStream();
      for (const event of batch) pipeline.xadd(key, "MAXLEN", "~", this.maxLength, "*", ...toFields(event));
      results = await pipeline.exec();
    } catch (error) {
      this.#requeue(batch);
      throw error;
    }
    const failed = batch.filter((_, i) => !results || results[i]?.[0]);
    if (failed.length > 0) {
      this.#requeue(failed);
      throw results?.find(([error]) => error)?.[0] ?? new Error("RedisAuditSink: the pipeline was not executed");
    }
    this.#failing = false;
  }

  /** Puts events that could not be written back in front of the newer ones, oldest first. */
  #requeue(events: AuditEvent[]): void {
    this.#failing = true;
    this.#buffer = events.concat(this.#buffer);
    this.#trim();
  }

  #trim(): void {
    const excess = this.#buffer.length - this.#maxBuffered;
    if (excess > 0) {
      this.#buffer.splice(0, excess);
      this.#dropped += excess;
    }
  }

  #flushQuietly(): void {
    void this.flush()
      .catch(() => {}) // counted nowhere else: the events are still buffered, and the timer retries
      .then(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#buffer.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushQuietly();
    }, this.#flushIntervalMs);
    this.#timer.unref();
  }
}

function toFields(event: AuditEvent): (string | number)[] {
  const out: (string | number)[] = [];
  for (const [name, field] of Object.entries(F) as [keyof AuditEvent, string][]) {
    const value = event[name];
    if (value !== undefined) out.push(field, value);
  }
  return out;
}

/** An entry read back, passed through the same sanitizer (an entry written by anyone else is checked too). */
function fromEntry(id: string, fields: string[]): StoredAuditEvent | undefined {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = FIELD_NAMES.get(fields[i]!);
    if (name) raw[name] = name === "at" ? Number(fields[i + 1]) : fields[i + 1];
  }
  if (typeof raw.at !== "number" || !Number.isFinite(raw.at)) return undefined;
  const event = sanitizeAuditEvent(raw);
  return event && { id, ...event };
}
