import type { PasswordHasher } from "@portcullis/core";
import { RedisUserStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";

// setEmail's steps on the keys themselves; its behaviour is the user store contract's.
const redis = useRedisServer();
const passwords: PasswordHasher = {
  hash: async (password) => `test:${password}`,
  verify: async (password, hash) => hash === `test:${password}`,
  dummyHash: "test:",
  assertStorable: () => {},
};

test("setEmail moves the record's address and its claim: the old claim is gone, the new one leads to the user", async () => {
  const client = redis().client();
  const users = new RedisUserStore(client, { passwords, prefix: "moved:" });
  const created = await users.create({ email: "ada@example.com", password: "correct horse", role: "member" });
  expect(await users.setEmail(created.id, "Ada@Example.org")).toBe(true);
  expect((await client.keys("moved:*")).sort()).toEqual([`moved:user-email:ada@example.org`, `moved:user:${created.id}`]);
  expect(await client.get("moved:user-email:ada@example.org")).toBe(created.id);
  expect(await client.hget(`moved:user:${created.id}`, "email")).toBe("ada@example.org");
});

test("a claim left behind by a change cut short finds nobody and signs nobody in", async () => {
  const client = redis().client();
  const users = new RedisUserStore(client, { passwords, prefix: "stale:" });
  const created = await users.create({ email: "bob@example.com", password: "correct horse", role: "member" });
  await users.setEmail(created.id, "bob@example.org");
  await client.set("stale:user-email:bob@example.com", created.id); // as if the old claim was never freed
  expect(await users.findByEmail("bob@example.com")).toBeUndefined();
  expect(await users.verifyCredentials("bob@example.com", "correct horse")).toBeUndefined();
  expect((await users.verifyCredentials("bob@example.org", "correct horse"))?.id).toBe(created.id);
});

test("a change to an address this user already claimed (a change cut short before the move) completes", async () => {
  const client = redis().client();
  const users = new RedisUserStore(client, { passwords, prefix: "resumed:" });
  const created = await users.create({ email: "cy@example.com", password: "correct horse", role: "member" });
  await client.set("resumed:user-email:cy@example.org", created.id); // claimed, record not yet moved
  expect(await users.findByEmail("cy@example.org")).toBeUndefined();
  expect(await users.setEmail(created.id, "cy@example.org")).toBe(true);
  expect(await users.findByEmail("cy@example.org")).toEqual({ ...created, email: "cy@example.org" });
  expect(await client.exists("resumed:user-email:cy@example.com")).toBe(0);
});

test("one user changing to two addresses at once ends with one of them, and only that one is claimed", async () => {
  const client = redis().client();
  const users = new RedisUserStore(client, { passwords, prefix: "twice:" });
  const created = await users.create({ email: "dee@example.com", role: "member" });
  expect(await Promise.all([users.setEmail(created.id, "dee@one.example"), users.setEmail(created.id, "dee@two.example")])).toEqual([true, true]);
  const email = (await users.findById(created.id))!.email;
  expect(["dee@one.example", "dee@two.example"]).toContain(email);
  const claims = await client.keys("twice:user-email:*");
  expect(claims).toEqual([`twice:user-email:${email}`]);
  expect(await users.findByEmail(email)).toEqual({ ...created, email });
});
