import {
  type EmailCodeIssue,
  type EmailCodeUse,
  type EmailToken,
  type EmailTokenPurpose,
  type EmailTokenStore,
  DEFAULT_PREFIX,
} from "@portcullis/core";
import { configError, guardStore, resolveOptions, timeoutMsOption } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisEmailTokenStoreOptions {
  /** @default "portcullis:" */
  readonly prefix?: string;
  /**
   * How long one Redis call may take, in milliseconds, before it fails with 503 `auth_unavailable`.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const redisEmailTokenStoreOptions = z.strictObject({
  prefix: z.string({ error: 'must be a string such as "myapp:"' }).default(DEFAULT_PREFIX),
  timeoutMs: timeoutMsOption,
});

// Each script touches one key (KEYS[1]), so it runs unchanged on Redis Cluster.

// ARGV: the purpose. GETDEL alone would spend a token taken for another purpose.
const TAKE = `
local value = redis.call('GET', KEYS[1])
if not value or cjson.decode(value).purpose ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return value`;

// ARGV: digest, at, expiresAt, cooldownMs, ms until the hash may go (the cool-down outlives the
// code). Returns -1 when issued, else the instant a new code may be.
const ISSUE_CODE = `
local issued = redis.call('HGET', KEYS[1], 'issued')
if issued then
  local retry_at = tonumber(issued) + tonumber(ARGV[4])
  if tonumber(ARGV[2]) < retry_at then return retry_at end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'issued', ARGV[2], 'expires', ARGV[3], 'tries', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return -1`;

// ARGV: digest, at, maxTries. The try is counted before the digest is compared; a spent code
// loses its digest but keeps 'issued', which the cool-down reads.
const USE_CODE = `
local code = redis.call('HMGET', KEYS[1], 'digest', 'expires')
if not code[1] or tonumber(ARGV[2]) >= tonumber(code[2]) then return 'spent' end
if redis.call('HINCRBY', KEYS[1], 'tries', 1) > tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[1], 'digest')
  return 'spent'
end
if code[1] ~= ARGV[1] then return 'rejected' end
redis.call('HDEL', KEYS[1], 'digest')
return 'accepted'`;

/**
 * Emailed tokens and codes in Redis. A link's token is a string, `<prefix>email-token:<digest>`,
 * holding the token as JSON and expiring with it (`SET … PX`); `take` is one script that checks
 * the purpose and deletes only on a match. A code is a hash, `<prefix>email-code:<key>`, with the
 * digest, when it was issued, its expiry and the tries; `issueCode` and `useCode` are one script
 * each, and the hash expires once both the code and its cool-down are over. Every command
 * touches one key, so the store works on Redis Cluster.
 *
 * @example
 * const tokens = new RedisEmailTokenStore(redis, { prefix: "myapp:" });
 */
export class RedisEmailTokenStore implements EmailTokenStore {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;
  readonly #timeoutMs: number;

  constructor(redis: RedisClient, options: Readonly<RedisEmailTokenStoreOptions> = {}) {
    if (!redis || typeof (redis as { hgetall?: unknown }).hgetall !== "function") {
      throw configError("RedisEmailTokenStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix, timeoutMs } = resolveOptions("RedisEmailTokenStore", redisEmailTokenStoreOptions, options ?? {});
    this.#redis = redis;
    this.#timeoutMs = timeoutMs;
    this.keys = new RedisKeys(prefix);
  }

  async issue(digest: string, token: EmailToken): Promise<void> {
    const { purpose, email, userId, role, issuedAt, expiresAt } = token;
    const stored: EmailToken = { purpose, email, ...(userId === undefined ? {} : { userId }), ...(role === undefined ? {} : { role }), issuedAt, expiresAt };
    // The time left, not the instant: Redis's clock need not agree with the callers'.
    await this.#guard(this.#redis.set(this.keys.emailToken(digest), JSON.stringify(stored), "PX", ttl(expiresAt - issuedAt)));
  }

  async take(digest: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | undefined> {
    const value = (await this.#guard(this.#redis.eval(TAKE, 1, this.keys.emailToken(digest), purpose))) as string | null;
    if (value === null) return undefined;
    const token = JSON.parse(value) as EmailToken;
    return at < token.expiresAt ? token : undefined;
  }

  async issueCode(key: string, digest: string, at: number, expiresAt: number, cooldownMs: number): Promise<EmailCodeIssue> {
    const forgetIn = ttl(Math.max(expiresAt, at + cooldownMs) - at);
    const answer = Number(await this.#guard(this.#redis.eval(ISSUE_CODE, 1, this.keys.emailCode(key), digest, at, expiresAt, cooldownMs, forgetIn)));
    return answer === -1 ? { issued: true } : { issued: false, retryAt: answer };
  }

  async useCode(key: string, digest: string, at: number, maxTries: number): Promise<EmailCodeUse> {
    return (await this.#guard(this.#redis.eval(USE_CODE, 1, this.keys.emailCode(key), digest, at, maxTries))) as EmailCodeUse;
  }

  #guard<T>(command: Promise<T>): Promise<T> {
    return guardStore(command, this.#timeoutMs);
  }
}

/** Milliseconds for PX and PEXPIRE, which refuse anything below 1. */
const ttl = (ms: number) => Math.max(1, Math.ceil(ms));
