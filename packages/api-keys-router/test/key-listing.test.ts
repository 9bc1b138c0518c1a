import request from "supertest";
import { createApp } from "./create-app";

const BASE = "/api/auth/api-keys";
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const ids = (res: request.Response) => res.body.keys.map((k: { key_id: string }) => k.key_id);

async function withHistory() {
  const setup = await createApp();
  const { keys, clock } = setup;
  const revoked = await keys.create({ owner: "alice", name: "revoked", scopes: ["read"] });
  await keys.revoke(revoked.record.id);
  const expired = await keys.create({ owner: "alice", name: "expired", scopes: ["read"], expiresAt: clock.now + 60_000 });
  clock.advance(60_000);
  const active = await keys.create({ owner: "alice", name: "active", scopes: ["read"] });
  const revokedLast = await keys.create({ owner: "alice", name: "revoked last", scopes: ["read"] });
  await keys.revoke(revokedLast.record.id);
  return { ...setup, revoked: revoked.record.id, expired: expired.record.id, active: active.record.id, revokedLast: revokedLast.record.id };
}

test("the listing shows working keys only, newest first: a revoked or expired key is never the newest 'other' key", async () => {
  const { app, adminKey, adminId, active } = await withHistory();
  const listed = await request(app).get(BASE).set(bearer(adminKey)).expect(200);
  expect(ids(listed)).toEqual([active, adminId]);
  expect(listed.body.keys.every((k: { status: string }) => k.status === "active")).toBe(true);
});

test("?status=all, revoked or expired shows those on request, newest first", async () => {
  const { app, adminKey, adminId, revoked, expired, active, revokedLast } = await withHistory();
  expect(ids(await request(app).get(`${BASE}?status=all`).set(bearer(adminKey)).expect(200))).toEqual([revokedLast, active, expired, revoked, adminId]);
  expect(ids(await request(app).get(`${BASE}?status=revoked`).set(bearer(adminKey)).expect(200))).toEqual([revokedLast, revoked]);
  expect(ids(await request(app).get(`${BASE}?status=expired`).set(bearer(adminKey)).expect(200))).toEqual([expired]);
  expect(ids(await request(app).get(`${BASE}?status=active`).set(bearer(adminKey)).expect(200))).toEqual([active, adminId]);
});

test("filtered pages are full, and the cursor goes on past the keys left out", async () => {
  const { app, adminKey, adminId, active } = await withHistory();
  const first = await request(app).get(`${BASE}?limit=1`).set(bearer(adminKey)).expect(200);
  expect(ids(first)).toEqual([active]);
  const second = await request(app).get(`${BASE}?limit=1&cursor=${first.body.next_cursor}`).set(bearer(adminKey)).expect(200);
  expect(ids(second)).toEqual([adminId]);
});

test("an unknown status is a 400 that names the field", async () => {
  const { app, adminKey } = await createApp();
  const res = await request(app).get(`${BASE}?status=deleted`).set(bearer(adminKey)).expect(400);
  expect(res.body.error).toBe("invalid_request");
  expect(res.body.detail).toMatch(/^status: /);
});
