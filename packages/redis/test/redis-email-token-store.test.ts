import { RedisEmailTokenStore } from "@portcullis/redis";
import { describeEmailTokenStoreContract, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let run = 0;

describeEmailTokenStoreContract("RedisEmailTokenStore", () => new RedisEmailTokenStore(redis().client(), { prefix: `e${++run}:` }));

test("a token is a string under <prefix>email-token:<digest> that expires with it; a code is a hash under <prefix>email-code:<key>", async () => {
  const client = redis().client();
  const store = new RedisEmailTokenStore(client, { prefix: "layout:" });
  // The injected clock is far from Redis's: expiries are the time left, never an instant.
  await store.issue("d1", { purpose: "sign_up", email: "ada@example.com", issuedAt: 1000, expiresAt: 1000 + 3_600_000 });
  await store.issueCode("si_1", "c1", 1000, 1000 + 600_000, 60_000);
  expect((await client.keys("layout:*")).sort()).toEqual(["layout:email-code:si_1", "layout:email-token:d1"]);
  expect(JSON.parse((await client.get("layout:email-token:d1"))!)).toEqual({ purpose: "sign_up", email: "ada@example.com", issuedAt: 1000, expiresAt: 3_601_000 });
  const tokenTtl = await client.pttl("layout:email-token:d1");
  expect(tokenTtl).toBeGreaterThan(3_500_000);
  expect(tokenTtl).toBeLessThanOrEqual(3_600_000);
  expect(await client.hgetall("layout:email-code:si_1")).toEqual({ digest: "c1", issued: "1000", expires: "601000", tries: "0" });
  const codeTtl = await client.pttl("layout:email-code:si_1");
  expect(codeTtl).toBeGreaterThan(500_000);
  expect(codeTtl).toBeLessThanOrEqual(600_000);
  expect(await store.useCode("si_1", "c1", 2000, 5)).toBe("accepted");
  expect(await client.hgetall("layout:email-code:si_1")).toEqual({ issued: "1000", expires: "601000", tries: "1" }); // the cool-down stays readable
});

test("a code's hash is kept until its cool-down is over when that outlasts the code", async () => {
  const client = redis().client();
  const store = new RedisEmailTokenStore(client, { prefix: "cooling:" });
  await store.issueCode("usr_1", "c1", 5000, 5000 + 30_000, 120_000);
  const ttl = await client.pttl("cooling:email-code:usr_1");
  expect(ttl).toBeGreaterThan(90_000);
  expect(ttl).toBeLessThanOrEqual(120_000);
});

test("options are checked when the store is made", () => {
  expect(() => new RedisEmailTokenStore({} as never)).toThrow(/^RedisEmailTokenStore: the first argument must be an ioredis client/);
  expect(() => new RedisEmailTokenStore(redis().client(), { prefx: "x" } as never)).toThrow('RedisEmailTokenStore: unknown option "prefx"; the options are prefix, timeoutMs');
  expect(() => new RedisEmailTokenStore(redis().client(), { prefix: 1 } as never)).toThrow('RedisEmailTokenStore: "prefix" must be a string such as "myapp:"');
  expect(() => new RedisEmailTokenStore(redis().client(), { timeoutMs: 0 })).toThrow('RedisEmailTokenStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
});

test("a Redis that does not answer fails each call with 503 auth_unavailable after timeoutMs", async () => {
  const store = new RedisEmailTokenStore(redis().client(), { prefix: `stalled${++run}:`, timeoutMs: 50 });
  redis().stall();
  try {
    const unavailable = { code: "auth_unavailable", status: 503 };
    await expect(store.issue("d", { purpose: "sign_up", email: "a@example.com", issuedAt: 1, expiresAt: 2 })).rejects.toMatchObject(unavailable);
    await expect(store.take("d", "sign_up", 1)).rejects.toMatchObject(unavailable);
    await expect(store.issueCode("k", "c", 1, 2, 3)).rejects.toMatchObject(unavailable);
    await expect(store.useCode("k", "c", 1, 5)).rejects.toMatchObject(unavailable);
  } finally {
    redis().resume();
  }
});
