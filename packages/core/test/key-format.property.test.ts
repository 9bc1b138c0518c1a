import { crc32 } from "node:zlib";
import fc from "fast-check";
import { ApiKeys, MemoryKeyStore, ScopePolicy } from "@portcullis/core";
import { BASE62_ALPHABET, encodeBase62, KEY_ID_PATTERN, KeyHasher, keyIdOf } from "@portcullis/core/internal";
import { PREFIX, SECRET } from "./support/api-keys-setup";

/**
 * Hostile input for the key format: whatever string is presented, `verify` answers (never
 * throws), only the very key that was issued is accepted, and anything malformed is refused
 * before the store is asked.
 */

const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
const hasher = new KeyHasher(SECRET);

function keysOnSpiedStore() {
  const store = new MemoryKeyStore();
  const findByDigest = jest.spyOn(store, "findByDigest");
  return { keys: new ApiKeys({ store, secret: SECRET, prefix: PREFIX, scopes }), findByDigest };
}

/** What `ApiKeys.create` accepts: printable names and owners, known scopes. */
const createInput = fc.record({
  owner: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ""),
  name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "" && !/[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(s)),
  scopes: fc.uniqueArray(fc.constantFrom("read", "write", "predict", "admin"), { minLength: 1 }),
});

/** Characters a mutation may put in: base62 (the dangerous kind, it keeps the alphabet), blanks, odd Unicode. */
const anyChar = fc.oneof(
  fc.constantFrom(...BASE62_ALPHABET),
  fc.constantFrom(" ", "\t", "\n", "\0", "\u00a0", "\u200b", "\ufeff", "é", "😀", "\ud800", ".", "_", "-"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

/** Ways to turn a real key into something that is not exactly it. */
function mutationsOf(key: string): fc.Arbitrary<string> {
  const index = fc.nat({ max: key.length - 1 });
  return fc.oneof(
    // one character replaced by a different one
    fc.tuple(index, anyChar).filter(([i, c]) => key[i] !== c).map(([i, c]) => key.slice(0, i) + c + key.slice(i + 1)),
    // one character's case swapped
    index.filter((i) => key[i]!.toLowerCase() !== key[i]!.toUpperCase()).map((i) => {
      const c = key[i]!;
      return key.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + key.slice(i + 1);
    }),
    // two neighbours swapped
    index.filter((i) => i + 1 < key.length && key[i] !== key[i + 1]).map((i) => key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2)),
    // truncated, or with a character left out
    fc.nat({ max: key.length - 1 }).map((n) => key.slice(0, n)),
    index.map((i) => key.slice(0, i) + key.slice(i + 1)),
    // extended, at either end or in the middle
    fc.tuple(fc.string({ unit: anyChar, minLength: 1, maxLength: 40 }), fc.nat({ max: key.length })).map(([extra, i]) => key.slice(0, i) + extra + key.slice(i)),
    // another prefix on the same body
    fc.constantFrom("cpx_test.", "CPX_LIVE.", "cpx_live", "cpx_live..", "plx_sk_", "", " cpx_live.", "cpx_live.\u200b").map((p) => p + key.slice(PREFIX.length)),
    // the key twice, or wrapped in blanks or quotes
    fc.constantFrom(key + key, ` ${key}`, `${key} `, `\t${key}\n`, `"${key}"`, `Bearer ${key}`, key.normalize("NFKD") + "\u0301"),
  );
}

const base62 = (length: number) => fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET), minLength: length, maxLength: length });

/** A key of the right shape and checksum that nobody issued: only the store can refuse it. */
const forgedKey = base62(32).map((random) => PREFIX + random + encodeBase62(crc32(PREFIX + random), 6));

/** Strings that look nothing like a key, or very much like one. */
const randomCandidate = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  base62(38).map((body) => PREFIX + body),
  forgedKey,
  fc.string({ unit: "binary-ascii", minLength: 1000, maxLength: 5000 }),
);

