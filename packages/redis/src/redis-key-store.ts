import { timingSafeEqual } from "node:crypto";
import {
  type DailyUsage,
  type KeyChangeListener,
  type KeyWatch,
  type UsageQuery,
  type KeyPage,
  type KeyParent,
  type KeyRecordPatch,
  type KeyStore,
  type ListOptions,
  type StoredApiKey,
  type UpdateOptions,
  type UpdateOutcome,
  DEFAULT_PREFIX,
} from "@portcullis/core";
import { configError, keyIdOf, type KeyUse, lastDays, resolveOptions, UsageBuffer, USAGE_RETENTION_DAYS } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisKeyStoreOptions {
  /**
   * Starts every Redis key, so several apps can share one Redis.
   * @default "portcullis:"
   */
  readonly prefix?: string;
  /**
   * How often buffered usage (counts and last-used times) is written, in milliseconds. Usage
   * is never written on the request path; `close()` writes what is left.
   * @default 1000
   */
  readonly usageFlushIntervalMs?: number;
}

const FLUSH_RULE = "must be a number of milliseconds, at least 10";

/** The options, checked, with their defaults. */
const redisKeyStoreOptions = z.strictObject({
  prefix: z.string().default(DEFAULT_PREFIX),
  usageFlushIntervalMs: z.number({ error: FLUSH_RULE }).min(10, { error: FLUSH_RULE }).default(1000),
});

/**
 * Hash fields of a record; one place so the reader and the writer agree. The id is the Redis
 * key's own name, and a zero count or empty metadata is left out: at a million keys, every field
 * saved is megabytes.
 */
const F = {
  digest: "digest",
  name: "name",
  owner: "owner",
  scopes: "scopes",
  app: "app",
  preview: "preview",
  createdAt: "created",
  expiresAt: "expires",
  revokedAt: "revoked",
  lastUsedAt: "last_used",
  usageCount: "uses",
  metadata: "meta",
  rateLimit: "rate_limit",
  rotatedFrom: "rotated_from",
  rotatedTo: "rotated_to",
  lineage: "lineage",
  createdBy: "created_by",
  createdUnder: "created_under",
  countsUnder: "counts_under",
  revokedWith: "revoked_with",
  cascadedAt: "cascaded",
  replacedBy: "replaced_by",
  replaces: "replaces",
} as const;

// Each script touches exactly one key, so it runs on Redis Cluster as it does on a single node.
const INSERT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

// ARGV: the change channel, the number n of fields that must be unset, those n fields, the chain
// the record's createdUnder must equal ('' for any), the number m of fields to delete, those m
// fields, then field/value pairs. Answers the record's fields after a 1 (applied) or a 0 (a
// condition failed). The change is announced in the same step, so no process can miss it for a
// crash between.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = tonumber(ARGV[2])
local applied = 1
for i = 3, n + 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then applied = 0 end
end
local under = ARGV[n + 3]
if under ~= '' and redis.call('HGET', KEYS[1], '${F.createdUnder}') ~= under then applied = 0 end
local m = tonumber(ARGV[n + 4])
local first = n + 5 + m
if applied == 1 and (m > 0 or #ARGV >= first) then
  if m > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, n + 5, n + 4 + m)) end
  if #ARGV >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first)) end
  redis.call('PUBLISH', ARGV[1], redis.call('HGET', KEYS[1], '${F.digest}'))
end
local fields = redis.call('HGETALL', KEYS[1])
table.insert(fields, 1, applied)
return fields`;

// Sets (or, given '', deletes) createdBy, createdUnder and countsUnder, and announces the change.
// ARGV: the change channel and the three values.
const REPARENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local names = { '${F.createdBy}', '${F.createdUnder}', '${F.countsUnder}' }
for i = 1, 3 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], names[i]) else redis.call('HSET', KEYS[1], names[i], ARGV[i + 1]) end
end
redis.call('PUBLISH', ARGV[1], redis.call('HGET', KEYS[1], '${F.digest}'))
return redis.call('HGETALL', KEYS[1])`;

// Deletes a record and announces it. ARGV: the change channel.
const REMOVE = `
local digest = redis.call('HGET', KEYS[1], '${F.digest}')
if not digest then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1], digest)
return 1`;

const RECORD_USE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], '${F.usageCount}', ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], '${F.lastUsedAt}') or '0')
if tonumber(ARGV[2]) > last then redis.call('HSET', KEYS[1], '${F.lastUsedAt}', ARGV[2]) end
return 1`;

// One owner's day: the key's count, the owner's total ("*"), and the retention.
const RECORD_DAILY = `
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], '*', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

