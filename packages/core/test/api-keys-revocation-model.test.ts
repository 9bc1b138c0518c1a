/**
 * The revocation model: a rotation chain is one identity. Revoking any key of a chain revokes the
 * whole chain and everything any key of it made (or rotated); a key that revokes a key above it
 * is spared and takes that key's place.
 */
import { MemoryKeyStore, type ApiKeyRecord, type KeyRecordPatch, type StoredApiKey, type UpdateOptions } from "@portcullis/core";
import { createKeys, rejection, T0 } from "./support/api-keys-setup";

const HOUR = 3_600_000;
const code = async (keys: ReturnType<typeof createKeys>["keys"], key: string) => {
  const verdict = await keys.verify(key);
  return verdict.ok ? "ok" : verdict.code;
};

describe("revoking any key of a rotation chain revokes the chain and what it made", () => {
  test("revoking the chain's current key ends its predecessor's grace period", async () => {
    const { keys } = createKeys();
    const first = await keys.create({ owner: "alice", name: "m", scopes: ["read"] });
    const second = (await keys.rotate(first.record.id, { gracePeriodMs: 30 * 24 * HOUR, by: first.record.id }))!;
    await keys.revoke(second.record.id);
    expect(await code(keys, first.key)).toBe("revoked_key");
    expect((await keys.get(first.record.id))?.revokedWith).toBe(second.record.id);
  });

  test("revoking a rotated key in its grace period revokes its successor and the keys it made", async () => {
    const { keys } = createKeys();
    const first = await keys.create({ owner: "alice", name: "l", scopes: ["read"] });
    const second = (await keys.rotate(first.record.id, { gracePeriodMs: 30 * 24 * HOUR, by: first.record.id }))!;
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: first.record.id });
    await keys.revoke(first.record.id);
    expect(await code(keys, child.key)).toBe("revoked_key");
    expect(await code(keys, second.key)).toBe("revoked_key");
  });

  test("a key's child rotating itself after its maker's chain was revoked is refused and left revoked, never expired without a successor", async () => {
    const { keys } = createKeys();
    const maker = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: maker.record.id });
    const rotatedMaker = (await keys.rotate(maker.record.id, { gracePeriodMs: HOUR }))!;
    await keys.revoke(maker.record.id); // the old key, to end its grace early
    expect(await code(keys, rotatedMaker.key)).toBe("revoked_key");
    expect(await rejection(keys.rotate(child.record.id, { by: child.record.id, gracePeriodMs: HOUR }))).toMatchObject({ code: "conflict" });
    expect(await code(keys, child.key)).toBe("revoked_key");
    expect((await keys.list("alice", { status: "all" })).records).toHaveLength(3);
  });
});

describe("a key rotated by another key is bound to that key", () => {
  test("the replacement names the rotating key as its maker and goes when it is revoked, its predecessor too", async () => {
    const { keys } = createKeys();
    const rotator = await keys.create({ owner: "alice", name: "k", scopes: ["read"] });
    const sibling = await keys.create({ owner: "alice", name: "s", scopes: ["read"] });
    const replacement = (await keys.rotate(sibling.record.id, { gracePeriodMs: 30 * 24 * HOUR, by: rotator.record.id }))!;
    expect(replacement.record.createdBy).toBe(rotator.record.id);
    await keys.revoke(rotator.record.id);
    expect(await code(keys, replacement.key)).toBe("revoked_key");
    expect(await code(keys, sibling.key)).toBe("revoked_key");
  });

  test("a person rotating a key made by a key never extends it past its maker", async () => {
    const { keys, clock } = createKeys();
    const maker = await keys.create({ owner: "alice", name: "p", scopes: ["read"], expiresAt: T0 + HOUR });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: maker.record.id });
    clock.advance(5000);
    const rotated = (await keys.rotate(child.record.id))!;
    expect(rotated.record.expiresAt).toBe(T0 + HOUR);
  });
});

