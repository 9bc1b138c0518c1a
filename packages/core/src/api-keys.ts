import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { isPortcullisError, PortcullisError } from "./errors";
import { callStore } from "./store-guard";
import { KEY_STORE } from "./store-operations";
import { recordKeyVerification, type StoreOperation } from "./telemetry";
import { KeyFormat, keyPrefixOption } from "./key-format";
import { isStrongSecret, KeyHasher, keyIdOf, SECRET_RULE } from "./key-hasher";
import { checked, functionOption, resolveOptions, timeoutMsOption } from "./option-schema";
import { keyStatus, type ApiKeyRecord, type KeyBudget, type KeyMetadata, type KeyRateLimit, type KeyStatus, type StoredApiKey } from "./key-record";
import { USAGE_RETENTION_DAYS, type DailyUsage, type KeyPage, type KeyRecordPatch, type KeyStore, type KeyWatch, type UpdateOutcome } from "./key-store";
import { isScopePolicy, ScopePolicy } from "./scope-policy";
import { keyCacheOption, VerifiedKeyCache, type KeyCacheOptions } from "./verified-key-cache";

export const MAX_KEY_NAME_LENGTH = 100;
export const MAX_OWNER_LENGTH = 200;
export const MAX_METADATA_ENTRIES = 20;
export const MAX_METADATA_BYTES = 4096;
export const MAX_PAGE_SIZE = 100;
export const MAX_RATE_LIMIT_POINTS = 1_000_000;
/**
 * The windows a rate limit may count over: a second, a minute, an hour, a day. A fixed set keeps
 * one limiter per window, shared by every key, so no key's count can be pushed out by others.
 */
export const RATE_LIMIT_WINDOWS = [1, 60, 3600, 86_400] as const;
/** The latest time a key may expire: 9999-12-31T23:59:59.999Z, the last instant ISO 8601 writes plainly. */
export const MAX_TIME = 253_402_300_799_999;
/**
 * How many keys may stand above a key made by keys (its creator, the creator's creator…): each
 * request counts under every one of them, so the chain stays short.
 */
export const MAX_KEY_DEPTH = 8;
/** Which keys a listing shows: those in one status, or all. */
export const KEY_LIST_STATUSES = ["active", "expired", "revoked", "all"] as const;
export type KeyListStatus = (typeof KEY_LIST_STATUSES)[number];
/** Key ids: `key_` and 16 base62 characters (about 95 bits, so ids cannot be enumerated). */
export const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{16}$/;

export interface ApiKeysOptions {
  /** Where records live: `new MemoryKeyStore()` or `new RedisKeyStore(redis)`. */
  readonly store: KeyStore;
  /**
   * The server secret keys are hashed with (HMAC-SHA256), at least 32 bytes. Keep it out of the
   * store: with it and a copy of the store one could test guesses offline; without it, nothing.
   */
  readonly secret: string | Uint8Array;
  /** Starts every key: `"cpx_live."`, `"plx_sk_"`. */
  readonly prefix: string;
  /**
   * Which scopes exist and which imply others.
   * @default new ScopePolicy() (any well-formed scope, no implications)
   */
  readonly scopes?: ScopePolicy;
  /**
   * The clock, in milliseconds since the epoch; tests inject one.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * How long one store call may take, in milliseconds, before the request is refused with 503
   * `auth_unavailable`: an unreachable store answers quickly instead of holding requests open.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Keeps verified keys in this process (a bounded LRU with a short TTL), so a known key costs no
   * store round trip, and remembers unknown keys briefly. A revocation or rotation made anywhere
   * reaches the cache through the store's `watch` (Redis pub/sub for `RedisKeyStore`); while that
   * feed is down, or with a store that has none, a cached key is trusted for at most `ttlMs`.
   * Changes made through this `ApiKeys` reach its own cache at once. `false` asks the store every time.
   * @default { maxEntries: 10000, ttlMs: 10000, maxMisses: 10000, missTtlMs: 2000 }
   */
  readonly cache?: false | Readonly<KeyCacheOptions>;
}

export interface CreateKeyInput {
  readonly owner: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly app?: string;
  /** Milliseconds since the epoch; absent keys never expire. */
  readonly expiresAt?: number;
  readonly metadata?: KeyMetadata;
  /** The key's own rate limit; absent keys get the host's default. */
  readonly rateLimit?: KeyRateLimit;
  /**
   * The id of the API key asking for this one. The new key is bound to it: it expires no later,
   * is limited no looser (it inherits that key's expiry and limit when it asks for none; a key on
   * the host's default may give any limit), holds no scope that key lacks, counts under that key's
   * rate limit as well as its own, and is revoked when any key of that key's rotation chain is.
   */
  readonly createdBy?: string;
}

export interface ListKeysOptions {
  /** Page size, 1 to 100. @default 20 */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly after?: string;
  /** Only the keys bound to this app. */
  readonly app?: string;
  /**
   * Which keys: `"active"` (those that work: neither revoked nor expired, a rotated key in its
   * grace period included), `"expired"`, `"revoked"` or `"all"`.
   * @default "active"
   */
  readonly status?: KeyListStatus;
}

/** A new key: `key` is the only time the full key exists outside the client. */
export interface CreatedKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export interface RotatedKey extends CreatedKey {
  /** The key that was rotated, now expiring at the end of the grace period. */
  readonly previous: ApiKeyRecord;
}

export type VerificationFailure = "invalid_key" | "expired_key" | "revoked_key";

