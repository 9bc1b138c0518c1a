import { RedisIdentityStore } from "@portcullis/redis";
import { describeIdentityStoreContract, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let run = 0;

describeIdentityStoreContract("RedisIdentityStore", () => new RedisIdentityStore(redis().client(), { prefix: `i${++run}:` }));

test("one hash of every identity and a sorted set per user, all under the hash tag {identities}; nothing left once unlinked", async () => {
  const client = redis().client();
  const store = new RedisIdentityStore(client, { prefix: "layout:" });
  await store.link({ provider: "google", subject: "sub:1", userId: "usr_1", email: "ada@example.com", linkedAt: 1_700_000_000_000 });
  await store.link({ provider: "github", subject: "42", userId: "usr_1", linkedAt: 1_700_000_060_000 });
  expect((await client.keys("layout:*")).sort()).toEqual(["layout:{identities}:by-subject", "layout:{identities}:user:usr_1"]);
  expect(await client.hgetall("layout:{identities}:by-subject")).toEqual({
    '["google","sub:1"]': '{"userId":"usr_1","email":"ada@example.com","linkedAt":1700000000000}',
    '["github","42"]': '{"userId":"usr_1","linkedAt":1700000060000}',
  });
  expect(await client.zrange("layout:{identities}:user:usr_1", "0", "-1", "WITHSCORES")).toEqual(['["google","sub:1"]', "1700000000000", '["github","42"]', "1700000060000"]);
  expect(await store.unlink("usr_1", "google", "sub:1")).toBe("unlinked");
  expect(await store.unlink("usr_1", "github", "42")).toBe("unlinked");
  expect(await client.keys("layout:*")).toEqual([]); // Redis drops an emptied hash or set
});

test("options are checked when the store is made", () => {
  expect(() => new RedisIdentityStore({} as never)).toThrow(/^RedisIdentityStore: the first argument must be an ioredis client/);
  expect(() => new RedisIdentityStore(redis().client(), { prefx: "x" } as never)).toThrow('RedisIdentityStore: unknown option "prefx"; the options are prefix, timeoutMs');
  expect(() => new RedisIdentityStore(redis().client(), { prefix: 1 } as never)).toThrow('RedisIdentityStore: "prefix" must be a string such as "myapp:"');
  expect(() => new RedisIdentityStore(redis().client(), { timeoutMs: 0 })).toThrow('RedisIdentityStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
});

test("a Redis that does not answer fails each call with 503 auth_unavailable after timeoutMs", async () => {
  const store = new RedisIdentityStore(redis().client(), { prefix: `stalled${++run}:`, timeoutMs: 50 });
  await store.link({ provider: "google", subject: "s", userId: "usr_1", linkedAt: 1 });
  redis().stall();
  try {
    const unavailable = { code: "auth_unavailable", status: 503 };
    await expect(store.find("google", "s")).rejects.toMatchObject(unavailable);
    await expect(store.listByUser("usr_1")).rejects.toMatchObject(unavailable);
    await expect(store.link({ provider: "google", subject: "t", userId: "usr_1", linkedAt: 2 })).rejects.toMatchObject(unavailable);
    await expect(store.unlink("usr_1", "google", "s", { keepOne: true })).rejects.toMatchObject(unavailable);
  } finally {
    redis().resume();
  }
});
