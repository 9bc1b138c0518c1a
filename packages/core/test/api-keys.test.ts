import { ApiKeys, MemoryKeyStore, ScopePolicy, type CreateKeyInput, type KeyStore } from "@portcullis/core";
import { CountingKeyStore, createKeys, DAY, PREFIX, rejection, SECOND, SECRET, T0 } from "./support/api-keys-setup";

const input: CreateKeyInput = { owner: "alice", name: "CI", scopes: ["read", "write"], app: "app_1", metadata: { team: "ml" } };

describe("ApiKeys.create", () => {
  it("returns the full key once, and a record that holds neither the key nor its digest", async () => {
    const { keys, store } = createKeys();
    const { key, record } = await keys.create(input);
    const randomPart = key.slice(PREFIX.length, PREFIX.length + 32);

    expect(keys.format.isWellFormed(key)).toBe(true);
    expect(record).toMatchObject({ ...input, createdAt: T0, usageCount: 0, preview: keys.format.preview(key) });
    expect(record).not.toHaveProperty("digest");
    expect(JSON.stringify(record)).not.toContain(randomPart);
    expect(JSON.stringify(await keys.get(record.id))).not.toContain(randomPart);
    expect(JSON.stringify(await store.findById(record.id))).not.toContain(randomPart);
  });

  it("deduplicates the scopes and checks them against the policy", async () => {
    const { keys } = createKeys({ scopes: new ScopePolicy({ known: ["read", "write"] }) });

    expect((await keys.create({ ...input, scopes: ["read", "read", "write"] })).record.scopes).toEqual(["read", "write"]);
    expect((await rejection(keys.create({ ...input, scopes: ["admin"] }))).message).toBe('scopes: unknown scope "admin"');
  });

  it.each<[string, Partial<Record<keyof CreateKeyInput, unknown>>, string]>([
    ["an empty name", { name: "" }, "name:"],
    ["a blank name", { name: "   " }, "name:"],
    ["a 101-character name", { name: "n".repeat(101) }, "name:"],
    ["a name with a control character", { name: "ring\u0007" }, "name:"],
    ["an empty owner", { owner: "" }, "owner:"],
    ["no scopes", { scopes: [] }, "scopes:"],
    ["scopes that are not an array", { scopes: "read" }, "scopes:"],
    ["metadata with a nested object", { metadata: { team: { id: 1 } } }, "metadata:"],
    ["metadata with 21 entries", { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }, "metadata:"],
    ["metadata that is an array", { metadata: ["ml"] }, "metadata:"],
    ["an expiry that is not a time", { expiresAt: "tomorrow" }, "expires_at:"],
  ])("refuses %s with invalid_request naming the field, and stores nothing", async (_, change, field) => {
    const { keys } = createKeys();
    const error = await rejection(keys.create({ ...input, ...change } as CreateKeyInput));

    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.message.startsWith(field)).toBe(true);
    expect((await keys.list("alice")).records).toEqual([]);
  });

  it("accepts a 100-character name and 20 metadata entries", async () => {
    const { keys } = createKeys();
    const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i % 2 === 0 ? null : true]));
    const { record } = await keys.create({ ...input, name: "n".repeat(100), metadata });

    expect(record.name).toHaveLength(100);
    expect(record.metadata).toEqual(metadata);
  });
});

describe("ApiKeys.verify", () => {
  it("accepts a created key and counts the use", async () => {
    const { keys, store, clock } = createKeys();
    const { key, record } = await keys.create(input);
    clock.advance(5 * SECOND);

    const result = await keys.verify(key);
    await store.flush();

    expect(result).toMatchObject({ ok: true, record: { id: record.id, owner: "alice", scopes: ["read", "write"] } });
    expect(await keys.get(record.id)).toMatchObject({ usageCount: 1, lastUsedAt: T0 + 5 * SECOND });
  });

  it("refuses a malformed key or a bad checksum as invalid_key without asking the store", async () => {
    const { keys, store } = createKeys({ store: new CountingKeyStore() });
    const { key } = await keys.create(input);
    const badChecksum = key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");

    for (const presented of ["", "not a key", key.slice(0, -1), key + "x", badChecksum, "plx_sk_" + key.slice(PREFIX.length)]) {
      expect(await keys.verify(presented)).toEqual({ ok: false, code: "invalid_key" });
    }
    expect(store.findByDigestCalls).toBe(0);
  });

  it("refuses a well-formed key that was never issued as invalid_key, after one lookup", async () => {
    const { keys, store } = createKeys({ store: new CountingKeyStore() });

    expect(await keys.verify(keys.format.generate())).toEqual({ ok: false, code: "invalid_key" });
    expect(store.findByDigestCalls).toBe(1);
  });

  it("finds a key only under the secret it was created with", async () => {
    const store = new MemoryKeyStore();
    const { key } = await new ApiKeys({ store, secret: SECRET, prefix: PREFIX }).create(input);
    const otherSecret = new ApiKeys({ store, secret: SECRET.toUpperCase(), prefix: PREFIX });

    expect(await otherSecret.verify(key)).toEqual({ ok: false, code: "invalid_key" });
  });
});

