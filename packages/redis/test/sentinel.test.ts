import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { describeKeyStoreContract, eventually, useRedisSentinel } from "@portcullis/testing";
import type { Redis } from "ioredis";

// The key store through Redis Sentinel (a master and one sentinel monitoring it): the client asks
// the sentinel where the master is, and the change feed's own connection does the same.
const sentinel = useRedisSentinel();
const SECRET = "sentinel-secret-of-32-bytes-or-more!!";
const HOUR = 3_600_000;
let run = 0;

describeKeyStoreContract("RedisKeyStore through Redis Sentinel", () => new RedisKeyStore(sentinel().client(), { prefix: `s${++run}:` }));

/** One process: its own client, store and keys, whose cache trusts a key for an hour. */
function process(client: Redis, prefix: string) {
  const store = new RedisKeyStore(client, { prefix });
  return { store, keys: new ApiKeys({ store, secret: SECRET, prefix: "cpx_live.", cache: { ttlMs: HOUR } }) };
}

async function closeAll(...processes: ReturnType<typeof process>[]) {
  for (const { keys } of processes) keys.close();
  await Promise.all(processes.map(({ store }) => store.close()));
}

/** True once this connection's change feed is listening (NUMSUB counts it on the master). */
async function feedListening(client: Redis, store: RedisKeyStore): Promise<boolean> {
  const [, listeners] = (await client.pubsub("NUMSUB", store.keys.keyChanges())) as [string, number];
  return listeners >= 1;
}

test("a key revoked through one process is refused by another whose cache held it", async () => {
  const prefix = `inv${++run}:`;
  const a = process(sentinel().client(), prefix);
  const bClient = sentinel().client();
  const b = process(bClient, prefix);
  const { key, record } = await a.keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  expect((await b.keys.verify(key)).ok).toBe(true);
  await eventually(() => feedListening(bClient, b.store));
  expect((await b.keys.verify(key)).ok).toBe(true); // cached now

  await a.keys.revoke(record.id);
  await eventually(async () => (await b.keys.verify(key)).ok === false);
  expect(await b.keys.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
  await closeAll(a, b);
});