describe("keys that ApiKeys.create makes", () => {
  test("parse back, verify, and are found under the id their digest names", async () => {
    const { keys } = keysOnSpiedStore();
    await fc.assert(
      fc.asyncProperty(createInput, async (input) => {
        const { key, record } = await keys.create(input);
        expect(key).toHaveLength(keys.format.length);
        expect(keys.format.isWellFormed(key)).toBe(true);
        expect(key.match(keys.format.scannerPattern())).toEqual([key]);
        expect(keyIdOf(hasher.digest(key))).toBe(record.id);
        expect(record.id).toMatch(KEY_ID_PATTERN);
        expect(await keys.verify(key)).toMatchObject({ ok: true, record: { id: record.id, owner: input.owner, scopes: input.scopes } });
      }),
      { numRuns: 150 },
    );
  });
});

describe("anything but an issued key", () => {
  test("a mutation of a real key is refused as invalid_key, and never reaches the store", async () => {
    const { keys, findByDigest } = keysOnSpiedStore();
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    await fc.assert(
      fc.asyncProperty(mutationsOf(key), async (presented) => {
        fc.pre(presented !== key);
        findByDigest.mockClear();
        expect(keys.format.isWellFormed(presented)).toBe(false);
        expect(await keys.verify(presented)).toEqual({ ok: false, code: "invalid_key" });
        expect(findByDigest).not.toHaveBeenCalled();
      }),
      { numRuns: 1500 },
    );
  });

  test("a random string is refused, and reaches the store only when it is well formed", async () => {
    const { keys, findByDigest } = keysOnSpiedStore();
    await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    await fc.assert(
      fc.asyncProperty(randomCandidate, async (presented) => {
        findByDigest.mockClear();
        expect(await keys.verify(presented)).toEqual({ ok: false, code: "invalid_key" });
        expect(findByDigest.mock.calls.length).toBeLessThanOrEqual(keys.format.isWellFormed(presented) ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });

  test("a forged key with a valid checksum is asked of the store, and refused", async () => {
    const { keys, findByDigest } = keysOnSpiedStore();
    const presentedBefore = new Set<string>();
    await fc.assert(
      fc.asyncProperty(forgedKey, async (presented) => {
        fc.pre(!presentedBefore.has(presented)); // a repeat is answered from the cache of misses
        presentedBefore.add(presented);
        findByDigest.mockClear();
        expect(keys.format.isWellFormed(presented)).toBe(true);
        expect(await keys.verify(presented)).toEqual({ ok: false, code: "invalid_key" });
        expect(findByDigest).toHaveBeenCalledTimes(1);
      }),
      { numRuns: 200 },
    );
  });

  test("verify refuses a malformed input, whatever its type, and never rejects", async () => {
    const { keys, findByDigest } = keysOnSpiedStore();
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomCandidate, fc.anything()), async (presented) => {
        fc.pre(typeof presented !== "string" || !keys.format.isWellFormed(presented));
        expect(await keys.verify(presented as string)).toEqual({ ok: false, code: "invalid_key" });
      }),
      { numRuns: 500 },
    );
    expect(findByDigest).not.toHaveBeenCalled();
  });
});

describe("keyIdOf", () => {
  test("names every digest with a well-formed id, and the same key always with the same id", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 100 }), (presented) => {
        const id = keyIdOf(hasher.digest(presented));
        expect(id).toMatch(KEY_ID_PATTERN);
        expect(keyIdOf(new KeyHasher(SECRET).digest(presented))).toBe(id);
      }),
      { numRuns: 300 },
    );
  });

  test("any other string gives a well-formed id or a TypeError, nothing else", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.base64String({ maxLength: 60 })), (digest) => {
        let id: string | undefined;
        try {
          id = keyIdOf(digest);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return;
        }
        expect(id).toMatch(KEY_ID_PATTERN);
      }),
      { numRuns: 300 },
    );
  });
});
