import { RedisEmailTokenStore, RedisOutbox } from "@portcullis/redis";
import { describeEmailTokenStoreContract, describeOutboxContract, useRedisCluster } from "@portcullis/testing";

// Each token, each code and the outbox is one key, and every command or script touches one, so
// the contracts hold through ioredis's Cluster client on three real masters.
const cluster = useRedisCluster();
let run = 0;

describeEmailTokenStoreContract("RedisEmailTokenStore on Redis Cluster", () => new RedisEmailTokenStore(cluster().client(), { prefix: `c${++run}:` }));
describeOutboxContract("RedisOutbox on Redis Cluster", (options) => new RedisOutbox(cluster().client(), { prefix: `c${++run}:`, ...options }));
