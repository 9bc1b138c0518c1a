import { configError } from "./errors";
import { assertKnownOptions } from "./options";

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

/** The option names of `AuditRetentionOptions`, for an adapter's list of known options. */
export const AUDIT_RETENTION_OPTIONS = ["maxEventsPerOwner", "maxUnownedEvents", "maxOverviewEvents", "maxAgeMs", "now"] as const;

/** Options of one global log, before each owner had a log of its own. */
const REPLACED = ["capacity", "maxLength"];

/**
 * Checks an adapter's options (its own names in `known`, besides the retention options) and
 * resolves the retention ones, throwing a configuration error that names the adapter.
 *
 * @example
 * const retention = resolveAuditRetention("MyAuditSink", options, ["prefix"]);
 */
export function resolveAuditRetention(
  adapter: string,
  options: Readonly<AuditRetentionOptions> | undefined,
  known: Iterable<string> = [],
): AuditRetention {
  for (const name of REPLACED) {
    if (options && Object.hasOwn(options, name)) {
      throw configError(adapter, `"${name}" is gone: each owner's log is capped by "maxEventsPerOwner", the events of no owner by "maxUnownedEvents", the overview by "maxOverviewEvents"`);
    }
  }
  assertKnownOptions(adapter, options, [...known, ...AUDIT_RETENTION_OPTIONS]);
  const {
    maxEventsPerOwner = 10_000,
    maxUnownedEvents = 10_000,
    maxOverviewEvents = 100_000,
    maxAgeMs = 90 * 86_400_000,
    now = Date.now,
  } = options ?? {};
  const counts = { maxEventsPerOwner, maxUnownedEvents, maxOverviewEvents };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1 || value > 100_000_000) {
      throw configError(adapter, `"${name}" must be a whole number of events from 1 to 100000000, got ${String(value)}`);
    }
  }
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 1) {
    throw configError(adapter, `"maxAgeMs" must be a whole number of milliseconds, at least 1, got ${String(maxAgeMs)}`);
  }
  if (typeof now !== "function") throw configError(adapter, `"now" must be a function returning milliseconds`);
  return { maxEventsPerOwner, maxUnownedEvents, maxOverviewEvents, maxAgeMs, now };
}
