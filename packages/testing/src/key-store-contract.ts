import { randomBytes } from "node:crypto";
import { type KeyStore, type StoredApiKey } from "@portcullis/core";
import { keyIdOf } from "@portcullis/core/internal";
import { eventually } from "./eventually";

let counter = 0;

/** A digest as `KeyHasher` makes them, and the id it gives (`keyIdOf`), as every record has. */
export function sampleDigest(): { digest: string; id: string } {
  const digest = randomBytes(32).toString("base64url");
  return { digest, id: keyIdOf(digest) };
}

/** A distinct, complete record; fields can be overridden. */
export function sampleRecord(overrides: Partial<StoredApiKey> = {}): StoredApiKey {
  counter += 1;
  return {
    ...sampleDigest(),
    name: `Key ${counter}`,
    owner: "alice",
    scopes: ["read", "write"],
    preview: "cpx_live.AbCd…wXyZ",
    createdAt: 1_700_000_000_000 + counter,
    usageCount: 0,
    metadata: {},
    ...overrides,
  };
}

/**
 * The behaviour every `KeyStore` adapter must have. Each adapter's test file calls this with a
 * factory that returns a fresh, empty store.
 */
export function describeKeyStoreContract(adapter: string, makeStore: () => Promise<KeyStore> | KeyStore): void {
  describe(`KeyStore contract: ${adapter}`, () => {
    let store: KeyStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    test("a record reads back identically by digest and by id", async () => {
      const record = sampleRecord({
        name: "CI pipeline ✓ — 東京",
        app: "app-1",
        expiresAt: 1_800_000_000_000,
        metadata: { team: "ml", ticket: 42, urgent: false, note: null },
        rateLimit: { points: 100, durationSeconds: 60 },
        rotatedFrom: "key_previous",
        lineage: "key_first",
        createdBy: "key_maker",
        createdUnder: "key_makers_first",
        countsUnder: [{ lineage: "key_makers_first", rateLimit: { points: 200, durationSeconds: 60 } }, { lineage: "key_top" }],
        revokedWith: "key_top",
        cascadedAt: 1_800_000_000_001,
        replacedBy: "key_successor",
        replaces: "key_predecessor",
      });
      await store.insert(record);
      expect(await store.findByDigest(record.digest)).toEqual(record);
      expect(await store.findById(record.id)).toEqual(record);
    });

    test("optional fields that were never set stay absent", async () => {
      const record = sampleRecord();
      await store.insert(record);
      const found = await store.findById(record.id);
      for (const field of ["app", "expiresAt", "revokedAt", "lastUsedAt", "rateLimit", "rotatedFrom", "rotatedTo", "lineage", "createdBy", "createdUnder", "countsUnder", "revokedWith", "cascadedAt", "replacedBy", "replaces"]) {
        expect(found).not.toHaveProperty(field);
      }
    });

    test("unknown digests and ids find nothing", async () => {
      await store.insert(sampleRecord());
      expect(await store.findByDigest("no-such-digest")).toBeUndefined();
      expect(await store.findById("key_nope")).toBeUndefined();
    });

    test("a digest that shares a stored one's id but not the rest finds nothing", async () => {
      const record = sampleRecord();
      await store.insert(record);
      const bytes = Buffer.from(record.digest, "base64url");
      bytes[31] = bytes[31]! ^ 0xff; // past the 16 bytes the id is cut from
      expect(keyIdOf(bytes.toString("base64url"))).toBe(record.id);
      expect(await store.findByDigest(bytes.toString("base64url"))).toBeUndefined();
    });

    test("inserting an id twice is refused and leaves the first record", async () => {
      const record = sampleRecord();
      await store.insert(record);
      await expect(store.insert({ ...record, digest: "another-digest", name: "impostor" })).rejects.toThrow();
      expect((await store.findById(record.id))?.name).toBe(record.name);
      expect(await store.findByDigest("another-digest")).toBeUndefined();
    });

    test("an owner's keys list newest first, page by page, and no one else's", async () => {
      const mine = [];
      for (let i = 0; i < 7; i++) {
        const record = sampleRecord({ owner: "bob" });
        await store.insert(record);
        mine.push(record.id);
        await store.insert(sampleRecord({ owner: "carol" }));
      }
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.listByOwner("bob", after === undefined ? { limit: 3 } : { limit: 3, after });
        expect(page.records.length).toBeLessThanOrEqual(3);
        seen.push(...page.records.map((r) => r.id));
        after = page.next;
        pages += 1;
      } while (after !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual([...mine].reverse());
    });

    test("listing by app pages through that app's keys only, with full pages", async () => {
      const inApp: string[] = [];
      for (let i = 0; i < 5; i++) {
        const bound = sampleRecord({ owner: "fay", app: "app-1" });
        await store.insert(bound);
        inApp.push(bound.id);
        await store.insert(sampleRecord({ owner: "fay", app: "app-2" }));
        await store.insert(sampleRecord({ owner: "fay" }));
      }
      // An owner and app that would spell the same key if joined naively.
      await store.insert(sampleRecord({ owner: "fay:app", app: "1" }));
      const first = await store.listByOwner("fay", { limit: 3, app: "app-1" });
      expect(first.records.map((r) => r.id)).toEqual(inApp.slice(-3).reverse());
      const second = await store.listByOwner("fay", { limit: 3, app: "app-1", after: first.next! });
      expect(second.records.map((r) => r.id)).toEqual(inApp.slice(0, 2).reverse());
      expect(second.next).toBeUndefined();
      expect((await store.listByOwner("fay", { limit: 100 })).records).toHaveLength(15);
    });

    test("an owner without keys lists nothing, and an unknown cursor ends the listing", async () => {
      await store.insert(sampleRecord({ owner: "dave" }));
      expect(await store.listByOwner("nobody", { limit: 10 })).toEqual({ records: [] });
      expect((await store.listByOwner("dave", { limit: 10, after: "key_unknown" })).records).toEqual([]);
    });

    test("an id, owner, app or cursor holding U+0000 finds nothing rather than failing: a request can send one", async () => {
      const record = sampleRecord({ owner: "erin", app: "app-1" });
      await store.insert(record);
      expect(await store.findById(`${record.id}\u0000`)).toBeUndefined();
      expect((await store.listByOwner("erin", { limit: 10, after: "key_\u0000" })).records).toEqual([]);
      expect((await store.listByOwner("erin\u0000", { limit: 10 })).records).toEqual([]);
      expect((await store.listByOwner("erin", { limit: 10, app: "app-1\u0000" })).records).toEqual([]);
      expect(await store.listCreatedUnder("\u0000")).toEqual([]);
      expect((await store.listByOwner("erin", { limit: 10 })).records.map((r) => r.id)).toEqual([record.id]);
    });

    test("update applies a patch atomically and returns the new record", async () => {
      const record = sampleRecord({ expiresAt: 1_900_000_000_000 });
      await store.insert(record);
      const updated = await store.update(record.id, { revokedAt: 1_750_000_000_000, rotatedTo: "key_next" });
      expect(updated).toEqual({ applied: true, record: { ...record, revokedAt: 1_750_000_000_000, rotatedTo: "key_next" } });
      expect(await store.findByDigest(record.digest)).toEqual(updated.record);
      const shortened = await store.update(record.id, { expiresAt: 1_760_000_000_000 });
      expect(shortened.record?.expiresAt).toBe(1_760_000_000_000);
      expect(shortened.record?.revokedAt).toBe(1_750_000_000_000);
    });

    test("a guarded update applies only while the guarded fields are unset", async () => {
      const record = sampleRecord();
      await store.insert(record);
      const first = await store.update(record.id, { revokedAt: 100 }, { onlyIfUnset: ["revokedAt"] });
      expect(first.applied).toBe(true);
      const second = await store.update(record.id, { revokedAt: 200 }, { onlyIfUnset: ["revokedAt"] });
      expect(second).toEqual({ applied: false, record: { ...record, revokedAt: 100 } });
      const rotation = await store.update(record.id, { rotatedTo: "key_x", expiresAt: 5 }, { onlyIfUnset: ["revokedAt", "rotatedTo"] });
      expect(rotation.applied).toBe(false);
      expect(await store.findById(record.id)).toEqual({ ...record, revokedAt: 100 });
    });

    test("a revoked key and the key that took its place are linked both ways", async () => {
      const old = sampleRecord();
      const successor = sampleRecord();
      await store.insert(old);
      await store.insert(successor);
      await store.update(old.id, { revokedAt: 100 }, { onlyIfUnset: ["revokedAt"] });
      expect((await store.update(old.id, { replacedBy: successor.id })).record).toEqual({ ...old, revokedAt: 100, replacedBy: successor.id });
      expect((await store.update(successor.id, { replaces: old.id })).record).toEqual({ ...successor, replaces: old.id });
    });

    test("of two racing guarded updates exactly one applies", async () => {
      const record = sampleRecord();
      await store.insert(record);
      const outcomes = await Promise.all(
        ["key_a", "key_b", "key_c"].map((to) => store.update(record.id, { rotatedTo: to }, { onlyIfUnset: ["rotatedTo"] })),
      );
      expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
      const winner = outcomes.find((o) => o.applied)!.record.rotatedTo;
      expect((await store.findById(record.id))?.rotatedTo).toBe(winner);
    });

    test("the keys made under a rotation chain are listed by it, and a removed one no longer", async () => {
      const [a, b, other, kept] = [
        sampleRecord({ createdBy: "key_p", createdUnder: "key_chain" }),
        sampleRecord({ createdBy: "key_p2", createdUnder: "key_chain" }),
        sampleRecord({ createdBy: "key_q", createdUnder: "key_other" }),
        sampleRecord(),
      ];
      for (const record of [a, b, other, kept]) await store.insert(record);
      expect((await store.listCreatedUnder("key_chain")).sort()).toEqual([a.id, b.id].sort());
      expect(await store.listCreatedUnder("key_nothing")).toEqual([]);
      await store.remove(a.id);
      expect(await store.listCreatedUnder("key_chain")).toEqual([b.id]);
      const revoked = await store.update(b.id, { revokedAt: 5, revokedWith: "key_p" }, { onlyIfUnset: ["revokedAt"] });
      expect(revoked.record).toEqual({ ...b, revokedAt: 5, revokedWith: "key_p" });
    });

    test("an update guarded by createdUnder applies only to a key made under that chain, and can delete fields", async () => {
      const record = sampleRecord({ createdBy: "key_p", createdUnder: "key_chain", expiresAt: 900 });
      await store.insert(record);
      const elsewhere = await store.update(record.id, { revokedAt: 5 }, { onlyIfUnset: ["revokedAt"], onlyIfCreatedUnder: "key_other" });
      expect(elsewhere).toEqual({ applied: false, record });
      await store.update(record.id, { rotatedTo: "key_next", expiresAt: 100 });
      const undone = await store.update(record.id, {}, { onlyIfUnset: ["revokedAt"], unset: ["rotatedTo", "expiresAt"] });
      expect(undone.applied).toBe(true);
      const { expiresAt: _expiresAt, ...withoutExpiry } = record;
      expect(await store.findById(record.id)).toEqual(withoutExpiry);
      const here = await store.update(record.id, { revokedAt: 5 }, { onlyIfUnset: ["revokedAt"], onlyIfCreatedUnder: "key_chain" });
      expect(here).toEqual({ applied: true, record: { ...withoutExpiry, revokedAt: 5 } });
    });

    test("reparent moves a key to another maker's list, or to none, and clears what it is not given", async () => {
      const record = sampleRecord({ createdBy: "key_p", createdUnder: "key_chain", countsUnder: [{ lineage: "key_chain" }, { lineage: "key_top" }] });
      await store.insert(record);
      const moved = await store.reparent(record.id, { createdBy: "key_top", createdUnder: "key_top", countsUnder: [{ lineage: "key_top" }] });
      expect(moved).toEqual({ ...record, createdBy: "key_top", createdUnder: "key_top", countsUnder: [{ lineage: "key_top" }] });
      expect(await store.listCreatedUnder("key_chain")).toEqual([]);
      expect(await store.listCreatedUnder("key_top")).toEqual([record.id]);
      const { createdBy: _b, createdUnder: _u, countsUnder: _c, ...alone } = record;
      expect(await store.reparent(record.id, { countsUnder: [] })).toEqual(alone);
      expect(await store.findById(record.id)).toEqual(alone);
      expect(await store.listCreatedUnder("key_top")).toEqual([]);
      expect(await store.reparent("key_ghost", { countsUnder: [] })).toBeUndefined();
    });

    test("update of an unknown id changes nothing and creates nothing", async () => {
      expect(await store.update("key_ghost", { revokedAt: 1 })).toEqual({ applied: false, record: undefined });
      expect(await store.findById("key_ghost")).toBeUndefined();
    });

    test("remove deletes a record from every index; removing an unknown id is a no-op", async () => {
      const gone = sampleRecord({ owner: "erin" });
      const kept = sampleRecord({ owner: "erin" });
      await store.insert(gone);
      await store.insert(kept);
      await store.remove(gone.id);
      await store.remove("key_never_existed");
      expect(await store.findById(gone.id)).toBeUndefined();
      expect(await store.findByDigest(gone.digest)).toBeUndefined();
      expect((await store.listByOwner("erin", { limit: 10 })).records.map((r) => r.id)).toEqual([kept.id]);
    });

    test("uses are counted and the latest use time kept, once flushed", async () => {
      const record = sampleRecord();
      await store.insert(record);
      store.recordUse(record, 1_700_000_100_000);
      store.recordUse(record, 1_700_000_300_000);
      store.recordUse(record, 1_700_000_200_000);
      await store.flush();
      const found = await store.findById(record.id);
      expect(found?.usageCount).toBe(3);
      expect(found?.lastUsedAt).toBe(1_700_000_300_000);
      store.recordUse(record, 1_700_000_400_000);
      await store.flush();
      expect((await store.findById(record.id))?.usageCount).toBe(4);
    });

    test("uses are counted per UTC day, per key and per owner", async () => {
      const day = Date.UTC(2026, 5, 10, 12);
      const a = sampleRecord({ owner: "gus" });
      const b = sampleRecord({ owner: "gus" });
      await store.insert(a);
      await store.insert(b);
      store.recordUse(a, day - 86_400_000);
      store.recordUse(a, day);
      store.recordUse(a, day + 1000);
      store.recordUse(b, day);
      await store.flush();
      expect(await store.usage("gus", { days: 3, now: day })).toEqual([
        { date: "2026-06-08", requests: 0 },
        { date: "2026-06-09", requests: 1 },
        { date: "2026-06-10", requests: 3 },
      ]);
      expect(await store.usage("gus", { days: 2, now: day, keyId: a.id })).toEqual([
        { date: "2026-06-09", requests: 1 },
        { date: "2026-06-10", requests: 2 },
      ]);
      expect(await store.usage("nobody", { days: 1, now: day })).toEqual([{ date: "2026-06-10", requests: 0 }]);
    });

    test("a watcher, where the store has one, hears of revocations and removals, and stops on close", async () => {
      if (!store.watch) return; // optional: ApiKeys then trusts a cached key for its time to live
      const [revoked, removed, unheard] = [sampleRecord(), sampleRecord(), sampleRecord()];
      for (const record of [revoked, removed, unheard]) await store.insert(record);
      let heard: string[] = [];
      const watch = store.watch({ changed: (digest) => heard.push(digest), lost: () => {} });
      const probe = await untilWatching(store);
      const real = () => (heard = heard.filter((digest) => digest !== probe));
      await store.update(revoked.id, { revokedAt: 1_750_000_000_000 });
      await store.remove(removed.id);
      await eventually(() => real().length >= 2);
      // Both, each once; in either order: on a Redis Cluster two keys' changes may be published by
      // two nodes, and the cluster bus does not keep their order across nodes.
      expect([...heard].sort()).toEqual([revoked.digest, removed.digest].sort());

      watch.close();
      await store.update(unheard.id, { revokedAt: 1_750_000_000_000 });
      await store.remove(removed.id); // already gone: nothing to announce
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(real()).toHaveLength(2);
    });

    test("a use of a record that is gone does not resurrect it", async () => {
      const ghost = sampleRecord();
      store.recordUse(ghost, 1_700_000_100_000);
      await store.flush();
      expect(await store.findById(ghost.id)).toBeUndefined();
      expect(await store.findByDigest(ghost.digest)).toBeUndefined();
    });
  });
}

/**
 * A store that hears changes over a connection of its own (Redis pub/sub) misses those made before
 * it has subscribed: change a probe key until a change is heard. Returns the probe's digest.
 */
async function untilWatching(store: KeyStore): Promise<string> {
  const probe = sampleRecord();
  await store.insert(probe);
  let heard = false;
  const watch = store.watch!({ changed: (digest) => (heard ||= digest === probe.digest), lost: () => {} });
  await eventually(async () => {
    if (!heard) await store.update(probe.id, { expiresAt: Date.now() });
    return heard;
  });
  watch.close();
  return probe.digest;
}