/** The outcome of checking a presented key: a record, or why it was refused. */
export type Verification =
  | { readonly ok: true; readonly record: ApiKeyRecord }
  /** `record` is the key's, for a revoked or expired key: the refusal can be attributed to its owner. */
  | { readonly ok: false; readonly code: VerificationFailure; readonly record?: ApiKeyRecord };

const isKeyStore = (value: unknown): value is KeyStore =>
  typeof (value as Partial<KeyStore> | null)?.findByDigest === "function" && typeof (value as Partial<KeyStore>).insert === "function";

const apiKeysOptions = z.strictObject(
  {
    store: checked(isKeyStore, (store) =>
      store === undefined
        ? "is required: pass new MemoryKeyStore() or new RedisKeyStore(redis)"
        : "must be a KeyStore, such as new MemoryKeyStore() or new RedisKeyStore(redis)",
    ),
    secret: checked(isStrongSecret, SECRET_RULE),
    prefix: keyPrefixOption,
    scopes: checked(isScopePolicy, `must be a ScopePolicy, such as new ScopePolicy({ implies: { admin: "*" } })`).default(() => new ScopePolicy()),
    now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
    timeoutMs: timeoutMsOption,
    cache: keyCacheOption,
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: new ApiKeys({ store, secret, prefix })" : undefined) },
);

const INVALID_KEY: Verification = Object.freeze({ ok: false, code: "invalid_key" });

/** A stored record and its public face, made once per lookup rather than once per request. */
interface KnownKey {
  readonly stored: StoredApiKey;
  readonly record: ApiKeyRecord;
}

/** What the caller decides about a key; the service adds its id, digest, preview and times. */
type KeyFields = Omit<StoredApiKey, "id" | "digest" | "preview" | "createdAt" | "usageCount">;

/** A filtered listing reads the store this many records at a time, at most `MAX_SCANNED_PAGES` times per page it answers. */
const SCAN_PAGE_SIZE = MAX_PAGE_SIZE;
const MAX_SCANNED_PAGES = 10;
/** How far a creation, rotation or revocation follows a rotation chain. */
const MAX_CHAIN_STEPS = 100;
/** How many keys of one list a revocation revokes at once. */
const CASCADE_BATCH = 16;

/**
 * The API-key lifecycle: create (shown once), verify, get, list, revoke, rotate. Keys are stored
 * only as keyed hashes; a store failure surfaces as a `PortcullisError` with code
 * `auth_unavailable`, so callers fail closed.
 *
 * @example
 * const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: process.env.PORTCULLIS_SECRET!, prefix: "cpx_live." });
 * const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
 */
export class ApiKeys {
  readonly format: KeyFormat;
  readonly scopes: ScopePolicy;
  readonly store: KeyStore;
  readonly now: () => number;
  readonly #hasher: KeyHasher;
  readonly #timeoutMs: number;
  /** Verified keys: saves a store round trip and 348k of the 1,164k instructions of a request (BENCHMARKS.md). */
  readonly #cache: VerifiedKeyCache<KnownKey> | undefined;
  /**
   * Digests of known keys, found by a plain SHA-256 of the key, so a warm key skips the keyed
   * hash (an HMAC costs far more than a one-shot hash): it saves about 26k of the 816k
   * instructions of a request on api-key-cached, 3 % (BENCHMARKS.md). It holds digests, never
   * keys, and only of keys the store knew, so a flood of invented keys cannot push real ones out.
   */
  readonly #digests: LRUCache<string, string> | undefined;
  #watch: KeyWatch | undefined;
  readonly #load = (digest: string): Promise<KnownKey | undefined> =>
    this.#guard(KEY_STORE.findByDigest, () => this.store.findByDigest(digest)).then((stored) => stored && { stored, record: this.#verified(stored) });

  /** The record a verification hands out: frozen, so a handler cannot change what another request sees. */
  #verified(stored: StoredApiKey): ApiKeyRecord {
    return frozen(publicRecord(stored));
  }

  constructor(options: Readonly<ApiKeysOptions>) {
    const { store, secret, prefix, scopes, now, timeoutMs, cache = {} } = resolveOptions("ApiKeys", apiKeysOptions, options);
    this.format = new KeyFormat({ prefix });
    this.#hasher = new KeyHasher(secret);
    this.store = store;
    this.scopes = scopes;
    this.now = now;
    this.#timeoutMs = timeoutMs;
    this.#cache = cache === false ? undefined : new VerifiedKeyCache(cache, this.now);
    this.#digests = this.#cache && new LRUCache({ max: this.#cache.maxEntries });
  }

  /**
   * Creates a key and returns it once; only its digest and a masked preview are stored.
   * @throws PortcullisError `invalid_request` naming the bad field.
   */
  async create(input: CreateKeyInput): Promise<CreatedKey> {
    const now = this.now();
    const fields = this.#validate(input, now);
    if (input.createdBy !== undefined && typeof input.createdBy !== "string") {
      throw new PortcullisError("invalid_request", "createdBy: must be a key id");
    }
    const creator = input.createdBy === undefined ? undefined : await this.#activeCaller(input.createdBy, now);
    const { key, record } = this.#newRecord(creator ? this.#delegated(creator, fields) : fields, now);
    await this.#guard(KEY_STORE.insert, () => this.store.insert(record));
    // The creator may have been revoked meanwhile, before its revocation could see this key in
    // the store's index: look again now that the key is indexed and stored, and never hand it out
    // then. (Either this look sees the revocation, or the revocation sees this key.)
    if (creator && (await this.#currentOfChain(creator.id))?.revokedAt !== undefined) {
      await this.store.remove(record.id).catch(() => {});
      throw new PortcullisError("revoked_key");
    }
    return { key, record: publicRecord(record) };
  }

  /**
   * Checks a presented key. A malformed key or a bad checksum is refused without touching the
   * store; a known key is refused if revoked or expired. A success is counted as a use. A store
   * failure rejects with `auth_unavailable`.
   *
   * @example
   * const verdict = await keys.verify(key);
   * if (verdict.ok) console.log(verdict.record.owner);
   */
  async verify(presented: string): Promise<Verification> {
    const startedAt = performance.now();
    const lookup: CacheLookup = { hit: undefined };
    try {
      const verdict = await this.#verifyKey(presented, lookup);
      recordKeyVerification(startedAt, verdict.ok ? "success" : verdict.code, cacheResultOf(lookup));
      return verdict;
    } catch (error) {
      recordKeyVerification(startedAt, isPortcullisError(error) ? error.code : "internal_error", cacheResultOf(lookup));
      throw error;
    }
  }

  /** What `verify` times; `cacheLookup` learns whether the cache answered from memory. */
  async #verifyKey(presented: string, cacheLookup: CacheLookup): Promise<Verification> {
    if (typeof presented !== "string" || presented.length !== this.format.length) return INVALID_KEY;
    if (!this.#cache) return this.format.isWellFormed(presented) ? this.#judge(await this.#load(this.#hasher.digest(presented))) : INVALID_KEY;
    this.#watch ??= this.store.watch?.({ changed: (d) => this.#cache!.forget(d), lost: () => this.#cache!.clear() });
    const lookup = hash("sha256", presented, "base64url");
    const remembered = this.#digests!.get(lookup);
    // A remembered digest belongs to a key the store knew, so to a well-formed one, and SHA-256
    // leaves no other string with the same lookup: only a key not seen yet needs the format check.
    if (remembered === undefined && !this.format.isWellFormed(presented)) return INVALID_KEY;
    const digest = remembered ?? this.#hasher.digest(presented);
    const answer = this.#cache.get(digest, this.#load);
    cacheLookup.hit = !(answer instanceof Promise);
    const known = await answer;
    if (known && remembered === undefined) this.#digests!.set(lookup, digest);
    return this.#judge(known);
  }

  /** The verdict on a key the store (or the cache) knows, or not; a success counts as a use. */
  readonly #judge = (known: KnownKey | undefined): Verification => {
    if (!known) return INVALID_KEY;
    const { stored, record } = known;
    const now = this.now();
    const status = keyStatus(stored, now);
    if (status === "revoked") return { ok: false, code: "revoked_key", record };
    if (status === "expired") return { ok: false, code: "expired_key", record };
    this.store.recordUse(stored, now);
    return { ok: true, record };
  };

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = await this.#findById(id);
    return record && publicRecord(record);
  }

  /**
   * One owner's keys (or only those bound to `app`), newest first, by default only those that
   * work (`status: "active"`); `after` is the `next` of the previous page. A filtered page reads
   * at most a thousand records (ten store pages): past many keys left out, it may hold fewer than
   * `limit` and still give a `next`. Revoked and expired keys are kept for good (a script that
   * makes a key and revokes the old one daily adds one a day), so that cost grows with them: there
   * is no index of working keys per owner.
   */
  async list(owner: string, options: ListKeysOptions = {}): Promise<{ records: ApiKeyRecord[]; next?: string }> {
    const { limit = 20, status = "active" } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new PortcullisError("invalid_request", `limit: must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    if (!(KEY_LIST_STATUSES as readonly unknown[]).includes(status)) {
      throw new PortcullisError("invalid_request", `status: must be one of ${KEY_LIST_STATUSES.join(", ")}`);
    }
    const read = (size: number, after: string | undefined): Promise<KeyPage> =>
      this.#guard(KEY_STORE.listByOwner, () =>
        this.store.listByOwner(owner, {
          limit: size,
          ...(after === undefined ? {} : { after }),
          ...(options.app === undefined ? {} : { app: options.app }),
        }),
      );
    if (status === "all") {
      const page = await read(limit, options.after);
      const records = page.records.map(publicRecord);
      return page.next === undefined ? { records } : { records, next: page.next };
    }
    const now = this.now();
    const records: ApiKeyRecord[] = [];
    let after = options.after;
    for (let pages = 0; pages < MAX_SCANNED_PAGES; pages++) {
      const page = await read(SCAN_PAGE_SIZE, after);
      for (const record of page.records) {
        after = record.id;
        if (keyStatus(record, now) !== (status satisfies KeyStatus)) continue;
        records.push(publicRecord(record));
        if (records.length === limit) return page.next === undefined && record === page.records.at(-1) ? { records } : { records, next: after };
      }
      if (page.next === undefined) return { records };
    }
    return after === undefined ? { records } : { records, next: after };
  }

  /** Requests per UTC day, oldest first, for an owner or (with `keyId`) one of its keys. */
  async usage(owner: string, { days = 7, keyId }: { days?: number; keyId?: string } = {}): Promise<DailyUsage[]> {
    if (!Number.isInteger(days) || days < 1 || days > USAGE_RETENTION_DAYS) {
      throw new PortcullisError("invalid_request", `days: must be a whole number from 1 to ${USAGE_RETENTION_DAYS}`);
    }
    return this.#guard(KEY_STORE.usage, () => this.store.usage(owner, { days, now: this.now(), ...(keyId === undefined ? {} : { keyId }) }));
  }

  /**
   * Revokes a key, and with it its whole rotation chain (the keys it replaced, still in their
   * grace period, and the key it was rotated into) and, transitively, every key any key of the
   * chain made or rotated, with their chains (each says `revokedWith` this key). All are refused
   * from the next request on, in every process, and their records are kept.
   *
   * `by` is the key asking, when a key asks. If it stands under the revoked chain (made by it, or
   * by a key it made…), it is spared with what it made, and takes the revoked key's place: it then
   * answers to the revoked key's own maker (or to none), and counts under what that key counted
   * under. This is how Plexe's rotation script works. A key never spares its own chain.
   *
   * The two are then linked: the revoked key's `replacedBy` names the spared key, whose `replaces`
   * names the revoked one. Revoking the revoked key again revokes the key that took its place (a
   * leaked key's holder may have made it), or the one that took that one's place, and so on; this
   * call then answers that key's record. A key never revokes its own chain that way.
   *
   * `onRevoked` is called once, with the record, as soon as this call has revoked the key itself,
   * before the rest follows: a failure part-way (503) still leaves the revocation reported.
   * @throws PortcullisError `conflict` when the key was already revoked and no key that took its
   *   place still works. If that earlier revocation was cut short, this call first finishes it; a
   *   finished one is not walked again.
   */
  async revoke(
    id: string,
    { by, onRevoked }: { by?: string; onRevoked?: (record: ApiKeyRecord) => void } = {},
  ): Promise<ApiKeyRecord | undefined> {
    const now = this.now();
    // Guarded, so a second revocation keeps the first one's time.
    const { applied, record } = await this.#guard(KEY_STORE.update, () => this.store.update(id, { revokedAt: now }, { onlyIfUnset: ["revokedAt"] }));
    if (!record) return undefined;
    this.#cache?.forget(record.digest);
    if (applied) onRevoked?.(publicRecord(record));
    // A key taken down by another's revocation, or one whose revocation finished: nothing to walk.
    if (applied || (record.revokedWith === undefined && record.cascadedAt === undefined)) {
      await this.#revokeTree(record, by, applied ? now : record.revokedAt!);
      await this.#guard(KEY_STORE.update, () => this.store.update(id, { cascadedAt: this.now() }));
    }
    if (applied) return publicRecord(record);
    const successor = await this.#workingSuccessor(record, by, now);
    if (successor === undefined) throw new PortcullisError("conflict", "The key is already revoked.");
    return this.revoke(successor, { ...(by === undefined ? {} : { by }), ...(onRevoked ? { onRevoked } : {}) });
  }

  /**
   * The key that took a revoked key's place, following `replacedBy` (recorded on any key of a
   * rotation chain) and rotations to the one that works now; none when it is of the chain of
   * `by`, the key asking. A successor whose own revocation was cut short is answered too, so
   * that revoking it again finishes it.
   */
  async #workingSuccessor(record: StoredApiKey, by: string | undefined, now: number): Promise<string | undefined> {
    const asking = by === undefined ? undefined : await this.#findById(by);
    let next = await this.#replacementOfChain(record);
    for (let step = 0; next !== undefined && step < MAX_CHAIN_STEPS; step++) {
      const current = await this.#currentOfChain(next);
      if (!("id" in current)) return undefined;
      const status = keyStatus(current, now);
      if (status === "expired") return undefined;
      const unfinished = status === "revoked" && current.revokedWith === undefined && current.cascadedAt === undefined;
      if (status === "active" || unfinished) return asking && lineageOf(asking) === lineageOf(current) ? undefined : current.id;
      next = await this.#replacementOfChain(current);
    }
    return undefined;
  }

  /** The `replacedBy` of `key` or, failing that, of the nearest key of its rotation chain that has one. */
  async #replacementOfChain(key: StoredApiKey): Promise<string | undefined> {
    if (key.replacedBy !== undefined) return key.replacedBy;
    for (const direction of ["rotatedFrom", "rotatedTo"] as const) {
      let id = key[direction];
      for (let step = 0; id !== undefined && step < MAX_CHAIN_STEPS; step++) {
        const record = await this.#findById(id);
        if (record?.replacedBy !== undefined) return record.replacedBy;
        id = record?.[direction];
      }
    }
    return undefined;
  }

  /**
   * Revokes `root`'s chain and everything under it, chain by chain, each chain before the list of
   * what it made is read (so a key made meanwhile is either seen here or sees its maker revoked).
   * Spared keys found under a revoked chain are moved to `root`'s place, and `by`, when found,
   * is linked to `root` as the key that took its place.
   */
  async #revokeTree(root: StoredApiKey, by: string | undefined, now: number): Promise<void> {
    const spared = await this.#sparedBy(root, by);
    const revoked = new Set<string>();
    const found: string[] = [];
    const revoke = { revokedAt: now, revokedWith: root.id };
    let level: StoredApiKey[] = [root];
    while (level.length > 0) {
      const next: StoredApiKey[] = [];
      for (const key of level) {
        const lineage = lineageOf(key);
        if (revoked.has(lineage)) continue;
        revoked.add(lineage);
        await this.#revokeChain(key, root.id, revoke);
        const ids = await this.#guard(KEY_STORE.listCreatedUnder, () => this.store.listCreatedUnder(lineage));
        for (let i = 0; i < ids.length; i += CASCADE_BATCH) {
          const batch: string[] = [];
          for (const child of ids.slice(i, i + CASCADE_BATCH)) (spared.has(child) ? found : batch).push(child);
          // Only a key still made under this chain: an entry left by a key that moved is no reason.
          const outcomes = await Promise.all(
            batch.map((child) => this.#guard(KEY_STORE.update, () => this.store.update(child, revoke, { onlyIfUnset: ["revokedAt"], onlyIfCreatedUnder: lineage }))),
          );
          for (const { record } of outcomes) {
            if (record?.createdUnder !== lineage) continue;
            this.#cache?.forget(record.digest);
            next.push(record);
          }
        }
      }
      level = next;
    }
    if (by !== undefined && found.includes(by)) {
      // Linked before it moves: once moved, a retry of a revocation cut short no longer finds it.
      await this.#guard(KEY_STORE.update, () => this.store.update(by, { replaces: root.id }));
      await this.#guard(KEY_STORE.update, () => this.store.update(root.id, { replacedBy: by }));
    }
    for (const id of found) await this.#takePlace(id, root, revoked);
  }

  /** Revokes the keys before and after `key` in its rotation chain (`key` itself is revoked already). */
  async #revokeChain(key: StoredApiKey, rootId: string, revoke: KeyRecordPatch): Promise<void> {
    for (const direction of ["rotatedFrom", "rotatedTo"] as const) {
      let id = key[direction];
      for (let step = 0; id !== undefined && step < MAX_CHAIN_STEPS; step++) {
        const target = id;
        const { applied, record } = await this.#guard(KEY_STORE.update, () => this.store.update(target, revoke, { onlyIfUnset: ["revokedAt"] }));
        if (!record) break;
        this.#cache?.forget(record.digest);
        // Revoked by another revocation, which took the rest of the chain down then.
        if (!applied && record.revokedWith !== rootId && record.id !== rootId) break;
        id = record[direction];
      }
    }
  }

  /** The ids of the chain of the key asking for a revocation, which are spared: none for `root`'s own chain. */
  async #sparedBy(root: StoredApiKey, by: string | undefined): Promise<Set<string>> {
    const spared = new Set<string>();
    const caller = by === undefined || by === root.id ? undefined : await this.#findById(by);
    if (!caller || lineageOf(caller) === lineageOf(root)) return spared;
    spared.add(caller.id);
    for (const direction of ["rotatedFrom", "rotatedTo"] as const) {
      let id = caller[direction];
      for (let step = 0; id !== undefined && step < MAX_CHAIN_STEPS; step++) {
        spared.add(id);
        id = (await this.#findById(id))?.[direction];
      }
    }
    return spared;
  }

  /**
   * A spared key found under a revoked chain takes `root`'s place: it answers to `root`'s maker,
   * and stops counting under the revoked chains, except a maker's default limit when the key has
   * a limit of its own (it may be looser than the default, which only the host knows).
   */
  async #takePlace(id: string, root: StoredApiKey, revoked: ReadonlySet<string>): Promise<void> {
    const key = await this.#findById(id);
    if (!key || key.createdUnder === undefined || !revoked.has(key.createdUnder)) return;
    const countsUnder = (key.countsUnder ?? []).filter(
      (budget) => !revoked.has(budget.lineage) || (budget.rateLimit === undefined && key.rateLimit !== undefined),
    );
    const maker = await this.#makerOfChain(root, key, revoked);
    const moved = await this.#guard(KEY_STORE.reparent, () => this.store.reparent(id, { ...maker, countsUnder }));
    if (moved) this.#cache?.forget(moved.digest);
    // As at creation: a new maker revoked meanwhile may not have seen this key in its list.
    if (moved && maker && (await this.#currentOfChain(maker.createdBy)).revokedAt !== undefined) {
      await this.#guard(KEY_STORE.update, () => this.store.update(id, { revokedAt: this.now(), revokedWith: maker.createdBy }, { onlyIfUnset: ["revokedAt"] }));
    }
  }

  /**
   * Whom a key taking `root`'s place answers to: the maker of `root`'s chain, read from `root`
   * and then from the keys it replaced, since a key rotating another binds the new key to itself.
   * A maker that is revoked, or that is `key`'s own chain or was made under it, is passed over:
   * a key never becomes its own maker, even through another key. None found: it answers to none.
   */
  async #makerOfChain(root: StoredApiKey, key: StoredApiKey, revoked: ReadonlySet<string>): Promise<{ createdBy: string; createdUnder: string } | undefined> {
    const own = lineageOf(key);
    let member: StoredApiKey | undefined = root;
    for (let step = 0; member !== undefined && step < MAX_CHAIN_STEPS; step++) {
      const { createdBy, createdUnder } = member;
      if (createdBy !== undefined && createdUnder !== undefined && createdUnder !== own && !revoked.has(createdUnder)) {
        const maker = await this.#findById(createdBy);
        if (maker && !(maker.countsUnder ?? []).some((budget) => budget.lineage === own)) return { createdBy, createdUnder };
      }
      member = member.rotatedFrom === undefined ? undefined : await this.#findById(member.rotatedFrom);
    }
    return undefined;
  }

  /**
   * Replaces a key with a new one with the same name, scopes, app and metadata. The old key keeps
   * working for `gracePeriodMs` (0 ends it now), then is refused as expired.
   *
   * Asked by no key (`by` absent: a person, the CLI), the new key gets a lifetime of the old one's
   * length, counted from now. Asked by a key, the new key never outgrows that key: rotating itself,
   * it keeps its expiry; rotating another key, it expires no later than the asking key, is limited
   * no looser, counts under its rate limit too, the asking key must hold all its scopes, and the
   * new key is bound to the asking key as one it made (`createdBy`, revoked with its chain). A key
   * made by a key stays bound to its creator's chain through any rotation and, whoever asks,
   * never outlives it. If a chain the new key answers to is revoked while it is being made, the
   * new key is removed and the old one restored.
   * @throws PortcullisError `conflict` when the key is revoked, expired or already rotated, or
   *   its maker's chain (or the asking key's) has been revoked.
   */
  async rotate(id: string, { gracePeriodMs = 0, by }: { gracePeriodMs?: number; by?: string } = {}): Promise<RotatedKey | undefined> {
    if (!Number.isSafeInteger(gracePeriodMs) || gracePeriodMs < 0) {
      throw new PortcullisError("invalid_request", "grace period: must be a non-negative whole number");
    }
    const old = await this.#findById(id);
    if (!old) return undefined;
    const now = this.now();
    assertRotatable(old, now);
    const asker = by === undefined ? undefined : by === old.id ? old : await this.#activeCaller(by, now);
    // A key of the old key's own chain (its predecessor, in grace) rotates it as the key itself.
    const caller = asker !== undefined && lineageOf(asker) === lineageOf(old) ? old : asker;
    // Checked before anything changes: the chain of the key that made the old one must stand.
    const maker = old.createdBy === undefined ? undefined : await this.#currentOfChain(old.createdBy!);
    if (maker?.revokedAt !== undefined) throw new PortcullisError("conflict", "The key that made this key has been revoked.");
    const { owner, name, scopes, metadata, app, rateLimit, createdBy, createdUnder, countsUnder } = old;
    const fields: KeyFields = {
      owner,
      name,
      scopes,
      metadata,
      ...(app === undefined ? {} : { app }),
      ...(rateLimit === undefined ? {} : { rateLimit }),
      ...(createdBy === undefined ? {} : { createdBy }),
      ...(createdUnder === undefined ? {} : { createdUnder }),
      ...(countsUnder === undefined ? {} : { countsUnder }),
    };
    // Asked by no key, the new key keeps the old one's lifetime length, counted from now; a key
    // rotating itself keeps its expiry; a key rotating another hands out nothing it lacks, and
    // the new key is bound to it as a key it made. Whoever asks, a key made by a key never
    // outlives its maker's chain.
    const lifetime = old.expiresAt === undefined ? undefined : old.expiresAt - old.createdAt;
    const fresh = lifetime === undefined ? undefined : Math.min(now + lifetime, MAX_TIME);
    const expiresAt = earliest(caller === old ? old.expiresAt : fresh, maker?.expiresAt);
    const own = { ...fields, ...(expiresAt === undefined ? {} : { expiresAt }) };
    const replacement: KeyFields =
      caller === undefined || caller === old
        ? own
        : { ...this.#boundBy(caller, own, lineageOf(old)), createdBy: caller.id, createdUnder: lineageOf(caller) };
    const created = this.#newRecord(replacement, now, old);

    // The new record goes in first, unseen; the old one then changes in one guarded step, so a
    // concurrent revocation or rotation wins cleanly and a failure part-way changes nothing.
    await this.#guard(KEY_STORE.insert, () => this.store.insert(created.record));
    let claim: UpdateOutcome;
    try {
      claim = await this.#guard(KEY_STORE.update, () =>
        this.store.update(
          old.id,
          { rotatedTo: created.record.id, expiresAt: Math.min(old.expiresAt ?? MAX_TIME, now + gracePeriodMs) },
          { onlyIfUnset: ["revokedAt", "rotatedTo"] },
        ),
      );
    } catch (error) {
      // A lost reply is not a lost write: look before undoing, or the old key would expire with
      // its successor deleted. When even the look fails, the unseen new key is left alone.
      const current = await this.store.findById(old.id).catch(() => undefined);
      if (current?.rotatedTo !== created.record.id) {
        if (current) await this.store.remove(created.record.id).catch(() => {});
        throw error;
      }
      claim = { applied: true, record: current };
    }
    if (claim.record) this.#cache?.forget(claim.record.digest);
    if (!claim.applied) {
      await this.#guard(KEY_STORE.remove, () => this.store.remove(created.record.id));
      if (!claim.record) return undefined;
      assertRotatable(claim.record, now);
      throw new PortcullisError("conflict", "The key changed while it was being rotated.");
    }
    // As at creation: a chain the new key answers to, revoked meanwhile, may not have seen it in
    // its list. Then the rotation is undone, the old key as it was (unless revoked meanwhile).
    const bound = [old.createdBy, caller !== undefined && caller !== old ? caller.id : undefined];
    for (const id of bound) {
      if (id === undefined || (await this.#currentOfChain(id)).revokedAt === undefined) continue;
      await this.store.remove(created.record.id).catch(() => {});
      const restored = await this.store
        .update(old.id, old.expiresAt === undefined ? {} : { expiresAt: old.expiresAt }, {
          onlyIfUnset: ["revokedAt"],
          unset: old.expiresAt === undefined ? ["rotatedTo", "expiresAt"] : ["rotatedTo"],
        })
        .catch(() => undefined);
      if (restored?.record) this.#cache?.forget(restored.record.digest);
      throw new PortcullisError("conflict", id === old.createdBy ? "The key that made this key has been revoked." : "The key asking has been revoked.");
    }
    return { key: created.key, record: publicRecord(created.record), previous: publicRecord(claim.record) };
  }

  /**
   * Stops listening for key changes. The store is not closed: close it yourself (it may be shared).
   */
  close(): void {
    this.#watch?.close();
    this.#watch = undefined;
    this.#cache?.clear();
  }

  /** The record of the key asking for a change, which must work now. */
  async #activeCaller(id: string, now: number): Promise<StoredApiKey> {
    const caller = await this.#findById(id);
    if (!caller) throw new PortcullisError("invalid_key");
    const status = keyStatus(caller, now);
    if (status !== "active") throw new PortcullisError(status === "revoked" ? "revoked_key" : "expired_key");
    return caller;
  }

  /**
   * The current key of the rotation chain `id` belongs to (the last it was rotated into), read
   * from the store, never the cache; a chain is revoked as a whole, so its current key says
   * whether it was. A missing key counts as revoked.
   */
  async #currentOfChain(id: string): Promise<StoredApiKey | { revokedAt: number; expiresAt?: undefined }> {
    let record = await this.#findById(id);
    for (let step = 0; record?.rotatedTo !== undefined && step < MAX_CHAIN_STEPS; step++) {
      const next: StoredApiKey | undefined = await this.#findById(record.rotatedTo);
      if (!next) break;
      record = next;
    }
    return record ?? { revokedAt: 0 };
  }

  /**
   * A new key made by `creator`: within its bounds, bound to its chain, counted under its limits.
   * A creator on the host's default limit may give any explicit limit (whether it is tighter than
   * the default is not known here): the child counts under the creator's default all the same.
   */
  #delegated(creator: StoredApiKey, fields: KeyFields): KeyFields {
    return { ...this.#boundBy(creator, fields, undefined, "create a key"), createdBy: creator.id, createdUnder: lineageOf(creator) };
  }

  /**
   * `fields` held within what `caller` may do: same owner and app, scopes it holds, no later
   * expiry, no looser limit, and counted under its limits as well. `lineage` is the key's own
   * chain when it has one already (a rotation), which it needs not count under twice.
   */
  #boundBy(caller: StoredApiKey, fields: KeyFields, lineage: string | undefined, action = "rotate a key"): KeyFields {
    const refuse = (detail: string) => new PortcullisError("insufficient_permissions", detail);
    if (caller.owner !== fields.owner || (caller.app !== undefined && caller.app !== fields.app)) {
      throw refuse("A key can only manage keys of its own owner and app.");
    }
    const missing = this.scopes.cannotGrant(caller.scopes, fields.scopes);
    if (missing.length > 0) throw refuse(`You cannot ${action} with scopes you do not hold: ${missing.join(", ")}.`);
    let { expiresAt, rateLimit } = fields;
    if (caller.expiresAt !== undefined) {
      if (lineage === undefined && expiresAt !== undefined && expiresAt > caller.expiresAt) throw refuse("A key cannot create a key that outlives it.");
      expiresAt = Math.min(expiresAt ?? MAX_TIME, caller.expiresAt);
    }
    const own = caller.rateLimit;
    if (own !== undefined) {
      if (rateLimit !== undefined && looser(rateLimit, own) && lineage === undefined) {
        throw refuse("A key cannot create a key with a looser rate limit than its own.");
      }
      if (rateLimit === undefined || looser(rateLimit, own)) rateLimit = own;
    }
    const budgets = [...(fields.countsUnder ?? [])];
    for (const budget of budgetsOf(caller)) {
      if (budget.lineage !== lineage && !budgets.some((b) => b.lineage === budget.lineage)) budgets.push(budget);
    }
    if (budgets.length > MAX_KEY_DEPTH) throw refuse(`Keys made by keys nest at most ${MAX_KEY_DEPTH} deep.`);
    const { expiresAt: _e, rateLimit: _r, ...rest } = fields;
    return {
      ...rest,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(rateLimit === undefined ? {} : { rateLimit }),
      countsUnder: budgets,
    };
  }

  #newRecord(fields: KeyFields, now: number, rotatedFrom?: ApiKeyRecord): { key: string; record: StoredApiKey } {
    const key = this.format.generate();
    const digest = this.#hasher.digest(key);
    const record: StoredApiKey = {
      ...fields,
      id: keyIdOf(digest),
      digest,
      preview: this.format.preview(key),
      createdAt: now,
      usageCount: 0,
      ...(rotatedFrom === undefined ? {} : { rotatedFrom: rotatedFrom.id, lineage: lineageOf(rotatedFrom) }),
    };
    return { key, record };
  }

  #validate(input: CreateKeyInput, now: number): KeyFields {
    const { owner, name, app, expiresAt, metadata = {} } = input;
    assertText("owner", owner, MAX_OWNER_LENGTH);
    assertText("name", name, MAX_KEY_NAME_LENGTH);
    if (app !== undefined) assertText("app", app, MAX_OWNER_LENGTH);
    if (!Array.isArray(input.scopes) || input.scopes.length === 0) {
      throw new PortcullisError("invalid_request", "scopes: a key needs at least one scope");
    }
    const scopes = this.scopes.validate(input.scopes);
    if (expiresAt !== undefined && (!Number.isSafeInteger(expiresAt) || expiresAt <= now || expiresAt > MAX_TIME)) {
      throw new PortcullisError("invalid_request", "expires_at: must be a time in the future, before the year 10000");
    }
    assertMetadata(metadata);
    if (input.rateLimit !== undefined) assertRateLimit(input.rateLimit);
    return {
      ...(input.rateLimit === undefined ? {} : { rateLimit: { points: input.rateLimit.points, durationSeconds: input.rateLimit.durationSeconds } }),
      owner,
      name,
      scopes,
      metadata: { ...metadata },
      ...(app === undefined ? {} : { app }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
  }

  /**
   * Calls the store, traced: failures and calls slower than `timeoutMs` become 503
   * `auth_unavailable` (fail closed, and fast) and are counted.
   */
  #guard<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    return callStore(operation, this.#timeoutMs, call);
  }

  #findById(id: string): Promise<StoredApiKey | undefined> {
    return this.#guard(KEY_STORE.findById, () => this.store.findById(id));
  }
}

/** Whether a verification's cache lookup answered from memory; undefined when it made none. */
interface CacheLookup {
  hit: boolean | undefined;
}

function cacheResultOf(lookup: CacheLookup): "hit" | "miss" | undefined {
  return lookup.hit === undefined ? undefined : lookup.hit ? "hit" : "miss";
}

function assertRotatable(record: StoredApiKey, now: number): void {
  const status = keyStatus(record, now);
  if (status !== "active") throw new PortcullisError("conflict", `The key is ${status} and cannot be rotated.`);
  if (record.rotatedTo !== undefined) throw new PortcullisError("conflict", `The key was already rotated to ${record.rotatedTo}.`);
}

/** A record shared by every request that presents its key: nobody may change it under the others. */
function frozen(record: ApiKeyRecord): ApiKeyRecord {
  Object.freeze(record.scopes);
  Object.freeze(record.metadata);
  if (record.rateLimit) Object.freeze(record.rateLimit);
  if (record.countsUnder) Object.freeze(record.countsUnder);
  return Object.freeze(record);
}

/** The earlier of two optional instants. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Whether `limit` lets more through than `own`: more at once, or a higher rate. */
function looser(limit: KeyRateLimit, own: KeyRateLimit): boolean {
  return limit.points > own.points || limit.points / limit.durationSeconds > own.points / own.durationSeconds;
}

/** The limits a key's requests count under, nearest first: its own chain's, then its makers'. */
function budgetsOf(key: StoredApiKey): KeyBudget[] {
  const own: KeyBudget = key.rateLimit === undefined ? { lineage: lineageOf(key) } : { lineage: lineageOf(key), rateLimit: key.rateLimit };
  return [own, ...(key.countsUnder ?? [])];
}

/** The id a key's per-key counts go under: the first key of its rotation chain. */
function lineageOf(record: Pick<ApiKeyRecord, "id" | "lineage">): string {
  return record.lineage ?? record.id;
}

/** Strips the digest, which has no business outside the store. */
function publicRecord({ digest: _digest, ...record }: StoredApiKey): ApiKeyRecord {
  return record;
}

// Control characters, unpaired surrogates and bidirectional overrides have no place in a name:
// they break logs and terminals, or make a name display as something it is not.
const PRINTABLE = /^[^\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]+$/u;

function assertText(field: string, value: unknown, max: number): asserts value is string {
  if (typeof value !== "string" || value.trim() === "" || value.length > max || !PRINTABLE.test(value)) {
    throw new PortcullisError("invalid_request", `${field}: must be 1 to ${max} printable characters`);
  }
}

/**
 * What is wrong with a rate limit, or undefined: the one rule for a key's own limit and for a
 * host's default, each caller wording the field its way.
 *
 * @example
 * rateLimitProblem({ points: 0, durationSeconds: 60 }); // { field: "points", rule: "a whole number from 1 to 1000000" }
 */
export function rateLimitProblem(limit: unknown): { field: "points" | "durationSeconds"; rule: string } | undefined {
  const { points, durationSeconds } = (limit ?? {}) as Partial<KeyRateLimit>;
  if (!Number.isInteger(points) || points! < 1 || points! > MAX_RATE_LIMIT_POINTS) {
    return { field: "points", rule: `a whole number from 1 to ${MAX_RATE_LIMIT_POINTS}` };
  }
  if (!(RATE_LIMIT_WINDOWS as readonly unknown[]).includes(durationSeconds)) {
    return { field: "durationSeconds", rule: `one of ${RATE_LIMIT_WINDOWS.join(", ")}` };
  }
  return undefined;
}

function assertRateLimit(limit: unknown): asserts limit is KeyRateLimit {
  const problem = rateLimitProblem(limit);
  if (problem) {
    const field = problem.field === "points" ? "points" : "duration_seconds";
    throw new PortcullisError("invalid_request", `rate_limit.${field}: ${problem.rule}`);
  }
}

function assertMetadata(metadata: unknown): asserts metadata is KeyMetadata {
  const fail = (why: string) => new PortcullisError("invalid_request", `metadata: ${why}`);
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) throw fail("must be an object");
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES) throw fail(`at most ${MAX_METADATA_ENTRIES} entries`);
  for (const [, value] of entries) {
    if (value !== null && !["string", "number", "boolean"].includes(typeof value)) {
      throw fail("values must be strings, numbers, booleans or null");
    }
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) throw fail(`at most ${MAX_METADATA_BYTES} bytes`);
}

/**
 * True for an `ApiKeys`, also one from another copy of this package (two versions installed side
 * by side), where `instanceof` would wrongly say no.
 *
 * @example
 * z.strictObject({ keys: checked(isApiKeys, "is required: pass new ApiKeys({ store, secret, prefix })") })
 */
export function isApiKeys(value: unknown): value is ApiKeys {
  const keys = value as Partial<ApiKeys> | null;
  return typeof keys?.verify === "function" && typeof keys.create === "function" && isScopePolicy(keys.scopes);
}
