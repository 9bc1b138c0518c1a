import type { ApiKeyRecord, KeyBudget, StoredApiKey } from "./key-record";

/** The fields a lifecycle operation may change on an existing key. */
export type KeyRecordPatch = Partial<
  Pick<ApiKeyRecord, "revokedAt" | "expiresAt" | "rotatedTo" | "revokedWith" | "cascadedAt" | "replacedBy" | "replaces">
>;

/**
 * Where a key stands among the keys that made it: what `reparent` sets. An absent `createdBy` or
 * `createdUnder` is cleared (the key then answers to no key); `countsUnder` replaces the old list.
 */
export interface KeyParent {
  readonly createdBy?: string;
  readonly createdUnder?: string;
  readonly countsUnder: readonly KeyBudget[];
}

export interface UpdateOptions {
  /**
   * Apply the patch only if all these fields are unset, checked in the same atomic step as the
   * write: a revoked key cannot be rotated, nor a key rotated twice, however requests interleave.
   */
  readonly onlyIfUnset?: readonly ("revokedAt" | "rotatedTo")[];
  /**
   * Apply the patch only if the record's `createdUnder` is this chain, checked in the same step:
   * an index entry left behind by a key that moved (`reparent`) never revokes it.
   */
  readonly onlyIfCreatedUnder?: string;
  /** Fields to delete, in the same step as the patch (undoing a rotation's claim). */
  readonly unset?: readonly ("rotatedTo" | "expiresAt")[];
}

/** Whether an update was applied, and the record as it stands afterwards (undefined if none). */
export type UpdateOutcome =
  | { readonly applied: true; readonly record: StoredApiKey }
  | { readonly applied: false; readonly record: StoredApiKey | undefined };

/** Requests on one UTC day. */
export interface DailyUsage {
  /** `YYYY-MM-DD`, UTC. */
  readonly date: string;
  readonly requests: number;
}

export interface UsageQuery {
  /** The last this many days, today included (1 to 90). */
  readonly days: number;
  /** One key's requests; otherwise the owner's across all its keys. */
  readonly keyId?: string;
  /** "Today", in milliseconds since the epoch. */
  readonly now: number;
}

export interface KeyPage {
  readonly records: readonly StoredApiKey[];
  /** Pass back as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface ListOptions {
  /** Page size, 1 to 100. */
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly after?: string;
  /** Only the keys bound to this app (from an index of its own, so pages stay full). */
  readonly app?: string;
}

/** Hears of changes to stored keys, so that caches of verified keys drop what changed. */
export interface KeyChangeListener {
  /** The key with this digest was changed (revoked, rotated, its expiry moved) or removed. */
  changed(digest: string): void;
  /**
   * Changes may have gone unheard: the feed has just (re)connected after being down. Everything
   * learnt before now is suspect.
   */
  lost(): void;
}

/** A subscription to a store's changes; `close()` ends it. */
export interface KeyWatch {
  close(): void;
}

/**
 * Where API-key records live. Implemented by `MemoryKeyStore` (the zero-setup default) and
 * `RedisKeyStore`, and checked by one contract suite that runs against both.
 *
 * Stores hold records and digests only; they never see a key. A record's `id` is always
 * `keyIdOf(record.digest)` (`ApiKeys` makes it so), so a store may find a record by digest through
 * its id, with no index of its own.
 */
export interface KeyStore {
  /**
   * Adds a new record. Fails if its id already exists. Every field must read back as written
   * (`lineage`, `rateLimit`, `countsUnder` included): `describeKeyStoreContract` in
   * @portcullis/testing checks it. A record with `createdUnder` is indexed for `listCreatedUnder`
   * before it is stored.
   */
  insert(record: StoredApiKey): Promise<void>;
  /**
   * The ids of the keys made by a key of this rotation chain (records whose `createdUnder` is
   * `lineage`), in any order. `insert` indexes a record here before storing it, so whoever reads
   * this after a creator was revoked sees every child whose creation could still succeed.
   */
  listCreatedUnder(lineage: string): Promise<string[]>;
  /** The record stored under this digest: the only lookup on the request path. */
  findByDigest(digest: string): Promise<StoredApiKey | undefined>;
  findById(id: string): Promise<StoredApiKey | undefined>;
  /**
   * One owner's keys (or one owner's keys bound to one app), newest first, in pages; the cost
   * depends on the page, not the store size. An unknown `after` gives an empty page.
   */
  listByOwner(owner: string, options: ListOptions): Promise<KeyPage>;
  /** Applies the patch atomically, if the record exists and the condition holds. */
  update(id: string, patch: KeyRecordPatch, options?: UpdateOptions): Promise<UpdateOutcome>;
  /**
   * Moves a key under another maker (or none): sets `createdBy`, `createdUnder` and `countsUnder`
   * as given, clearing the absent ones, and moves its `listCreatedUnder` entry, the new one
   * written before the old one goes. Announced like any change. Answers the record afterwards,
   * or undefined for an unknown id.
   */
  reparent(id: string, parent: KeyParent): Promise<StoredApiKey | undefined>;
  /**
   * Deletes a record that was never handed out (a rotation that lost a race). Revoked keys are
   * kept, not removed, so they keep answering `revoked_key`.
   */
  remove(id: string): Promise<void>;
  /**
   * Notes one use of a key: its count and last-used time, and the day's count for the key and its
   * owner. Returns at once: adapters batch these off the request path, so verification costs no
   * extra round trip, and write them on `flush()`.
   */
  recordUse(record: StoredApiKey, at: number): void;
  /** Requests per day for an owner or one of its keys, oldest day first; days without use are 0. */
  usage(owner: string, query: UsageQuery): Promise<DailyUsage[]>;
  /**
   * Tells `listener` of every change to a key made through any store sharing this one's data (every
   * process on one Redis), soon after it is made, so `ApiKeys` can cache verified keys and still
   * refuse a revoked key at once. Optional: without it, a cached key is trusted until its cache
   * entry expires.
   */
  watch?(listener: KeyChangeListener): KeyWatch;
  /** Writes buffered usage now. */
  flush(): Promise<void>;
  /** Flushes and stops any timer; the store is not used afterwards. */
  close(): Promise<void>;
}

/** Daily usage is kept this long. */
export const USAGE_RETENTION_DAYS = 90;

/** The UTC day of an instant, as `YYYY-MM-DD`. */
export function utcDay(at: number): string {
  // Every verified request asks for today's date: remembering the last day instead of formatting
  // one saves about 12k of the 816k instructions of a request on api-key-cached, 1.5 % (BENCHMARKS.md).
  if (at >= lastDay.from && at < lastDay.from + DAY_MS) return lastDay.label;
  const label = new Date(at).toISOString().slice(0, 10);
  lastDay = { from: Date.parse(label), label };
  return label;
}

const DAY_MS = 86_400_000;
let lastDay = { from: Number.NaN, label: "" };

/** The last `days` UTC days up to the day of `now`, oldest first. */
export function lastDays(now: number, days: number): string[] {
  const out: string[] = [];
  for (let back = days - 1; back >= 0; back--) out.push(utcDay(now - back * 86_400_000));
  return out;
}
