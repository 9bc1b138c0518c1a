import { apiKeysMigration } from "./0001-api-keys";
import { usersMigration } from "./0002-users";
import { mfaMigration } from "./0003-mfa";
import { auditEventsMigration } from "./0004-audit-events";
import { sessionsMigration } from "./0005-sessions";
import { rateLimitsMigration } from "./0006-rate-limits";
import { apiKeysFillfactorMigration } from "./0007-api-keys-fillfactor";
import { auditEventIdsMigration } from "./0008-audit-event-ids";
import { identitiesMigration } from "./0009-identities";
import { emailMigration } from "./0010-email";
import type { Migration } from "./migration";

export type { Migration } from "./migration";

/**
 * The schema's migrations, in version order. They are TypeScript strings rather than .sql files so
 * that they travel inside the compiled package: a bundled or single-file deploy has no files beside
 * it to read, and nothing resolves a path at run time.
 */
export const MIGRATIONS: readonly Migration[] = [
  apiKeysMigration,
  usersMigration,
  mfaMigration,
  auditEventsMigration,
  sessionsMigration,
  rateLimitsMigration,
  apiKeysFillfactorMigration,
  auditEventIdsMigration,
  identitiesMigration,
  emailMigration,
];
