import type { ApiKeys } from "@portcullis/core";
import { median, p50p99 } from "./stats";
import { timeSequentially } from "./timing";

/** Unrecorded verifications first, so the JIT and each connection are warm. */
const WARM_UP = 1_000;

/** Each store's verifications and bare round trips come in turns of this many. */
const BATCH = 100;

/** One store to time: its keys service, keys it holds, and a bare round trip on its connection. */
export interface VerificationSubject {
  readonly keys: ApiKeys;
  readonly sample: readonly string[];
  readonly roundTrip: () => Promise<unknown>;
}

/** Verification latency on one store, in microseconds. */
export interface VerificationTiming {
  readonly p50: number;
  readonly p99: number;
  /** The median bare round trip (PING) on the same connection, timed in the same turns. */
  readonly roundTripP50: number;
}

/**
 * `count` sequential `keys.verify` calls per store, cycling through its sample, in turns of
 * BATCH: store after store, each turn a batch of verifications and then as many bare round
 * trips. On a VM a round trip moves between about 10 and 90 µs as the host wakes idle vCPUs or
 * not; taking turns spreads those moods over every store alike, so the stores' latencies compare
 * as if measured at the same moment. Every key must verify; a refusal means the store lost or
 * garbled a record.
 */
export async function timeVerificationAcross(subjects: readonly VerificationSubject[], count: number): Promise<VerificationTiming[]> {
  const verifier = ({ keys, sample }: VerificationSubject) => async (i: number) => {
    const verification = await keys.verify(sample[i % sample.length]!);
    if (!verification.ok) throw new Error(`a seeded key failed verification: ${verification.code}`);
  };
  const runs = subjects.map((subject) => ({ subject, verifyOne: verifier(subject), verifications: [] as number[], roundTrips: [] as number[] }));
  for (const run of runs) await timeSequentially(WARM_UP, run.verifyOne);
  for (let done = 0; done < count; done += BATCH) {
    const batch = Math.min(BATCH, count - done);
    for (const run of runs) {
      run.verifications.push(...(await timeSequentially(batch, (i) => run.verifyOne(done + i))));
      run.roundTrips.push(...(await timeSequentially(batch, run.subject.roundTrip)));
    }
  }
  return runs.map(({ verifications, roundTrips }) => {
    const { p50, p99 } = p50p99(verifications);
    return { p50, p99, roundTripP50: median(roundTrips) };
  });
}
