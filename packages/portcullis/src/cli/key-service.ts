import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { failure, messageOf } from "./cli-error";
import type { CliConfig } from "./config";

/** How long to wait for Redis to accept the connection: a CLI fails fast, it does not wait it out. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long one command may take before the CLI gives up on a Redis that stopped answering. */
export const COMMAND_TIMEOUT_MS = 5_000;

/** The key service on the server's Redis, and how to let go of it. */
export interface KeyService {
  readonly keys: ApiKeys;
  /** Flushes the store and closes the connection, so the process can exit. Never rejects. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the same `ApiKeys` the server has: same secret, key prefix and
 * Redis prefix, so the keys made here verify there.
 *
 * @throws CliError "cannot reach Redis at <url>" (exit 1) when Redis does not answer.
 * @example
 * const service = await openKeyService(readConfig(process.env, { prefix: undefined }));
 * try { await service.keys.revoke("key_4fQa"); } finally { await service.close(); }
 */
export async function openKeyService(config: CliConfig): Promise<KeyService> {
  const redis = connectionTo(config);
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
    throw unreachable(config, connectionError ?? error);
  }
  // ioredis falls back to database 0 when the URL's database does not exist; say so instead.
  const db = Number(new URL(config.redisUrl).pathname.slice(1) || "0");
  if (db !== 0) { // never on a Cluster: readConfig refuses a database there
    try {
      await redis.select(db);
    } catch (error) {
      await disconnect(redis);
      throw failure(`REDIS_URL names database ${db}, which this Redis does not have`, error);
    }
  }
  const store = new RedisKeyStore(redis, { prefix: config.redisPrefix });
  const keys = new ApiKeys({ store, secret: config.secret, prefix: config.keyPrefix, scopes: config.scopes });
  return {
    keys,
    async close() {
      try {
        await store.close();
      } catch {
        // The CLI records no usage, so there is nothing to lose here.
      } finally {
        await disconnect(redis);
      }
    },
  };
}

/**
 * The one-line failure for a Redis that refused, dropped or timed out, with the client's reason
 * (which names a host and port, never the password).
 *
 * @example
 * throw unreachable(config, error); // cannot reach Redis at redis://localhost:6379 (connect ECONNREFUSED 127.0.0.1:6379)
 */
export function unreachable(config: CliConfig, error: unknown): Error {
  const message = messageOf(error);
  const reason = message === "" ? "" : ` (${message})`;
  return failure(`cannot reach Redis at ${config.redisDisplayUrl}${reason}`, error);
}

/** A client that makes one attempt, bounded in time, then errs: a CLI in a pipeline must fail, never hang. */
function connectionTo(config: CliConfig): Redis | Cluster {
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
  if (!config.cluster) return new ioredis.Redis(config.redisUrl, options);
  const { lazyConnect: _connectsWithTheCluster, ...nodeOptions } = options;
  // The one node given tells the client where every other master is.
  const url = new URL(config.redisUrl);
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
