import { PortcullisError, type NewUser, type PasswordHasher, type ProvisioningUserStore, type UserRecord, DEFAULT_PREFIX } from "@portcullis/core";
import {
  checked,
  configError,
  functionOption,
  guardStore,
  newUserId,
  normalizeEmail,
  resolveOptions,
  timeoutMsOption,
  validateEmail,
  validateNewUser,
} from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisUserStoreOptions {
  /** Hashes and checks passwords: `bcryptPasswords()` from `@portcullis/session-auth`. */
  readonly passwords: PasswordHasher;
  /** @default "portcullis:" */
  readonly prefix?: string;
  /** Stamps password changes; pass the clock sessions use. @default Date.now */
  readonly now?: () => number;
  /**
   * How long one Redis call may take, in milliseconds, before it fails with 503. Password checks
   * and hashes are not counted: under load they queue for bcrypt's threads, and a slow bcrypt is
   * no outage.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

const isPasswordHasher = (value: unknown): value is PasswordHasher => value !== null && typeof value === "object";

/** The options, checked, with their defaults. */
const redisUserStoreOptions = z.strictObject({
  passwords: checked(isPasswordHasher, "is required: pass bcryptPasswords() from @portcullis/session-auth"),
  prefix: z.string().default(DEFAULT_PREFIX),
  now: functionOption<() => number>("must be a function returning milliseconds").default(() => Date.now),
  timeoutMs: timeoutMsOption,
});

// A password set on a passwordless account makes it an ordinary one.
const SET_PASSWORD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'pwd_changed', ARGV[2])
redis.call('HDEL', KEYS[1], 'passwordless')
return 1`;

// EXISTS and HSET in one script: a role is never written into a user deleted meanwhile, which
// would leave a record of a role alone.
const SET_ROLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'role', ARGV[1])
return 1`;

// ARGV: the address read, the new one. Moves the record only if its address is still the one
// read, so of two changes of one user the later one starts over. 0: no such user; -1: changed meanwhile.
const MOVE_EMAIL = `
local current = redis.call('HGET', KEYS[1], 'email')
if not current then return 0 end
if current ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'email', ARGV[2])
return 1`;

// ARGV: the user id. Frees an address only while it still leads to this user.
const RELEASE_EMAIL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** How many times `setEmail` starts over when the same user's address changes meanwhile. */
const SET_EMAIL_ROUNDS = 5;

/**
 * Users in Redis: a hash per user and an email index. For hosts without a user database of their
 * own, and for the demo; a host with one implements `UserStore` over it instead. A passwordless
 * user's hash has no `hash` field and a `passwordless` one.
 */
export class RedisUserStore implements ProvisioningUserStore {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;
  readonly #passwords: PasswordHasher;
  readonly #now: () => number;
  readonly #timeoutMs: number;

