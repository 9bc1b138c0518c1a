import { performance } from "node:perf_hooks";

/**
 * Runs `call` `count` times one after another and returns each call's duration in
 * microseconds, in call order.
 */
export async function timeSequentially(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call(i);
    durations.push((performance.now() - start) * 1000);
  }
  return durations;
}
