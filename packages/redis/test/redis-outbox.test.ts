import { RedisOutbox } from "@portcullis/redis";
import { describeOutboxContract, useRedisServer } from "@portcullis/testing";

const redis = useRedisServer();
let run = 0;

describeOutboxContract("RedisOutbox", (options) => new RedisOutbox(redis().client(), { prefix: `o${++run}:`, ...options }));

test("one list under <prefix>outbox, newest first, of the messages as JSON, trimmed to the capacity", async () => {
  const client = redis().client();
  const outbox = new RedisOutbox(client, { prefix: "layout:", capacity: 2 });
  for (const n of [1, 2, 3]) await outbox.send({ to: `u${n}@example.com`, subject: `S${n}`, text: "t", html: "<p>h</p>" });
  expect(await client.keys("layout:*")).toEqual(["layout:outbox"]);
  const stored = (await client.lrange("layout:outbox", 0, -1)).map((value) => JSON.parse(value));
  expect(stored.map((message) => message.subject)).toEqual(["S3", "S2"]);
  expect(Object.keys(stored[0]).sort()).toEqual(["html", "id", "sentAt", "subject", "text", "to"]);
});

test("outboxes with different prefixes share nothing", async () => {
  const client = redis().client();
  const [a, b] = [new RedisOutbox(client, { prefix: "a:" }), new RedisOutbox(client, { prefix: "b:" })];
  await a.send({ to: "x@example.com", subject: "only a", text: "t", html: "h" });
  expect(await b.list()).toEqual([]);
  expect((await a.list()).map((message) => message.subject)).toEqual(["only a"]);
});

test("options are checked when the outbox is made", () => {
  expect(() => new RedisOutbox({} as never)).toThrow(/^RedisOutbox: the first argument must be an ioredis client/);
  expect(() => new RedisOutbox(redis().client(), { size: 3 } as never)).toThrow('RedisOutbox: unknown option "size"; the options are prefix, capacity, timeoutMs');
  expect(() => new RedisOutbox(redis().client(), { capacity: 0 })).toThrow(/^RedisOutbox: "capacity" must be a whole number from 1/);
  expect(() => new RedisOutbox(redis().client(), { capacity: 2.5 })).toThrow(/^RedisOutbox: "capacity" must be a whole number/);
});

test("a Redis that does not answer fails each call with 503 auth_unavailable after timeoutMs", async () => {
  const outbox = new RedisOutbox(redis().client(), { prefix: `stalled${++run}:`, timeoutMs: 50 });
  redis().stall();
  try {
    await expect(outbox.send({ to: "a@example.com", subject: "s", text: "t", html: "h" })).rejects.toMatchObject({ code: "auth_unavailable", status: 503 });
    await expect(outbox.list()).rejects.toMatchObject({ code: "auth_unavailable", status: 503 });
  } finally {
    redis().resume();
  }
});
