// What the bench takes from @portcullis/testing, for the type-checker (tsconfig.json maps the
// package here): the throwaway redis-server and PostgreSQL. The package's other modules are jest
// suites; at run time the import resolves to the package itself, which exports these too.
export { findPostgresBinDir, startPostgres, type TestPostgres } from "../../packages/testing/src/postgres-server";
export { startRedisServer, type TestRedisServer } from "../../packages/testing/src/redis-server";
