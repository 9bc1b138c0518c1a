import { functionOption, wholeNumber } from "./option-schema";

/**
 * How long and how much of the access log a sink keeps. Every owner has a log of its own, capped
 * by count; the events of no owner (refused unknown keys, failed logins) have a smaller one of
 * their own, so a stranger's flood never evicts an owner's events; the overview of every owner's
 * events together is capped apart. Everything older than `maxAgeMs` is neither listed nor kept.
 * `MemoryAuditSink` and `RedisAuditSink` take the same options.
 *
 * @example
 * const audit = new RedisAuditSink(redis, { maxEventsPerOwner: 50_000, maxAgeMs: 30 * 86_400_000 });
 */
export interface AuditRetentionOptions {
  /**
   * About how many events each owner keeps (the newest); only that owner's own events evict them.
   * @default 10000
   */
  readonly maxEventsPerOwner?: number;
  /**
   * About how many events that belong to no owner are kept, all together (the newest).
   * @default 10000
   */
  readonly maxUnownedEvents?: number;
  /**
   * About how many events the overview of every owner's events keeps (the newest), for readers
   * allowed to see every owner; each owner's own log keeps its events whatever happens here.
   * @default 100000
   */
  readonly maxOverviewEvents?: number;
  /**
   * How long an event is kept, in milliseconds from when it was stored; older ones are no longer
   * listed and are removed.
   * @default 7776000000 (90 days)
   */
  readonly maxAgeMs?: number;
  /**
   * The clock for event ids and ages, in milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** The retention options, resolved and checked. */
export interface AuditRetention {
  readonly maxEventsPerOwner: number;
  readonly maxUnownedEvents: number;
  readonly maxOverviewEvents: number;
  readonly maxAgeMs: number;
  readonly now: () => number;
}

/**
 * The schemas of `AuditRetentionOptions`, with their defaults, for an adapter to spread into its
 * own strict object schema beside its own options.
 *
 * @example
 * const options = z.strictObject({ prefix: z.string().default(DEFAULT_PREFIX), ...auditRetentionOptions });
 * const { prefix, ...retention } = resolveOptions("MyAuditSink", options, given, REPLACED_AUDIT_RETENTION_OPTIONS);
 */
export const auditRetentionOptions = {
  maxEventsPerOwner: wholeNumber(1, 100_000_000, "events").default(10_000),
  maxUnownedEvents: wholeNumber(1, 100_000_000, "events").default(10_000),
  maxOverviewEvents: wholeNumber(1, 100_000_000, "events").default(100_000),
  maxAgeMs: wholeNumber(1, undefined, "milliseconds").default(90 * 86_400_000),
  now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
};

const PER_OWNER_LOGS = `"maxEventsPerOwner" (each owner's log), "maxUnownedEvents" (the events of no owner) and "maxOverviewEvents" (the overview)`;

/** Options of one global log, from before each owner had a log of its own, and what replaced them. */
export const REPLACED_AUDIT_RETENTION_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  capacity: PER_OWNER_LOGS,
  maxLength: PER_OWNER_LOGS,
});
