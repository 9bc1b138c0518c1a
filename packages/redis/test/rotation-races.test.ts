import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
const secret = "rotation-race-secret-of-at-least-32-bytes";

function keysOnRedis(prefix: string) {
  // Two stores on two connections: the races cross connections, as two processes' would. The
  // races are the subject, not deadlines: a loaded machine must not turn a slow reply into a 503.
  const make = () => new ApiKeys({ store: new RedisKeyStore(redis().client(), { prefix }), secret, prefix: "cpx_live.", timeoutMs: 20_000 });
  return [make(), make()] as const;
}

test("of concurrent rotations of one key on two connections exactly one succeeds; the loser leaves nothing behind", async () => {
  const [a, b] = keysOnRedis("race1:");
  const { record } = await a.create({ owner: "alice", name: "svc", scopes: ["read"] });
  const outcomes = await Promise.allSettled([a.rotate(record.id, { gracePeriodMs: 60_000 }), b.rotate(record.id, { gracePeriodMs: 60_000 })]);
  const won = outcomes.filter((o) => o.status === "fulfilled");
  const lost = outcomes.filter((o) => o.status === "rejected");
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
  const listed = await a.list("alice");
  expect(listed.records.map((r) => r.id).sort()).toEqual([record.id, (won[0] as PromiseFulfilledResult<{ record: { id: string } }>).value.record.id].sort());
});

test("a rotation racing a revocation never leaves a working key behind a revoked one", async () => {
  for (let round = 0; round < 20; round++) {
    const [a, b] = keysOnRedis(`race2-${round}:`);
    const { record } = await a.create({ owner: "alice", name: "svc", scopes: ["read"] });
    const [rotation] = await Promise.allSettled([a.rotate(record.id, { gracePeriodMs: 60_000 }), b.revoke(record.id)]);
    const old = await a.get(record.id);
    expect(old?.revokedAt).toBeDefined();
    if (rotation.status === "fulfilled") {
      // The rotation claimed the key first: the revocation came after it, as the owner sees.
      expect(old?.rotatedTo).toBe(rotation.value!.record.id);
    } else {
      expect(rotation.reason).toMatchObject({ code: "conflict" });
      expect((await a.list("alice", { status: "all" })).records).toHaveLength(1);
    }
  }
});
