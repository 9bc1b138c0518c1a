import { ApiKeys, type KeyStore } from "@portcullis/core";
import { PostgresKeyStore } from "@portcullis/postgres";
import { RedisKeyStore } from "@portcullis/redis";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { failure, unreachable } from "./cli-error";
import type { CliConfig, PostgresTarget, RedisTarget } from "./config";
import { COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS } from "./timeouts";
import { connectPostgres, schemaError } from "./postgres-connection";

/** The key service on the server's store, and how to let go of it. */
export interface KeyService {
  readonly keys: ApiKeys;
  /** Flushes the store and closes the connection, so the process can exit. Never rejects. */
  close(): Promise<void>;
}

/**
 * Connects to the server's store (PostgreSQL or Redis, as the configuration says) and builds the
 * same `ApiKeys` the server has: same secret, key prefix, and Redis prefix or PostgreSQL schema,
 * so the keys made here verify there.
 *
 * @throws CliError "cannot reach Redis at <url>" or "cannot reach PostgreSQL at <url>" (exit 1)
 *   when the store does not answer.
 * @example
 * const service = await openKeyService(readConfig(process.env, { prefix: undefined }));
 * try { await service.keys.revoke("key_4fQa"); } finally { await service.close(); }
 */
export async function openKeyService(config: CliConfig): Promise<KeyService> {
  const opened = config.store.kind === "postgres" ? await openPostgresStore(config.store) : await openRedisStore(config.store);
  const keys = new ApiKeys({ store: opened.store, secret: config.secret, prefix: config.keyPrefix, scopes: config.scopes });
  return {
    keys,
    async close() {
      try {
        await opened.store.close();
      } catch {
        // The CLI records no usage, so there is nothing to lose here.
      } finally {
        await opened.disconnect();
      }
    },
  };
}

/** A key store and the connection under it. */
interface OpenedStore {
  readonly store: KeyStore;
  disconnect(): Promise<void>;
}

/**
 * The server's PostgreSQL, reached and checked: the schema must hold the key table, or the
 * command would fail halfway with a less helpful error.
 */
async function openPostgresStore(target: PostgresTarget): Promise<OpenedStore> {
  const db = await connectPostgres(target, { query_timeout: COMMAND_TIMEOUT_MS });
  try {
    let store: PostgresKeyStore;
    try {
      store = new PostgresKeyStore(db.pool, { schema: target.schema, timeoutMs: COMMAND_TIMEOUT_MS });
    } catch (error) {
      throw schemaError(error);
    }
    const { rows } = await db.pool.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [`"${target.schema}".api_keys`]);
    if (!rows[0]?.found) {
      throw failure(`PostgreSQL at ${target.displayUrl} has no portcullis tables in the schema "${target.schema}": run "portcullis migrate" first`);
    }
    return { store, disconnect: db.close };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function openRedisStore(target: RedisTarget): Promise<OpenedStore> {
  const redis = connectionTo(target);
  // Heard here so ioredis does not log it; kept because connect() rejects with a vaguer
  // "Connection is closed." than the error that closed it (ECONNREFUSED, ENOTFOUND, WRONGPASS).
  let connectionError: unknown;
  redis.on("error", (error: unknown) => {
    connectionError ??= error;
  });
  try {
    await redis.connect();
  } catch (error) {
    await disconnect(redis);
    throw unreachable("Redis", target.displayUrl, connectionError ?? error);
  }
  // ioredis falls back to database 0 when the URL's database does not exist; say so instead.
  const db = Number(new URL(target.url).pathname.slice(1) || "0");
  if (db !== 0) { // never on a Cluster: readConfig refuses a database there
    try {
      await redis.select(db);
    } catch (error) {
      await disconnect(redis);
      throw failure(`REDIS_URL names database ${db}, which this Redis does not have`, error);
    }
  }
  return { store: new RedisKeyStore(redis, { prefix: target.prefix }), disconnect: () => disconnect(redis) };
}

/** A client that makes one attempt, bounded in time, then errs: a CLI in a pipeline must fail, never hang. */
function connectionTo(target: RedisTarget): Redis | Cluster {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // So an operator reading CLIENT LIST can tell the CLI's connection from the servers'.
    connectionName: "portcullis-cli",
  };
  const ioredis = loadIoredis();
  if (!target.cluster) return new ioredis.Redis(target.url, options);
  const { lazyConnect: _connectsWithTheCluster, ...nodeOptions } = options;
  // The one node given tells the client where every other master is.
  const url = new URL(target.url);
  const node = { host: url.hostname, port: Number(url.port || 6379) };
  const credentials = {
    ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return new ioredis.Cluster([node], {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    redisOptions: { ...nodeOptions, ...credentials },
  });
}

/** ioredis is an optional peer of portcullis; load it only when a command needs Redis. */
function loadIoredis(): typeof import("ioredis") {
  try {
    return require("ioredis") as typeof import("ioredis");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
    throw failure('the portcullis CLI needs ioredis to reach Redis: install it with "npm install ioredis"', error);
  }
}

async function disconnect(redis: Redis | Cluster): Promise<void> {
  // An ended client has no socket left; disconnecting it again would start a 2 s timer
  // (ioredis's disconnectTimeout) that holds the process open for nothing.
  if (redis.status === "end") return;
  if (redis.status === "ready") {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: the socket is closed below either way.
    }
  }
  redis.disconnect();
}
