import type { Cluster, Redis } from "ioredis";

/** A single-node client or a Cluster client; the adapters use only commands both route by key. */
export type RedisClient = Redis | Cluster;
