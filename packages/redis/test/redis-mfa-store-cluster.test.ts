import { RedisMfaStore } from "@portcullis/redis";
import { describeMfaStoreContract, useRedisCluster } from "@portcullis/testing";

// Every MFA operation is one command or one script on the user's own hash, so the contract holds
// through ioredis's Cluster client on three real masters.
const cluster = useRedisCluster();
let run = 0;

describeMfaStoreContract("RedisMfaStore on Redis Cluster", () => new RedisMfaStore(cluster().client(), { prefix: `c${++run}:` }));
