import { RedisMfaStore } from "@portcullis/redis";
import { describeMfaStoreContract, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let run = 0;

describeMfaStoreContract("RedisMfaStore", () => new RedisMfaStore(redis().client(), { prefix: `m${++run}:` }));

test("one hash per user under <prefix>mfa:<id>, recovery codes as rc: fields", async () => {
  const client = redis().client();
  const store = new RedisMfaStore(client, { prefix: "layout:" });
  await store.startEnrolment("usr_1", "v1.sealed", 1_700_000_000_000);
  await store.confirm("usr_1", { secret: "v1.sealed", recoveryCodes: ["d1", "d2"], at: 1_700_000_060_000, step: 42 });
  expect(await client.keys("layout:*")).toEqual(["layout:mfa:usr_1"]);
  expect(await client.hgetall("layout:mfa:usr_1")).toEqual({
    secret: "v1.sealed",
    started: "1700000000000",
    confirmed: "1700000060000",
    last_step: "42",
    "rc:d1": "1",
    "rc:d2": "1",
  });
});

test("a pending sign-in's codes are counted under <prefix>mfa-sign-in:<id>, which expires with the sign-in", async () => {
  const client = redis().client();
  const store = new RedisMfaStore(client, { prefix: "counted:" });
  // The injected clock is far from Redis's: the expiry is the time left, never an instant.
  expect(await store.countSignInCode("si_1", 1000, 301_000)).toBe(1);
  expect(await store.countSignInCode("si_1", 2000, 301_000)).toBe(2);
  expect(await client.get("counted:mfa-sign-in:si_1")).toBe("2");
  const ttl = await client.pttl("counted:mfa-sign-in:si_1");
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(300_000);
});

test("the choice of codes by email is a key of its own, <prefix>mfa-email-codes:<id>, which removing TOTP leaves", async () => {
  const client = redis().client();
  const store = new RedisMfaStore(client, { prefix: "emailed:" });
  await store.startEnrolment("usr_1", "v1.sealed", 1);
  await store.setEmailCodes("usr_1", true);
  expect((await client.keys("emailed:*")).sort()).toEqual(["emailed:mfa-email-codes:usr_1", "emailed:mfa:usr_1"]);
  await store.remove("usr_1");
  expect(await client.keys("emailed:*")).toEqual(["emailed:mfa-email-codes:usr_1"]);
  await store.setEmailCodes("usr_1", false);
  expect(await client.keys("emailed:*")).toEqual([]);
});

test("options are checked when the store is made", () => {
  expect(() => new RedisMfaStore({} as never)).toThrow(/^RedisMfaStore: the first argument must be an ioredis client/);
  expect(() => new RedisMfaStore(redis().client(), { prefx: "x" } as never)).toThrow(/^RedisMfaStore: unknown option "prefx"/);
  expect(() => new RedisMfaStore(redis().client(), { prefx: "x" } as never)).toThrow('RedisMfaStore: unknown option "prefx"; the options are prefix');
  expect(() => new RedisMfaStore(redis().client(), { prefix: 1 } as never)).toThrow('RedisMfaStore: "prefix" must be a string such as "myapp:"');
});
