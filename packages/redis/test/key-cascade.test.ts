import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { eventually, useRedisServer } from "@portcullis/testing";

// Two ApiKeys on two connections of one Redis stand for two processes. Caches trust a key for an
// hour, so only a change pushed over pub/sub can explain a refusal.
const redis = useRedisServer();
const SECRET = "cascade-secret-of-at-least-32-bytes!!";
const HOUR = 3_600_000;
let run = 0;

function twoProcesses() {
  const prefix = `cascade${++run}:`;
  const make = () => {
    const store = new RedisKeyStore(redis().client(), { prefix });
    return { store, keys: new ApiKeys({ store, secret: SECRET, prefix: "cpx_live.", cache: { ttlMs: HOUR } }) };
  };
  const [a, b] = [make(), make()];
  const close = async () => {
    a.keys.close();
    b.keys.close();
    await Promise.all([a.store.close(), b.store.close()]);
  };
  return { a: a.keys, b: b.keys, close };
}

test("revoking a key in one process refuses its children and grandchildren in another whose cache held them", async () => {
  const { a, b, close } = twoProcesses();
  const parent = await a.create({ owner: "alice", name: "p", scopes: ["read"] });
  const child = await a.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id });
  const grandchild = await a.create({ owner: "alice", name: "g", scopes: ["read"], createdBy: child.record.id });
  for (const { key } of [parent, child, grandchild]) expect((await b.verify(key)).ok).toBe(true);

  await a.revoke(parent.record.id);
  await eventually(async () => !(await b.verify(grandchild.key)).ok && !(await b.verify(child.key)).ok);
  expect(await b.verify(child.key)).toMatchObject({ ok: false, code: "revoked_key" });
  expect(await b.verify(grandchild.key)).toMatchObject({ ok: false, code: "revoked_key", record: { revokedWith: parent.record.id } });
  await close();
});

test("a child created on one connection while its creator is revoked on another never survives", async () => {
  const { a, b, close } = twoProcesses();
  for (let round = 0; round < 25; round++) {
    const parent = await a.create({ owner: "alice", name: `p${round}`, scopes: ["read"] });
    const [creation] = await Promise.allSettled([
      a.create({ owner: "alice", name: `c${round}`, scopes: ["read"], createdBy: parent.record.id }),
      b.revoke(parent.record.id),
    ]);
    if (creation.status === "fulfilled") {
      const verdict = await a.verify(creation.value.key);
      expect(verdict).toMatchObject({ ok: false, code: "revoked_key" });
    } else {
      expect(creation.reason).toMatchObject({ code: "revoked_key" });
    }
  }
  await close();
});
