import { KeyFormat } from "@portcullis/core";
import { crc32 } from "node:zlib";
import { BASE62_ALPHABET, encodeBase62, KEY_CHECKSUM_LENGTH, KEY_RANDOM_LENGTH } from "@portcullis/core/internal";

const BASE62_ONLY = /^[0-9A-Za-z]+$/;
const format = new KeyFormat({ prefix: "cpx_live." });

/** The key with the character at `index` replaced by a different base62 character. */
function changeCharAt(key: string, index: number): string {
  const replacement = key[index] === "a" ? "b" : "a";
  return key.slice(0, index) + replacement + key.slice(index + 1);
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
}

describe("KeyFormat.generate", () => {
  it.each(["cpx_live.", "plx_sk_"])("makes keys that start with %j, are 38 characters longer, and are base62 after it", (prefix) => {
    const key = new KeyFormat({ prefix }).generate();

    expect(key.startsWith(prefix)).toBe(true);
    expect(key).toHaveLength(prefix.length + 38);
    expect(key.slice(prefix.length)).toMatch(BASE62_ONLY);
  });

  it("reports the total length of its keys", () => {
    expect(format.length).toBe("cpx_live.".length + 38);
    expect(format.generate()).toHaveLength(format.length);
  });

  it("never repeats a key in 1000 draws", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => format.generate()));

    expect(keys.size).toBe(1000);
  });

  it("draws at least 160 bits of randomness per key (32 random base62 characters)", () => {
    const key = format.generate();
    const randomChars = key.length - format.prefix.length - KEY_CHECKSUM_LENGTH;

    expect(randomChars).toBe(KEY_RANDOM_LENGTH);
    expect(randomChars * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  it("draws every base62 character about equally often", () => {
    // 2000 keys × 32 random characters ≈ 1032 draws of each of the 62 characters (σ ≈ 32).
    // Every bound below is more than 8σ away for a uniform source, so the test does not flake,
    // yet the chi-square bound catches a modulo-62 bias on raw bytes (χ² ≈ 400).
    const counts = new Map<string, number>([...BASE62_ALPHABET].map((c) => [c, 0]));
    for (let i = 0; i < 2000; i++) {
      const random = format.generate().slice(format.prefix.length, format.prefix.length + KEY_RANDOM_LENGTH);
      for (const c of random) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const mean = (2000 * KEY_RANDOM_LENGTH) / 62;
    const observed = [...counts.values()];
    const chiSquare = observed.reduce((sum, n) => sum + (n - mean) ** 2 / mean, 0);

    expect(counts.size).toBe(62);
    expect(Math.min(...observed)).toBeGreaterThan(mean / 2);
    expect(Math.max(...observed)).toBeLessThan(mean * 2);
    expect(chiSquare).toBeLessThan(160); // P(χ²₆₁ > 160) ≈ 1e-10
  });
});

describe("KeyFormat.isWellFormed", () => {
  const key = format.generate();
  const start = format.prefix.length;

  it("accepts keys it generated", () => {
    for (let i = 0; i < 100; i++) expect(format.isWellFormed(format.generate())).toBe(true);
  });

  it("refuses a key with one character of its random part changed", () => {
    for (const index of [start, start + 15, start + KEY_RANDOM_LENGTH - 1]) {
      expect(format.isWellFormed(changeCharAt(key, index))).toBe(false);
    }
  });

  it("refuses a key with one character of its checksum changed", () => {
    for (let index = key.length - KEY_CHECKSUM_LENGTH; index < key.length; index++) {
      expect(format.isWellFormed(changeCharAt(key, index))).toBe(false);
    }
  });

  it("refuses a well-formed key of another prefix", () => {
    const other = new KeyFormat({ prefix: "cpx_test." }).generate();

    expect(format.isWellFormed(other)).toBe(false);
    expect(format.isWellFormed("cpx_test." + key.slice(start))).toBe(false);
  });

  it("refuses a truncated or an extended key", () => {
    expect(format.isWellFormed(key.slice(0, -1))).toBe(false);
    expect(format.isWellFormed(key + "a")).toBe(false);
    expect(format.isWellFormed(key + key)).toBe(false);
  });

  it("refuses the empty string, non-ASCII characters and a 10 kB string", () => {
    expect(format.isWellFormed("")).toBe(false);
    expect(format.isWellFormed(key.slice(0, -7) + "é" + key.slice(-6))).toBe(false);
    expect(format.isWellFormed(key.slice(0, -2) + "😀")).toBe(false);
    expect(format.isWellFormed(key + "a".repeat(10_000))).toBe(false);
  });

  it("refuses a key whose checksum is right but whose body has a character outside base62", () => {
    // The checksum is computed over the forged head, so only the alphabet check can refuse it.
    for (const odd of ["_", "-", ".", "+", "/", "=", " "]) {
      const head = format.prefix + odd + key.slice(start + 1, start + KEY_RANDOM_LENGTH);
      const forged = head + encodeBase62(crc32(head), KEY_CHECKSUM_LENGTH);
      expect(forged).toHaveLength(format.length);
      expect(format.isWellFormed(forged)).toBe(false);
    }
    const rebuilt = key.slice(0, start + KEY_RANDOM_LENGTH);
    expect(format.isWellFormed(rebuilt + encodeBase62(crc32(rebuilt), KEY_CHECKSUM_LENGTH))).toBe(true); // the forging itself is sound
  });

  it("matches the prefix case-sensitively", () => {
    expect(format.isWellFormed(swapCase(format.prefix) + key.slice(start))).toBe(false);
    expect(format.isWellFormed(format.prefix.toUpperCase() + key.slice(start))).toBe(false);
  });
});

describe("KeyFormat.preview", () => {
  it("shows the prefix, the first four and the last four characters, and hides the middle", () => {
    const key = format.generate();
    const body = key.slice(format.prefix.length);
    const hidden = body.slice(4, -4);

    expect(format.preview(key)).toBe(`cpx_live.${body.slice(0, 4)}…${body.slice(-4)}`);
    expect(format.preview(key)).not.toContain(hidden);
    expect(format.preview(key)).not.toContain(body.slice(4, 8));
  });
});

describe("KeyFormat prefixes", () => {
  it.each([
    ["the empty string", ""],
    ["a leading digit", "1abc"],
    ["a space", "has space"],
    ["33 characters", "a".repeat(33)],
    ["a number", 42],
    ["undefined", undefined],
  ])("refuses %s with a TypeError naming KeyFormat", (_, prefix) => {
    const create = () => new KeyFormat({ prefix: prefix as string });

    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^KeyFormat: /);
  });

  it("names the option and what it must be, and refuses an unknown one", () => {
    expect(() => new KeyFormat({ prefix: "1abc" })).toThrow(
      new TypeError(`KeyFormat: "prefix" must be a letter followed by up to 31 letters, digits, "_", "." or "-" (such as "cpx_live." or "plx_sk_"), got "1abc"`),
    );
    expect(() => new KeyFormat({ prefix: "cpx_", suffix: "_x" } as never)).toThrow(new TypeError(`KeyFormat: unknown option "suffix"; the options are prefix`));
    expect(() => new KeyFormat({} as never)).toThrow(
      new TypeError(`KeyFormat: "prefix" is required: a letter followed by up to 31 letters, digits, "_", "." or "-" (such as "cpx_live." or "plx_sk_")`),
    );
    expect(() => new KeyFormat(undefined as never)).toThrow(new TypeError(`KeyFormat: options must be an object such as { prefix: "cpx_live." }`));
  });

  it("accepts a letter followed by up to 31 letters, digits, '_', '.' or '-'", () => {
    expect(new KeyFormat({ prefix: "a".repeat(32) }).prefix).toBe("a".repeat(32));
    const dashed = new KeyFormat({ prefix: "K-1_x." });
    expect(dashed.isWellFormed(dashed.generate())).toBe(true);
  });
});

describe("KeyFormat.scannerPattern", () => {
  it.each(["cpx_live.", "plx_sk_", "my-app.key_"])("finds %j keys in a paragraph of text", (prefix) => {
    const keyFormat = new KeyFormat({ prefix });
    const key = keyFormat.generate();
    const text = `Deploy notes.\nWe set API_KEY=${key} in the CI config (oops), then "${key}". Rotate it.`;

    expect(text.match(keyFormat.scannerPattern())).toEqual([key, key]);
  });

  it("does not find text that only resembles a key", () => {
    const key = format.generate();
    const text = `cpx_live.short, cpx_liveX${key.slice(9)}, ${key}0 and x${key}`;

    expect(text.match(format.scannerPattern())).toBeNull();
  });
});
