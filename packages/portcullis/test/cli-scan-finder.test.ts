import { KeyFormat } from "@portcullis/core";
import { findKeys } from "../src/cli/key-finder";

const live = new KeyFormat({ prefix: "pk_live_" });
const demo = new KeyFormat({ prefix: "cpx_live." });
const KEY = live.generate();
const OTHER = live.generate();

/** The same key with one checksum character changed: the right shape, the wrong checksum. */
function badChecksum(key: string): string {
  const last = key.at(-1)!;
  return key.slice(0, -1) + (last === "a" ? "b" : "a");
}

const where = (text: string, formats: readonly KeyFormat[] = [live]) =>
  findKeys(text, formats).map(({ key, line, column }) => ({ key, line, column }));

describe("findKeys", () => {
  test("finds a key with a valid checksum, and ignores one whose checksum is wrong", () => {
    expect(where(`${KEY}\n${badChecksum(KEY)}\n`)).toEqual([{ key: KEY, line: 1, column: 1 }]);
  });

  test("ignores a key one character too long or too short", () => {
    expect(where(`${KEY}x ${KEY.slice(0, -1)}`)).toEqual([]);
  });

  test("a key at the start and at the end of a line, with no newline at the end of the text", () => {
    expect(where(`${KEY} trailing\nleading ${OTHER}`)).toEqual([
      { key: KEY, line: 1, column: 1 },
      { key: OTHER, line: 2, column: 9 },
    ]);
  });

  test("inside quotes, JSON, a .env assignment and a URL query", () => {
    const text = [`const key = "${KEY}";`, `{"apiKey":"${KEY}"}`, `API_KEY=${KEY}`, `https://api.example.com/v1?key=${KEY}&x=1`].join("\n");
    expect(where(text)).toEqual([
      { key: KEY, line: 1, column: 14 },
      { key: KEY, line: 2, column: 12 },
      { key: KEY, line: 3, column: 9 },
      { key: KEY, line: 4, column: 32 },
    ]);
  });

  test("two keys on one line", () => {
    expect(where(`a=${KEY} b=${OTHER}`)).toEqual([
      { key: KEY, line: 1, column: 3 },
      { key: OTHER, line: 1, column: "a=".length + KEY.length + " b=".length + 1 },
    ]);
  });

  test("CRLF line endings count lines as editors do and leave the \\r out of the key", () => {
    expect(where(`first\r\nKEY=${KEY}\r\nlast ${OTHER}\r\n`)).toEqual([
      { key: KEY, line: 2, column: 5 },
      { key: OTHER, line: 3, column: 6 },
    ]);
  });

  test("a prefix with a regular-expression metacharacter is matched literally", () => {
    const key = demo.generate();
    // A valid key of "cpx_liveX": what a "." read as a wildcard would let through.
    const lookalike = new KeyFormat({ prefix: "cpx_liveX" }).generate();
    expect(where(`${key} ${lookalike}`, [demo])).toEqual([{ key, line: 1, column: 1 }]);
  });

  test("Unicode around a key: columns count characters, and letters outside ASCII do not glue to the key", () => {
    expect(where(`🔑 clé «${KEY}» ключ`)).toEqual([{ key: KEY, line: 1, column: 8 }]);
  });

  test("keys of several prefixes, each with its format", () => {
    const key = demo.generate();
    const found = findKeys(`${key}\n${KEY}`, [live, demo]);
    expect(found.map(({ key, format }) => [key, format.prefix])).toEqual([
      [key, "cpx_live."],
      [KEY, "pk_live_"],
    ]);
  });

  test("a text without the prefix has no findings", () => {
    expect(where("nothing here\n")).toEqual([]);
  });
});
