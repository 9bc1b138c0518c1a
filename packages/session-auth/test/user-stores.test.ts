import { MemoryUserStore } from "@portcullis/core";
import { RedisUserStore } from "@portcullis/redis";
import { bcryptPasswords } from "@portcullis/session-auth";
import { describeUserStoreContract, useRedisServer } from "@portcullis/testing";

const passwords = bcryptPasswords({ cost: 4 }); // the lowest cost: these tests are about behaviour, not strength
const redis = useRedisServer();
let run = 0;

describeUserStoreContract("MemoryUserStore", (hasher = passwords) => new MemoryUserStore({ passwords: hasher }));
describeUserStoreContract("RedisUserStore", (hasher = passwords) => new RedisUserStore(redis().client(), { passwords: hasher, prefix: `u${++run}:` }));

test("bcryptPasswords refuses a cost below 4 and unknown options", () => {
  expect(() => bcryptPasswords({ cost: 3 })).toThrow(/^bcryptPasswords: "cost"/);
  expect(() => bcryptPasswords({ rounds: 10 } as never)).toThrow(/unknown option "rounds"/);
  expect(() => bcryptPasswords({ cost: 32 })).toThrow('bcryptPasswords: "cost" must be a whole number from 4 to 31 (10 or more in production)');
  expect(() => bcryptPasswords({ cost: "12" as never })).toThrow('bcryptPasswords: "cost" must be a whole number from 4 to 31 (10 or more in production)');
  expect(() => bcryptPasswords({ cost: 4, minLength: 0 })).toThrow('bcryptPasswords: "minLength" must be a positive whole number');
  expect(() => bcryptPasswords({ cost: 4, minLength: 2.5 })).toThrow('bcryptPasswords: "minLength" must be a positive whole number');
  expect(() => bcryptPasswords({ rounds: 10 } as never)).toThrow('bcryptPasswords: unknown option "rounds"; the options are cost, minLength');
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
    redis().stall();
    try {
      await expect(users.verifyCredentials("a@example.com", "long-enough-password")).rejects.toMatchObject({ code: "auth_unavailable", status: 503 });
    } finally {
      redis().resume();
    }
  });

  test("a connection lost between a sign-up's steps leaves the address free: never a claimed email without its user", async () => {
    const prefix = `lost${++run}:`;
    const client = redis().client();
    // The connection drops as soon as Redis has answered create's first command: whatever create
    // sends after it never reaches Redis, as when the process dies or the network fails there.
    let answered = 0;
    const dropping = new Proxy(client, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.finally(() => void (answered++ === 0 && target.disconnect())) : result;
        };
      },
    });
    const users = new RedisUserStore(dropping, { passwords, prefix });
    await expect(users.create({ email: "lost@example.com", password: "first password", role: "member" })).rejects.toMatchObject({ code: "auth_unavailable" });
    expect(answered).toBeGreaterThan(0);

    const again = new RedisUserStore(redis().client(), { passwords, prefix });
    expect(await again.findByEmail("lost@example.com")).toBeUndefined();
    const created = await again.create({ email: "lost@example.com", password: "second password", role: "member" });
    expect(await again.verifyCredentials("lost@example.com", "second password")).toEqual(created);
  });

  test("timeoutMs is checked at creation", () => {
    expect(() => new RedisUserStore(redis().client(), { passwords, timeoutMs: 0 })).toThrow(/^RedisUserStore: "timeoutMs"/);
  });
});
