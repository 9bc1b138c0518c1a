import { RedisIdentityStore } from "@portcullis/redis";
import {
  describeIdentityStoreContract,
  useRedisCluster,
} from "@portcullis/testing";

// Every identity key carries the hash tag {identities}, so link's and unlink's scripts, which
// touch the hash of every identity and the user's set, hold through ioredis's Cluster client on
// three real masters.
const cluster = useRedisCluster();
let run = 0;

describeIdentityStoreContract(
  "RedisIdentityStore on Redis Cluster",
  () => new RedisIdentityStore(cluster().client(), { prefix: `c${++run}:` })
);