describe("ApiKeys.revoke", () => {
  it("refuses the key as revoked_key from the next verification on, without counting a use", async () => {
    const { keys, store, clock } = createKeys();
    const { key, record } = await keys.create(input);
    clock.advance(SECOND);

    expect(await keys.revoke(record.id)).toMatchObject({ id: record.id, revokedAt: T0 + SECOND });
    expect(await keys.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
    await store.flush();
    expect(await keys.get(record.id)).toMatchObject({ usageCount: 0, revokedAt: T0 + SECOND });
  });

  it("revoking again is a conflict, not a fresh success, and keeps the first revocation time", async () => {
    const { keys, clock } = createKeys();
    const { record } = await keys.create(input);
    await keys.revoke(record.id);
    clock.advance(DAY);

    expect(await rejection(keys.revoke(record.id))).toMatchObject({ code: "conflict", message: "The key is already revoked." });
    expect((await keys.get(record.id))?.revokedAt).toBe(T0);
  });

  it("returns undefined for an unknown key", async () => {
    expect(await createKeys().keys.revoke("key_unknown")).toBeUndefined();
  });
});

describe("expiry", () => {
  it.each([
    ["in the past", T0 - 1],
    ["now", T0],
  ])("refuses to create a key that expires %s", async (_, expiresAt) => {
    const error = await rejection(createKeys().keys.create({ ...input, expiresAt }));

    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toMatch(/^expires_at: /);
  });

  it("refuses a key as expired_key once the clock passes its expiry", async () => {
    const { keys, clock } = createKeys();
    const { key } = await keys.create({ ...input, expiresAt: T0 + DAY });

    clock.advance(DAY - 1);
    expect((await keys.verify(key)).ok).toBe(true);
    clock.advance(2);
    expect(await keys.verify(key)).toMatchObject({ ok: false, code: "expired_key" });
  });

  it("reports a revoked key as revoked even after it has expired", async () => {
    const { keys, clock } = createKeys();
    const { key, record } = await keys.create({ ...input, expiresAt: T0 + DAY });
    await keys.revoke(record.id);
    clock.advance(2 * DAY);

    expect(await keys.verify(key)).toMatchObject({ ok: false, code: "revoked_key" });
  });

  it("never expires a key created without expiresAt", async () => {
    const { keys, clock } = createKeys();
    const { key, record } = await keys.create(input);
    clock.advance(100 * 365 * DAY);

    expect(record).not.toHaveProperty("expiresAt");
    expect((await keys.verify(key)).ok).toBe(true);
  });
});

describe("ApiKeys.list", () => {
  it("pages through one owner's keys newest first, following next", async () => {
    const { keys, clock } = createKeys();
    for (const name of ["k1", "k2", "k3", "k4", "k5"]) {
      await keys.create({ ...input, name });
      clock.advance(SECOND);
    }
    await keys.create({ ...input, owner: "bob", name: "bob's" });

    const first = await keys.list("alice", { limit: 2 });
    const second = await keys.list("alice", { limit: 2, after: first.next! });
    const last = await keys.list("alice", { limit: 2, after: second.next! });

    expect([first, second, last].map((page) => page.records.map((r) => r.name))).toEqual([["k5", "k4"], ["k3", "k2"], ["k1"]]);
    expect(last.next).toBeUndefined();
    expect(first.records[0]).not.toHaveProperty("digest");
  });

  it.each([0, 101, 1.5, -1])("refuses a limit of %p with invalid_request", async (limit) => {
    const error = await rejection(createKeys().keys.list("alice", { limit }));

    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toMatch(/^limit: /);
  });
});

describe("ApiKeys configuration", () => {
  const store = new MemoryKeyStore();
  it.each<[string, unknown, RegExp]>([
    ["an unknown option", { store, secret: SECRET, prefix: PREFIX, clock: Date.now }, /^ApiKeys: unknown option "clock"/],
    ["a missing store", { secret: SECRET, prefix: PREFIX }, /^ApiKeys: "store" is required/],
    ["a 31-byte secret", { store, secret: "x".repeat(31), prefix: PREFIX }, /^ApiKeys: "secret" must be at least 32 bytes/],
    ["scopes that are not a ScopePolicy", { store, secret: SECRET, prefix: PREFIX, scopes: ["read"] }, /^ApiKeys: "scopes"/],
    ["no options", undefined, /^ApiKeys: options are required: new ApiKeys\(\{ store, secret, prefix \}\)$/],
    ["a store that is not a KeyStore", { store: {}, secret: SECRET, prefix: PREFIX }, /^ApiKeys: "store" must be a KeyStore, such as new MemoryKeyStore\(\)/],
    ["a malformed prefix", { store, secret: SECRET, prefix: "1abc" }, /^ApiKeys: "prefix" must be a letter followed by up to 31 letters.*, got "1abc"$/],
    ["a clock that is not a function", { store, secret: SECRET, prefix: PREFIX, now: 5 }, /^ApiKeys: "now" must be a function returning milliseconds$/],
    ["a zero timeoutMs", { store, secret: SECRET, prefix: PREFIX, timeoutMs: 0 }, /^ApiKeys: "timeoutMs" must be a whole number of milliseconds from 1 to 60000$/],
    ["an unknown cache option", { store, secret: SECRET, prefix: PREFIX, cache: { ttl: 5 } }, /^ApiKeys: unknown option "cache\.ttl"; the options are maxEntries, ttlMs, maxMisses, missTtlMs$/],
    ["a zero cache time to live", { store, secret: SECRET, prefix: PREFIX, cache: { ttlMs: 0 } }, /^ApiKeys: "cache\.ttlMs" must be a whole number of milliseconds, at least 1$/],
    ["a fractional cache size", { store, secret: SECRET, prefix: PREFIX, cache: { maxEntries: 1.5 } }, /^ApiKeys: "cache\.maxEntries" must be a whole number of keys, at least 1$/],
    ["a cache that is a string", { store, secret: SECRET, prefix: PREFIX, cache: "fast" }, /^ApiKeys: "cache" must be false or an object/],
  ])("refuses %s with a TypeError naming ApiKeys", (_, options, message) => {
    const create = () => new ApiKeys(options as ConstructorParameters<typeof ApiKeys>[0]);

    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });
});

describe("when the store fails", () => {
  const failure = new Error("connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379");
  const failingStore: KeyStore = {
    insert: () => Promise.reject(failure),
    findByDigest: () => Promise.reject(failure),
    findById: () => Promise.reject(failure),
    listByOwner: () => Promise.reject(failure),
    listCreatedUnder: () => Promise.reject(failure),
    update: () => Promise.reject(failure),
    reparent: () => Promise.reject(failure),
    remove: () => Promise.reject(failure),
    usage: () => Promise.reject(failure),
    recordUse: () => {},
    flush: () => Promise.reject(failure),
    close: () => Promise.resolve(),
  };
  const { keys } = createKeys({ store: failingStore });

  it.each<[string, () => Promise<unknown>]>([
    ["verify", () => keys.verify(keys.format.generate())],
    ["create", () => keys.create(input)],
    ["list", () => keys.list("alice")],
    ["get", () => keys.get("key_1")],
    ["revoke", () => keys.revoke("key_1")],
    ["rotate", () => keys.rotate("key_1")],
  ])("%s fails closed with auth_unavailable (503), keeping the store error as cause only", async (_, operation) => {
    const error = await rejection(operation());

    expect(error).toMatchObject({ code: "auth_unavailable", status: 503 });
    // The cause keeps the failure's name and message, not the client error itself (whose
    // command arguments can hold record data).
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe(`Error: ${failure.message}`);
    expect(error.cause).not.toBe(failure);
    expect(error.message).not.toContain("hunter2");
  });
});
