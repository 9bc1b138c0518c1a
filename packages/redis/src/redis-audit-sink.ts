import {
  type AuditEvent,
  type AuditPage,
  type AuditQuery,
  type AuditRetentionOptions,
  type AuditSink,
  type StoredAuditEvent,
  DEFAULT_PREFIX,
} from "@portcullis/core";
import {
  assertAuditQuery,
  AuditBuffer,
  configError,
  matchesAuditQuery,
  parseAuditId,
  auditRetentionOptions,
  REPLACED_AUDIT_RETENTION_OPTIONS,
  resolveOptions,
  sanitizeAuditEvent,
  wholeNumber,
  type AuditRetention,
} from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisAuditSinkOptions extends AuditRetentionOptions {
  /**
   * Starts every Redis key, so several apps can share one Redis.
   * @default "portcullis:"
   */
  readonly prefix?: string;
  /**
   * How long a recorded event may wait in this process before it is written, in milliseconds.
   * A batch of 100 is written at once; a write that failed is retried after this long.
   * @default 500
   */
  readonly flushIntervalMs?: number;
  /**
   * How many owners' events, and apart from them how many events of no owner, wait in this
   * process at most while Redis cannot be written; past it the oldest of that kind are dropped
   * and counted in `dropped`, so a flood of junk never pushes out an owner's waiting events.
   * @default 10000
   */
  readonly maxBuffered?: number;
}

const FLUSH_RULE = "must be a number of milliseconds, at least 1";

/** The adapter's own options and the retention options shared with the other audit sinks, checked, with their defaults. */
const redisAuditSinkOptions = z.strictObject({
  prefix: z.string().default(DEFAULT_PREFIX),
  flushIntervalMs: z.number({ error: FLUSH_RULE }).min(1, { error: FLUSH_RULE }).default(500),
  maxBuffered: wholeNumber(1, undefined, "events").default(10_000),
  ...auditRetentionOptions,
});
/** The most entries one `list` call reads, whatever its filters: 10 × limit, at least 1000. */
const scanBudget = (limit: number) => Math.max(1000, 10 * limit);
/**
 * How far the clocks of the processes writing the log may disagree: an event's stream id (the
 * writer's clock when it is written) is never older than its `at` minus this, so `since` can
 * bound the scan.
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
 * Writes a batch of events in one call. KEYS: the overview, the stream of no owner, then each
 * owner's stream. ARGV: the caps (overview, no owner, per owner), the oldest id to keep (ms), the
 * streams' time to live (ms), the writer's clock (ms), then per event the index of its stream in
 * KEYS, its field count and its fields. An owner's event goes to the overview first and to its
 * owner's stream under the same id; ids follow the writer's clock (`<ms>-*`), or Redis's (`*`) if
 * the stream is already past it or the server is older than 7.0. Answers how many events could not
 * be written (a key of the wrong type).
 */
const WRITE = `
local function add(key, cap, ids, first, last)
  for _, id in ipairs(ids) do
    local reply = redis.pcall('XADD', key, 'MAXLEN', '~', cap, id, unpack(ARGV, first, last))
    if type(reply) == 'string' then return reply end
  end
  return false
end
local clockId = ARGV[6] .. '-*'
local touched = {}
local lost = 0
local i = 7
while i <= #ARGV do
  local k = tonumber(ARGV[i])
  local first, last = i + 2, i + 1 + tonumber(ARGV[i + 1])
  local id
  if k == 2 then
    id = add(KEYS[2], ARGV[2], {clockId, '*'}, first, last)
  else
    local shared = add(KEYS[1], ARGV[1], {clockId, '*'}, first, last)
    if shared then touched[1] = true end
    id = add(KEYS[k], ARGV[3], shared and {shared, clockId, '*'} or {clockId, '*'}, first, last)
  end
  if id then touched[k] = true else lost = lost + 1 end
  i = last + 1
end
for k in pairs(touched) do
  redis.pcall('XTRIM', KEYS[k], 'MINID', ARGV[4])
  redis.pcall('PEXPIRE', KEYS[k], ARGV[5])
end
return lost
`;

/**
 * The access log in Redis streams, through ioredis, on a single node or a Cluster: one stream per
 * owner, one for the events of no owner (refused unknown keys, failed logins) and an overview of
 * every owner's events, each capped by count (`XADD MAXLEN ~`, which Redis applies in whole nodes,
 * so a stream may hold up to `stream-node-max-entries`, 100 by default, more) and by age (`XTRIM
 * MINID`, and a time to live of `maxAgeMs` after the last write). A flood of junk keys only ever
 * trims the stream of no owner, and one owner's requests only their own stream and the overview.
 * All the streams share the hash tag `{audit}`, so a batch is written to one Cluster slot.
 *
 * `record` never waits on Redis: events are buffered, then written by one script call per 500
 * when 100 are waiting or after `flushIntervalMs`. While Redis is down they stay buffered and are
 * retried, up to `maxBuffered` of owners' events and as many of no owner; beyond that the oldest
 * of that kind are dropped and counted. A write whose reply was lost may be retried, so an event
 * can, rarely, appear twice.
 *
 * `list` reads one stream newest first with XREVRANGE (its exclusive `(` bounds need Redis 6.2):
 * the owner's for `owner`, the stream of no owner for `unowned`, else the overview; and applies
 * the other filters in this process. Filtering by key, user, outcome, action or `until` therefore
 * scans the stream: one call reads at most 10 × limit entries (at least 1000), so its cost is
 * bounded, and answers a `next` to continue from where it stopped, which may follow a short or
 * empty page. `since` and `maxAgeMs` also bound the scan. Stream ids follow the writing process's
 * clock when the batch is written (on Redis 7.0 or later), which may differ slightly from `at`.
 *
 * @example
 * const audit = new RedisAuditSink(new Redis(process.env.REDIS_URL!), { maxEventsPerOwner: 50_000 });
 */
