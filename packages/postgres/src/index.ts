export { PostgresKeyStore, type PostgresKeyStoreOptions } from "./postgres-key-store";
export { migrate, type MigrateOptions, type MigrateResult } from "./migrate";