describe("a key that revokes a key above it takes that key's place", () => {
  /** Plexe's rotation script: make a key with the current one, then revoke the current one with it. */
  async function plexeRotation(keys: ReturnType<typeof createKeys>["keys"], current: { key: string; record: ApiKeyRecord }) {
    const next = await keys.create({ owner: "alice", name: "Rotated Key", scopes: ["read", "write"], createdBy: current.record.id });
    await keys.revoke(current.record.id, { by: next.record.id });
    return next;
  }

  test("ten rotations in a row leave the last key working, detached and counting under nothing dead", async () => {
    const { keys } = createKeys();
    let current = await keys.create({ owner: "alice", name: "first", scopes: ["read", "write"] });
    const all = [current];
    for (let run = 0; run < 10; run++) all.push((current = await plexeRotation(keys, current)));
    expect(await code(keys, current.key)).toBe("ok");
    for (const old of all.slice(0, -1)) expect(await code(keys, old.key)).toBe("revoked_key");
    const record = (await keys.get(current.record.id))!;
    expect(record.createdBy).toBeUndefined();
    expect(record.countsUnder ?? []).toEqual([]);
  });

  test("the revoked key and its successor name each other", async () => {
    const { keys } = createKeys();
    const old = await keys.create({ owner: "alice", name: "old", scopes: ["read", "write"] });
    const next = await plexeRotation(keys, old);
    expect(await keys.get(old.record.id)).toMatchObject({ replacedBy: next.record.id });
    expect(await keys.get(next.record.id)).toMatchObject({ replaces: old.record.id });
  });

  test("revoking the replaced key again revokes the successor and what it made, reported once; a third time is a conflict", async () => {
    const { keys } = createKeys();
    const old = await keys.create({ owner: "alice", name: "old", scopes: ["read", "write"] });
    const next = await plexeRotation(keys, old);
    const grandchild = await keys.create({ owner: "alice", name: "g", scopes: ["read"], createdBy: next.record.id });
    const reported: string[] = [];
    const revoked = await keys.revoke(old.record.id, { onRevoked: (record) => reported.push(record.id) });
    expect(revoked?.id).toBe(next.record.id);
    expect(reported).toEqual([next.record.id]);
    expect(await code(keys, next.key)).toBe("revoked_key");
    expect(await code(keys, grandchild.key)).toBe("revoked_key");
    expect(await rejection(keys.revoke(old.record.id))).toMatchObject({ code: "conflict" });
  });

  test("after several rotations, revoking the first key again reaches the one that works now", async () => {
    const { keys } = createKeys();
    const first = await keys.create({ owner: "alice", name: "first", scopes: ["read", "write"] });
    let current = first;
    for (let run = 0; run < 3; run++) current = await plexeRotation(keys, current);
    const rotated = (await keys.rotate(current.record.id, { by: current.record.id }))!;
    expect((await keys.revoke(first.record.id))?.id).toBe(rotated.record.id);
    expect(await code(keys, rotated.key)).toBe("revoked_key");
  });

  test("the successor repeating the revocation (a retry) is a conflict that leaves it working", async () => {
    const { keys } = createKeys();
    const old = await keys.create({ owner: "alice", name: "old", scopes: ["read", "write"] });
    const next = await plexeRotation(keys, old);
    expect(await rejection(keys.revoke(old.record.id, { by: next.record.id }))).toMatchObject({ code: "conflict" });
    expect(await code(keys, next.key)).toBe("ok");
  });

  test("a successor already revoked, or expired, leaves a repeat a conflict", async () => {
    const { keys, clock } = createKeys();
    const old = await keys.create({ owner: "alice", name: "old", scopes: ["read", "write"] });
    const next = await plexeRotation(keys, old);
    await keys.revoke(next.record.id);
    expect(await rejection(keys.revoke(old.record.id))).toMatchObject({ code: "conflict" });
    const other = await keys.create({ owner: "alice", name: "o", scopes: ["read", "write"], expiresAt: T0 + HOUR });
    const successor = await plexeRotation(keys, other);
    clock.advance(2 * HOUR);
    expect(await code(keys, successor.key)).toBe("expired_key");
    expect(await rejection(keys.revoke(other.record.id))).toMatchObject({ code: "conflict" });
  });

  test("a key that rotated its own maker and then revokes it never becomes its own maker", async () => {
    const { keys } = createKeys();
    const maker = await keys.create({ owner: "alice", name: "m", scopes: ["read", "write"] });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read", "write"], createdBy: maker.record.id });
    const rotated = (await keys.rotate(maker.record.id, { by: child.record.id }))!;
    expect(rotated.record.createdBy).toBe(child.record.id);
    await keys.revoke(rotated.record.id, { by: child.record.id });
    const record = (await keys.get(child.record.id))!;
    expect(record.createdBy).toBeUndefined();
    expect(record.createdUnder).toBeUndefined();
    expect(await code(keys, child.key)).toBe("ok");
    expect(await code(keys, rotated.key)).toBe("revoked_key");
  });

  test("a successor hidden behind a rotation is still reached: its rotated-out key names the next successor", async () => {
    const { keys } = createKeys();
    const leaked = await keys.create({ owner: "alice", name: "leaked", scopes: ["read", "write"] });
    const next = await plexeRotation(keys, leaked);
    const rotated = (await keys.rotate(next.record.id, { by: next.record.id, gracePeriodMs: 24 * HOUR }))!;
    const hidden = await keys.create({ owner: "alice", name: "c", scopes: ["read", "write"], createdBy: rotated.record.id });
    await keys.revoke(next.record.id, { by: hidden.record.id }); // the rotated-out key, not the chain's newest
    expect((await keys.revoke(leaked.record.id))?.id).toBe(hidden.record.id);
    expect(await code(keys, hidden.key)).toBe("revoked_key");
  });

  test("revoking the newest key of a rotated chain again reaches the key that took the place of an older one", async () => {
    const { keys } = createKeys();
    const leaked = await keys.create({ owner: "alice", name: "leaked", scopes: ["read", "write"] });
    const rotated = (await keys.rotate(leaked.record.id, { by: leaked.record.id, gracePeriodMs: 24 * HOUR }))!;
    const next = await keys.create({ owner: "alice", name: "b", scopes: ["read", "write"], createdBy: rotated.record.id });
    await keys.revoke(leaked.record.id, { by: next.record.id });
    expect((await keys.revoke(rotated.record.id))?.id).toBe(next.record.id);
    expect(await code(keys, next.key)).toBe("revoked_key");
  });

  test("a key that rotated its maker and then revoked it stays under the maker's own maker", async () => {
    const { keys } = createKeys();
    const top = await keys.create({ owner: "alice", name: "top", scopes: ["read", "write", "admin"] });
    const middle = await keys.create({ owner: "alice", name: "m", scopes: ["read", "write"], createdBy: top.record.id });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read", "write"], createdBy: middle.record.id });
    const rotated = (await keys.rotate(middle.record.id, { by: child.record.id }))!;
    await keys.revoke(rotated.record.id, { by: child.record.id });
    expect(await keys.get(child.record.id)).toMatchObject({ createdBy: top.record.id, createdUnder: top.record.id });
    await keys.revoke(top.record.id);
    expect(await code(keys, child.key)).toBe("revoked_key");
  });

  test("no two keys become each other's makers through a third", async () => {
    const { keys } = createKeys();
    const top = await keys.create({ owner: "alice", name: "top", scopes: ["read", "write", "admin"] });
    const a = await keys.create({ owner: "alice", name: "a", scopes: ["read", "write"], createdBy: top.record.id });
    const b = await keys.create({ owner: "alice", name: "b", scopes: ["read", "write"], createdBy: a.record.id });
    const c = await keys.create({ owner: "alice", name: "c", scopes: ["read", "write"], createdBy: b.record.id });
    const rotated = (await keys.rotate(a.record.id, { by: c.record.id }))!;
    await keys.revoke(rotated.record.id, { by: b.record.id });
    expect(await keys.get(b.record.id)).toMatchObject({ createdBy: top.record.id });
    await keys.revoke(top.record.id);
    expect(await code(keys, b.key)).toBe("revoked_key");
    expect(await code(keys, c.key)).toBe("revoked_key");
  });

  test("the successor can rotate itself afterwards, and both keys work through the grace period", async () => {
    const { keys } = createKeys();
    const next = await plexeRotation(keys, await keys.create({ owner: "alice", name: "old", scopes: ["read", "write"] }));
    const rotated = (await keys.rotate(next.record.id, { by: next.record.id, gracePeriodMs: HOUR }))!;
    expect(await code(keys, next.key)).toBe("ok");
    expect(await code(keys, rotated.key)).toBe("ok");
  });

  test("the successor keeps its place under the revoked key's own maker", async () => {
    const { keys } = createKeys();
    const top = await keys.create({ owner: "alice", name: "top", scopes: ["read", "write"], rateLimit: { points: 50, durationSeconds: 60 } });
    const middle = await keys.create({ owner: "alice", name: "mid", scopes: ["read", "write"], createdBy: top.record.id });
    const next = await plexeRotation(keys, middle);
    const record = (await keys.get(next.record.id))!;
    expect(record).toMatchObject({ createdBy: top.record.id, createdUnder: top.record.id, countsUnder: [{ lineage: top.record.id, rateLimit: { points: 50, durationSeconds: 60 } }] });
    await keys.revoke(top.record.id);
    expect(await code(keys, next.key)).toBe("revoked_key");
  });
});

