import {
  type CodeAttempt,
  type CodeAttemptPolicy,
  type MfaConfirmation,
  type MfaEnrolment,
  type MfaStore,
  DEFAULT_PREFIX,
} from "@portcullis/core";
import { configError, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisMfaStoreOptions {
  /** @default "portcullis:" */
  readonly prefix?: string;
}

/** Recovery codes are fields of the user's hash, so using one is a single HDEL. */
const RECOVERY = "rc:";

// Each script touches only the user's own hash (KEYS[1]), so it runs unchanged on Redis Cluster.
const START_ENROLMENT = `
if redis.call('HEXISTS', KEYS[1], 'confirmed') == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'started', ARGV[2])
return 1`;

const CONFIRM = `
if redis.call('HGET', KEYS[1], 'secret') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'confirmed') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'confirmed', ARGV[2], 'last_step', ARGV[3])
for i = 4, #ARGV do redis.call('HSET', KEYS[1], '${RECOVERY}' .. ARGV[i], '1') end
return 1`;

const USE_STEP = `
if redis.call('HEXISTS', KEYS[1], 'confirmed') == 0 then return 0 end
local last = redis.call('HGET', KEYS[1], 'last_step')
if last and tonumber(ARGV[1]) <= tonumber(last) then return 0 end
redis.call('HSET', KEYS[1], 'last_step', ARGV[1])
redis.call('HDEL', KEYS[1], 'code_tries')
return 1`;

const REPLACE_RECOVERY_CODES = `
if redis.call('HEXISTS', KEYS[1], 'confirmed') == 0 then return 0 end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, ${RECOVERY.length}) == '${RECOVERY}' then redis.call('HDEL', KEYS[1], field) end
end
for i = 1, #ARGV do redis.call('HSET', KEYS[1], '${RECOVERY}' .. ARGV[i], '1') end
return 1`;

// ARGV: now, maxFailures, lockMs. Returns 1, or the time from which a try is allowed again.
const BEGIN_CODE_ATTEMPT = `
if redis.call('HEXISTS', KEYS[1], 'confirmed') == 0 then return 1 end
local tries = tonumber(redis.call('HGET', KEYS[1], 'code_tries') or '0')
local max = tonumber(ARGV[2])
if tries >= max then
  local retry_at = tonumber(redis.call('HGET', KEYS[1], 'code_tried_at') or '0') + tonumber(ARGV[3]) * (tries - max + 1)
  if tonumber(ARGV[1]) < retry_at then return retry_at end
end
redis.call('HSET', KEYS[1], 'code_tries', tries + 1, 'code_tried_at', ARGV[1])
return 1`;

// ARGV: milliseconds until the pending sign-in ends. The first code of a sign-in sets the expiry.
const COUNT_SIGN_IN_CODE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** The options, checked, with their defaults. */
const redisMfaStoreOptions = z.strictObject({
  prefix: z.string({ error: 'must be a string such as "myapp:"' }).default(DEFAULT_PREFIX),
});

/**
 * Second factors in Redis: one hash per user (`<prefix>mfa:<user id>`) holding the sealed secret,
 * the times, the last accepted time step and a `rc:<digest>` field per unused recovery code.
 * The replay guard and each change are one Lua script or one command on that single key, so they
 * are atomic and work on Redis Cluster. The codes sent to one pending sign-in are counted in a key
 * of their own (`<prefix>mfa-sign-in:<sign-in id>`), which expires with the sign-in. The choice of
 * codes by email is a key apart (`<prefix>mfa-email-codes:<user id>`), so `remove` keeps it.
 *
 * @example
 * const store = new RedisMfaStore(redis, { prefix: "myapp:" });
 */
export class RedisMfaStore implements MfaStore {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;

  constructor(redis: RedisClient, options: Readonly<RedisMfaStoreOptions> = {}) {
    if (!redis || typeof (redis as { hgetall?: unknown }).hgetall !== "function") {
      throw configError("RedisMfaStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix } = resolveOptions("RedisMfaStore", redisMfaStoreOptions, options ?? {});
    this.#redis = redis;
    this.keys = new RedisKeys(prefix);
  }

  async find(userId: string): Promise<MfaEnrolment | undefined> {
    return enrolmentOf(await this.#redis.hgetall(this.keys.mfa(userId)));
  }

  async startEnrolment(userId: string, sealedSecret: string, at: number): Promise<boolean> {
    return (await this.#redis.eval(START_ENROLMENT, 1, this.keys.mfa(userId), sealedSecret, at)) === 1;
  }

  async confirm(userId: string, { secret, recoveryCodes, at, step }: MfaConfirmation): Promise<boolean> {
    return (await this.#redis.eval(CONFIRM, 1, this.keys.mfa(userId), secret, at, step, ...recoveryCodes)) === 1;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    return (await this.#redis.eval(USE_STEP, 1, this.keys.mfa(userId), step)) === 1;
  }

  async useRecoveryCode(userId: string, digest: string): Promise<boolean> {
    return (await this.#redis.hdel(this.keys.mfa(userId), RECOVERY + digest)) === 1;
  }

  async replaceRecoveryCodes(userId: string, digests: readonly string[]): Promise<boolean> {
    return (await this.#redis.eval(REPLACE_RECOVERY_CODES, 1, this.keys.mfa(userId), ...digests)) === 1;
  }

  async remove(userId: string): Promise<boolean> {
    return (await this.#redis.del(this.keys.mfa(userId))) === 1;
  }

  async beginCodeAttempt(userId: string, at: number, { maxFailures, lockMs }: CodeAttemptPolicy): Promise<CodeAttempt> {
    const answer = Number(await this.#redis.eval(BEGIN_CODE_ATTEMPT, 1, this.keys.mfa(userId), at, maxFailures, lockMs));
    return answer === 1 ? { allowed: true } : { allowed: false, retryAt: answer };
  }

  async countSignInCode(signInId: string, at: number, expiresAt: number): Promise<number> {
    // The time left, not the instant: Redis's clock need not agree with the injected one.
    return Number(await this.#redis.eval(COUNT_SIGN_IN_CODE, 1, this.keys.mfaSignIn(signInId), Math.max(1, Math.ceil(expiresAt - at))));
  }

  async emailCodesEnabled(userId: string): Promise<boolean> {
    return (await this.#redis.exists(this.keys.mfaEmailCodes(userId))) === 1;
  }

  async setEmailCodes(userId: string, enabled: boolean): Promise<void> {
    const key = this.keys.mfaEmailCodes(userId);
    await (enabled ? this.#redis.set(key, "1") : this.#redis.del(key));
  }
}

function enrolmentOf(hash: Record<string, string>): MfaEnrolment | undefined {
  if (hash.secret === undefined || hash.started === undefined) return undefined;
  const recoveryCodes = Object.keys(hash)
    .filter((field) => field.startsWith(RECOVERY))
    .map((field) => field.slice(RECOVERY.length));
  return {
    secret: hash.secret,
    startedAt: Number(hash.started),
    recoveryCodes,
    ...(hash.confirmed === undefined ? {} : { confirmedAt: Number(hash.confirmed) }),
    ...(hash.last_step === undefined ? {} : { lastStep: Number(hash.last_step) }),
  };
}
