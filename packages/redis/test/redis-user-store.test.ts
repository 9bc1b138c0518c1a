import type { PasswordHasher } from "@portcullis/core";
import { RedisUserStore } from "@portcullis/redis";

// The store's behaviour is specified by the user store contract, run in session-auth with bcrypt.
const client = { hgetall: () => undefined } as never;
const passwords: PasswordHasher = { hash: async () => "", verify: async () => false, assertStorable: () => undefined, dummyHash: "" };

test("RedisUserStore checks its options at creation, each by name", () => {
  expect(() => new RedisUserStore(client, undefined as never)).toThrow('RedisUserStore: "passwords" is required: pass bcryptPasswords() from @portcullis/session-auth');
  expect(() => new RedisUserStore(client, {} as never)).toThrow('RedisUserStore: "passwords" is required: pass bcryptPasswords() from @portcullis/session-auth');
  expect(() => new RedisUserStore(client, { passwords, timeoutMs: 0 })).toThrow('RedisUserStore: "timeoutMs" must be a whole number of milliseconds from 1 to 60000');
  expect(() => new RedisUserStore(client, { passwords, prefix: 1 as never })).toThrow('RedisUserStore: "prefix" must be a string');
  expect(() => new RedisUserStore(client, { passwords, now: 5 as never })).toThrow('RedisUserStore: "now" must be a function returning milliseconds');
  expect(() => new RedisUserStore(client, { passwords, ttl: 5 } as never)).toThrow('RedisUserStore: unknown option "ttl"; the options are passwords, prefix, now, timeoutMs');
  expect(new RedisUserStore(client, { passwords, prefix: "app:" }).keys).toBeDefined();
});
