import type { Request } from "express";

/**
 * Everything the access log records: each authentication attempt and each management action.
 *
 * @example
 * const auditQuery = z.object({ action: z.enum(AUDIT_ACTIONS).optional() }); // an admin route's filter
 */
export const AUDIT_ACTIONS = [
  "api_key.authenticate",
  "session.authenticate",
  "session.login",
  "session.logout",
  "session.reauthenticate",
  "session.revoke",
  "session.revoke_others",
  "password.change",
  "password.reset",
  "email.change",
  "user.sign_up",
  "user.invite",
  "mfa.enable",
  "mfa.disable",
  "mfa.recovery_codes",
  "identity.link",
  "identity.unlink",
  "api_key.create",
  "api_key.revoke",
  "api_key.rotate",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = "success" | "failure";

/**
 * One line of the access log. It names who and what (ids, never a secret), where from and when;
 * `sanitizeAuditEvent` enforces that before any adapter stores it.
 */
export interface AuditEvent {
  /** When it happened, in milliseconds since the epoch. */
  readonly at: number;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** The `PortcullisError` code of a failure, such as `revoked_key`. */
  readonly code?: string;
  /** The API key that authenticated or tried to (its id, never the key). */
  readonly keyId?: string;
  /** The signed-in user (or the user a login named, once found). */
  readonly userId?: string;
  /** The owner of the key involved. */
  readonly owner?: string;
  /**
   * The key or session acted on by a management action; for a sign-in through a provider, and an
   * identity linked or unlinked, the provider's id.
   */
  readonly targetId?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly method?: string;
  /** The route, without its query string. */
  readonly route?: string;
}

/**
 * An event as a sink stored it. `id` is `<ms>-…`, the time the sink recorded it then a part that
 * tells events apart, and is opaque: pass it back as a cursor, never compare or parse it. The
 * stream id in Redis, a per-millisecond counter in memory, a sealed sequence number in PostgreSQL.
 * It is the cursor for `AuditQuery.before`.
 */
export interface StoredAuditEvent extends AuditEvent {
  readonly id: string;
}

/** The filters and the page every listing takes. */
interface AuditQueryBase {
  /** Page size, 1 to 100. */
  readonly limit: number;
  /** The `next` of the previous page: only events strictly older than this id. */
  readonly before?: string;
  readonly keyId?: string;
  readonly userId?: string;
  readonly outcome?: AuditOutcome;
  readonly action?: AuditAction;
  /** Only events with `at` at or after this time (ms). */
  readonly since?: number;
  /** Only events with `at` at or before this time (ms). */
  readonly until?: number;
}

/**
 * Owners' events: one owner's (read from that owner's own log, so other owners never crowd it),
 * or without `owner` the overview of every owner's events together.
 */
export interface OwnedAuditQuery extends AuditQueryBase {
  readonly owner?: string;
  readonly unowned?: false;
}

/**
 * The events that belong to no owner: a refused key that matched no stored key, a login that
 * named no account or the wrong password. They are kept apart, in a smaller log of their own.
 */
export interface UnownedAuditQuery extends AuditQueryBase {
  readonly unowned: true;
  readonly owner?: undefined;
}

/** Which events to list: an owner's, every owner's (the overview), or those of no owner. */
export type AuditQuery = OwnedAuditQuery | UnownedAuditQuery;

export interface AuditPage {
  /** Newest first. A filtered page may hold fewer than `limit` events and still have a `next`. */
  readonly events: readonly StoredAuditEvent[];
  /** Pass back as `before` for the next page; absent once the log has been read to its end. */
  readonly next?: string;
}

/**
 * What a middleware needs to write the log: `record` returns at once and never throws. The
 * logger hook (`loggerAuditSink`) is only this; a middleware should accept this narrower type.
 */
export interface AuditRecorder {
  /**
   * Notes an event. Fire-and-forget: it never throws and never waits on I/O; adapters sanitize,
   * buffer and write in the background, and count what they could not keep.
   */
  record(event: AuditEvent): void;
  /** Writes buffered events now; rejects if they could not be written (they stay buffered). */
  flush(): Promise<void>;
  /** Flushes and stops any timer; the sink is not used afterwards. */
  close(): Promise<void>;
}

/**
 * The access log port: recorded through `record`, read back newest first by an admin route.
 * Each owner's events are kept apart from every other owner's and from the events of no owner
 * (refused unknown keys, failed logins), each log capped by count and by age, so nobody can push
 * an owner's history out but that owner's own requests. Implemented by `MemoryAuditSink` (rings)
 * and `RedisAuditSink` (capped streams), and checked by one contract suite that runs against both.
 *
 * @example
 * sink.record({ at: Date.now(), action: "api_key.revoke", outcome: "success", userId, owner, targetId });
 * const page = await sink.list({ limit: 50, owner, outcome: "failure" });
 * const junk = await sink.list({ limit: 50, unowned: true });
 */
export interface AuditSink extends AuditRecorder {
  /**
   * One page of events matching every filter given, newest first, none older than the sink's
   * `maxAgeMs`. Rejects with a RangeError if `limit` is not 1 to 100 or if the query names an
   * owner and asks for the events of no owner at once.
   */
  list(query: AuditQuery): Promise<AuditPage>;
}

const STRING_FIELDS = ["code", "keyId", "userId", "owner", "targetId", "ip", "userAgent", "method", "route"] as const;
const MAX_LENGTH: Readonly<Record<(typeof STRING_FIELDS)[number], number>> = {
  code: 200,
  keyId: 200,
  userId: 200,
  owner: 200,
  targetId: 200,
  ip: 200,
  userAgent: 256,
  method: 200,
  route: 200,
};
/** Longer than any key (a 32-character prefix and 38 characters), so a key cut by truncation is still seen. */
const SCAN_MARGIN = 80;
/** A portcullis-shaped key: a prefix ending in `_`, `.` or `-`, then 38 base62 characters. */
const KEY_SHAPE = /[A-Za-z][A-Za-z0-9_.-]{0,30}[_.-][0-9A-Za-z]{38}/;
/** An Authorization header value. */
const AUTH_SCHEME = /\b(?:bearer|basic)\s+\S/i;
const CONTROL = /[\u0000-\u001f\u007f]/g;
const ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

/**
 * The one gate every adapter passes an event through before storing it: keeps the known fields
 * only, drops any string that looks like a credential (a full key, `Bearer …`), strips the query
 * string from `route`, replaces control characters and truncates (user agent 256, others 200).
 * Answers undefined for something that is not an event (no object, unknown action or outcome);
 * a missing or invalid `at` becomes `now`. Pure: it never throws on any input.
 *
 * @example
 * sanitizeAuditEvent({ at, action: "api_key.authenticate", outcome: "failure", route: "/x?key=…" });
 * // → { at, action: "api_key.authenticate", outcome: "failure", route: "/x" }
 */
export function sanitizeAuditEvent(event: unknown, now: number = Date.now()): AuditEvent | undefined {
  try {
    if (typeof event !== "object" || event === null) return undefined;
    const input = event as Record<string, unknown>;
    const { action, outcome, at } = input;
    if (typeof action !== "string" || !ACTIONS.has(action)) return undefined;
    if (outcome !== "success" && outcome !== "failure") return undefined;
    const out: Record<string, unknown> = {
      at: typeof at === "number" && Number.isFinite(at) && at >= 0 ? Math.floor(at) : Number.isFinite(now) ? Math.floor(now) : Date.now(),
      action,
      outcome,
    };
    for (const field of STRING_FIELDS) {
      const value = input[field];
      if (typeof value !== "string") continue;
      const clean = cleanString(field === "route" ? value.replace(/[?#][\s\S]*$/, "") : value, MAX_LENGTH[field]);
      if (clean !== undefined) out[field] = clean;
    }
    return out as unknown as AuditEvent;
  } catch {
    return undefined; // a getter that throws, a revoked proxy: not an event
  }
}

function cleanString(value: string, max: number): string | undefined {
  const scanned = value.slice(0, max + SCAN_MARGIN);
  if (KEY_SHAPE.test(scanned) || AUTH_SCHEME.test(scanned)) return undefined;
  let clean = scanned.replace(CONTROL, " ").slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(clean)) clean = clean.slice(0, -1); // never half a surrogate pair
  return clean === "" ? undefined : clean;
}

/**
 * True when the event passes every filter of the query (the page and cursor aside); adapters
 * that cannot filter in their store filter with this.
 *
 * @example
 * matchesAuditQuery(event, { limit: 10, outcome: "failure", since: Date.now() - 3_600_000 });
 */
export function matchesAuditQuery(event: AuditEvent, query: AuditQuery): boolean {
  return (
    (query.keyId === undefined || event.keyId === query.keyId) &&
    (query.userId === undefined || event.userId === query.userId) &&
    (query.unowned === true ? event.owner === undefined : query.owner === undefined || event.owner === query.owner) &&
    (query.outcome === undefined || event.outcome === query.outcome) &&
    (query.action === undefined || event.action === query.action) &&
    (query.since === undefined || event.at >= query.since) &&
    (query.until === undefined || event.at <= query.until)
  );
}

/**
 * The two numbers of an event id `<ms>-<seq>`, or undefined if it is not one.
 *
 * @example
 * parseAuditId("1700000000000-3"); // [1700000000000, 3]
 */
export function parseAuditId(id: unknown): readonly [ms: number, seq: number] | undefined {
  if (typeof id !== "string") return undefined;
  const match = /^(\d{1,16})-(\d{1,16})$/.exec(id);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * Refuses a query an adapter cannot answer with a RangeError naming it: a page size outside 1 to
 * 100, or an `owner` together with `unowned`.
 *
 * @example
 * assertAuditQuery("MyAuditSink", query);
 */
export function assertAuditQuery(adapter: string, query: AuditQuery): void {
  assertAuditLimit(adapter, query?.limit);
  if (query.unowned === true && query.owner !== undefined) {
    throw new RangeError(`${adapter}.list: pass "owner" or "unowned", not both`);
  }
}

/**
 * Refuses a page size outside 1 to 100 with a RangeError naming the adapter.
 *
 * @example
 * assertAuditLimit("MyAuditSink", query.limit);
 */
export function assertAuditLimit(adapter: string, limit: unknown): void {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new RangeError(`${adapter}.list: "limit" must be an integer from 1 to 100, got ${String(limit)}`);
  }
}

/** The fields of an event a middleware knows; the request supplies the rest. */
export type AuditEventInit = Pick<AuditEvent, "action" | "outcome"> & Partial<Omit<AuditEvent, "action" | "outcome">>;

/**
 * An event with the request's facts filled in: `ip` (`req.ip`, so the host's `trust proxy`
 * applies), user agent, method and route (`baseUrl` plus the matched route's path, or the path;
 * never `originalUrl`, whose query string may carry a secret). `at` defaults to now; fields in
 * `init` win.
 *
 * @example
 * audit.record(auditEventFromRequest(req, { action: "session.login", outcome: "success", userId }));
 */
export function auditEventFromRequest(req: Request, init: AuditEventInit): AuditEvent {
  const routePath = (req.route as { path?: unknown } | undefined)?.path;
  const userAgent = req.headers?.["user-agent"];
  const fromRequest: Partial<AuditEvent> = {
    ip: req.ip,
    userAgent: typeof userAgent === "string" ? userAgent : undefined,
    method: req.method,
    route: (req.baseUrl ?? "") + (typeof routePath === "string" ? routePath : (req.path ?? "")),
  };
  const event: Record<string, unknown> = { at: Date.now() };
  for (const [field, value] of [...Object.entries(fromRequest), ...Object.entries(init)]) {
    if (value !== undefined) event[field] = value;
  }
  return event as unknown as AuditEvent;
}
