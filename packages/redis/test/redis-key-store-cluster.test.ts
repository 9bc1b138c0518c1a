import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { describeKeyStoreContract, useRedisCluster } from "@portcullis/testing";

// The same contract as on a single node, through ioredis's Cluster client on three real masters:
// every command and script touches one key, so keys spread over all slots work unchanged.
const cluster = useRedisCluster();
let run = 0;

describeKeyStoreContract("RedisKeyStore on Redis Cluster", () => new RedisKeyStore(cluster().client(), { prefix: `c${++run}:` }));

test("keys land on every master, and the whole lifecycle works across them", async () => {
  const client = cluster().client();
  const keys = new ApiKeys({ store: new RedisKeyStore(client, { prefix: "spread:" }), secret: "cluster-secret-of-at-least-32-bytes!", prefix: "cpx_live." });
  const made = [];
  for (let i = 0; i < 30; i++) made.push(await keys.create({ owner: `owner-${i % 3}`, name: `k${i}`, scopes: ["read"] }));
  for (const { key } of made) expect((await keys.verify(key)).ok).toBe(true);
  const rotated = await keys.rotate(made[0]!.record.id, { gracePeriodMs: 0 });
  await keys.revoke(made[1]!.record.id);
  expect(await keys.verify(made[0]!.key)).toMatchObject({ ok: false, code: "expired_key" });
  expect(await keys.verify(made[1]!.key)).toMatchObject({ ok: false, code: "revoked_key" });
  expect((await keys.verify(rotated!.key)).ok).toBe(true);

  const perMaster = await Promise.all(client.nodes("master").map((node) => node.dbsize()));
  expect(perMaster).toHaveLength(3);
  for (const count of perMaster) expect(count).toBeGreaterThan(0);
});
