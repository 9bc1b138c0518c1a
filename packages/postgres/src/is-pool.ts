import type { Pool } from "pg";

/** A node-postgres `Pool` (or one from another copy of pg): what the stores and `migrate` take. */
export function isPool(value: unknown): value is Pool {
  const pool = value as Partial<Pool> | null;
  return typeof pool?.connect === "function" && typeof pool.query === "function" && typeof pool.options === "object" && pool.options !== null;
}
