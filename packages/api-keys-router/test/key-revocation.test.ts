/**
 * Revocation over HTTP: a rotation chain is one identity, revoked whole with everything any of its
 * keys made or rotated; a key that revokes the key it was made with takes its place, run after
 * run. Run on memory and on a real Redis.
 */
import request from "supertest";
import { MemoryAuditSink, MemoryKeyStore, type KeyRecordPatch, type UpdateOptions } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp } from "./create-app";

const redis = useRedisServer();
const BASE = "/api/auth/api-keys";
const DAY_SECONDS = 86_400;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
let run = 0;

describe.each(["in memory", "on Redis"])("revoking keys, %s", (where) => {
  const setup = () =>
    createApp({ store: where === "on Redis" ? new RedisKeyStore(redis().client(), { prefix: `revocation${++run}:` }) : new MemoryKeyStore() });
  const status = async (app: Parameters<typeof request>[0], key: string) => {
    const res = await request(app).get("/api/projects").set(bearer(key));
    return res.status === 200 ? "ok" : (res.body.error as string);
  };

  test("Plexe's rotation script ten times in a row: each new key revokes the old one and keeps working", async () => {
    const { app, adminKey, adminId } = await setup();
    let current = { key: adminKey, id: adminId };
    for (let i = 0; i < 10; i++) {
      const created = await request(app).post(BASE).set(bearer(current.key)).send({ name: `Rotated ${i}`, scopes: ["admin"] }).expect(201);
      await request(app).delete(`${BASE}/${current.id}`).set(bearer(created.body.key)).expect(204);
      expect(await status(app, current.key)).toBe("revoked_key");
      expect(await status(app, created.body.key)).toBe("ok");
      current = { key: created.body.key, id: created.body.key_id };
    }
    const last = await request(app).get(`${BASE}/${current.id}`).set(bearer(current.key)).expect(200);
    expect(last.body.created_by).toBeNull();
  });

  test("after a key took its maker's place, revoking the maker again revokes the successor; a third time is a 409", async () => {
    const audit = new MemoryAuditSink();
    const { app, keys, adminKey } = await createApp({
      store: where === "on Redis" ? new RedisKeyStore(redis().client(), { prefix: `revocation${++run}:` }) : new MemoryKeyStore(),
      router: { audit },
    });
    // The holder of a leaked key runs Plexe's rotation script with it.
    const leaked = await keys.create({ owner: "alice", name: "old", scopes: ["admin"] });
    const next = await request(app).post(BASE).set(bearer(leaked.key)).send({ name: "new", scopes: ["admin"] }).expect(201);
    await request(app).delete(`${BASE}/${leaked.record.id}`).set(bearer(next.body.key)).expect(204);
    const listed = await request(app).get(`${BASE}?status=all`).set(bearer(adminKey)).expect(200);
    const byId = new Map(listed.body.keys.map((k: { key_id: string }) => [k.key_id, k]));
    expect(byId.get(leaked.record.id)).toMatchObject({ status: "revoked", replaced_by: next.body.key_id });
    expect(byId.get(next.body.key_id)).toMatchObject({ status: "active", replaces: leaked.record.id });
    // The owner revokes the leaked key again: the key made with it goes too, recorded once.
    await request(app).delete(`${BASE}/${leaked.record.id}`).set(bearer(adminKey)).expect(204);
    expect(await status(app, next.body.key)).toBe("revoked_key");
    await request(app).delete(`${BASE}/${leaked.record.id}`).set(bearer(adminKey)).expect(409);
    const { events } = await audit.list({ limit: 100 });
    expect(events.filter((e) => e.action === "api_key.revoke").map((e) => e.targetId).sort()).toEqual([leaked.record.id, next.body.key_id].sort());
  });

  test("a key that rotates another binds the replacement: revoking it revokes the replacement and its predecessor", async () => {
    const { app, keys, adminKey } = await setup();
    const leaked = await keys.create({ owner: "alice", name: "member", scopes: ["read"] });
    const sibling = await keys.create({ owner: "alice", name: "sibling", scopes: ["read"] });
    const copy = await request(app).post(`${BASE}/${sibling.record.id}/rotate`).set(bearer(leaked.key)).send({ grace_period_seconds: 30 * DAY_SECONDS }).expect(201);
    expect(copy.body.created_by).toBe(leaked.record.id);
    await request(app).delete(`${BASE}/${leaked.record.id}`).set(bearer(adminKey)).expect(204);
    expect(await status(app, copy.body.key)).toBe("revoked_key");
    expect(await status(app, sibling.key)).toBe("revoked_key");
  });

  test("revoking a chain's newest key ends the grace of the key it replaced, and revoking the replaced one takes what it made", async () => {
    const { app, keys, adminKey } = await setup();
    const m = await keys.create({ owner: "alice", name: "m", scopes: ["admin"] });
    const m2 = await request(app).post(`${BASE}/${m.record.id}/rotate`).set(bearer(m.key)).send({ grace_period_seconds: 30 * DAY_SECONDS }).expect(201);
    await request(app).delete(`${BASE}/${m2.body.key_id}`).set(bearer(adminKey)).expect(204);
    expect(await status(app, m.key)).toBe("revoked_key");

    const l = await keys.create({ owner: "alice", name: "l", scopes: ["admin"] });
    const l2 = await request(app).post(`${BASE}/${l.record.id}/rotate`).set(bearer(l.key)).send({ grace_period_seconds: 30 * DAY_SECONDS }).expect(201);
    const child = await request(app).post(BASE).set(bearer(l.key)).send({ name: "c", scopes: ["read"] }).expect(201);
    await request(app).delete(`${BASE}/${l.record.id}`).set(bearer(adminKey)).expect(204);
    expect(await status(app, child.body.key)).toBe("revoked_key");
    expect(await status(app, l2.body.key)).toBe("revoked_key");
  });

  test("a key on the host's default limit may give a child an explicit limit", async () => {
    const { app, adminKey } = await setup();
    const res = await request(app).post(BASE).set(bearer(adminKey)).send({ name: "slow", scopes: ["read"], rate_limit: { points: 5, duration_seconds: 60 } }).expect(201);
    expect(res.body.rate_limit).toEqual({ points: 5, duration_seconds: 60 });
  });
});

/** A memory store whose updates fail for the ids in `failFor`: an outage in the middle of a cascade. */
class FlakyStore extends MemoryKeyStore {
  readonly failFor = new Set<string>();

  override async update(id: string, patch: KeyRecordPatch, options?: UpdateOptions) {
    if (this.failFor.has(id)) throw new Error("connection lost");
    return super.update(id, patch, options);
  }
}

test("a revocation cut short by an outage is in the access log once; the retry finishes it with a 409", async () => {
  const store = new FlakyStore();
  const audit = new MemoryAuditSink();
  const { app, keys, adminKey } = await createApp({ store, router: { audit } });
  const parent = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
  const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id });
  store.failFor.add(child.record.id);
  await request(app).delete(`${BASE}/${parent.record.id}`).set(bearer(adminKey)).expect(503);
  store.failFor.clear();
  await request(app).delete(`${BASE}/${parent.record.id}`).set(bearer(adminKey)).expect(409);
  expect((await request(app).get("/api/projects").set(bearer(child.key))).body.error).toBe("revoked_key");
  const { events } = await audit.list({ limit: 100 });
  expect(events.filter((e) => e.action === "api_key.revoke").map((e) => e.targetId)).toEqual([parent.record.id]);
});
