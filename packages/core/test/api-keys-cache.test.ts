import crypto from "node:crypto";
import { ApiKeys, MemoryKeyStore, type KeyStore } from "@portcullis/core";
import { CountingKeyStore, createKeys, PREFIX, SECOND, SECRET, T0 } from "./support/api-keys-setup";

/** A store that cannot tell anyone of changes, as a custom store without `watch` would be. */
function deafStore(): KeyStore {
  const store = new CountingKeyStore();
  return Object.assign(store, { watch: undefined });
}

/** A second ApiKeys (another process, in effect) on the same store and clock. */
function sibling(store: KeyStore, now: () => number, cache: ConstructorParameters<typeof ApiKeys>[0]["cache"] = {}) {
  return new ApiKeys({ store, secret: SECRET, prefix: PREFIX, now, cache });
}

describe("ApiKeys verified-key cache", () => {
  it("verifies a known key from memory after the first lookup, and still counts every use", async () => {
    const { keys, store } = createKeys({ store: new CountingKeyStore() });
    const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });

    for (let i = 0; i < 5; i++) expect(await keys.verify(key)).toMatchObject({ ok: true, record: { id: record.id } });
    expect(store.findByDigestCalls).toBe(1);
    expect((await keys.get(record.id))?.usageCount).toBe(5);
  });

  it("verifies a warm key without its keyed hash, and an unknown key with it every time", async () => {
    const { keys } = createKeys();
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    const invented = keys.format.generate();
    await keys.verify(key);
    await keys.verify(invented);
    const hmac = jest.spyOn(crypto, "createHmac");
    try {
      for (let i = 0; i < 3; i++) expect((await keys.verify(key)).ok).toBe(true);
      expect(hmac).not.toHaveBeenCalled();
      for (let i = 0; i < 3; i++) expect((await keys.verify(invented)).ok).toBe(false);
      expect(hmac).toHaveBeenCalledTimes(3);
    } finally {
      hmac.mockRestore();
    }
  });

  it("never asks the store about a malformed key or a bad checksum, and asks once about an unknown well-formed one", async () => {
    const { keys, store } = createKeys({ store: new CountingKeyStore() });
    const invented = keys.format.generate();
    const badChecksum = invented.slice(0, -1) + (invented.endsWith("0") ? "1" : "0");

    for (let i = 0; i < 50; i++) {
      expect(await keys.verify("cpx_live.short")).toMatchObject({ ok: false, code: "invalid_key" });
      expect(await keys.verify(badChecksum)).toMatchObject({ ok: false, code: "invalid_key" });
      expect(await keys.verify(invented)).toMatchObject({ ok: false, code: "invalid_key" });
    }
    expect(store.findByDigestCalls).toBe(1);
  });

  it("refuses a revoked key at once, through this ApiKeys or another on the same store", async () => {
    const { keys, store, clock } = createKeys();
    const other = sibling(store, () => clock.now, { ttlMs: 3_600_000 });
    const first = await keys.create({ owner: "alice", name: "one", scopes: ["read"] });
    const second = await keys.create({ owner: "alice", name: "two", scopes: ["read"] });
    for (const { key } of [first, second]) {
      expect((await keys.verify(key)).ok).toBe(true);
      expect((await other.verify(key)).ok).toBe(true);
    }

    await keys.revoke(first.record.id);
    await other.revoke(second.record.id);

    for (const { key } of [first, second]) {
      expect(await keys.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
      expect(await other.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
    }
  });

  it("ends a rotated key's grace period on time, from the cache, in every ApiKeys", async () => {
    const { keys, store, clock } = createKeys();
    const other = sibling(store, () => clock.now, { ttlMs: 3_600_000 });
    const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    expect((await other.verify(key)).ok).toBe(true);

    const rotated = await keys.rotate(record.id, { gracePeriodMs: 60 * SECOND });
    expect((await other.verify(key)).ok).toBe(true);
    expect((await other.verify(rotated!.key)).ok).toBe(true);
    clock.advance(60 * SECOND);
    expect(await other.verify(key)).toMatchObject({ ok: false, code: "expired_key" });
    expect(await keys.verify(key)).toMatchObject({ ok: false, code: "expired_key" });
  });

  it("refuses a cached key once its own expiry passes, without asking the store", async () => {
    const { keys, store, clock } = createKeys({ store: new CountingKeyStore() });
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"], expiresAt: T0 + 5 * SECOND });
    expect((await keys.verify(key)).ok).toBe(true);

    clock.advance(5 * SECOND); // still within the cache's ten seconds
    expect(await keys.verify(key)).toMatchObject({ ok: false, code: "expired_key" });
    expect(store.findByDigestCalls).toBe(1);
  });

  it("with a store that cannot push changes, honours another ApiKeys' revocation within ttlMs", async () => {
    const { keys, store, clock } = createKeys({ store: deafStore() });
    const other = sibling(store, () => clock.now, { ttlMs: 5 * SECOND });
    const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    expect((await other.verify(key)).ok).toBe(true);

    await keys.revoke(record.id);
    expect((await other.verify(key)).ok).toBe(true); // the documented bound, not a bug
    clock.advance(5 * SECOND + 1);
    expect(await other.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
  });

  it("with cache: false, asks the store on every verification", async () => {
    const store = new CountingKeyStore();
    const keys = new ApiKeys({ store, secret: SECRET, prefix: PREFIX, cache: false });
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });

    for (let i = 0; i < 3; i++) await keys.verify(key);
    expect(store.findByDigestCalls).toBe(3);
  });

  it("with cache: false, hands out each freshly loaded record frozen, scopes and all", async () => {
    const keys = new ApiKeys({ store: new CountingKeyStore(), secret: SECRET, prefix: PREFIX, cache: false });
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read", "write"] });
    const first = await keys.verify(key);
    const second = await keys.verify(key);

    expect(first.ok && second.ok && first.record !== second.record).toBe(true); // loaded afresh each time
    const record = first.ok ? first.record : undefined;
    expect(record?.scopes).toEqual(["read", "write"]);
    expect(Object.isFrozen(record)).toBe(true);
    expect(() => (record!.scopes as string[]).push("admin")).toThrow(TypeError);
  });

  it("hands every request the same frozen record, so no handler can change another's principal", async () => {
    const { keys } = createKeys();
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    const first = await keys.verify(key);
    const second = await keys.verify(key);

    expect(first.ok && second.ok && first.record === second.record).toBe(true);
    const record = first.ok ? first.record : undefined;
    expect(Object.isFrozen(record)).toBe(true);
    expect(() => (record!.scopes as string[]).push("admin")).toThrow(TypeError);
  });

  it("starts listening at the first verification, once, and stops on close()", async () => {
    const store = new MemoryKeyStore();
    const keys = new ApiKeys({ store, secret: SECRET, prefix: PREFIX });
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    const closed = jest.fn();
    const watch = jest.spyOn(store, "watch").mockImplementation((listener) => {
      const inner = MemoryKeyStore.prototype.watch.call(store, listener);
      return { close: () => (closed(), inner.close()) };
    });
    expect(watch).not.toHaveBeenCalled();

    await keys.verify(key);
    await keys.verify(key);
    expect(watch).toHaveBeenCalledTimes(1);
    keys.close();
    expect(closed).toHaveBeenCalledTimes(1);
  });
});
