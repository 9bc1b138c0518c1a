import { KEY_LIST_STATUSES, MAX_KEY_NAME_LENGTH, MAX_PAGE_SIZE, MAX_SCOPE_LENGTH } from "@portcullis/core/internal";
import { z } from "zod";

const metadataValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

/** POST / — scopes or (Plexe's) permission_level; an expiry as a date or a number of seconds. */
export const createKeyBody = z
  .object({
    name: z.string().min(1).max(MAX_KEY_NAME_LENGTH),
    scopes: z.array(z.string().min(1).max(MAX_SCOPE_LENGTH)).min(1).max(100).optional(),
    permission_level: z.string().min(1).max(64).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    expires_in: z.int().min(60).max(10 * 365 * 24 * 3600).optional(),
    metadata: z.record(z.string().max(64), metadataValue).optional(),
    rate_limit: z.object({ points: z.int().min(1), duration_seconds: z.int().min(1) }).strict().optional(),
  })
  .strict()
  .refine((body) => (body.scopes === undefined) !== (body.permission_level === undefined), {
    message: "give either scopes or permission_level",
    path: ["scopes"],
  })
  .refine((body) => body.expires_at === undefined || body.expires_in === undefined, {
    message: "give either expires_at or expires_in, not both",
    path: ["expires_at"],
  });

export type CreateKeyBody = z.infer<typeof createKeyBody>;

/** POST /:id/rotate — the body is optional. */
export const rotateKeyBody = z
  .object({ grace_period_seconds: z.int().min(0).optional() })
  .strict();

/** GET / query string. */
export const listKeysQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    cursor: z.string().min(1).max(64).optional(),
    /** Which keys: the working ones unless asked. */
    status: z.enum(KEY_LIST_STATUSES).optional(),
  })
  .strip();

/** GET /usage and GET /:id/usage query string. */
export const usageQuery = z.object({ days: z.coerce.number().int().min(1).max(90).optional() }).strip();
