export * from "./redis-keys";
export type * from "./redis-client";
export * from "./redis-key-store";
export * from "./redis-user-store";
export * from "./redis-mfa-store";
export * from "./redis-audit-sink";
export { RedisLimiterStore, type RedisLimiterStoreOptions } from "./redis-limiter-store";
export { watchRedisConnection, redisPing, type WatchRedisConnectionOptions, type RedisConnectionWatch } from "./watch-redis-connection";
export { redisSessionStorage, type RedisSessionStorageOptions } from "./redis-session-storage";