test("a key with the host's default limit may give a child an explicit limit, which still counts under the maker", async () => {
  const { keys } = createKeys();
  const maker = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
  const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: maker.record.id, rateLimit: { points: 5, durationSeconds: 60 } });
  expect(child.record).toMatchObject({ rateLimit: { points: 5, durationSeconds: 60 }, countsUnder: [{ lineage: maker.record.id }] });
});

/** A store whose update fails for the ids in `failFor`, as an outage part-way through a cascade. */
class FlakyStore extends MemoryKeyStore {
  failFor = new Set<string>();
  walks = 0;

  override async update(id: string, patch: KeyRecordPatch, options?: UpdateOptions) {
    if (this.failFor.has(id)) throw new Error("connection lost");
    return super.update(id, patch, options);
  }

  override async listCreatedUnder(lineage: string) {
    this.walks++;
    return super.listCreatedUnder(lineage);
  }
}

describe("a revocation is reported once it applies, and a finished one is not walked again", () => {
  test("a successor's revocation cut short is finished by revoking the replaced key again", async () => {
    const store = new FlakyStore();
    const { keys } = createKeys({ store });
    const leaked = await keys.create({ owner: "alice", name: "leaked", scopes: ["read", "write"] });
    const next = await keys.create({ owner: "alice", name: "b", scopes: ["read", "write"], createdBy: leaked.record.id });
    await keys.revoke(leaked.record.id, { by: next.record.id });
    const child = await keys.create({ owner: "alice", name: "d", scopes: ["read"], createdBy: next.record.id });
    store.failFor.add(child.record.id);
    expect(await rejection(keys.revoke(leaked.record.id))).toMatchObject({ code: "auth_unavailable" });
    store.failFor.clear();
    expect(await rejection(keys.revoke(leaked.record.id))).toMatchObject({ code: "conflict" });
    expect(await code(keys, child.key)).toBe("revoked_key");
  });

  test("a cascade cut short still reports the revocation; a retry finishes it; later repeats walk nothing", async () => {
    const store = new FlakyStore();
    const { keys } = createKeys({ store });
    const parent = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id });
    const reported: string[] = [];
    const onRevoked = (record: ApiKeyRecord) => void reported.push(record.id);
    store.failFor.add(child.record.id);
    expect(await rejection(keys.revoke(parent.record.id, { onRevoked }))).toMatchObject({ code: "auth_unavailable" });
    expect(reported).toEqual([parent.record.id]);
    store.failFor.clear();
    expect(await rejection(keys.revoke(parent.record.id, { onRevoked }))).toMatchObject({ code: "conflict" });
    expect(await code(keys, child.key)).toBe("revoked_key");
    expect(reported).toEqual([parent.record.id]);
    const walks = store.walks;
    expect(await rejection(keys.revoke(parent.record.id, { onRevoked }))).toMatchObject({ code: "conflict" });
    expect(store.walks).toBe(walks);
  });
});

