import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { eventually, useRedisCluster, useRedisServer } from "@portcullis/testing";
import type { Cluster, Redis } from "ioredis";

// Two ApiKeys on two clients of one Redis stand for two processes. Their caches trust a key for
// an hour, so only the change pushed over pub/sub can explain a refusal.
const SECRET = "invalidation-secret-of-32-bytes-or-more";
const HOUR = 3_600_000;
const redis = useRedisServer();
let run = 0;

function process(client: Redis | Cluster, prefix: string) {
  const store = new RedisKeyStore(client, { prefix });
  const keys = new ApiKeys({ store, secret: SECRET, prefix: "cpx_live.", cache: { ttlMs: HOUR } });
  return { store, keys };
}

/** Counts the times the store told its listeners changes may have been missed. */
function countLosses(store: RedisKeyStore): { count: number } {
  const losses = { count: 0 };
  const watch = store.watch.bind(store);
  jest.spyOn(store, "watch").mockImplementation((listener) =>
    watch({ changed: (digest) => listener.changed(digest), lost: () => (losses.count++, listener.lost()) }),
  );
  return losses;
}

/** Two processes sharing one Redis, whose caches are warm (and listening) for a new key. */
async function twoProcesses(clients: () => Redis | Cluster) {
  const prefix = `inv${++run}:`;
  const a = process(clients(), prefix);
  const b = process(clients(), prefix);
  const losses = countLosses(b.store);
  const created = await a.keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
  const findByDigest = jest.spyOn(b.store, "findByDigest");
  expect((await b.keys.verify(created.key)).ok).toBe(true);
  // The subscription is confirmed (and the cache cleared) once; b hears every change from then on.
  await eventually(() => losses.count === 1);
  expect((await b.keys.verify(created.key)).ok).toBe(true);
  const close = async () => {
    a.keys.close();
    b.keys.close();
    await Promise.all([a.store.close(), b.store.close()]);
  };
  return { a, b, ...created, findByDigest, losses, close };
}

let probe: Redis | undefined;

/** True while some connection listens on the store's change channel. */
async function subscribed(store: RedisKeyStore): Promise<boolean> {
  probe ??= redis().client();
  const [, listeners] = (await probe.pubsub("NUMSUB", store.keys.keyChanges())) as [string, number];
  return listeners >= 1;
}

/** Revokes through one process and expects the other, whose cache held the key, to refuse it. */
async function expectRevocationHeard(clients: () => Redis | Cluster): Promise<void> {
  const { a, b, key, record, close } = await twoProcesses(clients);
  await a.keys.revoke(record.id);
  await eventually(async () => (await b.keys.verify(key)).ok === false);
  expect(await b.keys.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
  await close();
}

describe("RedisKeyStore change feed", () => {
  test("a key revoked in one process is refused by another whose cache held it", async () => {
    await expectRevocationHeard(() => redis().client());
  });

  test("a rotation without grace ends the old key in the other process; the new key works there", async () => {
    const { a, b, key, record, close } = await twoProcesses(() => redis().client());

    const rotated = await a.keys.rotate(record.id, { gracePeriodMs: 0 });
    await eventually(async () => (await b.keys.verify(key)).ok === false);
    expect(await b.keys.verify(key)).toMatchObject({ ok: false, code: "expired_key" });
    expect((await b.keys.verify(rotated!.key)).ok).toBe(true);
    await close();
  });

  test("a revocation made by the store alone (the CLI's way) is announced too", async () => {
    const { a, b, key, record, close } = await twoProcesses(() => redis().client());

    await a.store.update(record.id, { revokedAt: Date.now() });
    await eventually(async () => (await b.keys.verify(key)).ok === false);
    await close();
  });

  test("a warm key costs the other process no Redis read until something changes", async () => {
    const { b, key, findByDigest, close } = await twoProcesses(() => redis().client());
    const readsSoFar = findByDigest.mock.calls.length;

    for (let i = 0; i < 20; i++) expect((await b.keys.verify(key)).ok).toBe(true);
    expect(findByDigest.mock.calls.length).toBe(readsSoFar);
    await close();
  });

  test("when the feed drops, cached keys serve on; once it is back the cache starts afresh", async () => {
    const server = redis();
    const { b, key, losses, close } = await twoProcesses(() => server.client());

    await server.kill();
    expect((await b.keys.verify(key)).ok).toBe(true); // from the cache, within its time to live
    await server.restart(); // an empty Redis: the key is gone, as a change missed while down would be
    await eventually(() => losses.count === 2); // the confirmed resubscription
    await eventually(async () => (await b.keys.verify(key).catch(() => ({ ok: true }))).ok === false);
    expect(await b.keys.verify(key)).toMatchObject({ ok: false, code: "invalid_key" });
    await close();
  });

  test("a host client made with lazyConnect still gets its change feed", async () => {
    await expectRevocationHeard(() => redis().client({ lazyConnect: true }));
  });

  test("closing the host's client ends the store's subscription with it", async () => {
    const client = redis().client();
    const { store, keys } = process(client, `inv${++run}:`);
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    await keys.verify(key);
    await eventually(() => subscribed(store));

    client.disconnect();
    await eventually(async () => !(await subscribed(store)));
  });

  test("a host client that ends and connects again gets its change feed back", async () => {
    const prefix = `inv${++run}:`;
    const client = redis().client();
    const b = process(client, prefix);
    const a = process(redis().client(), prefix);
    const { key, record } = await a.keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    expect((await b.keys.verify(key)).ok).toBe(true);
    await eventually(() => subscribed(b.store));

    client.disconnect();
    await eventually(async () => !(await subscribed(b.store)));
    await client.connect();
    await eventually(() => subscribed(b.store));
    expect((await b.keys.verify(key)).ok).toBe(true);
    await a.keys.revoke(record.id);
    await eventually(async () => (await b.keys.verify(key)).ok === false);
    a.keys.close();
    b.keys.close();
    await Promise.all([a.store.close(), b.store.close()]);
  });
});

describe("RedisKeyStore change feed on Redis Cluster", () => {
  const cluster = useRedisCluster();

  test("a key revoked through one cluster client is refused by another whose cache held it", async () => {
    await expectRevocationHeard(() => cluster().client());
  });
});
