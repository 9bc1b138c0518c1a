import type { ApiKeys } from "@portcullis/core";
import { p50p99 } from "./stats";
import { timeSequentially } from "./timing";

/** Unrecorded verifications first, so the JIT and the connection are warm. */
const WARM_UP = 1_000;

/**
 * Verification latency in microseconds: `count` sequential `keys.verify` calls cycling through
 * `sample`. Every key must verify; a refusal means the store lost or garbled a record.
 */
export async function timeVerification(keys: ApiKeys, sample: readonly string[], count: number): Promise<{ p50: number; p99: number }> {
  const verifyOne = async (i: number) => {
    const verification = await keys.verify(sample[i % sample.length]!);
    if (!verification.ok) throw new Error(`a seeded key failed verification: ${verification.code}`);
  };
  await timeSequentially(WARM_UP, verifyOne);
  return p50p99(await timeSequentially(count, verifyOne));
}
