import { createHmac } from "node:crypto";
import { KeyFormat } from "@portcullis/core";
import { KeyHasher } from "@portcullis/core/internal";

const SECRET = "s".repeat(32);
const OTHER_SECRET = "t".repeat(32);
const key = new KeyFormat({ prefix: "plx_sk_" }).generate();

describe("KeyHasher", () => {
  it("gives the same key the same digest, across instances", () => {
    expect(new KeyHasher(SECRET).digest(key)).toBe(new KeyHasher(SECRET).digest(key));
  });

  it("gives different keys different digests", () => {
    const hasher = new KeyHasher(SECRET);
    const otherKey = new KeyFormat({ prefix: "plx_sk_" }).generate();

    expect(hasher.digest(otherKey)).not.toBe(hasher.digest(key));
  });

  it("gives the same key a different digest under another secret", () => {
    expect(new KeyHasher(OTHER_SECRET).digest(key)).not.toBe(new KeyHasher(SECRET).digest(key));
  });

  it("is HMAC-SHA256 of the key under the secret, in base64url", () => {
    const expected = createHmac("sha256", SECRET).update(key).digest("base64url");

    expect(new KeyHasher(SECRET).digest(key)).toBe(expected);
  });

  it("makes a 43-character base64url digest that does not contain the key", () => {
    const digest = new KeyHasher(SECRET).digest(key);

    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest).not.toContain(key);
    expect(digest).not.toContain(key.slice("plx_sk_".length, "plx_sk_".length + 8));
  });

  it.each([
    ["the empty string", ""],
    ["31 characters", "x".repeat(31)],
    ["31 bytes", new Uint8Array(31)],
  ])("refuses a secret of %s", (_, secret) => {
    const create = () => new KeyHasher(secret);

    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^KeyHasher: the secret must be at least 32 bytes/);
  });

  it("counts a string secret in UTF-8 bytes", () => {
    expect(() => new KeyHasher("é".repeat(16))).not.toThrow(); // 16 characters, 32 bytes
    expect(() => new KeyHasher("é".repeat(15) + "x")).toThrow(/^KeyHasher: /); // 31 bytes
  });

  it("accepts a Uint8Array secret, hashing as the same bytes given as a string", () => {
    const bytes = new Uint8Array(Buffer.from(SECRET, "utf8"));

    expect(new KeyHasher(bytes).digest(key)).toBe(new KeyHasher(SECRET).digest(key));
  });

  it("keeps its own copy of a Uint8Array secret", () => {
    const bytes = new Uint8Array(32).fill(7);
    const hasher = new KeyHasher(bytes);
    const before = hasher.digest(key);
    bytes.fill(0);

    expect(hasher.digest(key)).toBe(before);
  });
});
