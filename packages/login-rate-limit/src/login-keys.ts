import { createHash } from "node:crypto";
import { DEFAULT_PREFIX } from "@portcullis/core";
import { clientNetwork } from "./client-network";
import { normalizeUsername } from "./username";

/**
 * Every counter `loginRateLimit` keeps is named here. A shared store puts its prefix before the
 * limiter's name, and rate-limiter-flexible joins that and the counter id with `:`; on Redis
 * (`RedisLimiterStore`, whose key layout lists them too):
 *
 * | key                                     | type   | holds                                                   |
 * | --------------------------------------- | ------ | ------------------------------------------------------- |
 * | `<prefix>login-fails:[<ip>,<username>]` | string | failures in a row for one username from one IP, or its block |
 * | `<prefix>login-ip:<ip>`                 | string | failures from one IP today, or its block                |
 *
 * The IP is the client's network: an IPv6 address counts by its /64 ({@link clientNetwork}).
 * Both parts are JSON-encoded, so no IP and username can spell another pair's key. A username is
 * counted in its normalised form ({@link normalizeUsername}); a missing one is `null`. A part
 * longer than {@link MAX_KEY_PART_LENGTH} characters is replaced by `["sha256", <hex digest>]`,
 * so a megabyte of username costs Redis 80 bytes. Each command touches one key, so the layout
 * works unchanged on Redis Cluster.
 */
export const LOGIN_LIMITER_NAMES = Object.freeze({ consecutiveFailures: "login-fails", perIpPerDay: "login-ip" } as const);

/** Longer usernames and IPs are hashed before they become part of a key. */
export const MAX_KEY_PART_LENGTH = 256;

/** One part of a counter id: the value itself, `null` when absent, or a digest when too long. */
type KeyPart = string | null | readonly ["sha256", string];

function keyPart(value: string | undefined): KeyPart {
  if (value === undefined) return null;
  if (value.length <= MAX_KEY_PART_LENGTH) return value;
  return ["sha256", createHash("sha256").update(value, "utf8").digest("hex")];
}

/** The client's network (an IPv6 address by its /64); anything but a non-empty string is absent. */
function ipPart(ip: unknown): KeyPart {
  return keyPart(typeof ip === "string" && ip !== "" ? clientNetwork(ip) : undefined);
}

/** The prefixes rate-limiter-flexible puts before each limiter's counter ids in a shared store. */
export interface LoginLimiterPrefixes {
  readonly consecutiveFailures: string;
  readonly perIpPerDay: string;
}

/**
 * The key prefix of each limiter in a store whose own prefix is `prefix`.
 *
 * @example
 * limiterPrefixes("portcullis:"); // { consecutiveFailures: "portcullis:login-fails", perIpPerDay: "portcullis:login-ip" }
 */
export function limiterPrefixes(prefix: string = DEFAULT_PREFIX): LoginLimiterPrefixes {
  return {
    consecutiveFailures: `${prefix}${LOGIN_LIMITER_NAMES.consecutiveFailures}`,
    perIpPerDay: `${prefix}${LOGIN_LIMITER_NAMES.perIpPerDay}`,
  };
}

/** The ids one attempt is counted under, one per limiter (without the limiter's prefix). */
export interface LoginCounterIds {
  /** Failures in a row for this username from this IP. */
  readonly consecutiveFailures: string;
  /** Failures from this IP, whatever the username. */
  readonly perIpPerDay: string;
}

/**
 * The counter ids of an attempt by `username` from `ip`. The username is normalised here, so
 * callers pass it as the client sent it; a missing or non-string one gets the `null` placeholder.
 *
 * @example
 * loginCounterIds("203.0.113.7", " Alice ");
 * // { consecutiveFailures: '["203.0.113.7","alice"]', perIpPerDay: '"203.0.113.7"' }
 */
export function loginCounterIds(ip: unknown, username: unknown): LoginCounterIds {
  const address = ipPart(ip);
  return {
    consecutiveFailures: JSON.stringify([address, keyPart(normalizeUsername(username))]),
    perIpPerDay: JSON.stringify(address),
  };
}

/**
 * The full Redis keys of an attempt by `username` from `ip` in a `RedisLimiterStore` with this
 * `prefix`, for operators and tests (an admin unlock should use the middleware's `reset()`
 * instead, which also clears the insurance limiter).
 *
 * @example
 * loginRedisKeys("203.0.113.7", "alice").consecutiveFailures; // 'portcullis:login-fails:["203.0.113.7","alice"]'
 */
export function loginRedisKeys(ip: unknown, username: unknown, prefix: string = DEFAULT_PREFIX): LoginCounterIds {
  const prefixes = limiterPrefixes(prefix);
  const ids = loginCounterIds(ip, username);
  return {
    consecutiveFailures: `${prefixes.consecutiveFailures}:${ids.consecutiveFailures}`,
    perIpPerDay: `${prefixes.perIpPerDay}:${ids.perIpPerDay}`,
  };
}