export class RedisAuditSink implements AuditSink {
  readonly keys: RedisKeys;
  readonly retention: AuditRetention;
  readonly #redis: RedisClient;
  readonly #buffer: AuditBuffer<AuditEvent>;

  constructor(redis: RedisClient, options: Readonly<RedisAuditSinkOptions> = {}) {
    if (!redis || typeof (redis as { xrevrange?: unknown }).xrevrange !== "function" || typeof redis.eval !== "function") {
      throw configError("RedisAuditSink", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix, flushIntervalMs, maxBuffered, ...retention } = resolveOptions(
      "RedisAuditSink",
      redisAuditSinkOptions,
      options ?? {},
      REPLACED_AUDIT_RETENTION_OPTIONS,
    );
    this.retention = retention;
    this.#redis = redis;
    this.keys = new RedisKeys(prefix);
    this.#buffer = new AuditBuffer((owned, unowned) => this.#write(owned, unowned), { flushIntervalMs, maxBuffered });
  }

  /** Events lost: malformed, recorded after `close()`, dropped from a full buffer, or refused by Redis. */
  get dropped(): number {
    return this.#buffer.dropped;
  }

  /** Events waiting in this process to be written. */
  get pending(): number {
    return this.#buffer.pending;
  }

  record(event: AuditEvent): void {
    try {
      const clean = sanitizeAuditEvent(event, this.retention.now());
      if (!clean) {
        this.#buffer.drop();
        return;
      }
      this.#buffer.add(clean, clean.owner !== undefined);
    } catch {
      this.#buffer.drop();
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    assertAuditQuery("RedisAuditSink", query);
    const { limit, before, since } = query;
    let end = "+";
    if (before !== undefined) {
      const id = parseAuditId(before);
      if (!id || (id[0] === 0 && id[1] === 0)) return { events: [] };
      end = `(${id[0]}-${id[1]}`;
    }
    const key =
      query.unowned === true ? this.keys.auditUnowned() : query.owner === undefined ? this.keys.auditOverview() : this.keys.auditOwner(query.owner);
    const oldest = Math.max(
      0,
      Math.floor(this.retention.now() - this.retention.maxAgeMs),
      typeof since === "number" ? Math.floor(since - CLOCK_SLACK_MS) : 0,
    );
    const start = oldest > 0 ? String(oldest) : "-";
    const budget = scanBudget(limit);
    const events: StoredAuditEvent[] = [];
    let scanned = 0;
    let batch = Math.max(2 * limit, 50);
    for (;;) {
      const count = Math.min(batch, budget - scanned);
      const entries = await this.#redis.xrevrange(key, end, start, "COUNT", count);
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

  /** Writes every event recorded before the call; rejects if Redis refused them (they stay buffered for a retry). */
  flush(): Promise<void> {
    return this.#buffer.flush();
  }

  /** Stops the timer and writes what is left; rejects, keeping them counted in `pending`, if it cannot. */
  close(): Promise<void> {
    return this.#buffer.close();
  }

  /** One script call for a batch of events. */
  async #write(owned: readonly AuditEvent[], unowned: readonly AuditEvent[]): Promise<void> {
    const { maxOverviewEvents, maxUnownedEvents, maxEventsPerOwner, maxAgeMs } = this.retention;
    const now = Math.floor(this.retention.now());
    const keys = [this.keys.auditOverview(), this.keys.auditUnowned()];
    const streamOf = new Map<string, number>();
    const args: (string | number)[] = [maxOverviewEvents, maxUnownedEvents, maxEventsPerOwner, Math.max(0, now - maxAgeMs), maxAgeMs, now];
    for (const event of owned) {
      let index = streamOf.get(event.owner!);
      if (index === undefined) streamOf.set(event.owner!, (index = keys.push(this.keys.auditOwner(event.owner!))));
      const fields = toFields(event);
      args.push(index, fields.length, ...fields);
    }
    for (const event of unowned) {
      const fields = toFields(event);
      args.push(2, fields.length, ...fields);
    }
    const lost = Number(await this.#redis.eval(WRITE, keys.length, ...keys, ...args));
    if (lost > 0) this.#buffer.drop(lost);
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
