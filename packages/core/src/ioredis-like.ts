/**
 * An ioredis `Redis` or `Cluster`, described by shape rather than imported, so that packages
 * whose Redis use is optional (the rate limiters) do not make users install ioredis's types.
 */
export interface IoredisLike {
  readonly status: string;
  eval(...args: never[]): unknown;
}

/** True for an ioredis `Redis` or `Cluster` (or anything shaped like one). */
export function isIoredisLike(value: unknown): value is IoredisLike {
  const client = value as Partial<IoredisLike> | null;
  return typeof client?.status === "string" && typeof client.eval === "function";
}
