import { type IdentityStore, type LinkedIdentity, type UnlinkOutcome, DEFAULT_PREFIX } from "@portcullis/core";
import { configError, guardStore, isStorableIdentityText, resolveOptions, timeoutMsOption, validateIdentity } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisIdentityStoreOptions {
  /** @default "portcullis:" */
  readonly prefix?: string;
  /**
   * How long one Redis call may take, in milliseconds, before it fails with 503 `auth_unavailable`.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const redisIdentityStoreOptions = z.strictObject({
  prefix: z.string({ error: 'must be a string such as "myapp:"' }).default(DEFAULT_PREFIX),
  timeoutMs: timeoutMsOption,
});

// KEYS: the hash of every identity, the user's sorted set. Both carry the hash tag {identities}.
// ARGV: the identity's field, its value, when it was linked.
const LINK = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`;

// ARGV: the identity's field, "1" to keep the user's last identity. The user's set says whose it
// is; the count is read in the same script as the removal, so two unlinks cannot both pass it.
const UNLINK = `
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'not_found' end
if ARGV[2] == '1' and redis.call('ZCARD', KEYS[2]) <= 1 then return 'last' end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 'unlinked'`;

// The user's fields, oldest first, and their values, read at one instant.
const LIST = `
local fields = redis.call('ZRANGE', KEYS[2], 0, -1)
if #fields == 0 then return {} end
local values = redis.call('HMGET', KEYS[1], unpack(fields))
local answer = {}
for i = 1, #fields do answer[2 * i - 1] = fields[i]; answer[2 * i] = values[i] end
return answer`;

/** What the hash holds per identity; provider and subject are its field. */
interface StoredIdentity {
  readonly userId: string;
  readonly email?: string;
  readonly linkedAt: number;
}

/** The field of an identity: JSON, so no provider and subject can spell another pair's (`a:b`+`c` vs `a`+`b:c`). */
const fieldOf = (provider: string, subject: string) => JSON.stringify([provider, subject]);

/**
 * Linked sign-in identities in Redis: one hash, `<prefix>{identities}:by-subject`, holds every
 * identity as a field `["<provider>","<subject>"]` whose value is `{"userId","email","linkedAt"}`
 * (both JSON), and a sorted set per user, `<prefix>{identities}:user:<user id>`, holds that user's
 * fields scored by when each was linked. `link` is one script: HSETNX claims the field, so of
 * concurrent links of one identity exactly one succeeds, and only it adds to the user's set.
 * `unlink` is one script that checks the identity is in the user's set and, with `keepOne`,
 * counts the set before removing it from both. All keys share the hash tag `{identities}`, so the
 * scripts run on Redis Cluster (every identity is then on one slot: links and unlinks are rare,
 * and `find` is one HGET).
 *
 * @example
 * const identities = new RedisIdentityStore(redis, { prefix: "myapp:" });
 */
export class RedisIdentityStore implements IdentityStore {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;
  readonly #timeoutMs: number;

  constructor(redis: RedisClient, options: Readonly<RedisIdentityStoreOptions> = {}) {
    if (!redis || typeof (redis as { hgetall?: unknown }).hgetall !== "function") {
      throw configError("RedisIdentityStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix, timeoutMs } = resolveOptions("RedisIdentityStore", redisIdentityStoreOptions, options ?? {});
    this.#redis = redis;
    this.#timeoutMs = timeoutMs;
    this.keys = new RedisKeys(prefix);
  }

  async find(provider: string, subject: string): Promise<LinkedIdentity | undefined> {
    // Text no identity can hold finds nothing, rather than what UTF-8 would make of it.
    if (!isStorableIdentityText(provider, subject)) return undefined;
    const value = await this.#guard(this.#redis.hget(this.keys.identities(), fieldOf(provider, subject)));
    return value === null ? undefined : identityOf(provider, subject, value);
  }

  async listByUser(userId: string): Promise<LinkedIdentity[]> {
    if (!isStorableIdentityText(userId)) return [];
    const answer = (await this.#guard(this.#redis.eval(LIST, 2, this.keys.identities(), this.keys.userIdentities(userId)))) as (string | null)[];
    const identities: LinkedIdentity[] = [];
    for (let i = 0; i < answer.length; i += 2) {
      const value = answer[i + 1];
      if (typeof value !== "string") continue; // a field without its value: no script leaves one, but a hand edit could
      const [provider, subject] = JSON.parse(answer[i]!) as [string, string];
      identities.push(identityOf(provider, subject, value));
    }
    return identities;
  }

  async link(identity: LinkedIdentity): Promise<boolean> {
    validateIdentity(identity);
    const { provider, subject, userId, email, linkedAt } = identity;
    const value: StoredIdentity = email === undefined ? { userId, linkedAt } : { userId, email, linkedAt };
    const linked = await this.#guard(
      this.#redis.eval(LINK, 2, this.keys.identities(), this.keys.userIdentities(userId), fieldOf(provider, subject), JSON.stringify(value), linkedAt),
    );
    return linked === 1;
  }

  async unlink(userId: string, provider: string, subject: string, options: { readonly keepOne?: boolean } = {}): Promise<UnlinkOutcome> {
    if (!isStorableIdentityText(userId, provider, subject)) return "not_found";
    const keepOne = options?.keepOne ? "1" : "0";
    const outcome = await this.#guard(this.#redis.eval(UNLINK, 2, this.keys.identities(), this.keys.userIdentities(userId), fieldOf(provider, subject), keepOne));
    return outcome as UnlinkOutcome;
  }

  #guard<T>(command: Promise<T>): Promise<T> {
    return guardStore(command, this.#timeoutMs);
  }
}

function identityOf(provider: string, subject: string, value: string): LinkedIdentity {
  const { userId, email, linkedAt } = JSON.parse(value) as StoredIdentity;
  return email === undefined ? { provider, subject, userId, linkedAt } : { provider, subject, userId, email, linkedAt };
}
