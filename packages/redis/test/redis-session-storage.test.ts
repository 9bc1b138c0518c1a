import type session from "express-session";
import { type SessionStoreCalls } from "@portcullis/core";
import { redisSessionStorage } from "@portcullis/redis";
import { describeSessionStorageContract, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let run = 0;

// Redis expires sessions by its own clock: the suite writes 1-second TTLs and waits.
describeSessionStorageContract("redisSessionStorage", () => redisSessionStorage(redis().client(), { prefix: `contract${++run}:` }), { clock: "wall" });
const settings = { ttlSeconds: () => 120, timeoutMs: 1000, now: () => Date.now() };
const data = { cookie: { originalMaxAge: 60_000 } } as session.SessionData;
const save = (store: SessionStoreCalls, sid: string) => new Promise<void>((resolve, reject) => store.set(sid, data, (error) => (error ? reject(error) : resolve())));

test("sessions live under <prefix>sess:<sid> with the TTL sessionAuth computes, each user's index under <prefix>user-sessions:<id>", async () => {
  const client = redis().client();
  const { store, index } = redisSessionStorage(client, { prefix: "layout:" })(settings);
  await store.creating("sid1", () => save(store, "sid1"));
  await index.add("usr_1", "sid1", Date.now() + 60_000);
  expect((await client.keys("layout:*")).sort()).toEqual(["layout:sess:sid1", "layout:user-sessions:usr_1"]);
  const ttl = await client.ttl("layout:sess:sid1");
  expect(ttl).toBeGreaterThan(100);
  expect(ttl).toBeLessThanOrEqual(120);
  expect(await index.list("usr_1", Date.now())).toEqual(["sid1"]);
});

test("the prefix defaults to the one every Redis store uses, portcullis:", async () => {
  const client = redis().client();
  const { store } = redisSessionStorage(client)(settings);
  await store.creating("sid-default", () => save(store, "sid-default"));
  expect(await client.exists("portcullis:sess:sid-default")).toBe(1);
});

test("configuration mistakes are refused at once", () => {
  expect(() => redisSessionStorage(undefined as never)).toThrow(/^redisSessionStorage: pass an ioredis client/);
  expect(() => redisSessionStorage(redis().client(), { redisPrefix: "a:" } as never)).toThrow(/^redisSessionStorage: unknown option "redisPrefix"/);
  expect(() => redisSessionStorage(redis().client(), { prefix: 5 } as never)).toThrow(/^redisSessionStorage: "prefix" must be a string/);
  expect(() => redisSessionStorage(redis().client(), { prefix: 5 } as never)).toThrow('redisSessionStorage: "prefix" must be a string, such as "myapp:"');
  expect(() => redisSessionStorage(redis().client(), { redisPrefix: "a:" } as never)).toThrow('redisSessionStorage: unknown option "redisPrefix"; the options are prefix');
});
