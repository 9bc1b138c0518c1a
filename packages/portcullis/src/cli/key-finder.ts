import type { KeyFormat } from "@portcullis/core";

/** A key found in a text: where it starts, and which format it is of. */
export interface KeyFinding {
  /** The full key, for a store lookup only: print `format.preview(key)`, never this. */
  readonly key: string;
  readonly format: KeyFormat;
  /** 1-based; lines end at "\n", so a CRLF file counts as editors count it. */
  readonly line: number;
  /** 1-based, in characters (code points), so text before the key in any script counts once per character. */
  readonly column: number;
}

/**
 * The keys of the given formats in a text, in the order they appear. A candidate counts only
 * when its checksum is valid, so a look-alike (a test fixture, a random string) is not reported.
 * Pure: no I/O, so `portcullis scan` and its tests share it.
 *
 * @example
 * findKeys(`API_KEY=${key}\n`, [new KeyFormat({ prefix: "pk_live_" })]); // [{ key, format, line: 1, column: 9 }]
 */
export function findKeys(text: string, formats: readonly KeyFormat[]): KeyFinding[] {
  const present = formats.filter((format) => text.includes(format.prefix));
  if (present.length === 0) return [];
  const patterns = present.map((format) => ({ format, pattern: format.scannerPattern() }));
  const findings: KeyFinding[] = [];
  text.split("\n").forEach((lineText, index) => {
    const onLine: { at: number; key: string; format: KeyFormat }[] = [];
    for (const { format, pattern } of patterns) {
      if (!lineText.includes(format.prefix)) continue;
      for (const match of lineText.matchAll(pattern)) {
        if (format.isWellFormed(match[0])) onLine.push({ at: match.index, key: match[0], format });
      }
    }
    // Two formats can match at one place only if one prefix extends the other: keep the first.
    onLine.sort((a, b) => a.at - b.at);
    let end = -1;
    for (const { at, key, format } of onLine) {
      if (at < end) continue;
      end = at + key.length;
      findings.push({ key, format, line: index + 1, column: codePoints(lineText, at) + 1 });
    }
  });
  return findings;
}

/** How many characters (not UTF-16 units) come before `index`. */
function codePoints(text: string, index: number): number {
  let count = 0;
  for (let i = 0; i < index; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1; // a low surrogate completes a character already counted
  }
  return count;
}
