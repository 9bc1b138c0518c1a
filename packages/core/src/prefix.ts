/**
 * The default of every `prefix` option: what starts each key portcullis writes in a shared store
 * (the Redis stores, the Redis limiter store), so several apps can share one Redis. Defined here
 * once; every adapter and helper that names a key reads it from here.
 *
 * @example
 * new RedisKeyStore(redis, { prefix: DEFAULT_PREFIX }); // the same as leaving it out
 */
export const DEFAULT_PREFIX = "portcullis:";
