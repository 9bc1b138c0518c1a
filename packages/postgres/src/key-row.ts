import type { KeyRecordPatch, StoredApiKey, UpdateOptions } from "@portcullis/core";

// How an API-key record maps onto a row of `api_keys`, both ways, in one place so the reader and
// the writer agree.

/** A time column read as milliseconds since the epoch (exact: the records' times are whole ms). */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::int8 AS ${column}`;

/**
 * The columns a record is read from, listed (never `*`): a prepared statement then survives a
 * migration that adds a column. Times come back as bigint milliseconds and json as text, read with
 * `Number` and `JSON.parse` here, so a host that changed node-postgres's global type parsers
 * (bigint as BigInt, timestamptz or json as strings) gets the same records.
 */
export const KEY_COLUMNS = [
  "id",
  "digest",
  "owner",
  "app",
  "name",
  "scopes",
  "preview",
  ms("created_at"),
  ms("expires_at"),
  ms("revoked_at"),
  ms("last_used_at"),
  ms("cascaded_at"),
  "usage_count",
  "metadata::text AS metadata",
  "rate_limit_points",
  "rate_limit_seconds",
  "rotated_from",
  "rotated_to",
  "lineage",
  "created_by",
  "created_under",
  "counts_under::text AS counts_under",
  "revoked_with",
  "replaced_by",
  "replaces",
].join(", ");

/** A parameter of milliseconds since the epoch as a timestamptz (null stays null), exactly. */
export const msParam = (n: number) => `'epoch'::timestamptz + $${n}::float8 * interval '1 millisecond'`;

export interface KeyRow {
  readonly id: string;
  readonly digest: string;
  readonly owner: string;
  readonly app: string | null;
  readonly name: string;
  readonly scopes: string[];
  readonly preview: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
  readonly cascaded_at: string | null;
  readonly usage_count: string;
  readonly metadata: string;
  readonly rate_limit_points: number | null;
  readonly rate_limit_seconds: number | null;
  readonly rotated_from: string | null;
  readonly rotated_to: string | null;
  readonly lineage: string | null;
  readonly created_by: string | null;
  readonly created_under: string | null;
  readonly counts_under: string | null;
  readonly revoked_with: string | null;
  readonly replaced_by: string | null;
  readonly replaces: string | null;
}

/** The INSERT of a whole record: its columns and its parameter list, in one order. */
export function insertKey(table: string, record: StoredApiKey): { text: string; values: unknown[] } {
  const columns: [string, unknown, "time" | "json" | "plain"][] = [
    ["id", record.id, "plain"],
    ["digest", record.digest, "plain"],
    ["owner", record.owner, "plain"],
    ["app", record.app, "plain"],
    ["name", record.name, "plain"],
    ["scopes", [...record.scopes], "plain"],
    ["preview", record.preview, "plain"],
    ["created_at", record.createdAt, "time"],
    ["expires_at", record.expiresAt, "time"],
    ["revoked_at", record.revokedAt, "time"],
    ["last_used_at", record.lastUsedAt, "time"],
    ["cascaded_at", record.cascadedAt, "time"],
    ["usage_count", record.usageCount, "plain"],
    ["metadata", JSON.stringify(record.metadata ?? {}), "json"],
    ["rate_limit_points", record.rateLimit?.points, "plain"],
    ["rate_limit_seconds", record.rateLimit?.durationSeconds, "plain"],
    ["rotated_from", record.rotatedFrom, "plain"],
    ["rotated_to", record.rotatedTo, "plain"],
    ["lineage", record.lineage, "plain"],
    ["created_by", record.createdBy, "plain"],
    ["created_under", record.createdUnder, "plain"],
    ["counts_under", record.countsUnder && record.countsUnder.length > 0 ? JSON.stringify(record.countsUnder) : undefined, "json"],
    ["revoked_with", record.revokedWith, "plain"],
    ["replaced_by", record.replacedBy, "plain"],
    ["replaces", record.replaces, "plain"],
  ];
  const params = columns.map(([, , kind], i) => (kind === "time" ? msParam(i + 1) : kind === "json" ? `$${i + 1}::json` : `$${i + 1}`));
  return {
    text: `INSERT INTO ${table} (${columns.map(([name]) => name).join(", ")}) VALUES (${params.join(", ")})`,
    values: columns.map(([, value]) => value ?? null),
  };
}

/** The columns a patch may set, and whether each holds a time. */
const PATCH_COLUMNS: Readonly<Record<keyof KeyRecordPatch, { readonly column: string; readonly time: boolean }>> = {
  revokedAt: { column: "revoked_at", time: true },
  expiresAt: { column: "expires_at", time: true },
  cascadedAt: { column: "cascaded_at", time: true },
  rotatedTo: { column: "rotated_to", time: false },
  revokedWith: { column: "revoked_with", time: false },
  replacedBy: { column: "replaced_by", time: false },
  replaces: { column: "replaces", time: false },
};

const GUARDED_COLUMNS: Readonly<Record<NonNullable<UpdateOptions["onlyIfUnset"]>[number], string>> = { revokedAt: "revoked_at", rotatedTo: "rotated_to" };

/**
 * What `update` sends, for a record id and a patch: the assignments (empty when nothing is to be
 * written), the condition the row must meet, and the values of both (`$1` is the id).
 */
export function planUpdate(id: string, patch: KeyRecordPatch, options: UpdateOptions): { assignments: string[]; condition: string; values: unknown[] } {
  const values: unknown[] = [id];
  const set = new Map<string, string>();
  for (const [field, value] of Object.entries(patch) as [keyof KeyRecordPatch, string | number | undefined][]) {
    const target = PATCH_COLUMNS[field];
    if (value === undefined || !target) continue;
    values.push(value);
    set.set(target.column, target.time ? msParam(values.length) : `$${values.length}`);
  }
  // As in the other stores, a field both patched and unset ends up unset.
  for (const field of options.unset ?? []) set.set(PATCH_COLUMNS[field].column, "NULL");
  const conditions = ["id = $1", ...(options.onlyIfUnset ?? []).map((field) => `${GUARDED_COLUMNS[field]} IS NULL`)];
  if (options.onlyIfCreatedUnder !== undefined) {
    values.push(options.onlyIfCreatedUnder);
    conditions.push(`created_under = $${values.length}`);
  }
  return { assignments: [...set].map(([column, expression]) => `${column} = ${expression}`), condition: conditions.join(" AND "), values };
}

/** A row as a record. Only the fields present are set, as the other stores do. */
export function fromRow(row: KeyRow): StoredApiKey {
  const record: Record<string, unknown> = {
    id: row.id,
    digest: row.digest,
    name: row.name,
    owner: row.owner,
    scopes: row.scopes,
  };
  if (row.app !== null) record.app = row.app;
  record.preview = row.preview;
  record.createdAt = Number(row.created_at);
  if (row.expires_at !== null) record.expiresAt = Number(row.expires_at);
  if (row.revoked_at !== null) record.revokedAt = Number(row.revoked_at);
  if (row.last_used_at !== null) record.lastUsedAt = Number(row.last_used_at);
  record.usageCount = Number(row.usage_count);
  record.metadata = JSON.parse(row.metadata);
  if (row.rate_limit_points !== null && row.rate_limit_seconds !== null) {
    record.rateLimit = { points: Number(row.rate_limit_points), durationSeconds: Number(row.rate_limit_seconds) };
  }
  if (row.rotated_from !== null) record.rotatedFrom = row.rotated_from;
  if (row.rotated_to !== null) record.rotatedTo = row.rotated_to;
  if (row.lineage !== null) record.lineage = row.lineage;
  if (row.created_by !== null) record.createdBy = row.created_by;
  if (row.created_under !== null) record.createdUnder = row.created_under;
  if (row.counts_under !== null) record.countsUnder = JSON.parse(row.counts_under);
  if (row.revoked_with !== null) record.revokedWith = row.revoked_with;
  if (row.cascaded_at !== null) record.cascadedAt = Number(row.cascaded_at);
  if (row.replaced_by !== null) record.replacedBy = row.replaced_by;
  if (row.replaces !== null) record.replaces = row.replaces;
  return record as unknown as StoredApiKey;
}