/** A store that runs `during` just before the next replacement is stored: a revocation landing mid-rotation. */
class RacingStore extends MemoryKeyStore {
  during: (() => Promise<unknown>) | undefined;

  override async insert(record: StoredApiKey) {
    const run = record.rotatedFrom !== undefined ? this.during : undefined;
    this.during = undefined;
    if (run) await run();
    return super.insert(record);
  }
}

test("a rotation whose rotating key is revoked before the replacement is listed under it is undone: the old key works as before", async () => {
  const store = new RacingStore();
  const { keys } = createKeys({ store });
  const rotator = await keys.create({ owner: "alice", name: "k", scopes: ["read"] });
  const target = await keys.create({ owner: "alice", name: "t", scopes: ["read"], expiresAt: T0 + 10 * HOUR });
  store.during = () => keys.revoke(rotator.record.id);
  expect(await rejection(keys.rotate(target.record.id, { by: rotator.record.id }))).toMatchObject({ code: "conflict" });
  expect(await code(keys, target.key)).toBe("ok");
  const record: StoredApiKey | undefined = await store.findById(target.record.id);
  expect(record?.rotatedTo).toBeUndefined();
  expect(record?.expiresAt).toBe(T0 + 10 * HOUR);
  expect((await keys.list("alice", { status: "all" })).records.map((r) => r.name).sort()).toEqual(["k", "t"]);
});
