import type { CreateKeyInput } from "@portcullis/core";
import { createKeys, DAY, rejection, SECOND, T0 } from "./support/api-keys-setup";

const input: CreateKeyInput = { owner: "alice", name: "CI", scopes: ["read", "write"], app: "app_1", metadata: { team: "ml", n: 1 } };

describe("ApiKeys.rotate", () => {
  it("issues a new key with the same name, scopes, app and metadata, linked both ways to the old one", async () => {
    const { keys } = createKeys();
    const old = await keys.create(input);

    const rotated = await keys.rotate(old.record.id);

    expect(rotated).toBeDefined();
    const { key, record, previous } = rotated!;
    expect(key).not.toBe(old.key);
    expect(keys.format.isWellFormed(key)).toBe(true);
    expect(record.id).not.toBe(old.record.id);
    expect(record).toMatchObject({ ...input, rotatedFrom: old.record.id, usageCount: 0 });
    expect(previous).toMatchObject({ id: old.record.id, rotatedTo: record.id });
    expect(await keys.get(old.record.id)).toMatchObject({ rotatedTo: record.id });
    expect(record).not.toHaveProperty("digest");
    expect(previous).not.toHaveProperty("digest");
  });

  it("names the first key of the chain as the lineage of every key rotated from it", async () => {
    const { keys } = createKeys();
    const first = await keys.create(input);
    expect(first.record).not.toHaveProperty("lineage");

    const second = (await keys.rotate(first.record.id))!;
    const third = (await keys.rotate(second.record.id))!;
    expect(second.record.lineage).toBe(first.record.id);
    expect(third.record.lineage).toBe(first.record.id);
    expect((await keys.verify(third.key)).ok && (await keys.get(third.record.id))?.lineage).toBe(first.record.id);
  });

  it("keeps the old key working during the grace period, then refuses it as expired", async () => {
    const { keys, clock } = createKeys();
    const old = await keys.create(input);
    const rotated = (await keys.rotate(old.record.id, { gracePeriodMs: 60_000 }))!;

    expect(rotated.previous.expiresAt).toBe(T0 + 60_000);
    clock.advance(59_999);
    expect((await keys.verify(old.key)).ok).toBe(true);
    expect((await keys.verify(rotated.key)).ok).toBe(true);

    clock.advance(2);
    expect(await keys.verify(old.key)).toMatchObject({ ok: false, code: "expired_key" });
    expect((await keys.verify(rotated.key)).ok).toBe(true);
  });

  it("refuses the old key at once with no grace period (the default) or a grace period of 0", async () => {
    const { keys } = createKeys();
    const first = await keys.create(input);
    const second = await keys.create(input);

    const rotatedFirst = (await keys.rotate(first.record.id))!;
    await keys.rotate(second.record.id, { gracePeriodMs: 0 });

    expect(await keys.verify(first.key)).toMatchObject({ ok: false, code: "expired_key" });
    expect(await keys.verify(second.key)).toMatchObject({ ok: false, code: "expired_key" });
    expect((await keys.verify(rotatedFirst.key)).ok).toBe(true);
  });

  it("gives the new key the old key's lifetime, counted from the rotation", async () => {
    const { keys, clock } = createKeys();
    const old = await keys.create({ ...input, expiresAt: T0 + 30 * DAY });
    clock.advance(10 * DAY);

    const rotated = (await keys.rotate(old.record.id, { gracePeriodMs: 60_000 }))!;

    expect(rotated.record.createdAt).toBe(T0 + 10 * DAY);
    expect(rotated.record.expiresAt).toBe(T0 + 10 * DAY + 30 * DAY);
    expect(rotated.previous.expiresAt).toBe(T0 + 10 * DAY + 60_000);
  });

  it("never extends the old key beyond its own expiry", async () => {
    const { keys } = createKeys();
    const old = await keys.create({ ...input, expiresAt: T0 + 60 * SECOND });

    const rotated = (await keys.rotate(old.record.id, { gracePeriodMs: DAY }))!;

    expect(rotated.previous.expiresAt).toBe(T0 + 60 * SECOND);
  });

  it("gives a key that never expires a successor that never expires", async () => {
    const { keys } = createKeys();
    const old = await keys.create(input);

    expect((await keys.rotate(old.record.id))!.record).not.toHaveProperty("expiresAt");
  });

  it("returns undefined for an unknown key", async () => {
    expect(await createKeys().keys.rotate("key_unknown")).toBeUndefined();
  });

  describe("refuses with conflict (409)", () => {
    it("a revoked key", async () => {
      const { keys } = createKeys();
      const { record } = await keys.create(input);
      await keys.revoke(record.id);

      expect(await rejection(keys.rotate(record.id))).toMatchObject({ code: "conflict", status: 409 });
    });

    it("an expired key", async () => {
      const { keys, clock } = createKeys();
      const { record } = await keys.create({ ...input, expiresAt: T0 + DAY });
      clock.advance(DAY + 1);

      expect(await rejection(keys.rotate(record.id))).toMatchObject({ code: "conflict", status: 409 });
    });

    it("a key already rotated, even while its grace period runs", async () => {
      const { keys } = createKeys();
      const { record } = await keys.create(input);
      await keys.rotate(record.id, { gracePeriodMs: 60_000 });

      expect(await rejection(keys.rotate(record.id, { gracePeriodMs: 60_000 }))).toMatchObject({ code: "conflict", status: 409 });
      expect((await keys.list("alice")).records).toHaveLength(2);
    });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses a grace period of %p with invalid_request, leaving the key as it was",
    async (gracePeriodMs) => {
      const { keys } = createKeys();
      const { key, record } = await keys.create(input);

      expect(await rejection(keys.rotate(record.id, { gracePeriodMs }))).toMatchObject({ code: "invalid_request", status: 400 });
      expect(await keys.get(record.id)).not.toHaveProperty("rotatedTo");
      expect((await keys.verify(key)).ok).toBe(true);
    },
  );

  describe("under concurrent requests", () => {
    it("rotates a key once when two rotations race: the other is refused with conflict", async () => {
      const { keys } = createKeys();
      const { record } = await keys.create(input);

      const results = await Promise.allSettled([
        keys.rotate(record.id, { gracePeriodMs: 60_000 }),
        keys.rotate(record.id, { gracePeriodMs: 60_000 }),
      ]);

      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect((await keys.list("alice")).records.filter((r) => r.rotatedFrom === record.id)).toHaveLength(1);
    });

    it("issues no working key when a rotation races the key's revocation", async () => {
      const { keys } = createKeys();
      const { record } = await keys.create(input);

      const [, rotation] = await Promise.allSettled([keys.revoke(record.id), keys.rotate(record.id)]);

      const issued = rotation.status === "fulfilled" ? rotation.value : undefined;
      const issuedKeyWorks = issued !== undefined && (await keys.verify(issued.key)).ok;

      expect((await keys.get(record.id))?.revokedAt).toBe(T0);
      expect(issuedKeyWorks).toBe(false);
    });
  });
});

describe("ApiKeys.rotate when the store's reply is lost", () => {
  it("keeps the rotation when the guarded update was written but its reply never came back", async () => {
    const { keys, store } = createKeys();
    const old = await keys.create(input);
    const update = store.update.bind(store);
    store.update = async (...args) => {
      await update(...args); // written…
      throw new Error("ETIMEDOUT"); // …but the reply is lost
    };
    const rotated = await keys.rotate(old.record.id, { gracePeriodMs: 60_000 });
    expect(rotated?.previous.rotatedTo).toBe(rotated?.record.id);
    expect((await keys.verify(rotated!.key)).ok).toBe(true);
    expect((await keys.verify(old.key)).ok).toBe(true); // still in its grace period
  });

  it("removes the unseen new key when the update really failed, leaving the old key as it was", async () => {
    const { keys, store } = createKeys();
    const old = await keys.create(input);
    store.update = async () => {
      throw new Error("ECONNRESET");
    };
    expect(await rejection(keys.rotate(old.record.id, { gracePeriodMs: 60_000 }))).toMatchObject({ code: "auth_unavailable" });
    expect((await keys.list("alice")).records.map((r) => r.id)).toEqual([old.record.id]);
    expect(await keys.get(old.record.id)).toEqual(old.record);
  });
});
