import { type HealthCheck, type Logger } from "@portcullis/core";
import { configError, isIoredisLike, loggerOption, OutageLog, resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";

/** Options of {@link watchRedisConnection}. */
export interface WatchRedisConnectionOptions {
  /**
   * Where the two lines of an outage go.
   * @default console
   */
  readonly logger?: Logger;
  /**
   * How the lines name this connection, for a process with several.
   * @default "Redis"
   */
  readonly name?: string;
}

const NAME_RULE = 'must be a string of 1 to 100 characters, such as "sessions Redis"';

/** The options, checked, with their defaults. */
const watchRedisConnectionOptions = z.strictObject({
  logger: loggerOption,
  name: z.string({ error: NAME_RULE }).min(1, { error: NAME_RULE }).max(100, { error: NAME_RULE }).default("Redis"),
});

/** A watch on one client's connection. */
export interface RedisConnectionWatch {
  /** Whether the client is connected and ready for commands right now. */
  readonly connected: boolean;
  /** Removes the watch's listeners (ioredis then prints its own "Unhandled error event" lines again). */
  stop(): void;
}

/**
 * Turns ioredis's line per failed reconnection ("[ioredis] Unhandled error event", with a stack,
 * every few hundred milliseconds of an outage) into two warnings: one when the connection goes
 * away, one when it is back. Give it each client the process makes, once, right after creating
 * it; portcullis's own extra connections (the key-change feed) are already silent.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
 * watchRedisConnection(redis);
 * // portcullis: lost the connection to Redis (connect ECONNREFUSED 10.0.0.5:6379); requests that need it are refused with 503 until it is back
 * // portcullis: the connection to Redis is back
 */
export function watchRedisConnection(client: RedisClient, options: Readonly<WatchRedisConnectionOptions> = {}): RedisConnectionWatch {
  const factory = "watchRedisConnection";
  if (!isIoredisLike(client) || typeof (client as { on?: unknown }).on !== "function") {
    throw configError(factory, "the client must be an ioredis Redis or Cluster (new Redis(url) or new Cluster(nodes))");
  }
  const { logger, name } = resolveOptions(factory, watchRedisConnectionOptions, options ?? {});
  // Every further reconnection attempt of the same outage fails the same way: one line for all.
  const outage = new OutageLog(logger, name);
  const onError = (error: unknown) => outage.lost(describe(error));
  const onReconnecting = () => outage.lost("connection closed");
  const onReady = () => outage.back();
  // A Cluster reports a node's connection errors as "node error", its own as "error".
  const listeners = [["error", onError], ["node error", onError], ["reconnecting", onReconnecting], ["ready", onReady]] as const;
  for (const [event, listener] of listeners) client.on(event, listener);
  return {
    get connected() {
      return client.status === "ready";
    },
    stop() {
      for (const [event, listener] of listeners) client.off(event, listener);
    },
  };
}

/** The error's message (ioredis's say what failed and where), never its stack. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message || String((error as { code?: unknown }).code ?? error.name);
}

/**
 * A readiness check for `healthRoutes`: a PING that must answer.
 *
 * @example
 * app.use(healthRoutes({ checks: { redis: redisPing(redis) } }));
 */
export function redisPing(client: RedisClient): HealthCheck {
  if (!isIoredisLike(client)) throw configError("redisPing", "the client must be an ioredis Redis or Cluster");
  return () => client.ping();
}
