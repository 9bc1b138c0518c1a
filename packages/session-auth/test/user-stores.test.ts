import { MemoryUserStore } from "@portcullis/core";
import { RedisUserStore } from "@portcullis/redis";
import { bcryptPasswords } from "@portcullis/session-auth";
import { describeUserStoreContract, useRedisServer } from "@portcullis/testing";

const passwords = bcryptPasswords({ cost: 4 }); // the lowest cost: these tests are about behaviour, not strength
const redis = useRedisServer();
let run = 0;

describeUserStoreContract("MemoryUserStore", () => new MemoryUserStore({ passwords }));
describeUserStoreContract("RedisUserStore", () => new RedisUserStore(redis().client(), { passwords, prefix: `u${++run}:` }));

test("bcryptPasswords refuses a cost below 4 and unknown options", () => {
  expect(() => bcryptPasswords({ cost: 3 })).toThrow(/^bcryptPasswords: "cost"/);
  expect(() => bcryptPasswords({ rounds: 10 } as never)).toThrow(/unknown option "rounds"/);
});

describe("RedisUserStore time limits", () => {
  /** bcrypt made slower than the store's limit, as a busy machine makes it. */
  const slowPasswords = {
    ...passwords,
    verify: async (password: string, hash: string) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return passwords.verify(password, hash);
    },
  };

  test("a slow password check is no outage: it is not held to timeoutMs", async () => {
    const users = new RedisUserStore(redis().client(), { passwords: slowPasswords, prefix: `slow${++run}:`, timeoutMs: 50 });
    await users.create({ email: "a@example.com", password: "long-enough-password", role: "member" });
    expect(await users.verifyCredentials("a@example.com", "long-enough-password")).toMatchObject({ email: "a@example.com" });
  });

  test("a Redis that does not answer fails the check with 503 auth_unavailable after timeoutMs", async () => {
    const users = new RedisUserStore(redis().client(), { passwords, prefix: `stalled${++run}:`, timeoutMs: 50 });
    await users.create({ email: "a@example.com", password: "long-enough-password", role: "member" });
    const admin = redis().client();
    await admin.client("PAUSE", 20_000, "ALL");
    try {
      await expect(users.verifyCredentials("a@example.com", "long-enough-password")).rejects.toMatchObject({ code: "auth_unavailable", status: 503 });
    } finally {
      await admin.client("UNPAUSE");
    }
  });

  test("timeoutMs is checked at creation", () => {
    expect(() => new RedisUserStore(redis().client(), { passwords, timeoutMs: 0 })).toThrow(/^RedisUserStore: "timeoutMs"/);
  });
});
