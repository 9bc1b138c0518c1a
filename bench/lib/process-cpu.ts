import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";

/** Kernel clock ticks per second, in which /proc reports CPU time (100 nearly everywhere). */
const TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat: what a server
 * spends per request, whatever else the machine is doing. Undefined where /proc is missing.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return undefined;
  }
}

/** CPU seconds redis-server has used so far (INFO cpu), to the microsecond. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_user") + field("used_cpu_sys");
}
