// packages/testing/src/redis-server.ts and postgres-server.ts, which give the bench its throwaway servers, also
// define useRedisServer() and usePostgres() for jest suites, calling jest's beforeAll and afterAll. The bench never
// calls it; these two declarations let that module type-check without all of jest's globals.
declare function beforeAll(fn: () => unknown, timeoutMs?: number): void;
declare function afterAll(fn: () => unknown): void;
