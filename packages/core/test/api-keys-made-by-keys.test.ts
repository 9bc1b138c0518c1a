import { MemoryKeyStore, type StoredApiKey } from "@portcullis/core";
import { createKeys, rejection, T0 } from "./support/api-keys-setup";

const HOUR = 3_600_000;

/** A store that runs `during` at one point of the next insert: a revocation landing mid-creation. */
class InterleavingStore extends MemoryKeyStore {
  during: { when: "before" | "after"; run: () => Promise<unknown> } | undefined;

  override async insert(record: StoredApiKey): Promise<void> {
    const during = this.during;
    this.during = undefined;
    if (during?.when === "before") await during.run();
    await super.insert(record);
    if (during?.when === "after") await during.run();
  }
}

describe("a key made while its creator is being revoked never works", () => {
  test.each(["before", "after"] as const)("the revocation lands %s the child is stored", async (when) => {
    const store = new InterleavingStore();
    const { keys } = createKeys({ store });
    const parent = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
    store.during = { when, run: () => keys.revoke(parent.record.id) };
    const outcome = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id }).then(
      (created) => ({ created }),
      (error: unknown) => ({ error }),
    );
    if ("created" in outcome) {
      expect(await keys.verify(outcome.created.key)).toMatchObject({ ok: false, code: "revoked_key" });
    } else {
      expect(outcome.error).toMatchObject({ code: "revoked_key", status: 401 });
      expect((await keys.list("alice", { status: "all" })).records.map((r) => r.name)).toEqual(["p"]);
    }
  });
});

describe("what a key hands out is bounded by the key", () => {
  test("a child inherits its creator's expiry and limit, and cannot ask for more", async () => {
    const { keys } = createKeys();
    const parent = await keys.create({ owner: "alice", name: "p", scopes: ["read"], expiresAt: T0 + HOUR, rateLimit: { points: 10, durationSeconds: 60 } });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id });
    expect(child.record).toMatchObject({ expiresAt: T0 + HOUR, rateLimit: { points: 10, durationSeconds: 60 }, createdBy: parent.record.id });
    const later = rejection(keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id, expiresAt: T0 + 2 * HOUR }));
    expect(await later).toMatchObject({ code: "insufficient_permissions" });
    const looser = rejection(
      keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id, rateLimit: { points: 11, durationSeconds: 60 } }),
    );
    expect(await looser).toMatchObject({ code: "insufficient_permissions" });
    const wider = rejection(keys.create({ owner: "alice", name: "c", scopes: ["read", "write"], createdBy: parent.record.id }));
    expect(await wider).toMatchObject({ code: "insufficient_permissions" });
  });

  test("a key of another owner, or one that no longer works, makes nothing", async () => {
    const { keys } = createKeys();
    const bobs = await keys.create({ owner: "bob", name: "b", scopes: ["read"] });
    expect(await rejection(keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: bobs.record.id }))).toMatchObject({ code: "insufficient_permissions" });
    await keys.revoke(bobs.record.id);
    expect(await rejection(keys.create({ owner: "bob", name: "c", scopes: ["read"], createdBy: bobs.record.id }))).toMatchObject({ code: "revoked_key" });
  });

  test("a rotation asked for by no key (a session, the CLI) keeps today's behaviour: a fresh lifetime of the same length", async () => {
    const { keys, clock } = createKeys();
    const old = await keys.create({ owner: "alice", name: "k", scopes: ["read"], expiresAt: T0 + HOUR });
    clock.advance(HOUR / 2);
    expect((await keys.rotate(old.record.id))!.record.expiresAt).toBe(clock.now + HOUR);
  });

  test("revoking an already revoked key is a conflict, and still finishes revoking what it made", async () => {
    const { keys, store } = createKeys();
    const parent = await keys.create({ owner: "alice", name: "p", scopes: ["read"] });
    const child = await keys.create({ owner: "alice", name: "c", scopes: ["read"], createdBy: parent.record.id });
    // As if an earlier revocation had stopped after the parent (the store failed part-way).
    await store.update(parent.record.id, { revokedAt: T0 }, { onlyIfUnset: ["revokedAt"] });
    expect((await keys.verify(child.key)).ok).toBe(true);
    expect(await rejection(keys.revoke(parent.record.id))).toMatchObject({ code: "conflict", status: 409, message: "The key is already revoked." });
    expect(await keys.verify(child.key)).toMatchObject({ ok: false, code: "revoked_key" });
  });
});