// Newest first; one more id than asked for tells whether another page follows.
const LIST_PAGE = `
local start = 0
if ARGV[2] ~= '' then
  local rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
  if not rank then return {} end
  start = rank + 1
end
return redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[1]))`;

const DIGEST_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * API-key records in Redis through ioredis, on a single node or a Cluster: one hash per key,
 * under its id, and a sorted set per owner (and per owner's app). Verifying a key is one HGETALL;
 * usage is buffered and written in the background. Every change to a key is published, and
 * `watch` hears them over a connection of its own, so caches in every process drop a revoked key
 * at once.
 *
 * @example
 * const store = new RedisKeyStore(new Redis(process.env.REDIS_URL!));
 */
export class RedisKeyStore implements KeyStore {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;
  readonly #usage: UsageBuffer;
  readonly #watchers = new Set<KeyChangeListener>();
  #subscriber: RedisClient | undefined;

  constructor(redis: RedisClient, options: Readonly<RedisKeyStoreOptions> = {}) {
    if (!redis || typeof (redis as { hgetall?: unknown }).hgetall !== "function") {
      throw configError("RedisKeyStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix, usageFlushIntervalMs } = resolveOptions("RedisKeyStore", redisKeyStoreOptions, options ?? {});
    this.#redis = redis;
    this.keys = new RedisKeys(prefix);
    this.#usage = new UsageBuffer((uses, unwritten) => this.#writeUsage(uses, unwritten), usageFlushIntervalMs);
  }

  async insert(record: StoredApiKey): Promise<void> {
    if (!DIGEST_SHAPE.test(record.digest) || record.id !== keyIdOf(record.digest)) {
      throw new Error(`RedisKeyStore: the id of ${record.id} is not the one its digest gives (keyIdOf)`);
    }
    // Indexes first (NX: never re-dating another record's entry), so a failure part-way leaves
    // at worst an index entry that resolves to nothing, never a key that cannot be listed.
    await this.#redis.zadd(this.keys.ownerKeys(record.owner), "NX", record.createdAt, record.id);
    if (record.app !== undefined) await this.#redis.zadd(this.keys.appKeys(record.owner, record.app), "NX", record.createdAt, record.id);
    // Before the record: a revocation of the creator that reads this set after the creator's
    // check passed sees the new key (ApiKeys checks the creator again once the record is in).
    if (record.createdUnder !== undefined) await this.#redis.sadd(this.keys.createdUnder(record.createdUnder), record.id);
    const inserted = await this.#redis.eval(INSERT, 1, this.keys.apiKeyRecord(record.id), ...toFields(record));
    if (inserted !== 1) throw new Error(`RedisKeyStore: a key with id ${record.id} already exists`);
  }

  async listCreatedUnder(lineage: string): Promise<string[]> {
    return this.#redis.smembers(this.keys.createdUnder(lineage));
  }

  async findByDigest(digest: string): Promise<StoredApiKey | undefined> {
    if (!DIGEST_SHAPE.test(digest)) return undefined;
    const id = keyIdOf(digest);
    const record = fromHash(id, await this.#redis.hgetall(this.keys.apiKeyRecord(id)));
    // The id holds 95 bits of the digest; the rest must match too.
    return record && sameDigest(record.digest, digest) ? record : undefined;
  }

  async findById(id: string): Promise<StoredApiKey | undefined> {
    return fromHash(id, await this.#redis.hgetall(this.keys.apiKeyRecord(id)));
  }

  async listByOwner(owner: string, { limit, after, app }: ListOptions): Promise<KeyPage> {
    const index = app === undefined ? this.keys.ownerKeys(owner) : this.keys.appKeys(owner, app);
    const ids = (await this.#redis.eval(LIST_PAGE, 1, index, limit, after ?? "")) as string[];
    const pageIds = ids.slice(0, limit);
    const found = await Promise.all(pageIds.map((id) => this.findById(id)));
    // An index entry left by an insert that failed part-way may name another owner's record.
    const records = found.filter(
      (record): record is StoredApiKey => record !== undefined && record.owner === owner && (app === undefined || record.app === app),
    );
    return ids.length > limit ? { records, next: pageIds[pageIds.length - 1]! } : { records };
  }

  async update(id: string, patch: KeyRecordPatch, options: UpdateOptions = {}): Promise<UpdateOutcome> {
    const guarded = (options.onlyIfUnset ?? []).map((field) => F[field]);
    const unset = (options.unset ?? []).map((field) => F[field]);
    const reply = (await this.#redis.eval(
      UPDATE,
      1,
      this.keys.apiKeyRecord(id),
      this.keys.keyChanges(),
      guarded.length,
      ...guarded,
      options.onlyIfCreatedUnder ?? "",
      unset.length,
      ...unset,
      ...toFields(patch),
    )) as [number, ...string[]] | null;
    if (!reply) return { applied: false, record: undefined };
    const [applied, ...pairs] = reply;
    const record = fromHash(id, pairsToObject(pairs));
    return applied === 1 && record ? { applied: true, record } : { applied: false, record };
  }

  async reparent(id: string, { createdBy, createdUnder, countsUnder }: KeyParent): Promise<StoredApiKey | undefined> {
    const current = await this.findById(id);
    if (!current) return undefined;
    // The new index entry first, the old one last: the key is never in no maker's set.
    if (createdUnder !== undefined) await this.#redis.sadd(this.keys.createdUnder(createdUnder), id);
    const reply = (await this.#redis.eval(
      REPARENT,
      1,
      this.keys.apiKeyRecord(id),
      this.keys.keyChanges(),
      createdBy ?? "",
      createdUnder ?? "",
      countsUnder.length === 0 ? "" : JSON.stringify(countsUnder),
    )) as string[] | null;
    if (current.createdUnder !== undefined && current.createdUnder !== createdUnder) {
      await this.#redis.srem(this.keys.createdUnder(current.createdUnder), id);
    }
    return reply ? fromHash(id, pairsToObject(reply)) : undefined;
  }

  async remove(id: string): Promise<void> {
    const record = await this.findById(id);
    if (!record) return;
    // The record first, so the key stops authenticating before its index entries go.
    await this.#redis.eval(REMOVE, 1, this.keys.apiKeyRecord(id), this.keys.keyChanges());
    await this.#redis.zrem(this.keys.ownerKeys(record.owner), id);
    if (record.app !== undefined) await this.#redis.zrem(this.keys.appKeys(record.owner, record.app), id);
    if (record.createdUnder !== undefined) await this.#redis.srem(this.keys.createdUnder(record.createdUnder), id);
  }

  /**
   * Hears every change published by any process on this Redis, over a connection of its own
   * (a duplicate of the client), opened on the first call. Each time that connection is
   * (re)established the listeners are told changes may have been lost, so caches start afresh.
   */
  watch(listener: KeyChangeListener): KeyWatch {
    this.#watchers.add(listener);
    this.#subscriber ??= this.#subscribe();
    return { close: () => void this.#watchers.delete(listener) };
  }

  /** Closes the change feed's connection, once: ioredis leaves a 2 s timer behind a second close. */
  readonly #unsubscribe = (): void => {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#redis.off("end", this.#hostEnded);
    this.#redis.off("ready", this.#resubscribe);
    if (subscriber && subscriber.status !== "end") subscriber.disconnect();
  };

  /** The host ended its client: the feed goes with it, and comes back if the host connects again. */
  readonly #hostEnded = (): void => {
    this.#unsubscribe();
    this.#redis.once("ready", this.#resubscribe);
  };

  readonly #resubscribe = (): void => {
    if (this.#watchers.size > 0) this.#subscriber ??= this.#subscribe();
  };

  #subscribe(): RedisClient {
    const channel = this.keys.keyChanges();
    // Both clients duplicate with no arguments: the same server(s) and options.
    const subscriber = (this.#redis as { duplicate(): RedisClient }).duplicate();
    const announceLoss = () => {
      for (const watcher of this.#watchers) watcher.lost();
    };
    subscriber.on("message", (from: string, digest: string) => {
      if (from !== channel) return;
      for (const watcher of this.#watchers) watcher.changed(digest);
    });
    // Subscribing again on every (re)connection is harmless, and only once it is confirmed can
    // nothing more be missed: so that is when caches start afresh. While the connection is down,
    // cached keys serve on, each for at most its time to live.
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(announceLoss, () => {}); // a failure is retried at the next connection
    });
    subscriber.on("error", () => {}); // reconnection is ioredis's job; requests never wait on this connection
    // The host ends its client when it shuts down; the subscription goes with it.
    this.#redis.once("end", this.#hostEnded);
    // A client made with lazyConnect hands that on: this connection would never open by itself.
    if (subscriber.status === "wait") subscriber.connect().catch(() => {});
    return subscriber;
  }

  recordUse(record: StoredApiKey, at: number): void {
    this.#usage.record(record, at);
  }

  /** Writes buffered usage. Uses that could not be written stay buffered for the next flush. */
  flush(): Promise<void> {
    return this.#usage.flush();
  }

  /** Writes each key's uses in parallel; rejects, once all are done, if any failed. */
  async #writeUsage(uses: readonly KeyUse[], unwritten: (use: KeyUse) => void): Promise<void> {
    const retention = USAGE_RETENTION_DAYS * 86_400;
    const outcomes = await Promise.allSettled(
      uses.map(async (use) => {
        let recorded = 0;
        try {
          recorded = (await this.#redis.eval(RECORD_USE, 1, this.keys.apiKeyRecord(use.id), use.count, use.last)) as number;
        } catch (error) {
          unwritten(use);
          throw error;
        }
        if (recorded !== 1) return; // the key is gone: its usage goes with it
        for (const [day, requests] of use.days) {
          try {
            await this.#redis.eval(RECORD_DAILY, 1, this.keys.usageDay(use.owner, day), use.id, requests, retention);
            use.days.delete(day);
          } catch (error) {
            unwritten({ ...use, count: 0 }); // the total is written; the days left are not
            throw error;
          }
        }
      }),
    );
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  }

  async usage(owner: string, { days, keyId, now }: UsageQuery): Promise<DailyUsage[]> {
    const dates = lastDays(now, days);
    const counts = await Promise.all(dates.map((date) => this.#redis.hget(this.keys.usageDay(owner, date), keyId ?? "*")));
    return dates.map((date, i) => ({ date, requests: Number(counts[i] ?? 0) }));
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    this.#watchers.clear();
    await this.#usage.close();
  }
}

function toFields(record: Partial<StoredApiKey>): (string | number)[] {
  const out: (string | number)[] = [];
  const put = (field: string, value: string | number | undefined) => {
    if (value !== undefined) out.push(field, value);
  };
  put(F.digest, record.digest);
  put(F.name, record.name);
  put(F.owner, record.owner);
  put(F.scopes, record.scopes && JSON.stringify(record.scopes));
  put(F.app, record.app);
  put(F.preview, record.preview);
  put(F.createdAt, record.createdAt);
  put(F.expiresAt, record.expiresAt);
  put(F.revokedAt, record.revokedAt);
  put(F.lastUsedAt, record.lastUsedAt);
  if (record.usageCount) put(F.usageCount, record.usageCount);
  if (record.metadata && Object.keys(record.metadata).length > 0) put(F.metadata, JSON.stringify(record.metadata));
  put(F.rateLimit, record.rateLimit && JSON.stringify(record.rateLimit));
  put(F.rotatedFrom, record.rotatedFrom);
  put(F.rotatedTo, record.rotatedTo);
  put(F.lineage, record.lineage);
  put(F.createdBy, record.createdBy);
  put(F.createdUnder, record.createdUnder);
  if (record.countsUnder && record.countsUnder.length > 0) put(F.countsUnder, JSON.stringify(record.countsUnder));
  put(F.revokedWith, record.revokedWith);
  put(F.cascadedAt, record.cascadedAt);
  put(F.replacedBy, record.replacedBy);
  put(F.replaces, record.replaces);
  return out;
}

function sameDigest(stored: string, presented: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fromHash(id: string, hash: Record<string, string>): StoredApiKey | undefined {
  if (hash[F.digest] === undefined) return undefined;
  // Only the fields present are set: deleting absent ones afterwards would leave every record
  // loaded on the cache-off path in V8's slow dictionary mode.
  const record: Record<string, unknown> = {
    id,
    digest: hash[F.digest],
    name: hash[F.name],
    owner: hash[F.owner],
    scopes: JSON.parse(hash[F.scopes] ?? "[]"),
  };
  const text = (name: keyof StoredApiKey, field: string) => {
    if (hash[field] !== undefined) record[name] = hash[field];
  };
  const number = (name: keyof StoredApiKey, field: string) => {
    if (hash[field] !== undefined) record[name] = Number(hash[field]);
  };
  text("app", F.app);
  text("preview", F.preview);
  record.createdAt = Number(hash[F.createdAt]);
  number("expiresAt", F.expiresAt);
  number("revokedAt", F.revokedAt);
  number("lastUsedAt", F.lastUsedAt);
  record.usageCount = Number(hash[F.usageCount] ?? 0);
  record.metadata = JSON.parse(hash[F.metadata] ?? "{}");
  if (hash[F.rateLimit] !== undefined) record.rateLimit = JSON.parse(hash[F.rateLimit]!);
  text("rotatedFrom", F.rotatedFrom);
  text("rotatedTo", F.rotatedTo);
  text("lineage", F.lineage);
  text("createdBy", F.createdBy);
  text("createdUnder", F.createdUnder);
  if (hash[F.countsUnder] !== undefined) record.countsUnder = JSON.parse(hash[F.countsUnder]!);
  text("revokedWith", F.revokedWith);
  number("cascadedAt", F.cascadedAt);
  text("replacedBy", F.replacedBy);
  text("replaces", F.replaces);
  return record as unknown as StoredApiKey;
}

function pairsToObject(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}
