import { apiKeysMigration } from "./0001-api-keys";
import type { Migration } from "./migration";

export type { Migration } from "./migration";

/**
 * The schema's migrations, in version order. They are TypeScript strings rather than .sql files so
 * that they travel inside the compiled package: a bundled or single-file deploy has no files beside
 * it to read, and nothing resolves a path at run time.
 */
export const MIGRATIONS: readonly Migration[] = [apiKeysMigration];
