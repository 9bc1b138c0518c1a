import { keyStatus, type ApiKeyRecord } from "@portcullis/core";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A key as the API shows it: masked, snake_case (`key_id`, as the Plexe clients read it). */
export function keyJson(record: ApiKeyRecord, now: number) {
  return {
    key_id: record.id,
    name: record.name,
    preview: record.preview,
    scopes: record.scopes,
    app: record.app ?? null,
    status: keyStatus(record, now),
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
    last_used_at: iso(record.lastUsedAt),
    usage_count: record.usageCount,
    metadata: record.metadata,
    rate_limit: record.rateLimit ? { points: record.rateLimit.points, duration_seconds: record.rateLimit.durationSeconds } : null,
    rotated_from: record.rotatedFrom ?? null,
    rotated_to: record.rotatedTo ?? null,
    created_by: record.createdBy ?? null,
    revoked_with: record.revokedWith ?? null,
    replaced_by: record.replacedBy ?? null,
    replaces: record.replaces ?? null,
  };
}
