// packages/testing/src/redis-server.ts, which gives the bench its throwaway redis-server, also
// defines useRedisServer() for jest suites, calling jest's beforeAll and afterAll. The bench never
// calls it; these two declarations let that module type-check without all of jest's globals.
declare function beforeAll(fn: () => unknown): void;
declare function afterAll(fn: () => unknown): void;
