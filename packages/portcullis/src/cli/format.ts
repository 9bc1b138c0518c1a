import { keyStatus, type ApiKeyRecord, type RotatedKey } from "@portcullis/core";
import { keyJson as routerKeyJson } from "@portcullis/api-keys-router";

const SHOWN_ONCE = "This is the only time the key is shown: copy it now. Only a hash of it is stored.";

/**
 * A key as `--json` prints it: the HTTP key router's shape (masked, snake_case), plus `owner`,
 * since the CLI is not scoped to one owner.
 *
 * @example
 * keyJson(record, Date.now()).status; // "active"
 */
export function keyJson(record: ApiKeyRecord, now: number) {
  return { ...routerKeyJson(record, now), owner: record.owner };
}

/**
 * One JSON document per run, so `jq` and `JSON.parse` read stdout whole.
 *
 * @example
 * io.stdout(formatJson({ keys: [], next_cursor: null }));
 */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A new key for a person: what it is, then the key alone on its line, then the warning.
 *
 * @example
 * io.stdout(formatCreated(created.key, created.record));
 */
export function formatCreated(key: string, record: ApiKeyRecord): string {
  return [`Created key ${record.id}`, ...details(record), ...shownOnce(key)].join("\n");
}

/**
 * A rotation for a person: the new key as `formatCreated` shows it, and when the old one stops.
 *
 * @example
 * io.stdout(formatRotated(rotated, keys.now()));
 */
export function formatRotated({ key, record, previous }: RotatedKey, now: number): string {
  const oldKey =
    previous.expiresAt !== undefined && previous.expiresAt > now
      ? `${previous.id} keeps working until ${humanTime(previous.expiresAt)}`
      : `${previous.id} no longer works`;
  return [`Rotated key ${previous.id} to ${record.id}`, ...details(record), `  old key  ${oldKey}`, ...shownOnce(key)].join("\n");
}

/**
 * A revoked key for a person. `asked` is the id that was asked for: revoking a key already
 * revoked revokes the key that took its place, and the message names both.
 *
 * @example
 * io.stdout(formatRevoked(record, "key_4fQa"));
 */
export function formatRevoked(record: ApiKeyRecord, asked: string = record.id): string {
  const at = record.revokedAt === undefined ? "" : ` at ${humanTime(record.revokedAt)}`;
  const why = asked === record.id ? "" : `, which took the place of ${asked} (already revoked),`;
  return `Revoked key ${record.id} (${record.name}, ${record.preview})${why}${at}: the server refuses it from now on.\n`;
}

/**
 * A page of keys as an aligned table, one line per key, masked; and how to ask for the next page.
 *
 * @example
 * io.stdout(formatKeyList(page.records, page.next, keys.now()));
 */
export function formatKeyList(records: readonly ApiKeyRecord[], next: string | undefined, now: number): string {
  if (records.length === 0) return "No keys.\n";
  const rows = [
    ["ID", "NAME", "PREVIEW", "SCOPES", "STATUS", "CREATED", "LAST USED"],
    ...records.map((record) => [
      record.id,
      record.name,
      record.preview,
      record.scopes.join(","),
      keyStatus(record, now),
      humanTime(record.createdAt),
      record.lastUsedAt === undefined ? "never" : humanTime(record.lastUsedAt),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  if (next !== undefined) lines.push("", `More keys: add --after ${next}`);
  return `${lines.join("\n")}\n`;
}

function details(record: ApiKeyRecord): string[] {
  return [
    `  name     ${record.name}`,
    `  owner    ${record.owner}`,
    `  scopes   ${record.scopes.join(",")}`,
    ...(record.app === undefined ? [] : [`  app      ${record.app}`]),
    `  preview  ${record.preview}`,
    `  expires  ${record.expiresAt === undefined ? "never" : humanTime(record.expiresAt)}`,
  ];
}

/** The full key alone on its line, so it can be copied, then the warning. */
function shownOnce(key: string): string[] {
  return ["", key, "", SHOWN_ONCE, ""];
}

/** UTC to the second: `2025-03-01T12:00:00Z`. */
function humanTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

