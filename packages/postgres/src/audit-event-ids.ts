import { createCipheriv, createDecipheriv } from "node:crypto";

/** The bytes of one AES block: eight zero bytes, then the row's `seq` as a big-endian int64. */
const BLOCK = 16;
/** A sealed `seq`: one AES block in unpadded base64url. */
const SEALED = /^[A-Za-z0-9_-]{22}$/;
const TIME = /^\d{1,16}$/;

/**
 * The access log's public event ids: `<recorded ms>-<seq sealed>`. `seq`, the table's identity, is
 * encrypted with AES-256 on a single block under the schema's key (migration 8), so an id names
 * its row's place in the log, which a cursor needs, and says nothing about the events of other
 * owners around it. AES on one block is a keyed permutation: every seq has exactly one sealed
 * form, and eight zero bytes in the block make a forged or damaged id fail to open (one chance in
 * 2^64) rather than point somewhere arbitrary.
 */
export class AuditEventIds {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("PostgresAuditSink: the audit id key must be 32 bytes (migration 8 makes it)");
    this.#key = key;
  }

  /** The public id of a row. */
  idOf(row: { readonly recorded_at: string; readonly seq: string }): string {
    const block = Buffer.alloc(BLOCK);
    block.writeBigInt64BE(BigInt(row.seq), 8);
    const cipher = createCipheriv("aes-256-ecb", this.#key, null).setAutoPadding(false);
    return `${row.recorded_at}-${Buffer.concat([cipher.update(block), cipher.final()]).toString("base64url")}`;
  }

  /** The `[recorded ms, seq]` an id names, or undefined for anything this schema did not hand out. */
  parse(id: string): readonly [ms: number, seq: number] | undefined {
    const dash = id.indexOf("-");
    const time = id.slice(0, dash);
    const sealed = id.slice(dash + 1);
    if (dash < 0 || !TIME.test(time) || !SEALED.test(sealed)) return undefined;
    const decipher = createDecipheriv("aes-256-ecb", this.#key, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(Buffer.from(sealed, "base64url")), decipher.final()]);
    if (block.readBigInt64BE(0) !== 0n) return undefined;
    const seq = block.readBigInt64BE(8);
    return seq > 0n && seq <= BigInt(Number.MAX_SAFE_INTEGER) ? [Number(time), Number(seq)] : undefined;
  }
}
