// @ts-check
const {
  MemoryAuditSink,
  MemoryEmailTokenStore,
  MemoryIdentityStore,
  MemoryKeyStore,
  MemoryMfaStore,
  MemoryOutbox,
  MemoryUserStore,
  PostgresAuditSink,
  PostgresEmailTokenStore,
  PostgresIdentityStore,
  PostgresKeyStore,
  PostgresLimiterStore,
  PostgresMfaStore,
  PostgresOutbox,
  PostgresUserStore,
  postgresSessionStorage,
  RedisAuditSink,
  RedisEmailTokenStore,
  RedisIdentityStore,
  RedisKeyStore,
  RedisLimiterStore,
  RedisMfaStore,
  RedisOutbox,
  RedisUserStore,
  migrate,
  postgresPing,
  redisPing,
  redisSessionStorage,
  watchPostgresPool,
  watchRedisConnection,
} = require("portcullis");

/**
 * @typedef {object} DemoStorage
 * @property {import("portcullis").KeyStore} keyStore
 * @property {import("@portcullis/core").ProvisioningUserStore} users
 * @property {import("portcullis").AuditSink} audit
 * @property {import("portcullis").MfaStore} mfaStore
 * @property {import("portcullis").IdentityStore} identities accounts at sign-in providers, linked to users
 * @property {import("@portcullis/core").EmailTokenStore} emailTokens the emailed links' tokens, as digests
 * @property {import("@portcullis/core").Outbox} outbox the development outbox: the mailer without SMTP_URL
 * @property {import("portcullis").SessionStorage} [sessions] in memory when absent
 * @property {import("portcullis").LimiterStore} [limiterStore] in memory when absent
 * @property {Record<string, import("portcullis").HealthCheck>} checks what GET /readyz asks
 * @property {() => Promise<void>} close writes what the stores buffer, then ends the connections
 */

/**
 * Where the demo keeps its state, as the environment says:
 *
 * - `databaseUrl` (DATABASE_URL): keys, users, second factors, linked identities, the emailed links' tokens, the
 *   development outbox and the access log in PostgreSQL,
 *   migrated first; verified keys' cache hears of changes through LISTEN/NOTIFY.
 * - `redisUrl` (REDIS_URL): sessions and rate-limit counts on Redis, shared by every process; and,
 *   without a database, the keys, users, second factors, linked identities, links' tokens, outbox and access log too. With a database and
 *   no Redis, sessions and rate-limit counts are in PostgreSQL as well.
 * - neither: everything in memory, for as long as the process runs.
 *
 * @param {{ databaseUrl?: string, redisUrl?: string, passwords: ReturnType<typeof import("portcullis").bcryptPasswords> }} options
 * @returns {Promise<DemoStorage>}
 */
async function openStorage({ databaseUrl, redisUrl, passwords }) {
  const redis = redisUrl ? await connectRedis(redisUrl) : undefined;
  const pool = databaseUrl ? await connectPostgres(databaseUrl) : undefined;
  const records = pool ? postgresRecords(pool, passwords) : redis ? redisRecords(redis, passwords) : memoryRecords(passwords);
  const perRequest = redis ? redisPerRequest(redis) : pool ? postgresPerRequest(pool) : {};
  return {
    ...records,
    ...perRequest,
    checks: { ...(pool ? { postgres: postgresPing(pool) } : {}), ...(redis ? { redis: redisPing(redis) } : {}) },
    async close() {
      await Promise.allSettled([records.keyStore.close(), records.audit.close()]);
      await Promise.allSettled([pool?.end(), redis?.quit()]);
    },
  };
}

/** @param {string} url */
async function connectRedis(url) {
  const { Redis } = require("ioredis");
  // Auto-pipelining sends the commands of requests handled together in one write: fewer system calls.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
  watchRedisConnection(redis); // one warning when Redis goes away and one when it is back, not one per retry
  await new Promise((resolve, reject) => redis.once("ready", resolve).once("error", reject));
  return redis;
}

/**
 * A pool on the database, its schema brought up to date before anything is served. Replicas that
 * start together take turns on migrate's lock: one applies, the others find nothing to do.
 * @param {string} url
 */
async function connectPostgres(url) {
  const { Pool } = require("pg");
  const pool = new Pool({
    connectionString: url,
    connectionTimeoutMillis: 2000, // a database that does not answer is an error, not a wait
    keepAlive: true,
  });
  // An idle connection that dies (a restart, a failover) must not end the process: one warning
  // when the database goes, one when it is back. The next query opens a new connection.
  watchPostgresPool(pool);
  const { applied } = await migrate(pool);
  console.log(applied.length === 0 ? "PostgreSQL: schema up to date" : `PostgreSQL: applied migrations ${applied.join(", ")}`);
  return pool;
}

/**
 * @param {import("pg").Pool} pool
 * @param {ReturnType<typeof import("portcullis").bcryptPasswords>} passwords
 */
function postgresRecords(pool, passwords) {
  return {
    keyStore: new PostgresKeyStore(pool),
    users: new PostgresUserStore(pool, { passwords }),
    audit: new PostgresAuditSink(pool),
    mfaStore: new PostgresMfaStore(pool),
    identities: new PostgresIdentityStore(pool),
    emailTokens: new PostgresEmailTokenStore(pool),
    outbox: new PostgresOutbox(pool),
  };
}

/**
 * @param {import("ioredis").Redis} redis
 * @param {ReturnType<typeof import("portcullis").bcryptPasswords>} passwords
 */
function redisRecords(redis, passwords) {
  return {
    keyStore: new RedisKeyStore(redis),
    users: new RedisUserStore(redis, { passwords }),
    audit: new RedisAuditSink(redis),
    mfaStore: new RedisMfaStore(redis),
    identities: new RedisIdentityStore(redis),
    emailTokens: new RedisEmailTokenStore(redis),
    outbox: new RedisOutbox(redis),
  };
}

/** @param {ReturnType<typeof import("portcullis").bcryptPasswords>} passwords */
function memoryRecords(passwords) {
  return {
    keyStore: new MemoryKeyStore(),
    users: new MemoryUserStore({ passwords }),
    audit: new MemoryAuditSink(),
    mfaStore: new MemoryMfaStore(),
    identities: new MemoryIdentityStore(),
    emailTokens: new MemoryEmailTokenStore(),
    outbox: new MemoryOutbox(),
  };
}

/**
 * Sessions and rate-limit counts on Redis, shared by every process.
 * @param {import("ioredis").Redis} redis
 */
function redisPerRequest(redis) {
  return { sessions: redisSessionStorage(redis), limiterStore: new RedisLimiterStore(redis) };
}

/**
 * Sessions and rate-limit counts in PostgreSQL when there is no Redis, shared by every process.
 * @param {import("pg").Pool} pool
 */
function postgresPerRequest(pool) {
  return { sessions: postgresSessionStorage(pool), limiterStore: new PostgresLimiterStore(pool) };
}

module.exports = { openStorage };