  constructor(redis: RedisClient, options: Readonly<RedisUserStoreOptions>) {
    if (!redis || typeof (redis as { hgetall?: unknown }).hgetall !== "function") {
      throw configError("RedisUserStore", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const config = resolveOptions("RedisUserStore", redisUserStoreOptions, options ?? {});
    this.#redis = redis;
    this.#passwords = config.passwords;
    this.#now = config.now;
    this.#timeoutMs = config.timeoutMs;
    this.keys = new RedisKeys(config.prefix);
  }

  /** Adds a user, passwordless without `password`. @throws PortcullisError `conflict` when the email is taken. */
  async create(user: NewUser): Promise<UserRecord> {
    validateNewUser(user, this.#passwords);
    const email = normalizeEmail(user.email);
    const secret = user.password === undefined ? { passwordless: "1" } : { hash: await this.#passwords.hash(user.password) };
    const id = newUserId();
    const record = this.keys.user(id);
    // The user is written before the email is claimed (SET NX, so two sign-ups with one address
    // cannot both succeed), so a claimed email always leads to its user: a failure between the
    // two steps leaves the address free, and at worst a record that nothing leads to.
    await this.#guard(this.#redis.hset(record, { id, email, role: user.role, ...secret }));
    if ((await this.#guard(this.#redis.set(this.keys.userByEmail(email), id, "NX"))) !== "OK") {
      // The claim was refused, so nothing leads to this record: it goes (or, if Redis fails now, stays unreachable).
      await this.#guard(this.#redis.del(record)).catch(() => undefined);
      throw new PortcullisError("conflict", "email: already registered");
    }
    return user.password === undefined ? { id, email, role: user.role, passwordless: true } : { id, email, role: user.role };
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return publicUser(await this.#guard(this.#redis.hgetall(this.keys.user(id))));
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const address = normalizeEmail(email);
    const id = await this.#guard(this.#redis.get(this.keys.userByEmail(address)));
    // As verifyCredentials: an unknown email reads a user that cannot exist, so both paths cost two
    // round trips (one for a stranger made a reset request measurably quicker: 0.4 ms at the median).
    const found = await this.#guard(this.#redis.hgetall(this.keys.user(id ?? "usr_none")));
    // A claim left by a change of address cut short leads to a user who has another.
    return found.email === address ? publicUser(found) : undefined;
  }

  async verifyCredentials(email: string, password: string): Promise<UserRecord | undefined> {
    const address = normalizeEmail(email);
    const id = await this.#guard(this.#redis.get(this.keys.userByEmail(address)));
    // An unknown email reads a user that cannot exist, so both paths cost two round trips.
    const found = await this.#guard(this.#redis.hgetall(this.keys.user(id ?? "usr_none")));
    // A claim left by a change of address cut short leads to nobody: checked like an unknown email.
    const hash: Record<string, string> = found.email === address ? found : {};
    // A passwordless user is checked against the dummy hash too, and never matches.
    const matches = await this.#passwords.verify(password, hash.hash ?? this.#passwords.dummyHash);
    return matches && hash.hash !== undefined ? publicUser(hash) : undefined;
  }

  async changePassword(userId: string, newPassword: string): Promise<boolean> {
    this.#passwords.assertStorable(newPassword);
    const hash = await this.#passwords.hash(newPassword);
    return (await this.#guard(this.#redis.eval(SET_PASSWORD, 1, this.keys.user(userId), hash, this.#now()))) === 1;
  }

  async setRole(userId: string, role: string): Promise<boolean> {
    if (typeof role !== "string" || role === "") throw new PortcullisError("invalid_request", "role: is required");
    return (await this.#guard(this.#redis.eval(SET_ROLE, 1, this.keys.user(userId), role))) === 1;
  }

  /**
   * Claims the new address (SET NX, as `create` does), then moves the record to it, then frees
   * the old one: three single-key steps, so it works on Redis Cluster. A failure part-way leaves
   * the new address claimed or the old one still claimed, never a user whose address leads
   * nowhere; a claim whose record holds another address finds nobody.
   * @throws PortcullisError `conflict` when another user has the address.
   */
  async setEmail(userId: string, email: string): Promise<boolean> {
    validateEmail(email);
    const address = normalizeEmail(email);
    const record = this.keys.user(userId);
    const claim = this.keys.userByEmail(address);
    for (let round = 0; round < SET_EMAIL_ROUNDS; round++) {
      const current = await this.#guard(this.#redis.hget(record, "email"));
      if (current === null) return false;
      if (current === address) return true;
      // Already ours: a change to this address cut short, or another under way for this user.
      const claimed = (await this.#guard(this.#redis.set(claim, userId, "NX"))) === "OK" || (await this.#guard(this.#redis.get(claim))) === userId;
      if (!claimed) throw new PortcullisError("conflict", "email: already registered");
      const moved = Number(await this.#guard(this.#redis.eval(MOVE_EMAIL, 1, record, current, address)));
      if (moved === 1) {
        await this.#guard(this.#redis.eval(RELEASE_EMAIL, 1, this.keys.userByEmail(current), userId));
        return true;
      }
      if (moved === 0) {
        await this.#guard(this.#redis.eval(RELEASE_EMAIL, 1, claim, userId));
        return false;
      }
    }
    throw new PortcullisError("conflict", "email: changed by another request meanwhile");
  }

  #guard<T>(command: Promise<T>): Promise<T> {
    return guardStore(command, this.#timeoutMs);
  }
}

function publicUser(hash: Record<string, string>): UserRecord | undefined {
  if (hash.id === undefined || hash.email === undefined || hash.role === undefined) return undefined;
  return {
    id: hash.id,
    email: hash.email,
    role: hash.role,
    ...(hash.pwd_changed === undefined ? {} : { passwordChangedAt: Number(hash.pwd_changed) }),
    ...(hash.passwordless === undefined ? {} : { passwordless: true }),
  };
}
