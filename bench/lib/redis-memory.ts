import type { Redis } from "ioredis";

/** `used_memory` from INFO memory: the bytes Redis's allocator holds for data and buffers. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  const match = info.match(/^used_memory:(\d+)/m);
  if (!match) throw new Error("INFO memory has no used_memory line");
  return Number(match[1]);
}
