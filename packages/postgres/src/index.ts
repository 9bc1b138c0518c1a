export { PostgresKeyStore, type PostgresKeyStoreOptions } from "./postgres-key-store";
export { PostgresUserStore, type PostgresUserStoreOptions } from "./postgres-user-store";
export { PostgresMfaStore, type PostgresMfaStoreOptions } from "./postgres-mfa-store";
export { PostgresAuditSink, type PostgresAuditSinkOptions } from "./postgres-audit-sink";
export { migrate, type MigrateOptions, type MigrateResult } from "./migrate";
export { postgresPing } from "./postgres-ping";
export { PostgresLimiterStore, type PostgresLimiterStoreOptions } from "./postgres-limiter-store";
export { postgresSessionStorage, type PostgresSessionStorageOptions } from "./postgres-session-storage";
export { watchPostgresPool, type PostgresPoolWatch, type WatchPostgresPoolOptions } from "./watch-postgres-pool";
