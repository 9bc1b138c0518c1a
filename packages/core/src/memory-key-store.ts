import type { StoredApiKey } from "./key-record";
import {
  lastDays,
  USAGE_RETENTION_DAYS,
  utcDay,
  type DailyUsage,
  type KeyChangeListener,
  type KeyPage,
  type KeyParent,
  type KeyRecordPatch,
  type KeyStore,
  type KeyWatch,
  type ListOptions,
  type UpdateOptions,
  type UpdateOutcome,
  type UsageQuery,
} from "./key-store";

const OWNER_TOTAL = "*";

/**
 * Keeps keys in this process: the zero-setup default for development, tests and single-process
 * apps. Everything is lost on restart, and processes do not share it: use `RedisKeyStore` then.
 */
export class MemoryKeyStore implements KeyStore {
  readonly #byId = new Map<string, StoredApiKey>();
  readonly #idByDigest = new Map<string, string>();
  /** Per owner, ids oldest first; listed in reverse. */
  readonly #idsByOwner = new Map<string, string[]>();
  /** owner → day → key id (or "*" for the owner's total) → requests. */
  readonly #daily = new Map<string, Map<string, Map<string, number>>>();
  readonly #watchers = new Set<KeyChangeListener>();
  /** A creator's rotation chain → the ids of the keys made under it. */
  readonly #createdUnder = new Map<string, Set<string>>();

  async insert(record: StoredApiKey): Promise<void> {
    if (this.#byId.has(record.id) || this.#idByDigest.has(record.digest)) {
      throw new Error(`MemoryKeyStore: a key with id ${record.id} or the same digest already exists`);
    }
    this.#byId.set(record.id, freeze(record));
    this.#idByDigest.set(record.digest, record.id);
    const ids = this.#idsByOwner.get(record.owner) ?? [];
    ids.push(record.id);
    this.#idsByOwner.set(record.owner, ids);
    if (record.createdUnder !== undefined) {
      const made = this.#createdUnder.get(record.createdUnder) ?? new Set<string>();
      this.#createdUnder.set(record.createdUnder, made.add(record.id));
    }
  }

  async listCreatedUnder(lineage: string): Promise<string[]> {
    return [...(this.#createdUnder.get(lineage) ?? [])];
  }

  async findByDigest(digest: string): Promise<StoredApiKey | undefined> {
    const id = this.#idByDigest.get(digest);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  async findById(id: string): Promise<StoredApiKey | undefined> {
    return this.#byId.get(id);
  }

  async listByOwner(owner: string, { limit, after, app }: ListOptions): Promise<KeyPage> {
    const all = this.#idsByOwner.get(owner) ?? [];
    const ids = app === undefined ? all : all.filter((id) => this.#byId.get(id)?.app === app);
    let end = ids.length;
    if (after !== undefined) {
      end = ids.lastIndexOf(after);
      if (end < 0) return { records: [] };
    }
    const start = Math.max(0, end - limit);
    const records = ids.slice(start, end).reverse().map((id) => this.#byId.get(id)!);
    return start > 0 ? { records, next: ids[start] } : { records };
  }

  async update(id: string, patch: KeyRecordPatch, options: UpdateOptions = {}): Promise<UpdateOutcome> {
    const current = this.#byId.get(id);
    if (!current) return { applied: false, record: undefined };
    if (options.onlyIfUnset?.some((field) => current[field] !== undefined)) return { applied: false, record: current };
    if (options.onlyIfCreatedUnder !== undefined && current.createdUnder !== options.onlyIfCreatedUnder) return { applied: false, record: current };
    const next: Record<string, unknown> = { ...current, ...definedOnly(patch) };
    for (const field of options.unset ?? []) delete next[field];
    this.#replace(current, freeze(next as unknown as StoredApiKey));
    return { applied: true, record: this.#byId.get(id)! };
  }

  async reparent(id: string, { createdBy, createdUnder, countsUnder }: KeyParent): Promise<StoredApiKey | undefined> {
    const current = this.#byId.get(id);
    if (!current) return undefined;
    const { createdBy: _b, createdUnder: _u, countsUnder: _c, ...rest } = current;
    const next = freeze({
      ...rest,
      ...(createdBy === undefined ? {} : { createdBy }),
      ...(createdUnder === undefined ? {} : { createdUnder }),
      ...(countsUnder.length === 0 ? {} : { countsUnder }),
    });
    if (createdUnder !== undefined) this.#createdUnder.set(createdUnder, (this.#createdUnder.get(createdUnder) ?? new Set<string>()).add(id));
    if (current.createdUnder !== undefined && current.createdUnder !== createdUnder) this.#createdUnder.get(current.createdUnder)?.delete(id);
    this.#replace(current, next);
    return next;
  }

  #replace(current: StoredApiKey, next: StoredApiKey): void {
    this.#byId.set(current.id, next);
    this.#changed(current.digest);
  }

  async remove(id: string): Promise<void> {
    const record = this.#byId.get(id);
    if (!record) return;
    this.#byId.delete(id);
    this.#idByDigest.delete(record.digest);
    const ids = this.#idsByOwner.get(record.owner) ?? [];
    ids.splice(ids.indexOf(id), 1);
    if (record.createdUnder !== undefined) this.#createdUnder.get(record.createdUnder)?.delete(id);
    this.#changed(record.digest);
  }

  /** Changes are heard at once: everything sharing this store runs in this process. */
  watch(listener: KeyChangeListener): KeyWatch {
    this.#watchers.add(listener);
    return { close: () => void this.#watchers.delete(listener) };
  }

  #changed(digest: string): void {
    for (const watcher of this.#watchers) watcher.changed(digest);
  }

  recordUse(record: StoredApiKey, at: number): void {
    const current = this.#byId.get(record.id);
    if (!current) return;
    const days = this.#daily.get(record.owner) ?? new Map<string, Map<string, number>>();
    if (!days.has(utcDay(at))) {
      const oldest = utcDay(at - USAGE_RETENTION_DAYS * 86_400_000);
      for (const date of days.keys()) if (date < oldest) days.delete(date);
    }
    const day = days.get(utcDay(at)) ?? new Map<string, number>();
    day.set(record.id, (day.get(record.id) ?? 0) + 1).set(OWNER_TOTAL, (day.get(OWNER_TOTAL) ?? 0) + 1);
    days.set(utcDay(at), day);
    this.#daily.set(record.owner, days);
    this.#byId.set(
      record.id,
      freeze({ ...current, usageCount: current.usageCount + 1, lastUsedAt: Math.max(at, current.lastUsedAt ?? 0) }),
    );
  }

  async usage(owner: string, { days, keyId, now }: UsageQuery): Promise<DailyUsage[]> {
    const byDay = this.#daily.get(owner);
    return lastDays(now, days).map((date) => ({ date, requests: byDay?.get(date)?.get(keyId ?? OWNER_TOTAL) ?? 0 }));
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

function freeze(record: StoredApiKey): StoredApiKey {
  return Object.freeze({
    ...record,
    scopes: Object.freeze([...record.scopes]),
    metadata: Object.freeze({ ...record.metadata }),
    ...(record.rateLimit === undefined ? {} : { rateLimit: Object.freeze({ ...record.rateLimit }) }),
    ...(record.countsUnder === undefined
      ? {}
      : {
          countsUnder: Object.freeze(
            record.countsUnder.map((budget) =>
              Object.freeze({ ...budget, ...(budget.rateLimit === undefined ? {} : { rateLimit: Object.freeze({ ...budget.rateLimit }) }) }),
            ),
          ),
        }),
  });
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
