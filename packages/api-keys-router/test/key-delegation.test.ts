/**
 * What a key makes or rotates stays inside what the key itself may do: no later expiry, no looser
 * limit, no scope it lacks; and it goes when the key goes. Run on memory and on a real Redis.
 */
import request from "supertest";
import { MemoryKeyStore } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp } from "./create-app";

const redis = useRedisServer();
const BASE = "/api/auth/api-keys";
const HOUR = 3_600_000;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const iso = (ms: number) => new Date(ms).toISOString();
let run = 0;

describe.each(["in memory", "on Redis"])("keys made and rotated by keys, %s", (where) => {
  const setup = () =>
    createApp({ store: where === "on Redis" ? new RedisKeyStore(redis().client(), { prefix: `delegation${++run}:` }) : new MemoryKeyStore() });

  /** A key made through the API with `key`, answered as JSON. */
  async function made(app: Parameters<typeof request>[0], key: string, body: object = {}) {
    const res = await request(app).post(BASE).set(bearer(key)).send({ name: "child", scopes: ["read"], ...body }).expect(201);
    return res.body as { key: string; key_id: string; created_by: string | null };
  }

  const works = async (app: Parameters<typeof request>[0], key: string) => (await request(app).get("/api/projects").set(bearer(key))).status;

  test("a key rotating a sibling gets a replacement that expires no later and is limited no looser than itself", async () => {
    const { app, keys, clock } = await setup();
    const manager = await keys.create({ owner: "alice", name: "mgr", scopes: ["admin"], expiresAt: clock.now + HOUR, rateLimit: { points: 10, durationSeconds: 60 } });
    const forever = await keys.create({ owner: "alice", name: "svc", scopes: ["read"] });
    const loose = await keys.create({ owner: "alice", name: "bulk", scopes: ["read"], rateLimit: { points: 1000, durationSeconds: 60 } });
    for (const sibling of [forever, loose]) {
      const res = await request(app).post(`${BASE}/${sibling.record.id}/rotate`).set(bearer(manager.key)).expect(201);
      expect(res.body.expires_at).toBe(iso(clock.now + HOUR));
      expect(res.body.rate_limit).toEqual({ points: 10, duration_seconds: 60 });
    }
  });

  test("a key cannot rotate a sibling holding a scope it lacks", async () => {
    const { app, keys } = await setup();
    const writer = await keys.create({ owner: "alice", name: "w", scopes: ["read", "write"] });
    const admin = await keys.create({ owner: "alice", name: "a", scopes: ["admin"] });
    const res = await request(app).post(`${BASE}/${admin.record.id}/rotate`).set(bearer(writer.key)).expect(403);
    expect(res.body.error).toBe("insufficient_permissions");
    expect((await keys.get(admin.record.id))?.rotatedTo).toBeUndefined();
  });

  test("a key rotating itself keeps its original expiry: rotation never renews a lifetime", async () => {
    const { app, keys, clock } = await setup();
    const self = await keys.create({ owner: "alice", name: "self", scopes: ["admin"], expiresAt: clock.now + HOUR });
    clock.advance(HOUR / 2);
    const first = await request(app).post(`${BASE}/${self.record.id}/rotate`).set(bearer(self.key)).expect(201);
    expect(first.body.expires_at).toBe(iso(clock.now + HOUR / 2));
    clock.advance(HOUR / 4);
    const second = await request(app).post(`${BASE}/${first.body.key_id}/rotate`).set(bearer(first.body.key)).expect(201);
    expect(second.body.expires_at).toBe(iso(clock.now + HOUR / 4));
  });

  test("revoking a key revokes what it made, transitively, and the listing says with which key", async () => {
    const { app, keys, adminKey } = await setup();
    const parent = await keys.create({ owner: "alice", name: "parent", scopes: ["admin"] });
    const child = await made(app, parent.key, { scopes: ["admin"] });
    const grandchild = await made(app, child.key);
    expect(child.created_by).toBe(parent.record.id);
    expect(grandchild.created_by).toBe(child.key_id);
    expect(await works(app, grandchild.key)).toBe(200);

    await request(app).delete(`${BASE}/${parent.record.id}`).set(bearer(adminKey)).expect(204);
    for (const key of [parent.key, child.key, grandchild.key]) {
      const res = await request(app).get("/api/projects").set(bearer(key)).expect(401);
      expect(res.body.error).toBe("revoked_key");
    }
    const listed = await request(app).get(`${BASE}?status=all`).set(bearer(adminKey)).expect(200);
    const byId = new Map(listed.body.keys.map((k: { key_id: string }) => [k.key_id, k]));
    expect(byId.get(child.key_id)).toMatchObject({ status: "revoked", created_by: parent.record.id, revoked_with: parent.record.id });
    expect(byId.get(grandchild.key_id)).toMatchObject({ status: "revoked", created_by: child.key_id, revoked_with: parent.record.id });
    expect(byId.get(parent.record.id)).toMatchObject({ status: "revoked", created_by: null, revoked_with: null });
  });

  test("children stay bound to their creator's rotation chain, and a rotated child stays bound too", async () => {
    const { app, keys, adminKey } = await setup();
    const parent = await keys.create({ owner: "alice", name: "parent", scopes: ["admin"] });
    const child = await made(app, parent.key, { scopes: ["admin"] });
    const rotatedChild = await request(app).post(`${BASE}/${child.key_id}/rotate`).set(bearer(child.key)).expect(201);
    const rotatedParent = await request(app).post(`${BASE}/${parent.record.id}/rotate`).set(bearer(adminKey)).expect(201);
    expect(await works(app, rotatedChild.body.key)).toBe(200);

    await request(app).delete(`${BASE}/${rotatedParent.body.key_id}`).set(bearer(adminKey)).expect(204);
    expect((await request(app).get("/api/projects").set(bearer(rotatedChild.body.key)).expect(401)).body.error).toBe("revoked_key");
  });

  test("a key that revokes the key it was made with takes its place: it stays, its siblings go", async () => {
    const { app, keys } = await setup();
    const old = await keys.create({ owner: "alice", name: "old", scopes: ["admin"] });
    const successor = await made(app, old.key, { scopes: ["admin"] });
    const sibling = await made(app, old.key);
    await request(app).delete(`${BASE}/${old.record.id}`).set(bearer(successor.key)).expect(204);
    expect(await works(app, old.key)).toBe(401);
    expect(await works(app, sibling.key)).toBe(401);
    expect(await works(app, successor.key)).toBe(200);
  });

  test("revoking a key twice is a 409 that says so; another owner's key is still a 404", async () => {
    const { app, keys, adminKey } = await setup();
    const doomed = await keys.create({ owner: "alice", name: "doomed", scopes: ["read"] });
    await request(app).delete(`${BASE}/${doomed.record.id}`).set(bearer(adminKey)).expect(204);
    const again = await request(app).delete(`${BASE}/${doomed.record.id}`).set(bearer(adminKey)).expect(409);
    expect(again.body).toEqual({ error: "conflict", detail: "The key is already revoked." });
    const bobs = await keys.create({ owner: "bob", name: "bob's", scopes: ["read"] });
    await keys.revoke(bobs.record.id);
    expect((await request(app).delete(`${BASE}/${bobs.record.id}`).set(bearer(adminKey)).expect(404)).body.error).toBe("not_found");
  });
});
