export { RedisKeys } from "./redis-keys";
export type { RedisClient } from "./redis-client";
export { RedisKeyStore, type RedisKeyStoreOptions } from "./redis-key-store";
export { RedisUserStore, type RedisUserStoreOptions } from "./redis-user-store";
export { RedisMfaStore, type RedisMfaStoreOptions } from "./redis-mfa-store";
export { RedisAuditSink, type RedisAuditSinkOptions } from "./redis-audit-sink";
export { RedisLimiterStore, type RedisLimiterStoreOptions } from "./redis-limiter-store";
export { redisSessionStorage, type RedisSessionStorageOptions } from "./redis-session-storage";
export { watchRedisConnection, redisPing, type WatchRedisConnectionOptions, type RedisConnectionWatch } from "./watch-redis-connection";
