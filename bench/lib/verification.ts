import type { ApiKeys } from "@portcullis/core";
import { median, p50p99 } from "./stats";
import { timeSequentially } from "./timing";

/** Unrecorded verifications first, so the JIT and the connection are warm. */
const WARM_UP = 1_000;

/** Verifications and bare round trips alternate in batches of this many. */
const BATCH = 100;

/** Verification latency at one store size, in microseconds. */
export interface VerificationTiming {
  readonly p50: number;
  readonly p99: number;
  /** The median bare round trip (PING) on the same connection, timed in batches between the verifications'. */
  readonly roundTripP50: number;
  /** p50 minus roundTripP50: what verifying adds to a round trip, the part the store's size could change. */
  readonly ownP50: number;
}

/**
 * `count` sequential `keys.verify` calls cycling through `sample`, in batches alternating with as
 * many bare round trips on the same connection. On a VM the round trip itself moves between
 * about 10 and 80 µs as the host wakes idle vCPUs or not, which swamps what the store's size
 * could do; what verifying adds to a round trip measured at the same moment does not move with
 * it. Every key must verify; a refusal means the store lost or garbled a record.
 */
export async function timeVerification(
  keys: ApiKeys,
  sample: readonly string[],
  count: number,
  roundTrip: () => Promise<unknown>,
): Promise<VerificationTiming> {
  const verifyOne = async (i: number) => {
    const verification = await keys.verify(sample[i % sample.length]!);
    if (!verification.ok) throw new Error(`a seeded key failed verification: ${verification.code}`);
  };
  await timeSequentially(WARM_UP, verifyOne);
  const verifications: number[] = [];
  const roundTrips: number[] = [];
  for (let done = 0; done < count; done += BATCH) {
    const batch = Math.min(BATCH, count - done);
    verifications.push(...(await timeSequentially(batch, (i) => verifyOne(done + i))));
    roundTrips.push(...(await timeSequentially(batch, roundTrip)));
  }
  const { p50, p99 } = p50p99(verifications);
  const roundTripP50 = median(roundTrips);
  return { p50, p99, roundTripP50, ownP50: p50 - roundTripP50 };
}
