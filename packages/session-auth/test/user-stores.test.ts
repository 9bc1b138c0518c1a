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
